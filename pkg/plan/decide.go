package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
)

// Timings. Scheduler fires with one-minute precision, so every scheduled
// time is rounded up to a whole minute.
const (
	// RecheckDelay is how long to wait before looking again at an instance
	// that is busy (creating, modifying, backing up, ...).
	RecheckDelay = 10 * time.Minute
	// IdleRecheckDelay is for states that last (stopped, storage-full):
	// look once a day rather than every few minutes.
	IdleRecheckDelay = 24 * time.Hour
	// SettleDelay is the least time between forcessl's last change to a
	// group and an immediate reboot. No AWS text gives a figure for
	// reboots; the ModifyDBParameterGroup reference asks for 5 minutes
	// before a new instance uses a changed group, so forcessl waits as long.
	SettleDelay = 5 * time.Minute
	// RebootMargin is the least time left in a window for forcessl to start
	// a reboot; later it moves the reboot to the next window instead.
	RebootMargin = 5 * time.Minute
)

// RebootTag overrides the reboot policy per instance: window | immediate | never.
const RebootTag = "forcessl:reboot"

// Parameter apply statuses (DBParameterGroupStatus.ParameterApplyStatus).
const (
	InSync        = "in-sync"
	PendingReboot = "pending-reboot"
	Applying      = "applying"
	FailedToApply = "failed-to-apply"
)

// Decide is the engine's whole judgement: given what was observed, the
// operator's settings and the time, what is the state and what must be
// done, or what it must see first (see Need for the protocol). It is
// deterministic and has no side effects; run it twice on the same input and
// it answers the same.
func Decide(o Observed, s Settings, now time.Time) (Plan, Need) {
	now = now.UTC()
	p, need := decide(o, s, now)
	if !need.Zero() {
		return p, need
	}
	if o.Resource.Kind == KindCluster { // a cluster not found has no members to note
		p.Reason += memberNote(o.Resource, s.ExemptTag)
	}
	if o.Trigger == request.TriggerNotice {
		p = decision{o: o, s: s, now: now}.headsUp(p)
	}
	return withChecks(o, s, now, p)
}

// withChecks adds the resource's checks to a plan (the switch, the
// profile, the server certificate), and what the certificate check adds:
// a finding, told once; with FORCESSL_CA, the CA change.
func withChecks(o Observed, s Settings, now time.Time, p Plan) (Plan, Need) {
	switch p.State {
	case Compliant, CompliantPendingReboot, NonCompliant, NotReady:
	default:
		return p, Need{} // out of scope, exempt, gone
	}
	if o.Params == nil {
		return p, Need{}
	}
	req, _ := policy.For(o.Resource.Engine)
	d := decision{o: o, s: s, now: now, req: req, tls: o.Params[req.Parameter]}
	d.pp = d.posture(o.Params)
	ca, need := d.caCheck()
	if !need.Zero() {
		return Plan{}, need
	}
	p.Checks = d.checks(ca)
	if p.Outcome == OutcomeUntrusted {
		// The group's settings cannot be taken as forcessl's: no check
		// of them passes.
		for i := range p.Checks {
			if c := &p.Checks[i]; c.Name != CheckCA {
				c.Passed, c.Pending, c.Detail = false, false, c.Detail+"; "+groupOf(d.o.Resource)+" is not forcessl's copy of its source ("+string(OutcomeUntrusted)+")"
			}
		}
	}
	if ca.Name == "" || ca.Passed {
		return p, Need{}
	}
	p.Reason += "; server certificate: " + ca.Detail
	fix := d.caFix()
	if fix != "" && d.restarts(p) {
		// One restart for both: the CA change with ApplyImmediately restarts
		// the instance (unless the engine rotates without one), and a look
		// after RecheckDelay reboots only if the parameters still wait.
		return d.caAtReboot(p, fix), Need{}
	}
	if p.Outcome != OutcomeNone {
		return p, Need{} // the plan's own news carries the certificate in its reason
	}
	if fix != "" && p.State == Compliant && !d.o.Resource.PendingModified {
		p.Outcome, p.Steps = OutcomeCAUpdate, []Step{SetCA{Target: o.Resource.Ref(), CA: fix}}
		p.Reason += "; forcessl sets CA " + fix + ", applied by RDS in the maintenance window " + o.Resource.MaintenanceWindow
		return p, Need{}
	}
	p.Outcome = OutcomeCAFinding
	if fix != "" {
		p.Reason += "; forcessl sets CA " + fix + " at the reboot it makes"
	}
	return p, Need{}
}

