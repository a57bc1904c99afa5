package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/maintwindow"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/rdsevent"
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

// idleStatuses are instance states that do not end by themselves soon.
var idleStatuses = []string{"stopped", "stopping", "storage-full", "inaccessible-encryption-credentials",
	"inaccessible-encryption-credentials-recoverable", "incompatible-parameters", "incompatible-network",
	"incompatible-option-group", "incompatible-restore", "failed", "restore-error"}

// Decide is the engine's whole judgement: given what was observed, the
// operator's settings and the time, what is the state and what must be done.
// It is deterministic and has no side effects; run it twice on the same
// input and it answers the same.
func Decide(o Observed, s Settings, now time.Time) Plan {
	now = now.UTC()
	if !o.Found {
		return Plan{State: NotFound, Outcome: OutcomeNone, Reason: "the instance does not exist (deleted?)"}
	}
	in := o.Instance
	if sc := policy.Classify(in.Engine, in.ClusterID, s.Engines); !sc.InScope {
		return Plan{State: OutOfScope, Outcome: OutcomeNone, Reason: sc.Reason}
	}
	if strings.EqualFold(strings.TrimSpace(in.Tags[s.ExemptTag]), "true") {
		return Plan{State: Exempt, Outcome: OutcomeNone, Reason: "tagged " + s.ExemptTag + "=true"}
	}
	req, _ := policy.For(in.Engine)
	if !o.TLSKnown {
		return Plan{State: NonCompliant, Reason: "reading " + req.Parameter, Requirement: req, NeedTLS: true}
	}
	d := decision{o: o, s: s, now: now, req: req}
	if !policy.IsOn(o.TLS.Value) {
		return d.remediate()
	}
	switch in.ApplyStatus {
	case InSync:
		p := d.plan(Compliant, OutcomeNone, fmt.Sprintf("%s=%s in %s and in effect", req.Parameter, o.TLS.Value, in.ParameterGroup))
		if o.Trigger == rdsevent.TriggerRestarted && paramgroup.IsOurs(in.ParameterGroup) {
			p.Outcome = OutcomeVerified
		}
		return p
	case PendingReboot:
		return d.pendingReboot()
	case FailedToApply:
		return d.plan(CompliantPendingReboot, OutcomeFailed,
			fmt.Sprintf("RDS reports parameter group %s as failed-to-apply; a person must look at it", in.ParameterGroup))
	default: // applying, pending-database-upgrade: RDS is still at work
		return d.wait(CompliantPendingReboot, "parameter group "+in.ParameterGroup+" is "+in.ApplyStatus)
	}
}

type decision struct {
	o   Observed
	s   Settings
	now time.Time
	req policy.Requirement
}

func (d decision) plan(st State, out Outcome, reason string, steps ...Step) Plan {
	return Plan{State: st, Outcome: out, Reason: reason, Requirement: d.req, Steps: steps}
}

// wait schedules a re-check of an instance that cannot be acted on now.
func (d decision) wait(st State, reason string) Plan {
	delay := RecheckDelay
	if slices.Contains(idleStatuses, d.o.Instance.Status) {
		delay = IdleRecheckDelay
	}
	return d.plan(st, OutcomeWaiting, reason+"; looking again later",
		d.schedule(ceilMinute(d.now.Add(delay)), rdsevent.TriggerRecheck))
}

