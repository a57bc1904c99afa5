package reconcile_test

// The blast-radius controls end to end: the real engine through the real
// SDK clients, its controls, budget and memory in moto's DynamoDB, its
// schedules in moto's Scheduler (fired as Scheduler would).

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/gate"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/state"
)

// blastEnv is a clocked env with the state table and instances whose TLS
// switch is off.
func blastEnv(t *testing.T, ids []string, tags map[string]map[string]string, extra ...string) *clocked {
	e := newClocked(t, append([]string{config.EnvStateTable, "forcessl-state"}, extra...)...)
	mototest.CreateStateTable(t, moto.Config(t), "forcessl-state")
	// The controls' one-minute cache ages on the test's clock, which jumps
	// days, as a Lambda environment's does between an event and a window.
	e.d.FanOut.Reconciler.Blast.Clock = func() time.Time { return e.clock }
	for _, id := range ids {
		def := mototest.CreateInstance(t, e.rds, id, "sqlserver-se", "", tags[id])
		mototest.SeedTLSParameter(t, e.rds, def, "rds.force_ssl", "0", "static")
	}
	return e
}

func (c *clocked) controls() state.DynamoControls {
	return state.NewDynamoControls(dynamodb.NewFromConfig(moto.Config(c.t)), "forcessl-state")
}

// fireDue fires the instance's schedule due now.
func (c *clocked) fireDue(id string) fired {
	c.t.Helper()
	for _, name := range c.due() {
		if strings.Contains(name, c.resourceID(id)[:13]) {
			ir := c.fire(name)
			return fired{ir.Outcome, ir.Reason}
		}
	}
	c.t.Fatalf("nothing of %s due at %s (%v)", id, c.clock, c.schedules())
	return fired{}
}

// payload takes a schedule out of Scheduler as it fires it: its payload,
// the schedule deleted.
func (c *clocked) payload(name string) []byte {
	c.t.Helper()
	ctx := context.Background()
	s, err := c.sched.GetSchedule(ctx, &scheduler.GetScheduleInput{GroupName: aws.String("forcessl"), Name: aws.String(name)})
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.sched.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{GroupName: aws.String("forcessl"), Name: aws.String(name)}); err != nil {
		c.t.Fatal(err)
	}
	return []byte(aws.ToString(s.Target.Input))
}

type fired struct {
	outcome plan.Outcome
	reason  string
}

// The budget postpones the second reboot of an hour; the week after, the
// postponed one goes before a younger one that fires first.
func TestBudgetOldestFirstThroughMoto(t *testing.T) {
	e := blastEnv(t, []string{"a-sql", "b-sql", "c-sql"}, nil, "FORCESSL_REBOOT_BUDGET", "account=1/h,org=100/h")
	for i, id := range []string{"a-sql", "b-sql"} {
		e.clock = now.Add(time.Duration(i) * time.Minute)
		if ir := e.instanceEvent("RDS-EVENT-0005", id); ir.Outcome != plan.OutcomeRemediated {
			t.Fatalf("%s: %+v", id, ir)
		}
	}
	e.clock = nextWindow
	if r := e.fireDue("b-sql"); r.outcome != plan.OutcomeRebooted {
		t.Fatalf("b: %+v", r)
	}
	if r := e.fireDue("a-sql"); r.outcome != plan.OutcomePostponed || !strings.Contains(r.reason, "reboot budget account=1/h") {
		t.Fatalf("a, over budget: %+v", r)
	}
	e.clock = nextWindow.AddDate(0, 0, 3)
	if ir := e.instanceEvent("RDS-EVENT-0005", "c-sql"); ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("c: %+v", ir)
	}
	e.clock = nextWindow.AddDate(0, 0, 7)
	if r := e.fireDue("c-sql"); r.outcome != plan.OutcomePostponed {
		t.Fatalf("c, younger than the waiting a, fired first: %+v", r)
	}
	if r := e.fireDue("a-sql"); r.outcome != plan.OutcomeRebooted {
		t.Fatalf("a, waiting since last week: %+v", r)
	}
	counts, err := e.controls().RebootCounts(context.Background(), e.clock)
	if err != nil || counts["123456789012"] != 1 {
		t.Fatalf("counted %v, %v", counts, err)
	}
}

