package plan

import (
	"fmt"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/maintwindow"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
)

// rebootSteps plans the reboot that follows forcessl's change to a group
// (attach: a group newly attached). It never reboots in the same run:
// every reboot is a scheduled action, and only a scheduled action reboots.
// A reboot does not apply the owner's queued modifications, so it need
// not wait for them.
func (d decision) rebootSteps(attach bool) []Step {
	if d.dynamicInPlace(attach) {
		return d.schedule(ceilMinute(d.now.Add(SettleDelay)), request.TriggerRecheck)
	}
	switch d.rebootPolicy() {
	case policy.RebootNever:
		return nil
	case policy.RebootImmediate:
		return d.schedule(ceilMinute(d.now.Add(SettleDelay)), request.TriggerReboot)
	}
	w, err := maintwindow.Parse(d.o.Resource.MaintenanceWindow)
	if err != nil {
		return nil
	}
	return d.schedule(w.NextStart(d.now.Add(d.s.MinLead)), request.TriggerReboot)
}

// dynamicInPlace: a dynamic TLS parameter (Aurora MySQL's
// require_secure_transport) turned on in the cluster group already
// attached takes effect without a restart ("You don't need to reboot your
// DB cluster for the change to take effect", Aurora User Guide,
// AuroraMySQL.Security): forcessl looks again after SettleDelay and
// reboots only if a member then reports pending-reboot. A group newly
// attached is different: "When you associate a new DB cluster parameter
// group with a running Aurora DB cluster, reboot the DB instances in the DB
// cluster without failover for the new DB cluster parameter group and
// associated settings to take effect" (CreateDBClusterParameterGroup API
// reference), so an attach plans the reboot whatever the apply type.
func (d decision) dynamicInPlace(attach bool) bool {
	return !attach && d.o.Resource.Kind == KindCluster && !static(d.sets(d.o.Resource.Group, d.pp.fixes))
}

// rebootNote says why rebootSteps plans no reboot, or "".
func (d decision) rebootNote(attach bool) string {
	if d.dynamicInPlace(attach) {
		return d.req.Parameter + " is dynamic: no reboot is needed; forcessl looks again to verify every member in sync"
	}
	if d.rebootPolicy() == policy.RebootNever {
		return "reboot policy is never: the owner reboots"
	}
	if d.rebootPolicy() == policy.RebootWindow {
		if _, err := maintwindow.Parse(d.o.Resource.MaintenanceWindow); err != nil {
			return "no reboot scheduled: " + err.Error()
		}
	}
	return ""
}

// pendingReboot: TLS is on in the group but waits for a restart.
func (d decision) pendingReboot() (Plan, Need) {
	in := d.o.Resource
	why := fmt.Sprintf("%s=%s in %s, pending reboot", d.req.Parameter, d.tls.Value, in.Group)
	if !paramgroup.IsOurs(in.Group) {
		// The pending change is in the owner's own group and may be any of
		// their static parameters: rebooting for it is their call, not ours.
		return d.plan(CompliantPendingReboot, OutcomeNone, why+"; the group is the owner's, so the owner reboots (forcessl reboots only for groups it manages)"), Need{}
	}
	if d.o.Schedules == nil {
		return Plan{}, Need{Schedules: true}
	}
	if m := d.o.Memory; m != nil && m.Intent != nil && in.Kind == KindInstance && d.o.Trigger == request.TriggerRestarted &&
		d.o.EventTime.After(m.Intent.RecordedAt) {
		// No RDS API gives a last-restart time: a restart event later than
		// the intent is the proof that forcessl's change is in effect. What
		// is still pending is someone else's. (Not for a cluster: one
		// member's restart is not all of them; each member's own status
		// says which still wait.)
		p := d.plan(CompliantPendingReboot, OutcomeVerified, why+"; TLS enforcement took effect at the restart, "+
			"and what is still pending is not forcessl's change")
		p.Intent.Close = "restarted at " + d.o.EventTime.UTC().Format(time.RFC3339)
		return p, Need{}
	}
	intent, seeded := d.openIntent()
	if !intent {
		return d.ownerPending(why), Need{}
	}
	if p, done := d.afterRestart(why); done {
		return p, Need{}
	}
	refusal, need := "", Need{}
	if d.rebootPolicy() != policy.RebootNever {
		if refusal, need = d.restartRefusal(); !need.Zero() {
			return Plan{}, need
		}
	}
	var p Plan
	switch {
	case d.rebootPolicy() == policy.RebootNever:
		p = d.plan(CompliantPendingReboot, OutcomeNone, why+"; reboot policy is never: the owner reboots")
	case refusal != "":
		p = d.refuseRestart(why, refusal)
	case d.rebootPolicy() == policy.RebootImmediate:
		if p, need = d.rebootImmediately(why); !need.Zero() {
			return Plan{}, need
		}
	default:
		if p, need = d.rebootInWindow(why); !need.Zero() {
			return Plan{}, need
		}
	}
	if seeded != nil {
		p.Intent.Record, p.Intent.Seed = seeded, true
	}
	if p.Intent.Close == "" {
		p.Intent.Covered = d.coveredMembers()
	}
	return p, Need{}
}

