// Package gate decides, before forcessl writes anything, whether the write
// may go ahead: the blast-radius controls (pauses, breakers, the reboot
// budget), the enforcement rings and a resource's mode tag. It is pure:
// the controls as last read, the resource as observed, the plan and the
// time in; allow, report only, paused or postponed out. pkg/reconcile
// calls it in the act step, the one place where forcessl writes.
package gate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/maintwindow"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/state"
)

// Outcomes the gate adds to the engine's (public, like plan's: the SNS
// outcome attribute carries them).
const (
	// OutcomePaused: an event or sweep found something to change while a
	// pause covers the resource; reported as report mode does, once per
	// resource and pause.
	OutcomePaused = plan.OutcomePaused
	// OutcomeBreakerOpen: a resource forcessl rebooted did not come back
	// in FORCESSL_RESTART_TIMEOUT; the account is paused until resumed.
	OutcomeBreakerOpen = plan.OutcomeBreakerOpen
)

// DefaultModeTag is FORCESSL_MODE_TAG's default; the value "report" keeps
// one resource in report mode.
const (
	DefaultModeTag  = "forcessl:mode"
	ModeTagReport   = "report"
	DefaultTimeout  = 30 * time.Minute
	DefaultAccount  = 100 // reboots per account and UTC hour
	DefaultOrg      = 1000
	DefaultMaxStale = time.Minute
)

// Config is the operator's blast-radius configuration.
type Config struct {
	Rings   Rings
	ModeTag string // "" : DefaultModeTag
	Budget  state.BudgetLimits
	// MinLead is FORCESSL_MIN_LEAD: a postponed reboot is scheduled in the
	// first window that starts at least this far ahead.
	MinLead time.Duration
}

// Verdict is what the gate lets the plan do.
type Verdict int

const (
	// Allow: carry the plan out (after counting its restart against the
	// budget when Decision.Count says so).
	Allow Verdict = iota
	// Report: the resource is outside the enforcement rings or tagged
	// report: the plan is reported as report mode reports it, not done.
	Report
	// Paused: a pause or an open breaker covers the resource: nothing of
	// the customer's changes; the plan is reported with outcome paused.
	Paused
	// Postpone: a reboot that may not happen now is scheduled for the
	// resource's next window instead (Decision.Plan does that).
	Postpone
)

func (v Verdict) String() string {
	return [...]string{"allow", "report", "paused", "postpone"}[v]
}

// Decision is the gate's answer: the verdict, why, and the plan to go on
// with (the input plan, or for Paused and Postpone a rewritten one).
type Decision struct {
	Verdict Verdict
	Why     string
	Plan    plan.Plan
	// Count: the plan restarts the resource; count it against the budget
	// first (OverBudget when that fails).
	Count bool
}

// Class sorts a write step by what it does to the customer's resources.
type Class int

const (
	// Own writes touch only forcessl's schedules.
	Own Class = iota
	// Change writes change the customer's groups or resources without a
	// restart.
	Change
	// Restart writes restart the resource (a reboot, a CA change applied
	// immediately).
	Restart
)

// Classify sorts one step. An unknown step type is a restart: the gate
// fails closed, so a write step added to pkg/plan is gated as the most
// dangerous kind until it is classified here.
func Classify(s plan.Step) Class {
	switch s := s.(type) {
	case plan.CreateSchedule, plan.DeleteSchedule:
		return Own
	case plan.CreateGroup, plan.CopyGroup, plan.SetParameter, plan.AttachGroup:
		return Change
	case plan.SetCA:
		if !s.ApplyImmediately {
			return Change
		}
		return Restart
	case plan.Reboot, plan.RebootCluster:
		return Restart
	}
	return Restart
}

// Restarts reports whether carrying the plan out restarts anything.
func Restarts(p plan.Plan) bool {
	return slices.ContainsFunc(p.Steps, func(s plan.Step) bool { return Classify(s) == Restart })
}

