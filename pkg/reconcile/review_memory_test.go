package reconcile_test

// Review: memory-layer defects, shown against the atomic in-process store
// and the fake AWS. Each test FAILS on the current code.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/dispatch"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/reconcile"
	"github.com/forcessl/forcessl/pkg/setup"
	"github.com/forcessl/forcessl/pkg/state"
)

// D1. The group is attached (ModifyDBInstance succeeded) but the next step,
// CreateSchedule, fails with a retryable error (throttling that outlived
// the SDK's retries). finish() returns the retry error WITHOUT recording
// the intent. Lambda's retry then sees a forcessl-* group pending-reboot
// with no open intent and calls it the OWNER's change: it never schedules
// forcessl's reboot and tells the owner the pending change is theirs.
func TestReviewIntentLostWhenApplyFailsAfterAttach(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddSQLServer("orders")
	e.AWS.FailNext["CreateSchedule"] = fakeaws.APIError("ThrottlingException")
	payload := fakeaws.InstanceEvent(e.AWS.Account, e.AWS.Region, "RDS-EVENT-0005", "orders")
	if _, err := e.Invoke(t, payload); err == nil {
		t.Fatal("setup: a throttled CreateSchedule must go back to Lambda")
	}
	if e.AWS.Get("orders").ApplyStatus != plan.PendingReboot {
		t.Fatalf("setup: the attach should have happened: %+v", e.AWS.Get("orders"))
	}
	k := state.Key{Account: e.AWS.Account, Region: e.AWS.Region, ResourceID: e.AWS.Get("orders").ResourceID}
	mem, _, _ := e.Store.Resource(context.Background(), k)
	t.Logf("after the failed run: intent=%+v", mem.Intent)

	// Lambda's retry of the same event.
	out, err := e.Invoke(t, payload)
	if err != nil {
		t.Fatal(err)
	}
	ir := fakeaws.Only(t, out)
	mem, _, _ = e.Store.Resource(context.Background(), k)
	if mem.Intent == nil {
		t.Errorf("forcessl's own change (the attach) has no intent after the retry")
	}
	if ir.Outcome == plan.OutcomeOwnerPending {
		t.Errorf("forcessl's own pending change was reported as the owner's: %+v", ir.Reason)
	}
	if e.ScheduleAt("orders") == "" {
		t.Errorf("no reboot is ever scheduled for forcessl's own change (TLS never takes effect)")
	}
}

// hookStore is the atomic in-process store with failures and hooks
// injected into PutResource.
type hookStore struct {
	*state.Memory
	mu        sync.Mutex
	failPuts  int    // fail this many PutResource calls (DynamoDB throttled, 5xx)
	onIntent  func() // run once, before the first PutResource that carries an intent
	hookFired bool
}

func (s *hookStore) PutResource(ctx context.Context, r state.Resource) error {
	s.mu.Lock()
	if s.failPuts > 0 {
		s.failPuts--
		s.mu.Unlock()
		return errors.New("put resource state: ThrottlingException: Throughput exceeds the current capacity of your table")
	}
	hook := s.onIntent
	if r.Intent != nil && hook != nil && !s.hookFired {
		s.hookFired = true
	} else {
		hook = nil
	}
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return s.Memory.PutResource(ctx, r)
}

// D1b. The README says "An intent not recorded after a change is retried";
// the retry does not record it: the state write after the change fails
// once (DynamoDB throttling that outlived the SDK's retries), Lambda
// retries, and the retry finds forcessl's attach pending with no intent
// and calls it the owner's change.
func TestReviewIntentNotRecordedOnStateWriteFailure(t *testing.T) {
	st := &hookStore{Memory: state.NewMemory()}
	e := fakeaws.NewEnv(t, now, map[string]string{"FORCESSL_MODE": "enforce"}, st)
	// A new instance: first seen while creating (remembered, not ready).
	e.AddSQLServer("orders", func(i *fakeaws.Instance) { i.Status = "creating" })
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.AWS.Set("orders", func(i *fakeaws.Instance) { i.Status = "available" })
	e.Now = now.Add(20 * time.Minute)
	st.failPuts = 1
	payload := fakeaws.InstanceEvent(e.AWS.Account, e.AWS.Region, "RDS-EVENT-0005", "orders")
	if _, err := e.Invoke(t, payload); err == nil {
		t.Fatal("setup: a change whose intent was not recorded must go back to Lambda")
	}
	out, err := e.Invoke(t, payload) // Lambda's retry
	if err != nil {
		t.Fatal(err)
	}
	ir := fakeaws.Only(t, out)
	k := state.Key{Account: e.AWS.Account, Region: e.AWS.Region, ResourceID: e.AWS.Get("orders").ResourceID}
	mem, _, _ := st.Resource(context.Background(), k)
	if mem.Intent == nil || ir.Outcome == plan.OutcomeOwnerPending {
		t.Errorf("the retry did not record forcessl's intent: outcome %s, intent %+v", ir.Outcome, mem.Intent)
	}
	e.Now = nextWindow
	e.Fire(t, "orders") // the reboot schedule made before the failure fires
	if len(e.AWS.Reboots) != 1 {
		t.Errorf("forcessl's own change was never rebooted: %d reboots", len(e.AWS.Reboots))
	}
}

