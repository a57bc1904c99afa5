package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/forcessl/forcessl/pkg/apply"
	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/state"
)

// The write-ahead protocol. Before each write the executor makes, guard
// renews the run's lease (so a run that lost it stops before writing), and
// before the writes whose meaning no RDS API can tell later it records
// what forcessl is about to do, under the lease:
//   - before the change that owes a reboot (attaching forcessl's group,
//     setting the switch in place), the intent, for the resource and for
//     every other resource on a group changed in place;
//   - before a reboot, a restart marker in the intent, confirmed once the
//     call succeeds.
// A crash, a timeout or a retry at any point then finds the intent (so
// forcessl's own pending change is never taken for the owner's) and the
// markers (so no target is rebooted twice for one change). An intent that
// cannot be recorded stops the plan before the change, with an error the
// caller retries.

// guard is the apply.Guard of one plan.
func (r *run) guard(o plan.Observed, p plan.Plan) apply.Guard {
	wroteIntent := false
	return func(ctx context.Context, step plan.Step) error {
		if !r.remembered(o) {
			return nil
		}
		if err := r.confirmRestart(ctx); err != nil { // the step before this one succeeded
			return err
		}
		if err := r.renew(ctx); err != nil {
			return err
		}
		switch s := step.(type) {
		case plan.AttachGroup, plan.SetParameter:
			if p.Intent.Record != nil && !wroteIntent {
				wroteIntent = true
				return r.writeAhead(ctx, o, p)
			}
		case plan.Reboot:
			return r.markRestart(ctx, o, p, s.Target.ID)
		case plan.RebootCluster:
			return r.markRestart(ctx, o, p, s.Target.ID)
		}
		return nil
	}
}

// writeAhead records the intent before the change it describes.
func (r *run) writeAhead(ctx context.Context, o plan.Observed, p plan.Plan) error {
	ic := p.Intent
	n := r.prev
	n.Key, n.Kind, n.Name, n.Engine = r.key(o), string(o.Resource.Kind), o.Resource.ID, o.Resource.Engine
	n.Intent = stateIntent(ic.Record)
	if owed := r.owedAhead(o, p); owed != nil {
		n.Owed = owed
	}
	if err := r.putHeld(ctx, n); err != nil {
		return fmt.Errorf("record forcessl's intent for %s before changing it: %w", o.Resource.ID, err)
	}
	return r.alsoOwed(ctx, ic)
}

// markRestart records forcessl's restart of target before the call.
func (r *run) markRestart(ctx context.Context, o plan.Observed, p plan.Plan, target string) error {
	n := r.prev
	var in state.Intent
	switch {
	case n.Intent != nil:
		in = *n.Intent
	case p.Intent.Record != nil: // seeded from an earlier version's schedule
		in = *stateIntent(p.Intent.Record)
	default:
		return nil // no intent to mark (a resource forcessl has no memory of)
	}
	in.Restarts = append(slices.DeleteFunc(slices.Clone(in.Restarts), func(x state.Restart) bool { return x.Target == target }),
		state.Restart{Target: target, At: r.Now().UTC()})
	n.Intent = &in
	if owed := r.owedAhead(o, p); owed != nil {
		n.Owed = owed
	}
	if err := r.putHeld(ctx, n); err != nil {
		return fmt.Errorf("record forcessl's restart of %s before making it: %w", target, err)
	}
	r.restarting = target
	return nil
}

// putHeld writes the resource's memory fenced on the run's lease, and
// makes it the memory the run goes on from.
func (r *run) putHeld(ctx context.Context, n state.Resource) error {
	n.UpdatedAt = r.Now().UTC()
	n.Fence = r.lease
	if err := r.Store.PutResource(ctx, n); err != nil {
		return awserr.Classify(err)
	}
	n.Fence = nil
	n.Version++
	r.prev, r.known = n, true
	return nil
}

// confirmRestart records the restart the run was waiting on as made.
func (r *run) confirmRestart(ctx context.Context) error {
	if r.restarting == "" {
		return nil
	}
	target := r.restarting
	r.restarting = ""
	return r.setRestart(ctx, target, func(x *state.Restart) bool { x.Confirmed = true; return true })
}

// settleRestart judges the restart call that ended the plan with err: a
// refusal that says RDS did not act withdraws the marker (a later run may
// restart it); any other error leaves it unconfirmed, and forcessl will not
// restart that target again for this intent.
func (r *run) settleRestart(ctx context.Context, err error) error {
	switch {
	case r.restarting == "":
		return nil
	case err == nil:
		return r.confirmRestart(ctx)
	case apply.NotMade(err):
		target := r.restarting
		r.restarting = ""
		return r.setRestart(ctx, target, func(*state.Restart) bool { return false })
	}
	r.restarting = ""
	return nil
}

// setRestart changes (keep true) or drops (false) the marker of target,
// written through at once: a later re-read must not bring the old marker
// back.
func (r *run) setRestart(ctx context.Context, target string, change func(*state.Restart) bool) error {
	if r.prev.Intent == nil {
		return nil
	}
	n := r.prev
	in := *n.Intent
	var out []state.Restart
	for _, x := range in.Restarts {
		if x.Target == target && !change(&x) {
			continue
		}
		out = append(out, x)
	}
	in.Restarts = out
	n.Intent = &in
	if err := r.putHeld(ctx, n); err != nil {
		return fmt.Errorf("record how forcessl's restart of %s went: %w", target, err)
	}
	return nil
}

// alsoOwedTries bounds the re-reads when another run writes a sharer's
// memory at the same moment.
const alsoOwedTries = 5

// alsoOwed records forcessl's intent on the other users of a group it is
// about to change in place: their pending reboot will be forcessl's too. A
// sharer whose memory cannot be written stops the change (an error, so
// the caller retries): never a sharer's intent dropped silently.
func (r *run) alsoOwed(ctx context.Context, ic plan.IntentChange) error {
	for _, ref := range ic.Also {
		if ref.ResourceID == "" {
			continue
		}
		k := state.Key{Account: r.sc.Account, Region: r.sc.Region, ResourceID: ref.ResourceID}
		err := state.ErrConflict
		for attempt := 0; attempt < alsoOwedTries && errors.Is(err, state.ErrConflict); attempt++ {
			var m state.Resource
			if m, _, err = r.Store.Resource(ctx, k); err != nil {
				break
			}
			if m.Key == (state.Key{}) {
				m.Key, m.Kind, m.Name = k, string(ref.Kind), ref.ID
			}
			m.Intent = stateIntent(ic.Record)
			m.UpdatedAt = r.Now().UTC()
			err = r.Store.PutResource(ctx, m)
		}
		if err != nil {
			return awserr.Classify(fmt.Errorf("record the owed reboot of %s, which shares the group: %w", ref.ID, err))
		}
	}
	return nil
}

func stateIntent(in *plan.Intent) *state.Intent {
	return &state.Intent{RecordedAt: in.RecordedAt, Group: in.Group, Changes: in.Changes, Cause: in.Cause}
}
