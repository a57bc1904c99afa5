package reconcile_test

// The whole remediation lifecycle end to end against moto with RDS's
// parameter apply states (internal/mototest/moto_server.py, item 6): the
// real engine through the real SDK clients, the reboot fired by invoking
// the payload of the schedule forcessl created in EventBridge Scheduler
// (moto), at the window, as Scheduler would. The engine's clock is the only
// thing the test moves.

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/smithy-go/middleware"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/apply"
	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/setup"
)

// clocked is an env whose engine reads the test's clock.
type clocked struct {
	*env
	clock time.Time
	// failNext names an operation whose next call fails as a Lambda
	// timeout would cut it (the deadline passes; the SDK does not retry).
	failNext atomic.Value
}

func newClocked(t *testing.T, extra ...string) *clocked {
	c := &clocked{env: newEnv(t, policy.ModeEnforce, extra...), clock: now}
	c.failNext.Store("")
	c.aws.APIOptions = append(c.aws.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("testFault",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				op := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
				if c.failNext.CompareAndSwap(op, "") {
					return middleware.InitializeOutput{}, middleware.Metadata{}, context.DeadlineExceeded
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
	c.d = setup.New(c.cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), setup.Options{
		AWS: func() (aws.Config, error) { return c.aws, nil }, Now: func() time.Time { return c.clock }})
	return c
}

// applyStatus is the instance's ParameterApplyStatus.
func (e *env) applyStatus(id string) string {
	e.t.Helper()
	out, err := e.rds.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.DBInstances[0].DBParameterGroups[0].ParameterApplyStatus)
}

// memberStatus is each member's DBClusterParameterGroupStatus.
func (e *env) memberStatus(id string) map[string]string {
	e.t.Helper()
	m := map[string]string{}
	for _, mb := range e.cluster(id).DBClusterMembers {
		m[aws.ToString(mb.DBInstanceIdentifier)] = aws.ToString(mb.DBClusterParameterGroupStatus)
	}
	return m
}

// due lists forcessl's schedules that fire at the clock's time.
func (c *clocked) due() []string {
	c.t.Helper()
	var names []string
	for _, name := range c.schedules() {
		s, err := c.sched.GetSchedule(context.Background(), &scheduler.GetScheduleInput{GroupName: aws.String("forcessl"), Name: aws.String(name)})
		if err != nil {
			c.t.Fatal(err)
		}
		if aws.ToString(s.ScheduleExpression) == apply.AtExpression(c.clock) {
			names = append(names, name)
		}
	}
	return names
}

// fire does what Scheduler does at the clock's time: invokes the function
// with the schedule's payload, then deletes the one-time schedule
// (ActionAfterCompletion DELETE).
func (c *clocked) fire(name string) result.Resource {
	c.t.Helper()
	ctx := context.Background()
	s, err := c.sched.GetSchedule(ctx, &scheduler.GetScheduleInput{GroupName: aws.String("forcessl"), Name: aws.String(name)})
	if err != nil {
		c.t.Fatalf("schedule %s: %v", name, err)
	}
	if got, want := aws.ToString(s.ScheduleExpression), apply.AtExpression(c.clock); got != want {
		c.t.Fatalf("schedule %s fires %s, not now (%s)", name, got, want)
	}
	out, err := c.invoke([]byte(aws.ToString(s.Target.Input)))
	if err != nil {
		c.t.Fatalf("scheduled invocation: %v", err)
	}
	// forcessl's own plan may have deleted it already (a scheduled action
	// replaces what is scheduled, e.g. by the look after its reboot).
	if _, err := c.sched.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{GroupName: aws.String("forcessl"), Name: aws.String(name)}); err != nil &&
		!awserr.Is(err, "ResourceNotFoundException") {
		c.t.Fatalf("delete fired schedule: %v", err)
	}
	return only(c.t, out)
}

// outcomes are the outcome attributes of the messages sent since the last call.
func (e *env) outcomes() []string {
	e.t.Helper()
	var out []string
	for _, m := range e.notices() {
		out = append(out, m.MessageAttributes["outcome"].Value)
	}
	return out
}

