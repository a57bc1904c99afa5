package reconcile_test

// The states moto cannot show (changes queued for the window, busy
// instances, a fired schedule deleted under us), and pending-reboot until a
// reboot (which moto shows too: apply_moto_test.go), against the
// in-process fake of internal/fakeaws.

import (
	"fmt"
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

// Scheduler deletes a one-time schedule once it has fired. A follow-up
// written under that schedule's name could be deleted with it: every fire
// time gets a name of its own, and the fired one is never written to.
func TestFollowUpNeverReusesTheFiredSchedulesName(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	rid := e.AWS.Get("orders").ResourceID
	fired := plan.ScheduleName(e.AWS.Account, e.AWS.Region, rid, nextWindow, request.TriggerReboot)
	if _, ok := e.AWS.Schedule(fired); !ok {
		t.Fatalf("no reboot schedule %s: %v", fired, e.AWS.Names(""))
	}
	e.Now = nextWindow
	e.AWS.Set("orders", func(i *fakeaws.Instance) { i.Status = "modifying" })
	// Scheduler invokes the target; the schedule is still there while the
	// function runs (deleted after), so the engine sees it.
	s, _ := e.AWS.Schedule(fired)
	out, err := e.Invoke(t, []byte(aws.ToString(s.Target.Input)))
	if err != nil {
		t.Fatal(err)
	}
	if ir := fakeaws.Only(t, out); ir.Outcome != plan.OutcomeWaiting {
		t.Fatalf("%+v", ir)
	}
	if e.AWS.Count("UpdateSchedule") != 0 {
		t.Error("a schedule was updated")
	}
	recheck := plan.ScheduleName(e.AWS.Account, e.AWS.Region, rid, nextWindow.Add(plan.RecheckDelay), request.TriggerRecheck)
	if got := e.AWS.Names(plan.SchedulePrefixFor(e.AWS.Account, e.AWS.Region, rid)); len(got) != 1 || got[0] != recheck {
		t.Errorf("want only the re-check under its own name (the fired one superseded), got %v", got)
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
		if !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "List") && !strings.HasPrefix(op, "Get") {
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
	if got := e.ScheduleAt("dev"); got != "at(2026-11-26T10:05:00)" {
		t.Fatalf("schedule %s", got)
	}
	// forcessl's own follow-up events (0011 group attached, the CloudTrail
	// ModifyDBInstance) and a sweep arrive seconds later: none reboots.
	e.Now = now.Add(20 * time.Second)
	for _, id := range []string{"RDS-EVENT-0011", "RDS-EVENT-0092"} {
		if ir := e.Event(t, id, "dev"); ir.Outcome == plan.OutcomeRebooted {
			t.Fatalf("%s rebooted the instance seconds after the attach", id)
		}
	}
	if len(e.AWS.Reboots) != 0 {
		t.Fatal("rebooted by an ordinary event")
	}
	e.Now = now.Add(plan.SettleDelay)
	if ir := e.Fire(t, "dev"); ir.Outcome != plan.OutcomeRebooted || len(e.AWS.Reboots) != 1 {
		t.Fatalf("%+v", ir)
	}
}

// At the account's parameter group quota, the remediation is refused with
// a message saying how to make room, not failed with an error code.
func TestQuotaIsARefusal(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders")
	e.AWS.FailNext["CreateDBParameterGroup"] = fakeaws.APIError("DBParameterGroupQuotaExceeded")
	ir := e.Event(t, "RDS-EVENT-0005", "orders")
	if ir.Outcome != plan.OutcomeRefused || !strings.Contains(ir.Reason, "quota") || len(ir.Changed) != 0 {
		t.Errorf("%+v", ir)
	}
	if got := e.Notes.Take(); !equal(got, []string{"refused"}) {
		t.Errorf("notices %v", got)
	}
}

func TestPermanentErrorIsToldAndAcknowledged(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders")
	e.AWS.FailNext["CreateDBParameterGroup"] = fakeaws.APIError("AccessDenied")
	out, err := e.Invoke(t, []byte(`{"detail-type":"RDS DB Instance Event","source":"aws.rds","account":"123456789012","region":"us-east-1",
		"detail":{"SourceArn":"arn:aws:rds:us-east-1:123456789012:db:orders","EventID":"RDS-EVENT-0005"}}`))
	if err != nil {
		t.Fatalf("a permanent error must be acknowledged, got %v", err)
	}
	if ir := fakeaws.Only(t, out); ir.Outcome != plan.OutcomeFailed || !strings.Contains(ir.Error, "AccessDenied") {
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
	rid := e.AWS.Get("orders").ResourceID
	s, _ := e.AWS.Schedule(plan.ScheduleName(e.AWS.Account, e.AWS.Region, rid, nextWindow, request.TriggerReboot))
	req, err := rdsevent.Parse([]byte(aws.ToString(s.Target.Input)))
	if err != nil || req.Account != "123456789012" || req.Region != "us-east-1" || req.Trigger != request.TriggerReboot ||
		req.ResourceID != rid || req.Instance != "orders" {
		t.Fatalf("schedule input %s -> %+v %v", aws.ToString(s.Target.Input), req, err)
	}
}

// A rename queued for the window (or applied since) does not lose the
// instance: its schedule carries the immutable resource ID, which finds
// the current name when the action fires.
func TestRenameIsFollowedByResourceID(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.AWS.Rename("orders", "orders-v2")
	e.Now = nextWindow
	ir := e.Fire(t, "orders-v2")
	if ir.Outcome != plan.OutcomeRebooted || ir.Name != "orders-v2" || len(e.AWS.Reboots) != 1 ||
		aws.ToString(e.AWS.Reboots[0].DBInstanceIdentifier) != "orders-v2" {
		t.Fatalf("%+v, reboots %d", ir, len(e.AWS.Reboots))
	}
}

// After a blue/green switchover the green instance (another resource ID)
// carries the old name. The blue instance's schedule acts on the blue
// instance, under its new name, never on the green one.
func TestBlueGreenSwitchoverNeverActsOnTheWrongInstance(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	blue := e.AWS.Get("orders")
	e.AWS.Rename("orders", "orders-old1")
	e.AddSQLServer("orders", func(i *fakeaws.Instance) {
		i.ResourceID = "db-GREENGREENGREENGREENGREEN"
		i.Group, i.ApplyStatus = blue.Group, plan.PendingReboot
	})
	e.Now = nextWindow
	ir := e.Fire(t, "orders-old1")
	if ir.Name != "orders-old1" {
		t.Fatalf("the blue instance's schedule acted on %q", ir.Name)
	}
	for _, r := range e.AWS.Reboots {
		if aws.ToString(r.DBInstanceIdentifier) == "orders" {
			t.Fatal("rebooted the green instance through the blue one's schedule")
		}
	}
}

// Schedules written by the version before resource IDs (account, region,
// instance name) are still pending in deployed accounts: accepted.
func TestLegacySchedulePayloadIsAccepted(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders", func(i *fakeaws.Instance) {
		i.Group, i.ApplyStatus = "forcessl-default-sqlserver-se-15-0-168f9a23", plan.PendingReboot
	})
	e.AWS.Groups["forcessl-default-sqlserver-se-15-0-168f9a23"] = &fakeaws.Group{Family: "sqlserver-se-15.0",
		Params: map[string]fakeaws.Param{"rds.force_ssl": {Value: "1", ApplyType: "static", Source: "user"}}, Tags: map[string]string{}}
	e.Now = nextWindow
	legacy := `{"version":"0","detail-type":"forcessl Scheduled Action","source":"forcessl","account":"123456789012","region":"us-east-1",
		"resources":[],"detail":{"action":"reboot","account":"123456789012","region":"us-east-1","instance":"orders"}}`
	out, err := e.Invoke(t, []byte(legacy))
	if err != nil {
		t.Fatal(err)
	}
	if ir := fakeaws.Only(t, out); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("%+v", ir)
	}
}