// coveredMembers are the Aurora members seen in sync on forcessl's group
// while its intent is open, that forcessl has not restarted: someone else
// restarted them, and forcessl's change is in effect there. Remembered as
// restarts, so a later pending reboot on them (the owner's own change) is
// never taken for forcessl's. Only once SettleDelay has passed since the
// intent, so a member that RDS has not yet marked pending-reboot after
// the attach is not taken for one that restarted.
//
// Members still pending-reboot that RDS's event log shows restarted since
// the intent (the check before a reboot, restartQuery) are remembered so
// too: the restart's lost RDS-EVENT-0006 is recorded as it would have been.
func (d decision) coveredMembers() []string {
	in := d.o.Resource
	m := d.o.Memory
	if in.Kind != KindCluster || in.MultiAZ || m == nil || m.Intent == nil || m.Intent.Group != in.Group {
		return nil
	}
	settled := !d.now.Before(m.Intent.RecordedAt.Add(SettleDelay))
	var ids []string
	for _, mb := range in.Members {
		if _, ok := m.Intent.restarted(mb.ID); ok {
			continue
		}
		if settled && mb.ApplyStatus == InSync || mb.ApplyStatus == PendingReboot && d.restartedOutside(mb) {
			ids = append(ids, mb.ID)
		}
	}
	return ids
}

// openIntent reports whether forcessl's own change is what is pending. With
// no memory (no state table) every pending reboot on a forcessl group is
// taken as forcessl's, as versions before the table did. A resource with no
// record yet whose reboot is already scheduled is an upgrade from such a
// version: that schedule is forcessl's intent, recorded now, never dropped.
func (d decision) openIntent() (open bool, seed *Intent) {
	m := d.o.Memory
	switch {
	case m == nil || m.Intent != nil:
		return true, nil
	case !m.Known:
		if at, ok := d.scheduledReboot(); ok {
			return true, &Intent{RecordedAt: d.now, Group: d.o.Resource.Group, Cause: "seeded from the reboot scheduled for " +
				at.UTC().Format(time.RFC3339) + " by an earlier version"}
		}
	}
	return false, nil
}

// afterRestart judges a pending reboot on a target forcessl has already
// restarted for the open intent. RDS applies every pending change of an
// instance at its reboot, so what waits after forcessl's confirmed restart
// is someone else's change: the intent is closed and forcessl never
// restarts it a second time (no reliance on RDS-EVENT-0006, which is
// delivered best effort). A restart whose result is unknown (the run
// stopped, or RDS did not answer) is not repeated either: a person is told.
func (d decision) afterRestart(why string) (Plan, bool) {
	in := d.o.Resource
	m := d.o.Memory
	if m == nil || m.Intent == nil || len(m.Intent.Restarts) == 0 {
		return Plan{}, false
	}
	var target string
	var waiting []Member // Aurora members forcessl's change still waits on
	switch {
	case in.Kind != KindCluster, in.MultiAZ:
		target = in.ID
		if _, ok := m.Intent.restarted(target); !ok {
			return Plan{}, false
		}
	default:
		pending, _ := d.pendingMembers()
		for _, mb := range pending {
			if r, ok := m.Intent.restarted(mb.ID); !ok || !r.Confirmed {
				waiting = append(waiting, mb)
			}
		}
		if len(waiting) > 0 {
			for _, mb := range waiting {
				if r, ok := m.Intent.restarted(mb.ID); ok && ReadinessOf(mb.Status) == Ready {
					return d.unconfirmed(why, r), true
				}
			}
			return Plan{}, false // the others are restarted one by one as before
		}
		if held := d.heldMembers(); len(held) > 0 {
			return Plan{}, false // exempt members: restart() says so
		}
	}
	if target != "" {
		r, _ := m.Intent.restarted(target)
		if !d.ready() {
			p, _ := d.wait(CompliantPendingReboot, why+"; "+in.Kind.noun()+" is "+d.busyWord()+" since forcessl restarted it at "+r.At.UTC().Format(time.RFC3339))
			return p, true
		}
		if !r.Confirmed {
			return d.unconfirmed(why, r), true
		}
	}
	p := d.ownerPending(why)
	p.Intent.Close = "forcessl restarted it for its change; what waits now is not forcessl's"
	return p, true
}

// unconfirmed: forcessl's restart of a target for this intent may or may
// not have happened, and a change still waits on it. forcessl restarts
// once per change, so a person decides.
//
// A reboot still in flight (the call slow, the run that made it stopped or
// overtaken) shows the same for a while: forcessl looks again once,
// RecheckDelay after the restart was recorded, and decides then.
func (d decision) unconfirmed(why string, r Restart) Plan {
	if look := ceilMinute(r.At.Add(RecheckDelay)); d.now.Before(look) && d.o.Schedules != nil {
		return d.plan(CompliantPendingReboot, OutcomeWaiting, fmt.Sprintf("%s; forcessl's reboot of %s at %s is not confirmed yet: looking again",
			why, r.Target, r.At.UTC().Format(time.RFC3339)), d.schedule(look, request.TriggerRecheck)...)
	}
	return d.plan(CompliantPendingReboot, OutcomeRefused, fmt.Sprintf("%s; forcessl's reboot of %s at %s was not confirmed by RDS "+
		"and a change still waits on it; forcessl reboots once per change, so it will not reboot again: "+
		"reboot %s yourself when it suits you (`forcessl explain %s` shows what waits)",
		why, r.Target, r.At.UTC().Format(time.RFC3339), r.Target, d.o.Resource.ID))
}