// eventPayload is an RDS instance event (the events/ file with its ID).
func (e *env) eventPayload(eventID, instance string) []byte {
	e.t.Helper()
	b, err := os.ReadFile("../../events/instance-created.json")
	if err != nil {
		e.t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(strings.ReplaceAll(string(b), "orders-sql", instance), "RDS-EVENT-0005", eventID))
}

// instanceEvent sends an RDS instance event.
func (e *env) instanceEvent(eventID, instance string) result.Resource {
	e.t.Helper()
	out, err := e.invoke(e.eventPayload(eventID, instance))
	if err != nil {
		e.t.Fatalf("Invoke %s: %v", eventID, err)
	}
	return only(e.t, out)
}

// An RDS event, the compliant group attached (pending-reboot), the reboot
// scheduled in the window and fired from Scheduler's payload, one reboot,
// in-sync, verified: with the state table, and the messages each step
// sends.
func TestLifecycleThroughSchedulerWithApplyStates(t *testing.T) {
	for _, tc := range []struct {
		name                string
		restartEvent, fault bool
	}{{"RDS-EVENT-0006 delivered", true, false}, {"RDS-EVENT-0006 lost", false, false},
		{"cut off after the attach, retried", false, true}} {
		restartEvent := tc.restartEvent
		t.Run(tc.name, func(t *testing.T) {
			e := newClocked(t, config.EnvStateTable, "forcessl-state")
			mototest.CreateStateTable(t, moto.Config(t), "forcessl-state")
			def := mototest.CreateInstance(t, e.rds, "orders-sql", "sqlserver-se", "", nil)
			mototest.SeedTLSParameter(t, e.rds, def, "rds.force_ssl", "0", "static")

			if tc.fault {
				// The attach is made, then the invocation is cut off before
				// the reboot is scheduled; Lambda retries the event.
				e.failNext.Store("Scheduler.CreateSchedule")
				if out, err := e.invoke(e.eventPayload("RDS-EVENT-0005", "orders-sql")); err == nil {
					t.Fatalf("the cut-off invocation reported no error: Lambda would not retry it: %+v (still to fail: %q, calls %v)", out, e.failNext.Load(), e.calls.Snapshot())
				}
				if g, st := e.instanceGroup("orders-sql"), e.applyStatus("orders-sql"); g != paramgroup.CompliantName(def) || st != plan.PendingReboot {
					t.Fatalf("after the cut-off: instance on %s, %s", g, st)
				}
				t.Logf("messages after the cut-off: %v", e.outcomes())
			}
			ir := e.instanceEvent("RDS-EVENT-0005", "orders-sql")
			// The retry finds forcessl's group attached and its own intent
			// recorded before the attach: it schedules the reboot (never
			// owner-change-pending), and tells the change the cut-off run
			// could not (its message was written ahead with the intent).
			want, messages := plan.OutcomeRemediated, []string{"remediated"}
			if tc.fault {
				want, messages = plan.OutcomeRebootPlanned, []string{"remediated", "reboot-scheduled"}
			}
			if ir.Outcome != want || ir.RebootAt == nil || !ir.RebootAt.Equal(nextWindow) {
				t.Fatalf("event: %+v", ir)
			}
			if g := e.instanceGroup("orders-sql"); g != paramgroup.CompliantName(def) {
				t.Fatalf("instance on %s", g)
			}
			if st := e.applyStatus("orders-sql"); st != plan.PendingReboot {
				t.Fatalf("after the attach moto says %s, want pending-reboot", st)
			}
			if got := e.outcomes(); !equal(got, messages) {
				t.Errorf("messages after the attach: %v", got)
			}

			// RDS's own follow-up event (0011, group attached) and a look an
			// hour before the window change nothing and say nothing.
			for _, at := range []time.Duration{time.Minute, 67 * time.Hour} {
				e.clock = now.Add(at)
				ir = e.instanceEvent("RDS-EVENT-0011", "orders-sql")
				if ir.State != plan.CompliantPendingReboot || len(ir.Changed) != 0 {
					t.Fatalf("look at %s: %+v", e.clock, ir)
				}
			}
			if got := e.outcomes(); len(got) != 0 || e.calls.Snapshot()["RDS.RebootDBInstance"] != 0 {
				t.Fatalf("before the window: messages %v, calls %v", got, e.calls.Snapshot())
			}

			// Scheduler fires at the window start.
			e.clock = nextWindow
			due := e.due()
			if len(due) != 1 || !strings.HasSuffix(due[0], "-reboot") {
				t.Fatalf("schedules due at the window: %v (all: %v)", due, e.schedules())
			}
			e.calls.Reset()
			ir = e.fire(due[0])
			if ir.Outcome != plan.OutcomeRebooted || e.calls.Snapshot()["RDS.RebootDBInstance"] != 1 {
				t.Fatalf("fired reboot: %+v, calls %v", ir, e.calls.Snapshot())
			}
			if st := e.applyStatus("orders-sql"); st != plan.InSync {
				t.Fatalf("after the reboot moto says %s, want in-sync", st)
			}
			if got := e.outcomes(); !equal(got, []string{"rebooted"}) {
				t.Errorf("messages after the reboot: %v", got)
			}

			// forcessl's reboot is followed by a look of its own (issue 16):
			// verification does not hang on RDS-EVENT-0006, which RDS
			// delivers best effort.
			follow := e.schedules()
			if len(follow) != 1 || !strings.HasSuffix(follow[0], "-recheck") {
				t.Fatalf("schedules after forcessl's reboot: %v, want its look", follow)
			}
			look := e.nextScheduled(follow)
			e.calls.Reset()
			if restartEvent {
				e.clock = nextWindow.Add(3 * time.Minute)
				ir = e.instanceEvent("RDS-EVENT-0006", "orders-sql")
			} else {
				e.clock = look
				ir = e.fire(follow[0])
			}
			if ir.State != plan.Compliant || ir.Outcome != plan.OutcomeVerified {
				t.Fatalf("the look after the reboot: %+v", ir)
			}
			if got := e.outcomes(); !equal(got, []string{"verified"}) {
				t.Errorf("messages at verification: %v", got)
			}
			if restartEvent && len(e.schedules()) > 0 {
				// The look, if still scheduled, finds nothing more to say.
				e.clock = look
				if ir = e.fire(follow[0]); ir.State != plan.Compliant || ir.Outcome != plan.OutcomeNone || len(e.outcomes()) != 0 {
					t.Errorf("the look after verification: %+v", ir)
				}
			}
			if n := e.calls.Snapshot()["RDS.RebootDBInstance"]; n != 0 {
				t.Errorf("rebooted again after the reboot (%d)", n)
			}

			// Verified once: the next event is quiet.
			e.clock = e.clock.Add(time.Hour)
			ir = e.instanceEvent("RDS-EVENT-0006", "orders-sql")
			if ir.State != plan.Compliant || ir.Outcome != plan.OutcomeNone || len(e.outcomes()) != 0 || len(e.schedules()) != 0 {
				t.Errorf("after verification: %+v, schedules %v", ir, e.schedules())
			}
		})
	}
}

