package reconcile

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/gate"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/state"
)

// Lease timings. A reconcile takes seconds; the lease outlives a slow one
// and expires on its own if its holder crashed (the expiry is in the write's
// condition, not left to TTL).
const (
	LeaseFor     = 2 * time.Minute
	LeaseWait    = 5 * time.Second        // how long a run waits for a lease another holds
	leaseRetryIn = 500 * time.Millisecond // between tries
)

// errBusy: another run holds the resource's lease and did not let go in
// LeaseWait. An event is retried later (Lambda's retry re-reads
// everything); a sweep defers the resource to that run.
var errBusy = errors.New("another forcessl run is reconciling this resource (its lease is held)")

// NewOwner names a holder of leases: unique, so a lease is never mistaken
// for another holder's. One per Reconciler (a Lambda environment); holders
// that share one would each take the other's lease as their own.
func NewOwner() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "forcessl-" + hex.EncodeToString(b)
}

// processOwner is the owner of a Reconciler that names none.
var processOwner = NewOwner()

func (r *Reconciler) owner() string {
	if r.Owner != "" {
		return r.Owner
	}
	return processOwner
}

// key is the resource's identity in the state table.
func (r *run) key(o plan.Observed) state.Key {
	return state.Key{Account: r.sc.Account, Region: r.sc.Region, ResourceID: o.Resource.ResourceID}
}

// remembered reports whether this reconcile has memory: a state table and
// a resource with an immutable ID to key it by.
func (r *run) remembered(o plan.Observed) bool {
	return r.Store != nil && o.Found && o.Resource.ResourceID != ""
}

// recall reads the resource's memory into o (nil without a table).
func (r *run) recall(ctx context.Context, o *plan.Observed) error {
	o.Memory, r.prev, r.known = nil, state.Resource{}, false
	if !r.remembered(*o) {
		return nil
	}
	prev, known, err := r.Store.Resource(ctx, r.key(*o))
	if err != nil {
		return awserr.Classify(fmt.Errorf("read the state of %s: %w", o.Resource.ID, err))
	}
	r.prev, r.known = prev, known
	o.Memory = &plan.Memory{Known: known}
	if in := prev.Intent; in != nil {
		o.Memory.Intent = &plan.Intent{RecordedAt: in.RecordedAt, Group: in.Group, Changes: in.Changes, Cause: in.Cause}
	}
	return nil
}

// mustHold reports whether the plan needs the resource's lease: it writes
// (enforce mode), or it may tell people something, which must happen once
// however many environments handle the same event at the same moment.
func (r *run) mustHold(o plan.Observed, p plan.Plan) bool {
	return r.remembered(o) && (r.writes(p) || r.mayTell(p))
}

// hold takes the resource's lease, waiting up to LeaseWait for another
// holder. It reports whether the resource's memory moved meanwhile (the
// other holder acted): then the caller observes and decides again.
func (r *run) hold(ctx context.Context, o *plan.Observed) (release func(), moved bool, err error) {
	k := r.key(*o)
	// Tries are counted, not timed against the clock: the lease's own
	// times come from r.Now, which a test may hold still.
	for try := 0; ; try++ {
		now := r.Now()
		ok, err := r.Store.Acquire(ctx, k, r.owner(), now, now.Add(LeaseFor))
		if err != nil {
			return nil, false, awserr.Classify(fmt.Errorf("take the lease of %s: %w", o.Resource.ID, err))
		}
		if ok {
			break
		}
		if try == int(LeaseWait/leaseRetryIn) {
			return nil, false, errBusy
		}
		r.sleep(leaseRetryIn)
	}
	release = func() {
		if err := r.Store.Release(context.WithoutCancel(ctx), k, r.owner()); err != nil {
			r.log.WarnContext(ctx, "lease not released (it expires by itself)", "error", err.Error())
		}
	}
	version := r.prev.Version
	if err := r.recall(ctx, o); err != nil {
		release()
		return nil, false, err
	}
	return release, r.prev.Version != version, nil
}

func (r *run) sleep(d time.Duration) {
	if r.Sleep != nil {
		r.Sleep(d)
		return
	}
	time.Sleep(d)
}

// tellOnce says whether a notice is news: a real change always is; a
// finding is told once, and a repeat is counted (count, last seen) rather
// than sent. A new outcome or a changed reason is a new notice.
func (r *run) tellOnce(outcome, fingerprint string, changed bool) bool {
	now := r.Now().UTC()
	if m := r.prev.Notice; m != nil && m.Fingerprint == fingerprint && !changed {
		r.mark = &state.NoticeMark{Fingerprint: m.Fingerprint, Outcome: m.Outcome, FirstSent: m.FirstSent, LastSeen: now, Count: m.Count + 1}
		return false
	}
	r.mark = &state.NoticeMark{Fingerprint: fingerprint, Outcome: outcome, FirstSent: now, LastSeen: now, Count: 1}
	return true
}

// fingerprint identifies a notice's content: its outcome and reason, and
// the error's code (never its text, which carries request IDs).
func fingerprint(outcome, reason string, err error) string {
	sum := sha256.Sum256([]byte(outcome + "\x00" + reason + "\x00" + awserr.Code(err)))
	return hex.EncodeToString(sum[:8])
}