// checks lists the resource's checks: the switch, the profile (modern
// only) and the server certificate (when RDS reports one).
func (d decision) checks(ca Check) []Check {
	in := d.o.Resource
	inEffect := in.ApplyStatus == InSync
	on := policy.IsOn(d.tls.Value)
	tls := Check{Name: CheckTLS, Passed: on && inEffect, Pending: on && !inEffect,
		Detail: fmt.Sprintf("%s=%s in %s", d.req.Parameter, valueOrUnset(d.tls), in.Group)}
	cs := []Check{tls}
	if d.s.Profile == policy.ProfileModern {
		off := d.pp.profileOff(d.req.Parameter)
		pc := Check{Name: CheckProfile, Passed: len(off) == 0 && inEffect, Pending: len(off) == 0 && !inEffect,
			Detail: "TLS profile modern set in " + in.Group}
		if len(off) > 0 {
			pc.Detail = d.describe(off)
		}
		if len(d.pp.skipped) > 0 {
			pc.Detail += "; skipped " + strings.Join(d.pp.skipped, ", ")
		}
		cs = append(cs, pc)
	}
	if ca.Name != "" {
		cs = append(cs, ca)
	}
	return cs
}

// restarts reports whether the plan restarts the instance now.
func (d decision) restarts(p Plan) bool {
	return slices.ContainsFunc(p.Steps, func(s Step) bool { r, ok := s.(Reboot); return ok && r.Target.Kind == KindInstance })
}

// caAtReboot replaces the plan's reboot with the CA change made now, when
// nothing else is queued for the instance (ApplyImmediately would apply
// the owner's queued changes too), and looks again after RecheckDelay.
func (d decision) caAtReboot(p Plan, ca string) Plan {
	if d.o.Resource.PendingModified {
		p.Reason += "; the CA is left for later: the owner has changes queued, which the CA change would apply now"
		return p
	}
	var steps []Step
	for _, s := range p.Steps {
		if r, ok := s.(Reboot); ok && r.Target.Kind == KindInstance {
			// The look restart() plans after the reboot follows the CA change.
			steps = append(steps, SetCA{Target: r.Target, CA: ca, ApplyImmediately: true})
			continue
		}
		steps = append(steps, s)
	}
	p.Steps = steps
	p.Reason += "; the CA change to " + ca + " restarts it, with the parameters; forcessl looks again and reboots only if they still wait"
	return p
}

func decide(o Observed, s Settings, now time.Time) (Plan, Need) {
	if !o.Found {
		return Plan{State: NotFound, Outcome: OutcomeNone, Reason: "the " + o.Resource.Kind.noun() + " does not exist (deleted?)"}, Need{}
	}
	in := o.Resource
	sc := policy.Classify(in.Engine, in.ClusterID, s.Engines)
	if in.Kind == KindCluster {
		sc = policy.ClassifyCluster(in.Cluster, s.Engines)
	}
	if !sc.InScope {
		return Plan{State: OutOfScope, Outcome: OutcomeNone, Reason: sc.Reason}, Need{}
	}
	if exempt(in, s.ExemptTag) {
		return Plan{State: Exempt, Outcome: OutcomeNone, Reason: "tagged " + s.ExemptTag + "=true"}, Need{}
	}
	if ReadinessOf(in.Status) == Gone {
		return Plan{State: NotFound, Outcome: OutcomeNone, Reason: "the " + in.Kind.noun() + " is being deleted (" + in.Status + ")"}, Need{}
	}
	if o.Params == nil {
		return Plan{}, Need{Params: true}
	}
	req, _ := policy.For(in.Engine)
	d := decision{o: o, s: s, now: now, req: req, tls: o.Params[req.Parameter]}
	if o.VetGroup && paramgroup.IsOurs(in.Group) {
		if p, need, ok := d.vetCurrent(); !ok {
			return p, need
		}
	}
	d.pp = d.posture(o.Params)
	if len(d.pp.fixes) > 0 {
		p, need := d.remediate()
		p.Reason += d.profileNote()
		return p, need
	}
	p, need := d.settled()
	p.Reason += d.profileNote()
	return p, need
}

