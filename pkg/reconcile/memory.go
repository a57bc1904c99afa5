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

// Lease timings. A lease is short and renewed before every write a run
// makes; a run waiting for it takes it over only after watching the same
// holding and version for a whole LeaseFor on its own monotonic clock (the
// rule of the DynamoDB Lock Client), so no two hosts' clocks are ever
// compared, and a holder that crashed blocks the resource for one period.
const (
	LeaseFor = 20 * time.Second
	// LeaseWait is how long a run waits for a held lease: more than
	// LeaseFor, so a waiter outlasts a holder that crashed and takes over.
	// A sweep leaves the resource to a holder it sees alive (renewing)
	// at once, but takes over from one that stopped, as an event does:
	// otherwise a crash would keep sweeps away until the row's TTL.
	LeaseWait    = 30 * time.Second
	leaseRetryIn = time.Second // between tries
	// legacyLeaseFor is the period of a lease row written by versions that
	// kept a wall-clock expiry instead (no token, no version).
	legacyLeaseFor = 2 * time.Minute
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
	if !r.recalled {
		r.named, r.recalled = prev.Name, true
	}
	o.Memory = &plan.Memory{Known: known}
	if in := prev.Intent; in != nil {
		o.Memory.Intent = &plan.Intent{RecordedAt: in.RecordedAt, Group: in.Group, Changes: in.Changes, Cause: in.Cause}
		for _, x := range in.Restarts {
			o.Memory.Intent.Restarts = append(o.Memory.Intent.Restarts, plan.Restart{Target: x.Target, At: x.At, Confirmed: x.Confirmed})
		}
	}
	return nil
}

// mustHold reports whether the plan needs the resource's lease: it writes
// (enforce mode), or it may tell people something, which must happen once
// however many environments handle the same event at the same moment.
func (r *run) mustHold(o plan.Observed, p plan.Plan) bool {
	return r.remembered(o) && (r.writes(p) || r.mayTell(p) || r.prev.Owed != nil)
}

// hold takes the resource's lease, waiting up to LeaseWait for another
// holder, and taking it over from one whose lease stayed at the same
// version for a whole period. It reports whether the resource's memory
// moved meanwhile (another run acted, or a holder stopped mid-way): then
// the caller observes and decides again.
func (r *run) hold(ctx context.Context, o *plan.Observed) (release func(), moved bool, err error) {
	k := r.key(*o)
	var watched state.Lease
	var since time.Time
	// Tries are counted, not timed: how long the watch lasted is read from
	// r.Now, which a test or the simulator may hold still or move.
	for try := 0; ; try++ {
		l, ok, err := r.Store.Acquire(ctx, k, r.owner(), LeaseFor)
		if err != nil {
			err = awserr.Classify(fmt.Errorf("take the lease of %s: %w", o.Resource.ID, err))
			if awserr.IsTerminal(err) || try == int(LeaseWait/leaseRetryIn) {
				return nil, false, err
			}
			// A throttled or failed try does not end the watch of a holder
			// that may have stopped: the next try goes on with it.
			r.log.WarnContext(ctx, "lease try failed; trying again", "error", err.Error())
			r.sleep(leaseRetryIn)
			continue
		}
		if !ok && l.Token == "" && l.Owner != "" && l.Period == 0 {
			l.Period = legacyLeaseFor
		}
		switch now := r.Now(); {
		case ok:
		case l.Owner == "" || l.Token != watched.Token || l.Version != watched.Version || watched.Owner == "":
			if watched.Owner != "" && l.Owner != "" && r.sc.DeferBusy {
				// The holder is alive (it renewed, or another took over): a
				// sweep leaves the resource to it rather than wait.
				return nil, false, errBusy
			}
			watched, since = l, now // a new holding or a renewal: watch it afresh
		case now.Sub(since) >= watched.Period:
			if l, ok, err = r.Store.TakeOver(ctx, watched, r.owner(), LeaseFor); err != nil {
				// Unknown whether it was taken: the next try's Acquire says
				// (our own lease is ours again), or the watch goes on.
				r.log.WarnContext(ctx, "lease takeover failed; trying again", "error", err.Error())
				ok = false
			}
			if ok {
				r.log.WarnContext(ctx, "lease taken over from a holder that stopped renewing it", "holder", watched.Owner)
				moved = true
			}
		}
		if ok {
			r.lease = &l
			break
		}
		if try == int(LeaseWait/leaseRetryIn) {
			return nil, false, errBusy
		}
		r.sleep(leaseRetryIn)
	}
	release = func() {
		if err := r.Store.Release(context.WithoutCancel(ctx), *r.lease); err != nil {
			r.log.WarnContext(ctx, "lease not released (another run takes it over after one period)", "error", err.Error())
		}
		r.lease = nil
	}
	version := r.prev.Version
	if err := r.recall(ctx, o); err != nil {
		release()
		return nil, false, err
	}
	return release, moved || r.prev.Version != version, nil
}