// A pause set in the state table stops the scheduled reboot (postponed to
// the next window); after resume the next window reboots.
func TestPauseStopsAScheduledRebootThroughMoto(t *testing.T) {
	e := blastEnv(t, []string{"orders-sql"}, nil)
	if ir := e.instanceEvent("RDS-EVENT-0005", "orders-sql"); ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("event: %+v", ir)
	}
	ctx := context.Background()
	if err := e.controls().Pause(ctx, state.Pause{Reason: "incident 9", By: "arn:ops", Since: nextWindow.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	e.clock = nextWindow
	if r := e.fireDue("orders-sql"); r.outcome != plan.OutcomePostponed || !strings.Contains(r.reason, "paused: incident 9") {
		t.Fatalf("under the pause: %+v", r)
	}
	if n := e.calls.Snapshot()["RDS.RebootDBInstance"]; n != 0 {
		t.Fatalf("%d reboots under the pause", n)
	}
	if err := e.controls().Resume(ctx, state.Scope{}, "arn:ops", "over", nextWindow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.clock = nextWindow.AddDate(0, 0, 7)
	if r := e.fireDue("orders-sql"); r.outcome != plan.OutcomeRebooted {
		t.Fatalf("after resume: %+v", r)
	}
}

// A ring keeps an account outside it report-only; inside it, an instance
// tagged forcessl:mode=report is reported, another changed.
func TestRingsAndModeTagThroughMoto(t *testing.T) {
	e := blastEnv(t, []string{"orders-sql"}, nil, config.EnvEnforceAccounts, "999999999999")
	before := e.instanceGroup("orders-sql")
	if ir := e.instanceEvent("RDS-EVENT-0005", "orders-sql"); len(ir.Changed) != 0 || e.instanceGroup("orders-sql") != before ||
		!strings.Contains(ir.Reason, "outside the enforcement rings") {
		t.Fatalf("outside the rings: %+v", ir)
	}
	e = blastEnv(t, []string{"orders-sql", "reports-sql"}, map[string]map[string]string{"reports-sql": {"forcessl:mode": "report"}},
		config.EnvEnforceAccounts, "123456789012")
	before = e.instanceGroup("reports-sql")
	if ir := e.instanceEvent("RDS-EVENT-0005", "reports-sql"); len(ir.Changed) != 0 || e.instanceGroup("reports-sql") != before ||
		!strings.Contains(ir.Reason, "tagged forcessl:mode=report") {
		t.Fatalf("tagged report: %+v", ir)
	}
	if ir := e.instanceEvent("RDS-EVENT-0005", "orders-sql"); ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("in the ring: %+v", ir)
	}
}

// The look after the reboot whose reads keep failing (cut off as a Lambda
// timeout would) opens the breaker past the timeout, counted in the
// state table, and it stays open.
func TestFailingLookOpensTheBreakerThroughMoto(t *testing.T) {
	e := blastEnv(t, []string{"orders-sql"}, nil, config.EnvRestartTimeout, "30m")
	e.instanceEvent("RDS-EVENT-0005", "orders-sql")
	e.clock = nextWindow
	if r := e.fireDue("orders-sql"); r.outcome != plan.OutcomeRebooted {
		t.Fatalf("reboot: %+v", r)
	}
	e.clock = nextWindow.Add(plan.RecheckDelay)
	due := e.due()
	if len(due) != 1 {
		t.Fatalf("looks due: %v", due)
	}
	payload := e.payload(due[0])
	invoke := func(at time.Duration) (any, error) {
		e.clock = nextWindow.Add(at)
		e.failNext.Store("RDS.DescribeDBInstances")
		return e.invoke(payload)
	}
	for _, at := range []time.Duration{10 * time.Minute, 11 * time.Minute, 13 * time.Minute} {
		if _, err := invoke(at); err == nil {
			t.Fatalf("failed look at %s acknowledged", at)
		}
	}
	e.clock = nextWindow.Add(31 * time.Minute)
	due = e.due()
	if len(due) != 1 || !strings.HasSuffix(due[0], "-recheck") {
		t.Fatalf("the look at the timeout not scheduled: %v (all %v)", due, e.schedules())
	}
	payload = e.payload(due[0])
	out, err := invoke(31 * time.Minute)
	if err != nil {
		t.Fatalf("the look that opened the breaker: %v", err)
	}
	if ir := only(t, out); ir.Outcome != gate.OutcomeBreakerOpen {
		t.Fatalf("%+v", ir)
	}
	set, err := e.controls().ReadControls(context.Background())
	if err != nil || len(set.Breakers) != 1 || !strings.Contains(set.Breakers[0].Saw, "4 time(s)") {
		t.Fatalf("breakers %+v, %v", set.Breakers, err)
	}
	if got := e.outcomes(); !equal(got, []string{"remediated", "rebooted", "breaker-open"}) {
		t.Errorf("messages %v", got)
	}
}
