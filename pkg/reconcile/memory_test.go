package reconcile_test

// forcessl's memory (the state table), with the atomic in-process store:
// it reboots only for its own change, says each thing once, and makes one
// set of changes however many environments handle the same event at once.

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/state"
)

func remembering(t *testing.T, mode string) *fakeaws.Env {
	return fakeaws.NewEnv(t, now, map[string]string{"FORCESSL_MODE": mode}, state.NewMemory())
}

// ownerChange is the owner editing a static parameter in the forcessl
// group now attached, as the ops guide suggests: RDS shows the group
// pending-reboot again.
func ownerChange(t *testing.T, e *fakeaws.Env, id string) {
	t.Helper()
	_, err := e.AWS.ModifyDBParameterGroup(context.Background(), &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(e.AWS.Get(id).Group),
		Parameters: []rdstypes.Parameter{{ParameterName: aws.String("max degree of parallelism"), ParameterValue: aws.String("4"),
			ApplyMethod: rdstypes.ApplyMethodPendingReboot}}})
	if err != nil {
		t.Fatal(err)
	}
}

// The owner's own static change, pending on the forcessl group after
// forcessl's change took effect, is not forcessl's to reboot for: it is
// said once, and no reboot is scheduled. forcessl's own change is rebooted.
func TestRebootsOnlyForItsOwnChange(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Now = nextWindow
	if ir := e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("forcessl's own pending change must be rebooted: %+v", ir)
	}
	e.Now = nextWindow.Add(3 * time.Minute)
	if ir := e.Event(t, "RDS-EVENT-0006", "orders"); ir.Outcome != plan.OutcomeVerified {
		t.Fatalf("after the restart: %+v", ir)
	}
	e.Notes.Take()

	ownerChange(t, e, "orders")
	for i := 0; i < 3; i++ {
		ir := e.Event(t, "RDS-EVENT-0092", "orders")
		if ir.Outcome != plan.OutcomeOwnerPending || len(ir.Changed) != 0 {
			t.Fatalf("event %d: %+v", i, ir)
		}
	}
	if got := e.Notes.Take(); !equal(got, []string{"owner-change-pending"}) {
		t.Errorf("the owner's pending change must be said once: %v", got)
	}
	if s := e.RebootAt("orders"); s != "" {
		t.Errorf("a reboot was scheduled for the owner's change: %s", s)
	}
	// Not even at the next window, nor on a restart that is not forcessl's.
	e.Now = nextWindow.AddDate(0, 0, 7)
	e.Event(t, "RDS-EVENT-0014", "orders")
	if len(e.AWS.Reboots) != 1 {
		t.Errorf("rebooted for the owner's change: %d reboots", len(e.AWS.Reboots))
	}
	// "verified" is said once, not on every restart.
	e.AWS.Set("orders", func(i *fakeaws.Instance) { i.ApplyStatus = plan.InSync })
	if ir := e.Event(t, "RDS-EVENT-0006", "orders"); ir.Outcome != plan.OutcomeNone {
		t.Errorf("a restart with nothing of forcessl's pending: %+v", ir)
	}
	if got := e.Notes.Take(); len(got) != 0 {
		t.Errorf("notices %v", got)
	}
}

// Each thing is said once: the same refusal three times is one message,
// a report-mode finding three times is one message; a changed reason is a
// new one.
func TestFindingsAreSaidOnce(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddSQLServer("old", func(i *fakeaws.Instance) { i.Group = "app-old" })
	e.AWS.Groups["app-old"] = &fakeaws.Group{Family: "sqlserver-se-11.0", Params: map[string]fakeaws.Param{}, Tags: map[string]string{}}
	for i := 0; i < 3; i++ {
		if ir := e.Event(t, "RDS-EVENT-0005", "old"); ir.Outcome != plan.OutcomeRefused {
			t.Fatalf("%+v", ir)
		}
	}
	if got := e.Notes.Take(); !equal(got, []string{"refused"}) {
		t.Errorf("refusal told %v", got)
	}

	r := remembering(t, "report")
	r.AddSQLServer("orders")
	for i := 0; i < 3; i++ {
		r.Event(t, "RDS-EVENT-0005", "orders")
	}
	if got := r.Notes.Take(); !equal(got, []string{"report-finding"}) {
		t.Errorf("report-mode finding told %v", got)
	}
	// Fixed by the owner, then broken again: news again.
	r.AWS.Groups[fakeaws.DefaultGroup].Params["rds.force_ssl"] = fakeaws.Param{Value: "1", ApplyType: "static", Source: "system"}
	r.Event(t, "RDS-EVENT-0092", "orders")
	r.AWS.Groups[fakeaws.DefaultGroup].Params["rds.force_ssl"] = fakeaws.Param{Value: "0", ApplyType: "static", Source: "system"}
	r.Event(t, "RDS-EVENT-0092", "orders")
	if got := r.Notes.Take(); !equal(got, []string{"report-finding"}) {
		t.Errorf("a finding after a fix is news again: %v", got)
	}
}

