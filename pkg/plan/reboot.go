package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/maintwindow"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
)

// idleStatuses are instance states that do not end by themselves soon.
var idleStatuses = []string{"stopped", "stopping", "storage-full", "inaccessible-encryption-credentials",
	"inaccessible-encryption-credentials-recoverable", "incompatible-parameters", "incompatible-network",
	"incompatible-option-group", "incompatible-restore", "failed", "restore-error"}

// wait schedules a re-check of a resource that cannot be acted on now.
func (d decision) wait(st State, reason string) Plan {
	delay := RecheckDelay
	if slices.Contains(idleStatuses, d.o.Resource.Status) {
		delay = IdleRecheckDelay
	}
	return d.plan(st, OutcomeWaiting, reason+"; looking again later",
		d.schedule(ceilMinute(d.now.Add(delay)), request.TriggerRecheck))
}

// rebootSteps plans the reboot that follows attaching (or fixing) a group,
// or says why there is none. It never reboots in the same run: the instance
// is briefly modifying right after ModifyDBInstance, so even "immediate"
// goes through a short schedule. A reboot does not apply the owner's queued
// modifications, so it need not wait for them.
func (d decision) rebootSteps() ([]Step, string) {
	switch d.rebootPolicy() {
	case policy.RebootNever:
		return nil, "reboot policy is never: the owner reboots"
	case policy.RebootImmediate:
		return []Step{d.schedule(ceilMinute(d.now.Add(SettleDelay)), request.TriggerReboot)}, ""
	}
	w, err := maintwindow.Parse(d.o.Resource.MaintenanceWindow)
	if err != nil {
		return nil, "no reboot scheduled: " + err.Error()
	}
	return []Step{d.schedule(w.NextStart(d.now.Add(d.s.MinLead)), request.TriggerReboot)}, ""
}

func (d decision) pendingReboot() Plan {
	in := d.o.Resource
	why := fmt.Sprintf("%s=%s in %s, pending reboot", d.req.Parameter, d.tls.Value, in.Group)
	if !paramgroup.IsOurs(in.Group) {
		// The pending change is in the owner's own group and may be any of
		// their static parameters: rebooting for it is their call, not ours.
		return d.plan(CompliantPendingReboot, OutcomeNone, why+"; the group is the owner's, so the owner reboots (forcessl reboots only for groups it manages)")
	}
	switch d.rebootPolicy() {
	case policy.RebootNever:
		return d.plan(CompliantPendingReboot, OutcomeNone, why+"; reboot policy is never: the owner reboots")
	case policy.RebootImmediate:
		if in.Status != "available" {
			return d.wait(CompliantPendingReboot, why+"; instance is "+in.Status)
		}
		return d.plan(CompliantPendingReboot, OutcomeRebooted, why, Reboot{Target: in.Ref()})
	}
	w, err := maintwindow.Parse(in.MaintenanceWindow)
	if err != nil {
		return d.plan(CompliantPendingReboot, OutcomeFailed, why+"; "+err.Error())
	}
	end, inWindow := w.Occurrence(d.now)
	if inWindow && d.o.Trigger.Scheduled() && end.Sub(d.now) >= RebootMargin {
		recheck := ceilMinute(d.now.Add(RecheckDelay))
		switch {
		// Queued modifications are applied by RDS in the window: give it one
		// look's time to apply them, so the instance has one outage, not two.
		case in.Status == "available" && (!in.PendingModified || d.o.Trigger == request.TriggerRecheck):
			return d.plan(CompliantPendingReboot, OutcomeRebooted, why+"; inside the maintenance window", Reboot{Target: in.Ref()})
		case !recheck.Add(RebootMargin).After(end):
			busy := in.Status
			if in.Status == "available" {
				busy = "about to apply its queued modifications"
			}
			return d.plan(CompliantPendingReboot, OutcomeWaiting, why+"; instance is "+busy+", looking again inside the window",
				d.schedule(recheck, request.TriggerRecheck))
		}
	}
	at := w.NextStart(d.now.Add(d.s.MinLead))
	out := OutcomeRebootPlanned
	if d.o.Trigger == request.TriggerReboot || d.o.Trigger == request.TriggerRecheck && inWindow {
		out = OutcomePostponed
		why += "; could not reboot in this window (instance " + in.Status + ")"
	}
	p := d.plan(CompliantPendingReboot, out, why, d.schedule(at, request.TriggerReboot))
	p.RebootAt = at
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

// schedule plans the resource's schedule. Only forcessl's own scheduled
// actions may move an existing schedule; any other event keeps the one
// there, so a stream of events can never push a reboot back.
func (d decision) schedule(at time.Time, action request.Trigger) Schedule {
	in := d.o.Resource
	return Schedule{Name: ScheduleName(d.o.Account, d.o.Region, in.ID), Target: in.Ref(), At: at, Action: action,
		Move: d.o.Trigger.Scheduled()}
}

// SchedulePrefix starts every schedule forcessl creates, so IAM can confine
// its Scheduler writes to them.
const SchedulePrefix = "forcessl-"

// ScheduleName is the one Scheduler schedule forcessl keeps per resource:
// deterministic, so a second run finds it instead of adding another, and
// within Scheduler's 64-character [0-9a-zA-Z-_.] limit.
func ScheduleName(account, region, id string) string {
	sum := sha256.Sum256([]byte(account + "/" + region + "/" + id))
	if len(id) > 45 {
		id = id[:45]
	}
	return SchedulePrefix + id + "-" + hex.EncodeToString(sum[:])[:8]
}

func ceilMinute(t time.Time) time.Time {
	if r := t.Truncate(time.Minute); !r.Equal(t) {
		return r.Add(time.Minute)
	}
	return t
}