// settled: every required parameter is set in the group; is it in effect?
func (d decision) settled() (Plan, Need) {
	in := d.o.Resource
	switch in.ApplyStatus {
	case InSync:
		return d.inSync(), Need{}
	case PendingReboot:
		return d.pendingReboot()
	case FailedToApply:
		return d.plan(CompliantPendingReboot, OutcomeFailed,
			fmt.Sprintf("RDS reports parameter group %s as failed-to-apply; a person must look at it", in.Group)), Need{}
	default: // applying, pending-database-upgrade: RDS is still at work
		status := in.ApplyStatus
		if status == "" {
			status = "in a state RDS did not report" // a member with no status: judged busy
		}
		return d.wait(CompliantPendingReboot, "parameter group "+in.Group+" is "+status)
	}
}

type decision struct {
	o   Observed
	s   Settings
	now time.Time
	req policy.Requirement
	tls Parameter // the requirement's parameter in the current group
	pp  posture   // the current group against the switch and the profile
}

func (d decision) plan(st State, out Outcome, reason string, steps ...Step) Plan {
	return Plan{State: st, Outcome: out, Reason: reason, Requirement: d.req, Steps: steps}
}

func exempt(r Resource, tag string) bool {
	return strings.EqualFold(strings.TrimSpace(r.Tags[tag]), "true")
}

// inSync: TLS is on and in effect. An open intent is satisfied; that is the
// news ("verified"), told once. Without a memory, a restart on a forcessl
// group is the best sign there is.
func (d decision) inSync() Plan {
	in := d.o.Resource
	p := d.plan(Compliant, OutcomeNone, fmt.Sprintf("%s=%s in %s and in effect", d.req.Parameter, d.tls.Value, in.Group))
	if m := d.o.Memory; m == nil {
		if d.o.Trigger == request.TriggerRestarted && paramgroup.IsOurs(in.Group) {
			p.Outcome = OutcomeVerified
		}
	} else if m.Intent != nil && m.Intent.Group != "" && m.Intent.Group != in.Group {
		// Recorded before a change that was never made (the run stopped
		// before it); what is in effect is not forcessl's doing.
		p.Intent.Close = "not made: the resource is on " + in.Group + ", not " + m.Intent.Group
	} else if m.Intent != nil {
		p.Outcome, p.Intent.Close = OutcomeVerified, "in effect: the group is in sync"
	}
	return p
}

// wait plans a re-check of a resource that cannot be acted on now.
func (d decision) wait(st State, reason string) (Plan, Need) {
	if d.o.Schedules == nil {
		return Plan{}, Need{Schedules: true}
	}
	delay := RecheckDelay
	if ReadinessOf(d.o.Resource.Status) == Idle {
		delay = IdleRecheckDelay
	}
	return d.plan(st, OutcomeWaiting, reason+"; looking again later",
		d.schedule(ceilMinute(d.now.Add(delay)), request.TriggerRecheck)...), Need{}
}

// ready reports whether the instance can be modified or rebooted now.
func (d decision) ready() bool {
	return ReadinessOf(d.o.Resource.Status) == Ready && d.o.Refused != RefusedBusy
}

func (d decision) remediated(why string, steps []Step, note string) Plan {
	if note != "" {
		why += "; " + note
	}
	p := d.plan(NonCompliant, OutcomeRemediated, why, steps...)
	p.RebootAt = rebootTime(steps)
	if at, ok := d.scheduledReboot(); ok && p.RebootAt.IsZero() {
		p.RebootAt = at // kept, never moved by an ordinary event
	}
	return p
}

// rebootTime is when steps schedule a reboot, if they do.
func rebootTime(steps []Step) time.Time {
	for _, s := range steps {
		if sc, ok := s.(CreateSchedule); ok && sc.Action == request.TriggerReboot {
			return sc.At
		}
	}
	return time.Time{}
}

// applyMethod is pending-reboot for static parameters and immediate for
// dynamic ones: RDS for SQL Server rejects pending-reboot on dynamic
// parameters (ModifyDBParameterGroup API reference). Unknown counts as static.
func applyMethod(applyType string) string {
	if strings.EqualFold(applyType, "dynamic") {
		return "immediate"
	}
	return applyPendingReboot
}

const applyPendingReboot = "pending-reboot"

func valueOrUnset(p Parameter) string {
	if p.Value == "" {
		return "unset (off)"
	}
	return p.Value
}
