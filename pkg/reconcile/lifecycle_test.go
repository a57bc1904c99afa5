package reconcile_test

// The states moto cannot show (pending-reboot until a reboot, changes
// queued for the window, busy instances, a fired schedule deleted under
// us), against the in-process fake of internal/fakeaws.

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/request"
)

func newFakeEnv(t *testing.T, mode string, extra map[string]string) *fakeaws.Env {
	vars := map[string]string{config.EnvMode: mode}
	for k, v := range extra {
		vars[k] = v
	}
	return fakeaws.NewEnv(t, now, vars)
}

func equal(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// The whole life of a remediation, with the apply status RDS really reports.
func TestLifecycleWithPendingReboot(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders")

	ir := e.Event(t, "RDS-EVENT-0005", "orders")
	if ir.Outcome != plan.OutcomeRemediated || e.AWS.Get("orders").ApplyStatus != plan.PendingReboot {
		t.Fatalf("after remediation: %+v, apply status %s", ir, e.AWS.Get("orders").ApplyStatus)
	}
	if got := e.Notes.Take(); !equal(got, []string{"remediated"}) {
		t.Errorf("notices %v", got)
	}
	if e.ScheduleAt("orders") != "at(2026-11-29T05:00:00)" {
		t.Fatalf("schedule %s", e.ScheduleAt("orders"))
	}

	// Duplicates and our own follow-up events (0011 group attached) change nothing.
	for _, id := range []string{"RDS-EVENT-0005", "RDS-EVENT-0011", "RDS-EVENT-0092"} {
		ir = e.Event(t, id, "orders")
		if ir.State != plan.CompliantPendingReboot || len(ir.Changed) != 0 {
			t.Errorf("%s: %+v", id, ir)
		}
	}
	if got := e.Notes.Take(); len(got) != 0 {
		t.Errorf("duplicate events notified: %v", got)
	}
	if n := e.AWS.Count("UpdateSchedule") + e.AWS.Count("RebootDBInstance"); n != 0 {
		t.Errorf("duplicates moved the schedule or rebooted (%d)", n)
	}

	// No reboot before the window, whatever arrives.
	e.Now = nextWindow.Add(-time.Hour)
	e.Event(t, "RDS-EVENT-0014", "orders")
	if len(e.AWS.Reboots) != 0 {
		t.Fatal("rebooted outside the maintenance window")
	}

	// Scheduler fires at the window start: reboot, without failover.
	e.Now = nextWindow
	ir = e.Fire(t, "orders")
	if ir.Outcome != plan.OutcomeRebooted || len(e.AWS.Reboots) != 1 || aws.ToBool(e.AWS.Reboots[0].ForceFailover) {
		t.Fatalf("scheduled reboot: %+v reboots %d", ir, len(e.AWS.Reboots))
	}
	if got := e.Notes.Take(); !equal(got, []string{"rebooted"}) {
		t.Errorf("notices %v", got)
	}

	// RDS-EVENT-0006 confirms the fix took effect.
	e.Now = nextWindow.Add(3 * time.Minute)
	ir = e.Event(t, "RDS-EVENT-0006", "orders")
	if ir.State != plan.Compliant || ir.Outcome != plan.OutcomeVerified {
		t.Fatalf("after restart: %+v", ir)
	}
	if got := e.Notes.Take(); !equal(got, []string{"verified"}) {
		t.Errorf("notices %v", got)
	}
}

func TestPendingModificationsAreNotAppliedEarly(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders", func(i *fakeaws.Instance) { i.PendingMods = true })

	e.Event(t, "RDS-EVENT-0005", "orders")
	if len(e.AWS.Modifies) != 1 || aws.ToBool(e.AWS.Modifies[0].ApplyImmediately) {
		t.Fatalf("ModifyDBInstance must not apply immediately when modifications are pending: %+v", e.AWS.Modifies)
	}
	if i := e.AWS.Get("orders"); !i.PendingMods {
		t.Fatalf("the owner's queued change was applied early: %+v", i)
	}

	// At the window start RDS is about to apply the queued change: give it
	// one look's time, so the instance has one outage rather than two.
	e.Now = nextWindow
	ir := e.Fire(t, "orders")
	if ir.Outcome != plan.OutcomeWaiting || len(e.AWS.Reboots) != 0 || e.ScheduleAt("orders") != "at(2026-11-29T05:10:00)" {
		t.Fatalf("at window start: %+v, schedule %s", ir, e.ScheduleAt("orders"))
	}

	// RDS applied it; the parameters still need our reboot.
	e.AWS.Maintenance("orders")
	e.Now = nextWindow.Add(10 * time.Minute)
	ir = e.Fire(t, "orders")
	if ir.Outcome != plan.OutcomeRebooted || len(e.AWS.Reboots) != 1 {
		t.Fatalf("after maintenance: %+v", ir)
	}
}

// An event just before the window (or a sweep at that hour) never pushes
// the reboot back.
func TestEventsNeverPushTheRebootBack(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Notes.Take()
	for _, at := range []time.Duration{-10 * time.Minute, -time.Minute} {
		e.Now = nextWindow.Add(at)
		e.Event(t, "RDS-EVENT-0092", "orders")
		if got := e.ScheduleAt("orders"); got != "at(2026-11-29T05:00:00)" {
			t.Fatalf("event at %s moved the reboot to %s", e.Now, got)
		}
	}
	if got := e.Notes.Take(); len(got) != 0 || e.AWS.Count("UpdateSchedule") != 0 {
		t.Errorf("events changed the schedule: notices %v", got)
	}
}

// When Scheduler has already deleted a schedule that just fired, a moving
// write creates it again rather than giving up.
func TestScheduleDeletedMeanwhileIsCreatedAgain(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Now = nextWindow
	e.AWS.Set("orders", func(i *fakeaws.Instance) { i.Status = "modifying" })
	// The schedule still exists at CreateSchedule, is gone at GetSchedule.
	e.AWS.Vanish = true
	name := plan.ScheduleName(e.AWS.Account, e.AWS.Region, "orders")
	input := e.AWS.Schedules[name].Target.Input
	out, err := e.Invoke(t, []byte(aws.ToString(input)))
	if err != nil {
		t.Fatal(err)
	}
	if ir := fakeaws.Only(t, out); ir.Outcome != plan.OutcomeWaiting {
		t.Fatalf("%+v", ir)
	}
	if e.AWS.Count("CreateSchedule") != 3 { // remediation, conflict, re-create
		t.Errorf("calls %v", e.AWS.Calls)
	}
}

func TestBusyThroughTheWindowMovesToTheNextOne(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Notes.Take()

	e.Now = nextWindow
	e.AWS.Set("orders", func(i *fakeaws.Instance) { i.Status = "backing-up" })
	e.Fire(t, "orders") // re-check at 05:10
	e.Now = nextWindow.Add(10 * time.Minute)
	e.Fire(t, "orders") // re-check at 05:20
	e.Now = nextWindow.Add(20 * time.Minute)
	ir := e.Fire(t, "orders") // too late now
	if ir.Outcome != plan.OutcomePostponed || e.ScheduleAt("orders") != "at(2026-12-06T05:00:00)" {
		t.Fatalf("%+v, schedule %s", ir, e.ScheduleAt("orders"))
	}
	if len(e.AWS.Reboots) != 0 {
		t.Error("rebooted a busy instance")
	}
	if got := e.Notes.Take(); !equal(got, []string{"postponed"}) {
		t.Errorf("notices %v", got)
	}
}

func TestNotReadyIsRecheckedNotDropped(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders", func(i *fakeaws.Instance) { i.Status = "creating" })

	ir := e.Event(t, "RDS-EVENT-0005", "orders")
	if ir.State != plan.NotReady || e.ScheduleAt("orders") != "at(2026-11-26T10:10:00)" {
		t.Fatalf("%+v, schedule %q", ir, e.ScheduleAt("orders"))
	}
	if got := e.Notes.Take(); len(got) != 0 {
		t.Errorf("waiting is not news: %v", got)
	}
	e.AWS.Set("orders", func(i *fakeaws.Instance) { i.Status = "available" })
	e.Now = now.Add(10 * time.Minute)
	ir = e.Fire(t, "orders")
	if ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("re-check: %+v", ir)
	}
}