// nextScheduled is the earliest fire time among schedules.
func (c *clocked) nextScheduled(names []string) time.Time {
	c.t.Helper()
	var first time.Time
	for _, name := range names {
		s, err := c.sched.GetSchedule(context.Background(), &scheduler.GetScheduleInput{GroupName: aws.String("forcessl"), Name: aws.String(name)})
		if err != nil {
			c.t.Fatal(err)
		}
		at, err := time.Parse("at(2006-01-02T15:04:05)", aws.ToString(s.ScheduleExpression))
		if err != nil {
			c.t.Fatalf("schedule %s: %v", name, err)
		}
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	return first
}

// An Aurora cluster: the cluster group attached leaves every member
// pending-reboot; the scheduled reboot restarts the members one at a time
// (a reader, then the writer, each look fired from Scheduler's payload),
// each member in-sync after its own reboot, then forcessl's look verifies.
func TestAuroraLifecycleThroughSchedulerWithApplyStates(t *testing.T) {
	e := newClocked(t, config.EnvStateTable, "forcessl-state")
	mototest.CreateStateTable(t, moto.Config(t), "forcessl-state")
	members := newAurora(t, e.env, "orders-aurora", auroraDefault, nil)
	writer, reader := members[0], members[1]

	ir := only(t, e.clusterEvent("cloudtrail-create-db-cluster.json", "orders-aurora"))
	if ir.Outcome != plan.OutcomeRemediated || ir.RebootAt == nil || !ir.RebootAt.Equal(nextWindow) {
		t.Fatalf("event: %+v", ir)
	}
	pending := map[string]string{writer: plan.PendingReboot, reader: plan.PendingReboot}
	if got := e.memberStatus("orders-aurora"); !sameStatus(got, pending) {
		t.Fatalf("after the attach: members %v", got)
	}
	if got := e.outcomes(); !equal(got, []string{"remediated"}) {
		t.Errorf("messages after the attach: %v", got)
	}

	e.clock = nextWindow
	e.calls.Reset()
	due := e.due()
	if len(due) != 1 {
		t.Fatalf("due at the window: %v (all %v)", due, e.schedules())
	}
	ir = e.fire(due[0])
	t.Logf("first restart: %s: %s", ir.Outcome, ir.Reason)
	if ir.Outcome != plan.OutcomeRebooted || e.calls.Snapshot()["RDS.RebootDBInstance"] != 1 {
		t.Fatalf("window: %+v, calls %v", ir, e.calls.Snapshot())
	}
	if got := e.memberStatus("orders-aurora"); !sameStatus(got, map[string]string{writer: plan.PendingReboot, reader: plan.InSync}) {
		t.Fatalf("after the first restart (the reader): members %v", got)
	}

	// The next member after MemberSettle, from forcessl's own look.
	e.clock = nextWindow.Add(plan.MemberSettle)
	due = e.due()
	if len(due) != 1 {
		t.Fatalf("due after the first restart: %v (all %v)", due, e.schedules())
	}
	ir = e.fire(due[0])
	t.Logf("second restart: %s: %s", ir.Outcome, ir.Reason)
	if ir.Outcome != plan.OutcomeRebooted || e.calls.Snapshot()["RDS.RebootDBInstance"] != 2 {
		t.Fatalf("second look: %+v, calls %v", ir, e.calls.Snapshot())
	}
	if got := e.memberStatus("orders-aurora"); !sameStatus(got, map[string]string{writer: plan.InSync, reader: plan.InSync}) {
		t.Fatalf("after the writer's restart: members %v", got)
	}
	msgs := e.outcomes()
	t.Logf("messages during the restarts: %v; schedules left: %v", msgs, e.schedules())
	if !equal(msgs, []string{"rebooted", "rebooted"}) { // one per member restarted (README, outcomes)
		t.Errorf("messages during the restarts: %v", msgs)
	}

	// No RDS-EVENT-0006: forcessl's own look after the last restart
	// verifies the cluster.
	follow := e.schedules()
	if len(follow) != 1 || !strings.HasSuffix(follow[0], "-recheck") {
		t.Fatalf("schedules after the last restart: %v, want forcessl's look", follow)
	}
	e.clock = e.nextScheduled(follow)
	e.calls.Reset()
	ir = e.fire(follow[0])
	if ir.Kind != plan.KindCluster || ir.State != plan.Compliant || ir.Outcome != plan.OutcomeVerified {
		t.Fatalf("after the restarts: %+v", ir)
	}
	if got := e.outcomes(); !equal(got, []string{"verified"}) {
		t.Errorf("messages at verification: %v", got)
	}
	if n := e.calls.Snapshot()["RDS.RebootDBInstance"]; n != 0 {
		t.Errorf("restarted again at verification (%d)", n)
	}
	// A member's late restart event is quiet.
	if ir = only(t, e.handle("instance-restarted.json", writer)); ir.Outcome != plan.OutcomeNone || len(e.outcomes()) != 0 {
		t.Errorf("late restart event: %+v", ir)
	}
}

func sameStatus(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}