// next is the resource's memory after this reconcile: a pure function of
// what was remembered, observed, decided and done.
func next(prev state.Resource, k state.Key, o plan.Observed, p plan.Plan, ir result.Resource, mark *state.NoticeMark, now time.Time) state.Resource {
	n := prev
	n.Key, n.Kind, n.Name, n.Engine = k, string(o.Resource.Kind), o.Resource.ID, o.Resource.Engine
	if st := string(ir.State); n.State != st {
		n.State, n.StateSince = st, now
	}
	if len(ir.Changed) > 0 {
		n.LastAction, n.LastActionAt = strings.Join(ir.Changed, "; "), now
	}
	switch ic := p.Intent; {
	case ic.Close != "":
		n.Intent = nil
	case ic.Record != nil && (len(ir.Changed) > 0 || ic.Seed):
		n.Intent = &state.Intent{RecordedAt: ic.Record.RecordedAt, Group: ic.Record.Group, Changes: ic.Record.Changes, Cause: ic.Record.Cause}
	}
	n.Notice = mark
	if mark == nil {
		n.Notice = prev.Notice
	}
	switch ir.State {
	case plan.Compliant, plan.Exempt, plan.OutOfScope, plan.NotFound:
		// Back in order: a later finding is news again, unless this run's
		// outcome is itself a finding (verified, a certificate), whose
		// mark keeps it from being told twice.
		if !isFinding(p.Outcome) {
			n.Notice = nil
		}
	}
	return n
}

// same reports whether two memories say the same (versions aside).
func same(a, b state.Resource) bool {
	a.Version, b.Version, a.UpdatedAt, b.UpdatedAt = 0, 0, time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

// record writes what this reconcile leaves in the state table: the
// resource's memory (a conditional write on its version), a history entry
// for anything worth one, the name link, and the intents of the group's
// other users.
func (r *run) record(ctx context.Context, o plan.Observed, p plan.Plan, ir result.Resource) error {
	if !r.remembered(o) {
		return nil
	}
	now := r.Now().UTC()
	k := r.key(o)
	n := next(r.prev, k, o, p, ir, r.mark, now)
	var errs []error
	if !r.known || !same(n, r.prev) {
		n.UpdatedAt = now
		switch err := r.Store.PutResource(ctx, n); {
		case errors.Is(err, state.ErrConflict) && !r.writes(p):
			// Another run recorded the same observation meanwhile.
		case err != nil:
			errs = append(errs, fmt.Errorf("write the state of %s: %w", o.Resource.ID, err))
		}
	}
	if n.State != r.prev.State || len(ir.Changed) > 0 || ir.Notified || ir.Outcome != plan.OutcomeNone && ir.Outcome != plan.OutcomeWaiting {
		e := state.HistoryEntry{At: now, Name: o.Resource.ID, Trigger: r.sc.Cause, Cause: string(r.sc.Trigger), State: string(ir.State),
			Outcome: string(ir.Outcome), Reason: ir.Reason, Steps: ir.Planned, Changed: ir.Changed}
		if err := r.Store.AppendHistory(ctx, k, e, r.HistoryFor); err != nil {
			errs = append(errs, fmt.Errorf("append history of %s: %w", o.Resource.ID, err))
		}
	}
	if !r.known || r.prev.Name != o.Resource.ID {
		if err := r.Store.LinkName(ctx, r.sc.Account, r.sc.Region, string(o.Resource.Kind), o.Resource.ID, k.ResourceID, now); err != nil {
			errs = append(errs, fmt.Errorf("link the name %s: %w", o.Resource.ID, err))
		}
	}
	if ic := p.Intent; ic.Record != nil && len(ir.Changed) > 0 {
		errs = append(errs, r.alsoOwed(ctx, ic)...)
	}
	return errors.Join(errs...)
}

// alsoOwed records forcessl's intent on the other users of a group it
// changed in place: their pending reboot is forcessl's too.
func (r *run) alsoOwed(ctx context.Context, ic plan.IntentChange) []error {
	var errs []error
	for _, ref := range ic.Also {
		if ref.ResourceID == "" {
			continue
		}
		k := state.Key{Account: r.sc.Account, Region: r.sc.Region, ResourceID: ref.ResourceID}
		for attempt := 0; attempt < 3; attempt++ {
			m, _, err := r.Store.Resource(ctx, k)
			if err != nil {
				errs = append(errs, err)
				break
			}
			if m.Key == (state.Key{}) {
				m.Key, m.Kind, m.Name = k, string(ref.Kind), ref.ID
			}
			m.Intent = &state.Intent{RecordedAt: ic.Record.RecordedAt, Group: ic.Record.Group, Changes: ic.Record.Changes, Cause: ic.Record.Cause}
			m.UpdatedAt = r.Now().UTC()
			if err = r.Store.PutResource(ctx, m); !errors.Is(err, state.ErrConflict) {
				if err != nil {
					errs = append(errs, fmt.Errorf("record the owed reboot of %s: %w", ref.ID, err))
				}
				break
			}
		}
	}
	return errs
}

// findings are the outcomes told once, as findings; the others are told
// when the run changed something.
var findings = []plan.Outcome{plan.OutcomeVerified, plan.OutcomeRefused, plan.OutcomeFailed, plan.OutcomeOwnerPending,
	plan.OutcomeCAFinding, plan.OutcomeHeadsUp, gate.OutcomePaused, gate.OutcomeBreakerOpen}

func isFinding(o plan.Outcome) bool { return slices.Contains(findings, o) }