func (d decision) remediate() Plan {
	in := d.o.Instance
	if !d.o.TLS.Found {
		// RDS lists every parameter of a family: one that is missing does not
		// exist for this engine version, and setting it would fail.
		return d.plan(NonCompliant, OutcomeRefused, fmt.Sprintf("parameter group %s has no %s parameter: this engine version cannot enforce TLS through it (upgrade the engine, or exempt the instance)",
			in.ParameterGroup, d.req.Parameter))
	}
	why := fmt.Sprintf("%s is %s in parameter group %s", d.req.Parameter, valueOrUnset(d.o.TLS), in.ParameterGroup)
	if in.Status != "available" {
		return d.wait(NotReady, why+", and the instance is "+in.Status)
	}
	current := in.ParameterGroup
	target := paramgroup.CompliantName(current)
	method := applyMethod(d.o.TLS.ApplyType)
	set := SetParameter{Group: target, Name: d.req.Parameter, Value: d.req.Value, ApplyMethod: method}
	attach := AttachGroup{Instance: in.ID, Group: target, ApplyImmediately: !in.PendingModified}

	if target == current {
		// Already on a group in our namespace that someone turned TLS off in:
		// fix it in place, but only if it really is ours.
		if d.o.Candidate == nil {
			return Plan{State: NonCompliant, Reason: why, Requirement: d.req, NeedGroup: current}
		}
		if !isOurs(*d.o.Candidate, "") {
			return d.plan(NonCompliant, OutcomeRefused, why+"; "+current+" is named like a forcessl group but is not tagged "+
				paramgroup.TagManagedBy+"="+paramgroup.ManagedByValue+", so forcessl will not modify it")
		}
		if method != "pending-reboot" {
			return d.remediated(why, []Step{set}, "")
		}
		reboot, note := d.rebootSteps()
		return d.remediated(why, append([]Step{set}, reboot...), note)
	}

	if c := d.o.Candidate; c != nil && c.Exists {
		if reason := d.refuseReuse(*c, current); reason != "" {
			return d.plan(NonCompliant, OutcomeRefused, why+"; "+reason)
		}
		steps := []Step{}
		if !policy.IsOn(c.TLS.Value) {
			steps = append(steps, set)
		}
		reboot, note := d.rebootSteps()
		return d.remediated(why, append(append(steps, attach), reboot...), note)
	}

	var create Step = CopyGroup{Name: target, Source: current}
	if paramgroup.IsDefault(current) {
		family, ok := paramgroup.FamilyOfDefault(current)
		if !ok {
			return d.plan(NonCompliant, OutcomeFailed, why+"; cannot tell the family of default group "+current)
		}
		create = CreateGroup{Name: target, Family: family, Source: current}
	}
	reboot, note := d.rebootSteps()
	return d.remediated(why, append([]Step{create, set, attach}, reboot...), note)
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

// refuseReuse says why an existing group of the compliant name must not be
// attached, or "" when it may. A group is reused only when it is in the
// instance's family and carries exactly the source's custom settings (so no
// custom parameter is dropped and none is added behind the owner's back), and
// is either already compliant or ours to fix.
func (d decision) refuseReuse(c Group, source string) string {
	if d.o.SourceFamily != "" && c.Family != d.o.SourceFamily {
		return fmt.Sprintf("parameter group %s already exists in family %s, but the instance needs family %s", c.Name, c.Family, d.o.SourceFamily)
	}
	if diff := paramDiff(d.o.SourceUserParams, c.UserParams, d.req.Parameter); len(diff) > 0 {
		return fmt.Sprintf("parameter group %s already exists but differs from %s in %s; attaching it would change the instance's settings",
			c.Name, source, strings.Join(diff, ", "))
	}
	if !policy.IsOn(c.TLS.Value) && !isOurs(c, source) {
		return fmt.Sprintf("parameter group %s already exists, does not enforce TLS and is not forcessl's", c.Name)
	}
	return ""
}

// isOurs reports whether forcessl made g (from source, when source is set).
func isOurs(g Group, source string) bool {
	return g.Tags[paramgroup.TagManagedBy] == paramgroup.ManagedByValue &&
		(source == "" || g.Tags[paramgroup.TagSourceGroup] == source)
}

// paramDiff lists the parameters, other than the TLS one, whose user-set
// values differ between two groups.
func paramDiff(a, b map[string]string, ignore string) []string {
	names := map[string]bool{}
	for k := range maps.Keys(a) {
		names[k] = true
	}
	for k := range maps.Keys(b) {
		names[k] = true
	}
	var diff []string
	for k := range names {
		if k == ignore {
			continue
		}
		av, aok := a[k]
		bv, bok := b[k]
		if aok != bok || av != bv {
			diff = append(diff, k)
		}
	}
	slices.Sort(diff)
	return diff
}

// rebootSteps plans the reboot that follows attaching (or fixing) a group,
// or says why there is none. It never reboots in the same run: the instance
// is briefly modifying right after ModifyDBInstance, so even "immediate"
// goes through a short schedule. A reboot does not apply the owner's queued
// modifications, so it need not wait for them.
func (d decision) rebootSteps() ([]Step, string) {
	switch d.rebootPolicy() {
	case config.RebootNever:
		return nil, "reboot policy is never: the owner reboots"
	case config.RebootImmediate:
		return []Step{d.schedule(ceilMinute(d.now.Add(SettleDelay)), rdsevent.TriggerReboot)}, ""
	}
	at, err := d.nextWindow()
	if err != nil {
		return nil, "no reboot scheduled: " + err.Error()
	}
	return []Step{d.schedule(at, rdsevent.TriggerReboot)}, ""
}

func (d decision) pendingReboot() Plan {
	in := d.o.Instance
	why := fmt.Sprintf("%s=%s in %s, pending reboot", d.req.Parameter, d.o.TLS.Value, in.ParameterGroup)
	if !paramgroup.IsOurs(in.ParameterGroup) {
		// The pending change is in the owner's own group and may be any of
		// their static parameters: rebooting for it is their call, not ours.
		return d.plan(CompliantPendingReboot, OutcomeNone, why+"; the group is the owner's, so the owner reboots (forcessl reboots only for groups it manages)")
	}
	policyName := d.rebootPolicy()
	if policyName == config.RebootNever {
		return d.plan(CompliantPendingReboot, OutcomeNone, why+"; reboot policy is never: the owner reboots")
	}
	if policyName == config.RebootImmediate {
		if in.Status != "available" {
			return d.wait(CompliantPendingReboot, why+"; instance is "+in.Status)
		}
		return d.plan(CompliantPendingReboot, OutcomeRebooted, why, Reboot{Instance: in.ID})
	}
	w, err := maintwindow.Parse(in.MaintenanceWindow)
	if err != nil {
		return d.plan(CompliantPendingReboot, OutcomeFailed, why+"; "+err.Error())
	}
	end, inWindow := w.Occurrence(d.now)
	if inWindow && d.scheduled() && end.Sub(d.now) >= RebootMargin {
		recheck := ceilMinute(d.now.Add(RecheckDelay))
		switch {
		// Queued modifications are applied by RDS in the window: give it one
		// look's time to apply them, so the instance has one outage, not two.
		case in.Status == "available" && (!in.PendingModified || d.o.Trigger == rdsevent.TriggerRecheck):
			return d.plan(CompliantPendingReboot, OutcomeRebooted, why+"; inside the maintenance window", Reboot{Instance: in.ID})
		case !recheck.Add(RebootMargin).After(end):
			busy := in.Status
			if in.Status == "available" {
				busy = "about to apply its queued modifications"
			}
			return d.plan(CompliantPendingReboot, OutcomeWaiting, why+"; instance is "+busy+", looking again inside the window",
				d.schedule(recheck, rdsevent.TriggerRecheck))
		}
	}
	at := w.NextStart(d.now.Add(d.s.MinLead))
	out := OutcomeRebootPlanned
	if d.o.Trigger == rdsevent.TriggerReboot || d.o.Trigger == rdsevent.TriggerRecheck && inWindow {
		out = OutcomePostponed
		why += "; could not reboot in this window (instance " + in.Status + ")"
	}
	p := d.plan(CompliantPendingReboot, out, why, d.schedule(at, rdsevent.TriggerReboot))
	p.RebootAt = at
	return p
}

func (d decision) nextWindow() (time.Time, error) {
	w, err := maintwindow.Parse(d.o.Instance.MaintenanceWindow)
	if err != nil {
		return time.Time{}, err
	}
	return w.NextStart(d.now.Add(d.s.MinLead)), nil
}

// rebootPolicy applies the per-instance tag over the configured default.
func (d decision) rebootPolicy() config.RebootPolicy {
	switch strings.ToLower(strings.TrimSpace(d.o.Instance.Tags[RebootTag])) {
	case "window", string(config.RebootWindow):
		return config.RebootWindow
	case "immediate":
		return config.RebootImmediate
	case "never":
		return config.RebootNever
	}
	return d.s.Reboot
}

// schedule plans the instance's schedule. Only forcessl's own scheduled
// actions may move an existing schedule; any other event keeps the one
// there, so a stream of events can never push a reboot back.
func (d decision) schedule(at time.Time, action rdsevent.Trigger) Schedule {
	return Schedule{Name: ScheduleName(d.o.Account, d.o.Region, d.o.Instance.ID), Instance: d.o.Instance.ID, At: at, Action: action,
		Move: d.scheduled()}
}

// scheduled reports whether this run is one of forcessl's own scheduled actions.
func (d decision) scheduled() bool {
	return d.o.Trigger == rdsevent.TriggerReboot || d.o.Trigger == rdsevent.TriggerRecheck
}

// ScheduleName is the one Scheduler schedule forcessl keeps per instance:
// deterministic, so a second run finds it instead of adding another, and
// within Scheduler's 64-character [0-9a-zA-Z-_.] limit.
func ScheduleName(account, region, instance string) string {
	sum := sha256.Sum256([]byte(account + "/" + region + "/" + instance))
	id := instance
	if len(id) > 45 {
		id = id[:45]
	}
	return "forcessl-" + id + "-" + hex.EncodeToString(sum[:])[:8]
}

// applyMethod is pending-reboot for static parameters and immediate for
// dynamic ones: RDS for SQL Server rejects pending-reboot on dynamic
// parameters (ModifyDBParameterGroup API reference). Unknown counts as static.
func applyMethod(applyType string) string {
	if strings.EqualFold(applyType, "dynamic") {
		return "immediate"
	}
	return "pending-reboot"
}

func valueOrUnset(p Parameter) string {
	if p.Value == "" {
		return "unset (off)"
	}
	return p.Value
}

func ceilMinute(t time.Time) time.Time {
	if r := t.Truncate(time.Minute); !r.Equal(t) {
		return r.Add(time.Minute)
	}
	return t
}