func TestReportModeMakesNoWriteEvenWhenNotReady(t *testing.T) {
	e := newFakeEnv(t, "report", nil)
	e.AddSQLServer("a")
	e.AddSQLServer("b", func(i *fakeaws.Instance) { i.Status = "creating" })
	e.Event(t, "RDS-EVENT-0005", "a")
	e.Event(t, "RDS-EVENT-0005", "b")
	for _, op := range e.AWS.Calls {
		if !strings.HasPrefix(op, "Describe") {
			t.Errorf("report mode called %s", op)
		}
	}
	if got := e.Notes.Take(); !equal(got, []string{"report-finding"}) {
		t.Errorf("notices %v", got)
	}
}

func TestImmediateRebootPolicyByTag(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("dev", func(i *fakeaws.Instance) { i.Tags[plan.RebootTag] = "immediate" })
	e.Event(t, "RDS-EVENT-0005", "dev")
	if got := e.ScheduleAt("dev"); got != "at(2026-11-26T10:02:00)" {
		t.Fatalf("schedule %s", got)
	}
	e.Now = now.Add(plan.SettleDelay)
	if ir := e.Fire(t, "dev"); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("%+v", ir)
	}
}

func TestPermanentErrorIsToldAndAcknowledged(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders")
	e.AWS.FailNext["CreateDBParameterGroup"] = fakeaws.APIError("DBParameterGroupQuotaExceeded")
	out, err := e.Invoke(t, []byte(`{"detail-type":"RDS DB Instance Event","source":"aws.rds","account":"123456789012","region":"us-east-1",
		"detail":{"SourceArn":"arn:aws:rds:us-east-1:123456789012:db:orders","EventID":"RDS-EVENT-0005"}}`))
	if err != nil {
		t.Fatalf("a permanent error must be acknowledged, got %v", err)
	}
	if ir := fakeaws.Only(t, out); ir.Outcome != plan.OutcomeFailed || !strings.Contains(ir.Error, "DBParameterGroupQuotaExceeded") {
		t.Errorf("%+v", ir)
	}
	if got := e.Notes.Take(); !equal(got, []string{"failed"}) {
		t.Errorf("notices %v", got)
	}
}