// ownerPending: the group is forcessl's, but what waits for a restart is
// the owner's own change (made after forcessl's took effect): not
// forcessl's to reboot for. Told once.
func (d decision) ownerPending(why string) Plan {
	g := d.o.Resource.Group
	return d.plan(CompliantPendingReboot, OutcomeOwnerPending, why+fmt.Sprintf("; TLS enforcement is already in effect, "+
		"and the change that waits for a reboot is yours: your change to %s waits for a reboot; forcessl will not reboot for it", g))
}

// rebootImmediately: policy immediate. Only forcessl's scheduled action
// reboots, at least SettleDelay after forcessl's last change to the group;
// an ordinary event or a sweep makes sure such an action is scheduled.
func (d decision) rebootImmediately(why string) (Plan, Need) {
	in := d.o.Resource
	if !d.o.Trigger.Scheduled() {
		at := d.now
		if m := d.o.Memory; m != nil && m.Intent != nil && m.Intent.RecordedAt.After(at.Add(-SettleDelay)) {
			at = m.Intent.RecordedAt
		}
		return d.scheduled(why, d.schedule(ceilMinute(at.Add(SettleDelay)), request.TriggerReboot), OutcomeRebootPlanned), Need{}
	}
	if d.ready() {
		if p, ok, need := d.restart(why+"; reboot policy is immediate", time.Time{}); !need.Zero() || ok {
			return p, need
		}
	}
	p, _ := d.wait(CompliantPendingReboot, why+"; "+in.Kind.noun()+" is "+d.busyWord())
	return p, Need{}
}

// rebootInWindow: policy maintenance-window. Only forcessl's scheduled
// action reboots, inside the window with RebootMargin left; if the instance
// is busy it looks again inside the window, and moves to the next one only
// when this one is used up.
func (d decision) rebootInWindow(why string) (Plan, Need) {
	in := d.o.Resource
	w, err := maintwindow.Parse(in.MaintenanceWindow)
	if err != nil {
		return d.plan(CompliantPendingReboot, OutcomeFailed, why+"; "+err.Error()), Need{}
	}
	end, inWindow := w.Occurrence(d.now)
	if inWindow && d.o.Trigger.Scheduled() && end.Sub(d.now) >= RebootMargin {
		// Queued modifications are applied by RDS in the window: give it one
		// look's time to apply them, so the instance has one outage, not two.
		if d.ready() && (!in.PendingModified || d.o.Trigger == request.TriggerRecheck) {
			if p, ok, need := d.restart(why+"; inside the maintenance window", end.Add(-RebootMargin)); !need.Zero() || ok {
				return p, need
			}
		}
		if recheck := ceilMinute(d.now.Add(RecheckDelay)); !recheck.Add(RebootMargin).After(end) {
			busy := d.busyWord()
			if d.ready() {
				busy = "about to apply its queued modifications"
			}
			return d.plan(CompliantPendingReboot, OutcomeWaiting, why+"; "+in.Kind.noun()+" is "+busy+", looking again inside the window",
				d.schedule(recheck, request.TriggerRecheck)...), Need{}
		}
	}
	out := OutcomeRebootPlanned
	if d.o.Trigger == request.TriggerReboot || d.o.Trigger == request.TriggerRecheck && inWindow {
		out = OutcomePostponed
		why += "; could not reboot in this window (" + in.Kind.noun() + " " + d.busyWord() + ")"
	}
	return d.scheduled(why, d.schedule(w.NextStart(d.now.Add(d.s.MinLead)), request.TriggerReboot), out), Need{}
}

// scheduled is a plan whose news is a reboot newly scheduled (out); when
// steps are empty an existing schedule is kept, which is no news, and the
// plan reports that schedule's time.
func (d decision) scheduled(why string, steps []Step, out Outcome) Plan {
	p := d.plan(CompliantPendingReboot, out, why, steps...)
	p.RebootAt = rebootTime(steps)
	if len(steps) == 0 {
		p.Outcome = OutcomeNone
		if at, ok := d.scheduledReboot(); ok {
			p.RebootAt = at
		}
	}
	return p
}

// rebootPolicy applies the per-instance tag over the configured default.
func (d decision) rebootPolicy() policy.RebootPolicy {
	switch strings.ToLower(strings.TrimSpace(d.o.Resource.Tags[RebootTag])) {
	case "window", string(policy.RebootWindow):
		return policy.RebootWindow
	case "immediate":
		return policy.RebootImmediate
	case "never":
		return policy.RebootNever
	}
	return d.s.Reboot
}