// Decide judges a plan that writes (enforce mode) against the controls
// read at most DefaultMaxStale ago. ous are the OUs and root the
// account sits under (from the sweep's cached listing; nil when unknown).
func Decide(c Config, set state.ControlSet, o plan.Observed, ous []string, p plan.Plan, now time.Time) Decision {
	block, paused := Blocked(set, o.Account, o.Region)
	if !paused {
		if in, why := c.Rings.Enforced(o.Account, ous); !in {
			block = why
		} else if v := o.Resource.Tags[c.modeTag()]; strings.EqualFold(strings.TrimSpace(v), ModeTagReport) {
			block = fmt.Sprintf("tagged %s=%s: report only", c.modeTag(), ModeTagReport)
		}
	}
	switch {
	case block == "":
		return Decision{Verdict: Allow, Plan: p, Count: Restarts(p)}
	case Restarts(p) || o.Trigger.Scheduled() && creates(p):
		// forcessl's own scheduled action fired: it is moved to the next
		// window, not dropped, so the reboot owed is not forgotten.
		return postpone(c, o, p, block, now)
	case paused:
		q := keepIntent(p)
		q.Outcome = OutcomePaused
		q.Reason = p.Reason + "; " + block
		return Decision{Verdict: Paused, Why: block, Plan: q}
	}
	q := keepIntent(p)
	q.Reason = p.Reason + "; " + block
	return Decision{Verdict: Report, Why: block, Plan: q}
}

// OverBudget is the decision for a restart the budget refused.
func OverBudget(c Config, o plan.Observed, p plan.Plan, use state.BudgetUse, now time.Time) Decision {
	limit := c.Budget.Account
	if use.Full == "org" {
		limit = c.Budget.Org
	}
	why := fmt.Sprintf("reboot budget %s=%d/h used up for %s UTC", use.Full, limit, now.UTC().Format("2006-01-02 15:00"))
	return postpone(c, o, p, why, now)
}

// postpone replaces the plan's writes with a reboot scheduled in the
// resource's next window; without a usable window, nothing is written.
func postpone(c Config, o plan.Observed, p plan.Plan, why string, now time.Time) Decision {
	q := keepIntent(p)
	q.Steps, q.Outcome, q.RebootAt = nil, plan.OutcomePostponed, time.Time{}
	w, err := maintwindow.Parse(o.Resource.MaintenanceWindow)
	if err != nil {
		q.Outcome = OutcomePaused
		q.Reason = p.Reason + "; " + why + "; not rescheduled: " + err.Error()
		return Decision{Verdict: Paused, Why: why, Plan: q}
	}
	at := w.NextStart(now.Add(c.MinLead))
	id := o.Resource.ResourceID
	if id == "" {
		id = o.Resource.ID
	}
	q.Steps = []plan.Step{plan.CreateSchedule{Name: plan.ScheduleName(o.Account, o.Region, id, at, request.TriggerReboot),
		Target: o.Resource.Ref(), At: at, Action: request.TriggerReboot}}
	q.RebootAt = at
	q.Reason = p.Reason + fmt.Sprintf("; postponed to the next window (%s): %s", at.UTC().Format("Mon 2006-01-02 15:04 UTC"), why)
	return Decision{Verdict: Postpone, Why: why, Plan: q}
}

// keepIntent: a plan the gate holds back closes no intent, since the
// reboot forcessl owes has not happened.
func keepIntent(p plan.Plan) plan.Plan {
	p.Intent.Close = ""
	return p
}

// creates reports whether the plan schedules a follow-up of its own.
func creates(p plan.Plan) bool {
	return slices.ContainsFunc(p.Steps, func(s plan.Step) bool { _, ok := s.(plan.CreateSchedule); return ok })
}

// Blocked names the pause or open breaker that covers the account and
// region, "" if none: the organization's first, then the account's, then
// the account-region's.
func Blocked(set state.ControlSet, account, region string) (string, bool) {
	for _, want := range []state.Scope{{}, {Account: account}, {Account: account, Region: region}} {
		for _, p := range set.Pauses {
			if p.Scope == want {
				return PauseText(p), true
			}
		}
	}
	for _, b := range set.Breakers {
		if b.Account == account {
			return fmt.Sprintf("paused: breaker open in account %s since %s (%s: %s); forcessl resume --account %s closes it",
				b.Account, b.OpenedAt.UTC().Format(time.RFC3339), b.Resource, b.Saw, b.Account), true
		}
	}
	return "", false
}

// PauseText is how a pause is told: "paused: REASON (since T, by WHO)".
func PauseText(p state.Pause) string {
	reason := p.Reason
	if reason == "" {
		reason = "no reason given"
	}
	by := p.By
	if by == "" {
		by = "unknown"
	}
	return fmt.Sprintf("paused: %s (since %s, by %s); the pause covers the %s", reason, p.Since.UTC().Format(time.RFC3339), by, p.Scope)
}

func (c Config) modeTag() string {
	if c.ModeTag == "" {
		return DefaultModeTag
	}
	return c.ModeTag
}
