package reconcile_test

// The crash-safe protocol (write-ahead intents, fenced and renewed leases,
// restart markers, the look after a reboot, the outbox of messages), each
// against the failure it exists for.

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/reconcile"
	"github.com/forcessl/forcessl/pkg/state"
)

// A lease whose holder stopped is taken over only after the waiter has
// watched it unchanged for a whole period on its own clock; one that is
// renewed meanwhile is never taken.
func TestLeaseTakenOverOnlyAfterAWholePeriod(t *testing.T) {
	for _, tc := range []struct {
		name     string
		renewing bool
		want     bool // the event is handled (lease taken over)
	}{
		{"a holder that crashed blocks the resource for one period", false, true},
		{"a live holder renewing its lease keeps it", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := remembering(t, "enforce")
			e.AddSQLServer("orders")
			k := state.Key{Account: e.AWS.Account, Region: e.AWS.Region, ResourceID: e.AWS.Get("orders").ResourceID}
			held, ok, err := e.Store.Acquire(context.Background(), k, "crashed-or-slow", reconcile.LeaseFor)
			if !ok || err != nil {
				t.Fatal(ok, err)
			}
			d := e.Environment()
			start := e.Now
			var waited time.Duration
			d.FanOut.Reconciler.Sleep = func(s time.Duration) {
				waited += s
				e.Now = e.Now.Add(s) // the waiter's own clock moves as it waits
				if tc.renewing {
					if held, err = e.Store.Renew(context.Background(), held); err != nil {
						t.Fatal(err)
					}
				}
			}
			_, err = d.Invoke(context.Background(), fakeaws.InstanceEvent(e.AWS.Account, e.AWS.Region, "RDS-EVENT-0005", "orders"), fakeaws.FunctionARN)
			changed := e.AWS.Count("ModifyDBInstance") > 0
			if changed != tc.want || (err == nil) != tc.want {
				t.Fatalf("handled %v (err %v), want %v", changed, err, tc.want)
			}
			if tc.want && (waited < reconcile.LeaseFor || e.Now.Sub(start) > reconcile.LeaseFor+5*time.Second) {
				t.Errorf("taken over after %s of watching, want one period (%s)", waited, reconcile.LeaseFor)
			}
			if !tc.want {
				if _, err := e.Store.Renew(context.Background(), held); err != nil {
					t.Errorf("the live holder lost its lease: %v", err)
				}
			}
		})
	}
}

// A run whose lease was taken over while it worked stops before its next
// write: its renew fails, and nothing more is changed.
func TestLeaseLostStopsTheNextWrite(t *testing.T) {
	st := &hookStore{Memory: state.NewMemory()}
	e := fakeaws.NewEnv(t, now, map[string]string{"FORCESSL_MODE": "enforce"}, st)
	e.AddSQLServer("orders")
	k := state.Key{Account: e.AWS.Account, Region: e.AWS.Region, ResourceID: e.AWS.Get("orders").ResourceID}
	st.onIntent = func() {
		// The intent is being written ahead of the attach: meanwhile
		// another run took the lease over (this one looked dead).
		seen, _, _ := st.Memory.Acquire(context.Background(), k, "other", reconcile.LeaseFor)
		if _, ok, _ := st.Memory.TakeOver(context.Background(), seen, "other", reconcile.LeaseFor); !ok {
			t.Error("setup: takeover failed")
		}
	}
	_, err := e.Invoke(t, fakeaws.InstanceEvent(e.AWS.Account, e.AWS.Region, "RDS-EVENT-0005", "orders"))
	if !errors.Is(err, state.ErrLeaseLost) {
		t.Fatalf("err = %v, want the lease lost", err)
	}
	if n := e.AWS.Count("ModifyDBInstance"); n != 0 {
		t.Errorf("a run that lost its lease attached the group (%d ModifyDBInstance)", n)
	}
}