func TestTransientErrorIsRetriedThenFinishes(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders")
	e.AWS.FailNext["ModifyDBInstance"] = fakeaws.APIError("ThrottlingException")
	payload := []byte(`{"detail-type":"RDS DB Instance Event","source":"aws.rds","account":"123456789012","region":"us-east-1",
		"detail":{"SourceArn":"arn:aws:rds:us-east-1:123456789012:db:orders","EventID":"RDS-EVENT-0005"}}`)
	if _, err := e.Invoke(t, payload); err == nil {
		t.Fatal("a throttling error that outlived the SDK's retries must go back to Lambda")
	}
	if got := e.Notes.Take(); len(got) != 0 {
		t.Errorf("nothing finished, nothing to tell: %v", got)
	}
	// Lambda's retry: the group exists (ours, half done); finish the job.
	out, err := e.Invoke(t, payload)
	if err != nil {
		t.Fatal(err)
	}
	ir := fakeaws.Only(t, out)
	if ir.Outcome != plan.OutcomeRemediated || len(e.AWS.Groups) != 2 || e.AWS.Count("ModifyDBParameterGroup") != 1 || len(ir.Planned) != 2 {
		t.Fatalf("retry: %+v calls %v", ir, e.AWS.Calls)
	}
	if e.AWS.Get("orders").Group == "default.sqlserver-se-15.0" {
		t.Error("retry did not attach the group")
	}
}

func TestScheduledActionCarriesAccountAndRegion(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	s := e.AWS.Schedules[plan.ScheduleName(e.AWS.Account, e.AWS.Region, "orders")]
	req, err := rdsevent.Parse([]byte(aws.ToString(s.Target.Input)))
	if err != nil || req.Account != "123456789012" || req.Region != "us-east-1" || req.Trigger != request.TriggerReboot {
		t.Fatalf("schedule input %s -> %+v %v", aws.ToString(s.Target.Input), req, err)
	}
}
