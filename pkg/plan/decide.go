package plan

import (
	"fmt"
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
	// SettleDelay lets a just-attached group settle before an immediate
	// reboot: RDS shows the instance as modifying for a moment after
	// ModifyDBInstance, and RebootDBInstance needs it available.
	SettleDelay = 2 * time.Minute
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
	if !o.Found {
		return Plan{State: NotFound, Outcome: OutcomeNone, Reason: "the instance does not exist (deleted?)"}, 0
	}
	in := o.Resource
	if sc := policy.Classify(in.Engine, in.ClusterID, s.Engines); !sc.InScope {
		return Plan{State: OutOfScope, Outcome: OutcomeNone, Reason: sc.Reason}, 0
	}
	if strings.EqualFold(strings.TrimSpace(in.Tags[s.ExemptTag]), "true") {
		return Plan{State: Exempt, Outcome: OutcomeNone, Reason: "tagged " + s.ExemptTag + "=true"}, 0
	}
	if o.Params == nil {
		return Plan{}, NeedParams
	}
	req, _ := policy.For(in.Engine)
	d := decision{o: o, s: s, now: now, req: req, tls: o.Params[req.Parameter]}
	if !policy.IsOn(d.tls.Value) {
		return d.remediate()
	}
	switch in.ApplyStatus {
	case InSync:
		p := d.plan(Compliant, OutcomeNone, fmt.Sprintf("%s=%s in %s and in effect", req.Parameter, d.tls.Value, in.Group))
		if o.Trigger == request.TriggerRestarted && paramgroup.IsOurs(in.Group) {
			p.Outcome = OutcomeVerified
		}
		return p, 0
	case PendingReboot:
		return d.pendingReboot(), 0
	case FailedToApply:
		return d.plan(CompliantPendingReboot, OutcomeFailed,
			fmt.Sprintf("RDS reports parameter group %s as failed-to-apply; a person must look at it", in.Group)), 0
	default: // applying, pending-database-upgrade: RDS is still at work
		return d.wait(CompliantPendingReboot, "parameter group "+in.Group+" is "+in.ApplyStatus), 0
	}
}

type decision struct {
	o   Observed
	s   Settings
	now time.Time
	req policy.Requirement
	tls Parameter // the requirement's parameter in the current group
}

func (d decision) plan(st State, out Outcome, reason string, steps ...Step) Plan {
	return Plan{State: st, Outcome: out, Reason: reason, Requirement: d.req, Steps: steps}
}

func (d decision) remediate() (Plan, Need) {
	in := d.o.Resource
	if !d.tls.Found {
		// RDS lists every parameter of a family: one that is missing does not
		// exist for this engine version, and setting it would fail.
		return d.plan(NonCompliant, OutcomeRefused, fmt.Sprintf("parameter group %s has no %s parameter: this engine version cannot enforce TLS through it (upgrade the engine, or exempt the instance)",
			in.Group, d.req.Parameter)), 0
	}
	why := fmt.Sprintf("%s is %s in parameter group %s", d.req.Parameter, valueOrUnset(d.tls), in.Group)
	if in.Status != "available" {
		return d.wait(NotReady, why+", and the instance is "+in.Status), 0
	}
	current, target := in.Group, paramgroup.CompliantName(in.Group)
	set := SetParameter{Kind: in.Kind, Group: target, Name: d.req.Parameter, Value: d.req.Value, ApplyMethod: applyMethod(d.tls.ApplyType)}

	if target == current {
		// Already on a group in our namespace that someone turned TLS off in:
		// fix it in place, but only if it really is ours.
		if d.o.Candidate == nil {
			return Plan{}, NeedGroups
		}
		if !isOurs(*d.o.Candidate, "") {
			return d.plan(NonCompliant, OutcomeRefused, why+"; "+current+" is named like a forcessl group but is not tagged "+
				paramgroup.TagManagedBy+"="+paramgroup.ManagedByValue+", so forcessl will not modify it"), 0
		}
		if set.ApplyMethod != applyPendingReboot {
			return d.remediated(why, []Step{set}, ""), 0
		}
		reboot, note := d.rebootSteps()
		return d.remediated(why, append([]Step{set}, reboot...), note), 0
	}

	attach := AttachGroup{Target: in.Ref(), Group: target, ApplyImmediately: !in.PendingModified}
	// The compliant group is assumed absent until observed: creating it is
	// the common case, and a name found taken (ErrGroupExists) makes the
	// reconciler observe the groups and decide again.
	if c := d.o.Candidate; c != nil && c.Exists {
		if reason := d.refuseReuse(*c, current); reason != "" {
			return d.plan(NonCompliant, OutcomeRefused, why+"; "+reason), 0
		}
		steps := []Step{}
		if !policy.IsOn(c.Params[d.req.Parameter].Value) {
			steps = append(steps, set)
		}
		reboot, note := d.rebootSteps()
		return d.remediated(why, append(append(steps, attach), reboot...), note), 0
	}

	var create Step = CopyGroup{Kind: in.Kind, Name: target, Source: current}
	if paramgroup.IsDefault(current) {
		family, ok := paramgroup.FamilyOfDefault(current)
		if !ok {
			return d.plan(NonCompliant, OutcomeFailed, why+"; cannot tell the family of default group "+current), 0
		}
		create = CreateGroup{Kind: in.Kind, Name: target, Family: family, Source: current}
	}
	reboot, note := d.rebootSteps()
	return d.remediated(why, append([]Step{create, set, attach}, reboot...), note), 0
}

func (d decision) remediated(why string, steps []Step, note string) Plan {
	if note != "" {
		why += "; " + note
	}
	p := d.plan(NonCompliant, OutcomeRemediated, why, steps...)
	for _, s := range steps {
		if sc, ok := s.(Schedule); ok {
			p.RebootAt = sc.At
		}
	}
	return p
}

const applyPendingReboot = "pending-reboot"

// applyMethod is pending-reboot for static parameters and immediate for
// dynamic ones: RDS for SQL Server rejects pending-reboot on dynamic
// parameters (ModifyDBParameterGroup API reference). Unknown counts as static.
func applyMethod(applyType string) string {
	if strings.EqualFold(applyType, "dynamic") {
		return "immediate"
	}
	return applyPendingReboot
}

func valueOrUnset(p Parameter) string {
	if p.Value == "" {
		return "unset (off)"
	}
	return p.Value
}