// forcessl's reboot whose answer was lost (RDS rebooted, the client saw a
// 500) is not repeated: the marker written before the call stays
// unconfirmed, and once the instance is back in sync the look verifies.
func TestRebootAnsweredWithAnErrorIsNotRepeated(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Now = nextWindow
	e.AWS.FailAfter["RebootDBInstance"] = fakeaws.APIError("InternalFailure")
	payload := fireOf(t, e, "orders")
	if _, err := e.Invoke(t, payload); err == nil {
		t.Fatal("setup: the reboot's error must go back to Lambda")
	}
	e.Now = e.Now.Add(time.Minute) // Lambda's retry
	out, err := e.Invoke(t, payload)
	if err != nil {
		t.Fatal(err)
	}
	if ir := fakeaws.Only(t, out); ir.Outcome != plan.OutcomeVerified {
		t.Errorf("the retry after a reboot that happened: %s (%s), want verified", ir.Outcome, ir.Reason)
	}
	if n := len(e.AWS.Reboots); n != 1 {
		t.Errorf("%d reboots, want 1", n)
	}
}

// A reboot that may or may not have happened, on an instance that still
// waits: forcessl does not reboot twice for one change; it says so.
func TestUnconfirmedRebootIsRefusedNotRepeated(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Now = nextWindow
	e.AWS.FailNext["RebootDBInstance"] = fakeaws.APIError("InternalFailure") // RDS may or may not have acted
	payload := fireOf(t, e, "orders")
	if _, err := e.Invoke(t, payload); err == nil {
		t.Fatal("setup: the reboot's error must go back to Lambda")
	}
	e.Notes.Take()
	out, err := e.Invoke(t, payload) // Lambda's retry: the reboot may still be in flight
	if err != nil {
		t.Fatal(err)
	}
	if ir := fakeaws.Only(t, out); ir.Outcome != plan.OutcomeWaiting {
		t.Errorf("the retry: outcome %s, want waiting (a look once the reboot would show)", ir.Outcome)
	}
	e.Now = e.Now.Add(plan.RecheckDelay)
	if ir := e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRefused {
		t.Errorf("the look: outcome %s, want refused", ir.Outcome)
	}
	if n := e.AWS.Count("RebootDBInstance"); n != 1 {
		t.Errorf("%d reboot calls, want 1", n)
	}
	if got := e.Notes.Take(); !equal(got, []string{"refused"}) {
		t.Errorf("notices %v, want [refused]", got)
	}
}

// A throttled reboot says RDS did not act: the retry reboots.
func TestThrottledRebootIsRetried(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Now = nextWindow
	e.AWS.FailNext["RebootDBInstance"] = fakeaws.APIError("ThrottlingException")
	payload := fireOf(t, e, "orders")
	if _, err := e.Invoke(t, payload); err == nil {
		t.Fatal("setup: the throttled reboot must go back to Lambda")
	}
	out, err := e.Invoke(t, payload)
	if err != nil {
		t.Fatal(err)
	}
	if ir := fakeaws.Only(t, out); ir.Outcome != plan.OutcomeRebooted || len(e.AWS.Reboots) != 1 {
		t.Errorf("retry: %s, %d reboots; want rebooted once", ir.Outcome, len(e.AWS.Reboots))
	}
}

