package reconcile

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/result"
)

// Settle is the one place where an error is judged: nil for a terminal
// error (a retry cannot fix it, so the event is acknowledged), the error
// itself otherwise, so Lambda retries and, in the end, the dead-letter
// queue keeps the event.
func Settle(err error) error {
	if awserr.IsTerminal(err) {
		return nil
	}
	return err
}

// finish records the result, tells people and logs: one message per state
// change this run made, none when nothing changed.
func (r *run) finish(ctx context.Context, o plan.Observed, p plan.Plan, err error) (res result.Resource, retry error) {
	ir := &r.res
	ir.State, ir.Outcome, ir.Reason, ir.Changed = p.State, p.Outcome, p.Reason, r.changed
	ir.ARN, ir.Engine, ir.Group, ir.Window = o.Resource.ARN, o.Resource.Engine, o.Resource.Group, o.Resource.MaintenanceWindow
	ir.Planned = nil
	for _, s := range p.Steps {
		ir.Planned = append(ir.Planned, s.Describe())
	}
	if !p.RebootAt.IsZero() {
		at := p.RebootAt
		ir.RebootAt = &at
	}
	report := r.Mode != policy.ModeEnforce
	if err != nil {
		ir.Error = err.Error()
		if retry = Settle(err); retry != nil {
			r.log.ErrorContext(ctx, "reconcile failed, will be retried", "error", err.Error(), "outcome", "retry", "state", p.State)
			return *ir, fmt.Errorf("reconcile %s/%s/%s: %w", r.sc.Account, r.sc.Region, ir.Name, err)
		}
		ir.Outcome, p.Outcome = plan.OutcomeFailed, plan.OutcomeFailed
		r.log.ErrorContext(ctx, "reconcile failed permanently, event acknowledged", "error", err.Error(), "outcome", "failed",
			"code", awserr.Code(err), "state", ir.State)
		if !r.sc.Quiet {
			ir.Notified = r.notify(ctx, r.notice(o, p, report, err.Error()))
		}
		return *ir, nil
	}
	if r.shouldNotify(p, report) {
		ir.Notified = r.notify(ctx, r.notice(o, p, report, ""))
	}
	level := slog.LevelInfo
	if p.Outcome == plan.OutcomeRefused || p.Outcome == plan.OutcomeFailed || report && p.State == plan.NonCompliant {
		level = slog.LevelWarn
	}
	r.log.Log(ctx, level, "reconciled", "state", p.State, "outcome", p.Outcome, "reason", p.Reason,
		"action", p.Describe(), "changed", len(r.changed), "notified", ir.Notified)
	return *ir, nil
}

// shouldNotify: one message per state change this run made, none when
// nothing changed, so duplicate events do not spam.
func (r *run) shouldNotify(p plan.Plan, report bool) bool {
	switch p.Outcome {
	case plan.OutcomeVerified, plan.OutcomeRefused, plan.OutcomeFailed:
		return !r.sc.Quiet
	case plan.OutcomeRemediated, plan.OutcomeRebooted, plan.OutcomeRebootPlanned, plan.OutcomePostponed:
		return report && !r.sc.Quiet || len(r.changed) > 0
	}
	return false
}

func (r *run) notify(ctx context.Context, n notify.Notice) bool {
	if r.Notifier == nil {
		return false
	}
	if err := r.Notifier.Publish(ctx, n); err != nil {
		// The change is made; losing its message must not undo or repeat it.
		r.log.ErrorContext(ctx, "notification not sent", "error", err.Error(), "outcome", n.Outcome)
		return false
	}
	return true
}

func (r *run) notice(o plan.Observed, p plan.Plan, report bool, errText string) notify.Notice {
	actions := r.changed
	if report || len(actions) == 0 {
		actions = r.res.Planned
	}
	return notify.Notice{
		Outcome: p.Outcome, Report: report && errText == "" && p.Outcome != plan.OutcomeVerified,
		Account: r.sc.Account, Region: r.sc.Region, Instance: r.res.Name, InstanceARN: o.Resource.ARN,
		Engine: o.Resource.Engine, State: p.State, Reason: p.Reason, Parameter: p.Requirement.Parameter,
		Group: o.Resource.Group, NewGroup: p.TargetGroup(), Actions: actions, RebootAt: r.res.RebootAt, Window: o.Resource.MaintenanceWindow,
		ExemptTag: r.Settings.ExemptTag, Error: errText,
	}
}