// failingNotifier fails the first n publishes (SNS throttled, 5xx).
type failingNotifier struct {
	*fakeaws.Recorder
	mu   sync.Mutex
	fail int
}

func (n *failingNotifier) Publish(ctx context.Context, no notify.Notice) error {
	n.mu.Lock()
	if n.fail > 0 {
		n.fail--
		n.mu.Unlock()
		return errors.New("sns: Throttling: Rate exceeded")
	}
	n.mu.Unlock()
	return n.Recorder.Publish(ctx, no)
}

// wire is fakeaws.Env.Environment with another notifier.
func wire(t *testing.T, e *fakeaws.Env, n reconcile.Notifier) *dispatch.Dispatcher {
	cfg, err := config.FromMap(map[string]string{config.EnvSchedulerRoleARN: fakeaws.RoleARN, config.EnvNoticeLead: "0", config.EnvMode: "enforce"})
	if err != nil {
		t.Fatal(err)
	}
	d := setup.Wire(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), setup.Parts{
		Clients: fakeaws.Clients{AWS: e.AWS}, Notifier: n, Digests: e.Notes, Store: e.Store,
		HomeRegion: func() string { return e.AWS.Region }, Now: func() time.Time { return e.Now }})
	d.FanOut.Reconciler.Sleep = func(time.Duration) {}
	d.FanOut.Reconciler.Owner = reconcile.NewOwner()
	return d
}

// D2. The notice mark is written whether or not the publish succeeded: a
// finding ("refused", high severity) whose one publish failed is never
// told. Every later event counts it as already said.
func TestReviewFindingLostWhenPublishFails(t *testing.T) {
	e := remembering(t, "enforce")
	n := &failingNotifier{Recorder: e.Notes, fail: 1}
	e.D = wire(t, e, n)
	e.AddSQLServer("old", func(i *fakeaws.Instance) { i.Group = "app-old" })
	e.AWS.Groups["app-old"] = &fakeaws.Group{Family: "sqlserver-se-11.0", Params: map[string]fakeaws.Param{}, Tags: map[string]string{}}
	for i := 0; i < 3; i++ {
		if ir := e.Event(t, "RDS-EVENT-0005", "old"); ir.Outcome != plan.OutcomeRefused {
			t.Fatalf("setup: %+v", ir)
		}
	}
	if got := e.Notes.Take(); !equal(got, []string{"refused"}) {
		t.Errorf("the refusal reached nobody: told %v, want [refused] once the publish works again", got)
	}
}