// storage-optimization keeps serving and can last more than a day: the
// reboot is attempted in the window, and when RDS refuses it
// (InvalidDBInstanceState) forcessl looks again inside the same window
// rather than postponing a week.
func TestStorageOptimizationIsRetriedInsideTheWindow(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders", func(i *fakeaws.Instance) { i.Status = "storage-optimization" })
	if ir := e.Event(t, "RDS-EVENT-0005", "orders"); ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("storage optimization must not stop the remediation: %+v", ir)
	}
	e.Now = nextWindow
	ir := e.Fire(t, "orders")
	if ir.Outcome != plan.OutcomeWaiting || e.ScheduleAt("orders") != "at(2026-11-29T05:10:00)" {
		t.Fatalf("refused reboot: %+v, schedules %s", ir, e.ScheduleAt("orders"))
	}
	if e.AWS.Count("RebootDBInstance") != 1 {
		t.Errorf("the reboot must be attempted: calls %v", e.AWS.Calls)
	}
	e.AWS.Set("orders", func(i *fakeaws.Instance) { i.Status = "available" })
	e.Now = nextWindow.Add(plan.RecheckDelay)
	if ir := e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("%+v", ir)
	}
}

// A CloudTrail rename queued for the window: the new name does not exist
// yet; the resource ID in the event finds the instance under its old one.
func TestQueuedRenameIsFoundByResourceID(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders")
	rid := e.AWS.Get("orders").ResourceID
	ev := fmt.Sprintf(`{"version":"0","id":"r1","detail-type":"AWS API Call via CloudTrail","source":"aws.rds","account":"123456789012",
		"region":"us-east-1","detail":{"eventSource":"rds.amazonaws.com","eventName":"ModifyDBInstance","awsRegion":"us-east-1",
		"recipientAccountId":"123456789012","requestParameters":{"dBInstanceIdentifier":"orders","newDBInstanceIdentifier":"orders-v2"},
		"responseElements":{"dBInstanceIdentifier":"orders","dbiResourceId":%q}}}`, rid)
	out, err := e.Invoke(t, []byte(ev))
	if err != nil {
		t.Fatal(err)
	}
	if ir := fakeaws.Only(t, out); ir.Outcome != plan.OutcomeRemediated || ir.Name != "orders" {
		t.Fatalf("the queued rename must not lose the instance: %+v", ir)
	}
}