// A change's message whose publish failed is owed: the retry sends it,
// once, though the retry itself changes nothing.
func TestChangeMessageOwedUntilSent(t *testing.T) {
	e := remembering(t, "enforce")
	n := &failingNotifier{Recorder: e.Notes, fail: 1}
	e.D = wire(t, e, n)
	e.AddSQLServer("orders")
	payload := fakeaws.InstanceEvent(e.AWS.Account, e.AWS.Region, "RDS-EVENT-0005", "orders")
	if _, err := e.Invoke(t, payload); err == nil {
		t.Fatal("an unsent change message must go back to Lambda")
	}
	k := state.Key{Account: e.AWS.Account, Region: e.AWS.Region, ResourceID: e.AWS.Get("orders").ResourceID}
	if m, _, _ := e.Store.Resource(context.Background(), k); m.Owed == nil || m.Owed.Outcome != string(plan.OutcomeRemediated) {
		t.Fatalf("the message is not kept: %+v", m.Owed)
	}
	for range 2 {
		if _, err := e.Invoke(t, payload); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.Notes.Take(); !equal(got, []string{"remediated"}) {
		t.Errorf("notices %v, want [remediated] once", got)
	}
	if m, _, _ := e.Store.Resource(context.Background(), k); m.Owed != nil {
		t.Errorf("the paid message is still owed: %+v", m.Owed)
	}
}

// fireOf is the payload of the schedule due now, without deleting it (so
// a test can deliver it twice, as Lambda's retry does).
func fireOf(t *testing.T, e *fakeaws.Env, id string) []byte {
	t.Helper()
	p, ok := e.DuePayload(id)
	if !ok {
		t.Fatalf("no schedule of %s due at %s (%s)", id, e.Now, e.ScheduleAt(id))
	}
	return p
}

// crashingNotifier stops the run (a Lambda timeout or crash) at its first
// publish: after the change, before the message.
type crashingNotifier struct {
	*fakeaws.Recorder
	crashed bool
}

type crash struct{}

func (n *crashingNotifier) Publish(ctx context.Context, no notify.Notice) error {
	if !n.crashed {
		n.crashed = true
		panic(crash{})
	}
	return n.Recorder.Publish(ctx, no)
}

// A run that stops after its change and before its message: the message
// written ahead with the intent is told by the retry, once, though the
// retry itself changes nothing.
func TestChangeMessageToldAfterACrashBeforePublishing(t *testing.T) {
	e := remembering(t, "enforce")
	e.D = wire(t, e, &crashingNotifier{Recorder: e.Notes})
	e.AddSQLServer("orders")
	payload := fakeaws.InstanceEvent(e.AWS.Account, e.AWS.Region, "RDS-EVENT-0005", "orders")
	func() {
		defer func() {
			if _, ok := recover().(crash); !ok {
				t.Fatal("setup: the run did not stop at its publish")
			}
		}()
		_, _ = e.D.Invoke(context.Background(), payload, fakeaws.FunctionARN)
	}()
	if e.AWS.Count("ModifyDBInstance") != 1 {
		t.Fatal("setup: the change was not made before the crash")
	}
	// The crashed run's lease is taken over after one period.
	e.D.FanOut.Reconciler.Sleep = func(d time.Duration) { e.Now = e.Now.Add(d) }
	for range 2 {
		if _, err := e.D.Invoke(context.Background(), payload, fakeaws.FunctionARN); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.Notes.Take(); !equal(got, []string{"remediated"}) {
		t.Errorf("notices %v, want [remediated] once", got)
	}
}

// The protocol's look after a reboot whose reads keep failing (its Lambda
// retries spent, the event in the dead-letter queue) is not the last
// look: it scheduled the look at FORCESSL_RESTART_TIMEOUT, which reads
// the instance back and verifies the change, closing the intent; the
// failures are forgotten and no breaker opens.
func TestFailedLookIsLookedAtAgainAtTheTimeout(t *testing.T) {
	c := state.NewMemoryControls()
	e := controlled(t, map[string]string{"FORCESSL_RESTART_TIMEOUT": "30m"}, c)
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Now = nextWindow
	if ir := e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("reboot: %+v", ir)
	}
	e.Notes.Take()
	e.Now = nextWindow.Add(plan.RecheckDelay)
	look := lookPayload(t, e, "orders")
	for range 3 { // the look and Lambda's two retries; then the DLQ
		if _, err := failingLook(t, e, look); err == nil {
			t.Fatal("failed look acknowledged")
		}
	}
	key := state.Key{Account: e.AWS.Account, Region: e.AWS.Region, ResourceID: fakeaws.ResourceID("orders")}
	if m, _, _ := e.Store.Resource(context.Background(), key); m.Intent == nil || m.LookFailed == nil || m.LookFailed.Count != 3 {
		t.Fatalf("after the failed looks: intent %+v, failures %+v", m.Intent, m.LookFailed)
	}
	e.Now = nextWindow.Add(31 * time.Minute)
	if ir := e.Fire(t, "orders"); ir.Outcome != plan.OutcomeVerified {
		t.Fatalf("the look at the timeout: %+v", ir)
	}
	if m, _, _ := e.Store.Resource(context.Background(), key); m.Intent != nil || m.LookFailed != nil {
		t.Fatalf("after the look that read: intent %+v, failures %+v", m.Intent, m.LookFailed)
	}
	if set, _ := c.ReadControls(context.Background()); len(set.Breakers) != 0 {
		t.Fatalf("breakers %+v", set.Breakers)
	}
	if got := e.Notes.Take(); !equal(got, []string{"verified"}) {
		t.Errorf("messages = %v, want verified", got)
	}
}

// slowNotifier's first publish is slow (the SDK's retries, a slow
// endpoint): it takes took on the test's clock, and meanwhile runs
// meanwhile (another environment's run). The client gives up at its
// context's deadline, if it has one before took: the publish then
// happened at the deadline (made) or not at all. landed records each
// publish that took effect, with when, in clock order.
type slowNotifier struct {
	e         *fakeaws.Env
	took      time.Duration
	made      bool
	meanwhile func()
	slowed    bool
	landed    *[]landing
	who       string
}

type landing struct {
	at      time.Time
	who     string
	outcome string
}

func (n *slowNotifier) Publish(ctx context.Context, no notify.Notice) error {
	if n.slowed || n.took == 0 {
		*n.landed = append(*n.landed, landing{n.e.Now, n.who, no.OutcomeName()})
		return nil
	}
	n.slowed = true
	entry := n.e.Now
	took, err := n.took, error(nil)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < took {
		took, err = time.Until(dl), context.DeadlineExceeded
	}
	n.meanwhile()
	if err == nil || n.made {
		*n.landed = append(*n.landed, landing{entry.Add(took), n.who, no.OutcomeName()})
	}
	if n.e.Now.Before(entry.Add(took)) {
		n.e.Now = entry.Add(took)
	}
	return err
}

// A publish slower than the lease (seed 2036 of the simulator): the look
// after a reboot publishes "verified", the publish is slow; meanwhile the
// reboot's RDS-EVENT-0006 waits for the lease, takes it over after one
// period, and tells "verified" itself. The slow publish must not land
// after that: it is bounded to its lease, so it gives up first. Not
// made, "verified" is told once; made, it lands before the takeover and
// its run failed after publishing (the one repeat at-least-once allows).
func TestSlowPublishDoesNotOutliveItsLease(t *testing.T) {
	for _, tc := range []struct {
		name string
		made bool // the abandoned publish took effect
		want []string
	}{
		{"the abandoned publish was not made", false, []string{"event:verified"}},
		{"the abandoned publish was made", true, []string{"look:verified", "event:verified"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := remembering(t, "enforce")
			e.AddSQLServer("orders")
			e.Event(t, "RDS-EVENT-0005", "orders")
			e.Now = nextWindow
			if ir := e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRebooted {
				t.Fatalf("setup: reboot: %+v", ir)
			}
			e.Now = nextWindow.Add(plan.RecheckDelay)
			look := lookPayload(t, e, "orders")

			var landed []landing
			var takeover time.Time
			other := &slowNotifier{e: e, landed: &landed, who: "event"}
			b := wire(t, e, other)
			b.FanOut.Reconciler.Sleep = func(d time.Duration) { e.Now = e.Now.Add(d) }
			slow := &slowNotifier{e: e, took: 2*time.Minute + 44*time.Second, made: tc.made, landed: &landed, who: "look"}
			slow.meanwhile = func() {
				if _, err := b.Invoke(context.Background(), fakeaws.InstanceEvent(e.AWS.Account, e.AWS.Region, "RDS-EVENT-0006", "orders"), fakeaws.FunctionARN); err != nil {
					t.Errorf("the event's run: %v", err)
				}
				takeover = landed[len(landed)-1].at // its publish follows its takeover
			}
			a := wire(t, e, slow)
			_, _ = a.Invoke(context.Background(), look, fakeaws.FunctionARN)
			if !slow.slowed {
				t.Fatal("setup: the look published nothing")
			}

			slices.SortStableFunc(landed, func(x, y landing) int { return x.at.Compare(y.at) })
			var got []string
			for _, l := range landed {
				got = append(got, l.who+":"+l.outcome)
				if l.who == "look" && !l.at.Before(takeover.Add(-time.Second)) {
					t.Errorf("the slow publish landed at %s, after the lease was taken over (about %s)", l.at.Format(time.TimeOnly), takeover.Format(time.TimeOnly))
				}
			}
			if !equal(got, tc.want) {
				t.Errorf("published %v, want %v", got, tc.want)
			}
		})
	}
}