// D6. The lease (2 min) is neither renewed nor re-checked before the
// writes, and the function timeout is 5 min. A reconcile slower than
// LeaseFor (adaptive-retry backoff under throttling) is overlapped by a
// second environment. Here the second one runs between the first one's
// RDS writes and its intent write: it takes the expired lease, sees
// forcessl's pending attach with no intent and tells the owner it is
// theirs; the first one's intent write then loses on the version, and its
// retry never records the intent either.
func TestReviewSlowReconcileOutlivesItsLease(t *testing.T) {
	st := &hookStore{Memory: state.NewMemory()}
	e := fakeaws.NewEnv(t, now, map[string]string{"FORCESSL_MODE": "enforce"}, st)
	e.AddSQLServer("orders", func(i *fakeaws.Instance) { i.Status = "creating" })
	e.Event(t, "RDS-EVENT-0005", "orders") // first sighting: not ready, remembered
	e.AWS.Set("orders", func(i *fakeaws.Instance) { i.Status = "available" })
	e.Now = now.Add(20 * time.Minute)
	e.Notes.Take()

	payload := fakeaws.InstanceEvent(e.AWS.Account, e.AWS.Region, "RDS-EVENT-0005", "orders")
	other := e.Environment()
	var otherErr error
	st.onIntent = func() {
		e.Now = e.Now.Add(reconcile.LeaseFor + time.Minute) // the first run is slow
		_, otherErr = other.Invoke(context.Background(), payload, fakeaws.FunctionARN)
	}
	_, err := e.Invoke(t, payload)
	t.Logf("first run: %v; second run: %v", err, otherErr)
	if err != nil { // Lambda retries the first run
		e.Now = e.Now.Add(time.Minute)
		if _, err := e.Invoke(t, payload); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.Notes.Take(); !equal(got, []string{"remediated"}) {
		t.Errorf("notices %v, want [remediated]", got)
	}
	k := state.Key{Account: e.AWS.Account, Region: e.AWS.Region, ResourceID: e.AWS.Get("orders").ResourceID}
	if mem, _, _ := st.Resource(context.Background(), k); mem.Intent == nil {
		t.Errorf("forcessl's change has no intent: it will never be rebooted")
	}
}

// D8. The intent is closed only by a restart event (RDS-EVENT-0006) later
// than it, or by seeing the group in-sync; forcessl's own reboot does not
// close it nor schedule a look to verify. When the restart event is not
// delivered, the stale intent makes forcessl schedule, and perform, a
// reboot for the owner's later change.
func TestReviewStaleIntentRebootsForOwnersChange(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Now = nextWindow
	if ir := e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("setup: %+v", ir)
	}
	// RDS-EVENT-0006 for that restart never arrives.
	e.Now = nextWindow.Add(2 * time.Hour)
	ownerChange(t, e, "orders")
	ir := e.Event(t, "RDS-EVENT-0092", "orders")
	if ir.Outcome != plan.OutcomeOwnerPending {
		t.Errorf("the owner's change after forcessl's reboot: outcome %s, reboot at %v; want owner-change-pending", ir.Outcome, ir.RebootAt)
	}
	if s := e.RebootAt("orders"); s != "" { // the look left from forcessl's reboot is no reboot
		e.Now = nextWindow.AddDate(0, 0, 7)
		e.Fire(t, "orders")
	}
	if len(e.AWS.Reboots) != 1 {
		t.Errorf("forcessl rebooted for the owner's change: %d reboots", len(e.AWS.Reboots))
	}
}

// conflictingFor answers ErrConflict to every write of one resource's
// state: another run writes it between each read and write.
type conflictingFor struct {
	*state.Memory
	id    string
	tries int
}

func (s *conflictingFor) PutResource(ctx context.Context, r state.Resource) error {
	if r.Key.ResourceID == s.id {
		s.tries++
		return fmt.Errorf("put resource state %s: %w", r.Key, state.ErrConflict)
	}
	return s.Memory.PutResource(ctx, r)
}

// D9. alsoOwed gives up after three conflicts WITHOUT an error: the owed
// reboot of another user of a group forcessl fixed in place is silently
// not recorded, so that user's pending forcessl change is later called
// the owner's and never rebooted.
func TestReviewAlsoOwedDropsTheIntentSilently(t *testing.T) {
	const group = "forcessl-default-sqlserver-se-15-0-168f9a23"
	st := &conflictingFor{Memory: state.NewMemory(), id: fakeaws.ResourceID("billing")}
	e := fakeaws.NewEnv(t, now, map[string]string{"FORCESSL_MODE": "enforce"}, st)
	e.AWS.Groups[group] = &fakeaws.Group{Family: "sqlserver-se-15.0",
		Tags:   map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue, paramgroup.TagSourceGroup: fakeaws.DefaultGroup},
		Params: map[string]fakeaws.Param{"rds.force_ssl": {Value: "0", ApplyType: "static", Source: "user"}}}
	for _, id := range []string{"orders", "billing"} {
		e.AddSQLServer(id, func(i *fakeaws.Instance) { i.Group = group })
	}
	out, err := e.Invoke(t, fakeaws.InstanceEvent(e.AWS.Account, e.AWS.Region, "RDS-EVENT-0005", "orders"))
	ir := fakeaws.Only(t, out)
	if ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("setup: %+v", ir)
	}
	mem, _, _ := st.Resource(context.Background(), state.Key{Account: e.AWS.Account, Region: e.AWS.Region, ResourceID: fakeaws.ResourceID("billing")})
	if err == nil && mem.Intent == nil {
		t.Errorf("billing's owed reboot was not recorded (%d conflicting writes) and no error was returned (Lambda will not retry)", st.tries)
	}
}