// Six environments handed the same event at the same moment: one group
// made, one attach, one schedule, one "remediated"; the others wait for
// the lease, find the work done, or ask Lambda to retry (and then find it
// done).
func TestSixEnvironmentsMakeOneSetOfChanges(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddSQLServer("orders")
	payload := fakeaws.InstanceEvent(e.AWS.Account, e.AWS.Region, "RDS-EVENT-0005", "orders")
	var wg sync.WaitGroup
	errs := make([]error, 6)
	envs := make([]interface {
		Invoke(context.Context, []byte, string) (any, error)
	}, 6)
	for i := range envs {
		envs[i] = e.Environment()
	}
	start := make(chan struct{})
	for i, env := range envs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = env.Invoke(context.Background(), payload, fakeaws.FunctionARN)
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil { // Lambda retries a busy event: the retry finds the work done
			if _, err := e.Invoke(t, payload); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := e.AWS.Count("CreateDBParameterGroup") + e.AWS.Count("ModifyDBInstance"); n != 2 {
		t.Errorf("%d creates and attaches, want one of each: %v", n, e.AWS.Calls)
	}
	if s := e.ScheduleAt("orders"); s != "at(2026-11-29T05:00:00)" {
		t.Errorf("schedules %s", s)
	}
	if got := e.Notes.Take(); !equal(got, []string{"remediated"}) {
		t.Errorf("notices %v", got)
	}
}

// Upgrading from a version without the table: a reboot schedule that
// version left pending is forcessl's intent, recorded, never dropped.
func TestUpgradeSeedsTheIntentFromAPendingSchedule(t *testing.T) {
	e := remembering(t, "enforce")
	const group = "forcessl-default-sqlserver-se-15-0-168f9a23"
	e.AddSQLServer("orders", func(i *fakeaws.Instance) { i.Group, i.ApplyStatus = group, plan.PendingReboot })
	e.AWS.Groups[group] = &fakeaws.Group{Family: "sqlserver-se-15.0", Tags: map[string]string{},
		Params: map[string]fakeaws.Param{"rds.force_ssl": {Value: "1", ApplyType: "static", Source: "user"}}}
	legacy := plan.LegacyScheduleName(e.AWS.Account, e.AWS.Region, "orders")
	if _, err := e.AWS.CreateSchedule(context.Background(), legacyInput(legacy)); err != nil {
		t.Fatal(err)
	}
	e.Event(t, "RDS-EVENT-0092", "orders")
	mem, ok, err := e.Store.Resource(context.Background(), state.Key{Account: e.AWS.Account, Region: e.AWS.Region, ResourceID: e.AWS.Get("orders").ResourceID})
	if err != nil || !ok || mem.Intent == nil {
		t.Fatalf("the pending schedule must seed the intent: %+v %v %v", mem, ok, err)
	}
	e.Now = nextWindow
	s, _ := e.AWS.Take(legacy)
	out, err := e.Invoke(t, []byte(aws.ToString(s.Target.Input)))
	if err != nil {
		t.Fatal(err)
	}
	if ir := fakeaws.Only(t, out); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("the earlier version's reboot must still happen: %+v", ir)
	}
}

// The history records each decision and action, keyed by the resource ID,
// so a rename keeps it.
func TestHistoryFollowsTheResource(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.AWS.Rename("orders", "orders-v2")
	e.Now = nextWindow
	e.Fire(t, "orders-v2")
	k := state.Key{Account: e.AWS.Account, Region: e.AWS.Region, ResourceID: e.AWS.Get("orders-v2").ResourceID}
	h, err := e.Store.History(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Outcome != "remediated" || h[0].Name != "orders" || h[1].Outcome != "rebooted" || h[1].Name != "orders-v2" {
		t.Fatalf("history %+v", h)
	}
	names, err := e.Store.Names(context.Background(), e.AWS.Account, e.AWS.Region, "db-instance", "orders-v2")
	if err != nil || len(names) != 1 || names[0].ResourceID != k.ResourceID {
		t.Errorf("name link %+v %v", names, err)
	}
}

// A busy lease defers a sweep's resource to its holder rather than failing
// the whole work item.
func TestSweepDefersToTheLeaseHolder(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddSQLServer("orders")
	k := state.Key{Account: e.AWS.Account, Region: e.AWS.Region, ResourceID: e.AWS.Get("orders").ResourceID}
	if _, ok, err := e.Store.Acquire(context.Background(), k, "someone-else", time.Hour); !ok || err != nil {
		t.Fatal(ok, err)
	}
	_, err := e.Invoke(t, []byte(`{"detail-type":"forcessl Sweep Item","source":"forcessl","account":"123456789012","region":"us-east-1",
		"detail":{"sweepId":"s1","account":"123456789012","region":"us-east-1"}}`))
	if err != nil {
		t.Fatalf("a held lease must not fail the sweep item: %v", err)
	}
	if e.AWS.Count("CreateDBParameterGroup") != 0 {
		t.Error("changed a resource another run holds")
	}
	if _, err := e.Invoke(t, fakeaws.InstanceEvent(e.AWS.Account, e.AWS.Region, "RDS-EVENT-0005", "orders")); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("an event on a held resource is retried later (an error to Lambda), got %v", err)
	}
}

func legacyInput(name string) *scheduler.CreateScheduleInput {
	payload := `{"version":"0","detail-type":"forcessl Scheduled Action","source":"forcessl","account":"123456789012","region":"us-east-1",` +
		`"resources":[],"detail":{"action":"reboot","account":"123456789012","region":"us-east-1","instance":"orders"}}`
	return &scheduler.CreateScheduleInput{Name: aws.String(name), ScheduleExpression: aws.String("at(2026-11-29T05:00:00)"),
		Target: &schedtypes.Target{Input: aws.String(payload)}}
}