// renew starts a new period of the run's lease, and proves it is still
// held: a run whose lease was taken over stops before its next write, and
// a retry starts over.
func (r *run) renew(ctx context.Context) error {
	if r.lease == nil {
		return nil
	}
	l, err := r.Store.Renew(ctx, *r.lease)
	if err != nil {
		return awserr.Classify(fmt.Errorf("renew the lease of %s: %w", r.res.Name, err))
	}
	r.lease = &l
	return nil
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
	n.LookFailed = nil // this run read the resource: a failing look's count starts over
	if st := string(ir.State); n.State != st {
		n.State, n.StateSince = st, now
	}
	if len(ir.Changed) > 0 {
		n.LastAction, n.LastActionAt = strings.Join(ir.Changed, "; "), now
	}
	switch ic := p.Intent; {
	case ic.Close != "":
		n.Intent = nil
	case len(ic.Covered) > 0 && n.Intent != nil:
		in := *n.Intent
		in.Restarts = slices.Clone(in.Restarts)
		for _, id := range ic.Covered {
			in.Restarts = append(in.Restarts, state.Restart{Target: id, At: now, Confirmed: true})
		}
		n.Intent = &in
	case ic.Record != nil && (len(ir.Changed) > 0 || ic.Seed):
		// Written ahead of the change already (with any restart since):
		// kept as it is.
		if in := n.Intent; in == nil || in.Group != ic.Record.Group || !in.RecordedAt.Equal(ic.Record.RecordedAt) {
			n.Intent = &state.Intent{RecordedAt: ic.Record.RecordedAt, Group: ic.Record.Group, Changes: ic.Record.Changes, Cause: ic.Record.Cause}
		}
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
	if !r.known || r.dirty || !same(n, r.prev) {
		n.UpdatedAt, n.Fence = now, r.lease
		switch err := r.Store.PutResource(ctx, n); {
		case errors.Is(err, state.ErrConflict) && !r.writes(p) && !r.dirty && r.prev.Owed == nil:
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
	if r.named != o.Resource.ID { // as the table had it before this run (a write-ahead may have named it since)
		if err := r.Store.LinkName(ctx, r.sc.Account, r.sc.Region, string(o.Resource.Kind), o.Resource.ID, k.ResourceID, now); err != nil {
			errs = append(errs, fmt.Errorf("link the name %s: %w", o.Resource.ID, err))
		}
	}
	return errors.Join(errs...)
}

// findings are the outcomes told once, as findings; the others are told
// when the run changed something.
var findings = []plan.Outcome{plan.OutcomeVerified, plan.OutcomeRefused, plan.OutcomeFailed, plan.OutcomeOwnerPending,
	plan.OutcomeCAFinding, plan.OutcomeHeadsUp, gate.OutcomePaused, gate.OutcomeBreakerOpen, plan.OutcomeUntrusted}

func isFinding(o plan.Outcome) bool { return slices.Contains(findings, o) }
