package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/gate"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/state"
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

// result is the run's result for a plan.
func (r *run) result(o plan.Observed, p plan.Plan) result.Resource {
	ir := r.res
	ir.State, ir.Outcome, ir.Reason, ir.Changed = p.State, p.Outcome, p.Reason, r.changed
	ir.ARN, ir.Engine, ir.Group, ir.Window = o.Resource.ARN, o.Resource.Engine, o.Resource.Group, o.Resource.MaintenanceWindow
	if o.Found {
		ir.Name = o.Resource.ID // the current identifier: the request may have named it before a rename
	}
	ir.Checks = p.Checks
	ir.Members = nil
	for _, m := range members(o.Resource) {
		ir.Members = append(ir.Members, m.String())
	}
	ir.Planned = nil
	for _, s := range p.Steps {
		ir.Planned = append(ir.Planned, s.Describe())
	}
	if !p.RebootAt.IsZero() {
		at := p.RebootAt
		ir.RebootAt = &at
	}
	if r.known {
		since := r.prev.StateSince
		if r.prev.State != string(p.State) {
			since = r.Now().UTC()
		}
		ir.StateSince, ir.LastAction = &since, r.prev.LastAction
	}
	return ir
}

// finish records the result, tells people, remembers and logs: one
// message per state change this run made and one per finding, none when
// nothing changed.
func (r *run) finish(ctx context.Context, o plan.Observed, p plan.Plan, err error) (res result.Resource, retry error) {
	r.res = r.result(o, p)
	ir := &r.res
	report := !r.enforcing()
	if err != nil {
		ir.Error = err.Error()
		if retry = Settle(err); retry != nil {
			r.log.ErrorContext(ctx, "reconcile failed, will be retried", "error", err.Error(), "outcome", "retry", "state", p.State)
			return *ir, fmt.Errorf("reconcile %s/%s/%s: %w", r.sc.Account, r.sc.Region, ir.Name, err)
		}
		ir.Outcome, p.Outcome = plan.OutcomeFailed, plan.OutcomeFailed
		r.log.ErrorContext(ctx, "reconcile failed permanently, event acknowledged", "error", err.Error(), "outcome", "failed",
			"code", awserr.Code(err), "state", ir.State)
		if !r.sc.Quiet && r.tell(p, err) {
			ir.Notified = r.notify(ctx, r.notice(o, p, report, err.Error()))
			if !ir.Notified && r.Notifier != nil {
				r.mark = nil // not said: told again next time
			}
		}
		if ir.Notified {
			r.paidAhead()
		}
		r.forSecurityHub(ctx, o)
		return *ir, r.remember(ctx, o, p, *ir)
	}
	var owed error
	if r.shouldNotify(p, report, len(r.changed) > 0) && r.tell(p, nil) {
		n := r.notice(o, p, report, "")
		ir.Notified = r.notify(ctx, n)
		owed = r.unsent(n, ir.Notified)
	}
	if owed == nil {
		r.paidAhead() // told, or this run decided there was nothing to tell
	}
	r.forSecurityHub(ctx, o)
	if err := r.remember(ctx, o, p, *ir); err != nil {
		return *ir, err
	}
	if owed != nil {
		return *ir, owed
	}
	level := slog.LevelInfo
	if p.Outcome == plan.OutcomeRefused || p.Outcome == plan.OutcomeFailed || p.Outcome == plan.OutcomeUntrusted ||
		report && p.State == plan.NonCompliant {
		level = slog.LevelWarn
	}
	r.log.Log(ctx, level, "reconciled", "state", p.State, "outcome", p.Outcome, "reason", p.Reason,
		"action", p.Describe(), "changed", len(r.changed), "notified", ir.Notified)
	return *ir, nil
}

// shouldNotify: one message per state change this run made, none when
// nothing changed, so duplicate events do not spam; findings unless a
// sweep's digest carries them.
func (r *run) shouldNotify(p plan.Plan, report, changed bool) bool {
	switch {
	case isFinding(p.Outcome):
		return !r.sc.Quiet
	case p.Outcome == plan.OutcomeRemediated, p.Outcome == plan.OutcomeRebooted, p.Outcome == plan.OutcomeRebootPlanned,
		p.Outcome == plan.OutcomePostponed, p.Outcome == plan.OutcomeCAUpdate:
		return report && !r.sc.Quiet || changed
	}
	return false
}

// shouldNotifyChange: the plan's outcome is told once its changes are made.
func (r *run) shouldNotifyChange(p plan.Plan) bool { return r.shouldNotify(p, false, true) }

// mayTell reports, before acting, whether the plan may end in a message.
func (r *run) mayTell(p plan.Plan) bool {
	return r.shouldNotify(p, r.Mode != policy.ModeEnforce, len(r.changed) > 0) || !r.sc.Quiet && p.Writes()
}

// tell applies the memory to a notice that would be sent: each thing is
// said once. Without a memory every notice is sent.
func (r *run) tell(p plan.Plan, err error) bool {
	if !r.known && r.Store == nil {
		return true
	}
	name := string(p.Outcome)
	if !r.enforcing() && err == nil && !isFinding(p.Outcome) {
		name = "report-finding"
	}
	fp, changed := noticeKey(name, p, err, len(r.changed) > 0)
	return r.tellOnce(name, fp, changed)
}

// noticeKey is what makes a notice news: its fingerprint, and whether the
// run's change makes it news whatever the last mark says. A reboot
// schedule is news by its time, not by its creation: one re-created for
// the time already told is not told again (a sweep scheduled next week's
// reboot, a run inside the window deleted it to wait for a busy instance,
// the window's chance went by and the next run created the same schedule:
// the simulator's seeds 5520 and 101124 told "reboot-scheduled" twice).
func noticeKey(name string, p plan.Plan, err error, changed bool) (string, bool) {
	if name == string(plan.OutcomeRebootPlanned) && !p.RebootAt.IsZero() {
		return fingerprint(name, p.Reason+"\x00"+p.RebootAt.UTC().Format(time.RFC3339), err), false
	}
	return fingerprint(name, p.Reason, err), changed
}

// forSecurityHub hands the result to Security Hub's batch, with the resource's
// memory: its mark is written once Security Hub has accepted the findings,
// so a refused import is sent again next time.
func (r *run) forSecurityHub(ctx context.Context, o plan.Observed) {
	if r.sc.Findings == nil {
		return
	}
	var key *state.Key
	var mark *state.HubMark
	if r.remembered(o) {
		k := r.key(o)
		key, mark = &k, r.prev.SecurityHub
	}
	r.sc.Findings.Add(ctx, r.res, key, mark)
}

// remember writes the run's memory; failing to keep what a change or a
// message left is worth a retry.
func (r *run) remember(ctx context.Context, o plan.Observed, p plan.Plan, ir result.Resource) error {
	err := r.record(ctx, o, p, ir)
	if err == nil {
		return nil
	}
	r.log.ErrorContext(ctx, "state not recorded", "error", err.Error())
	// A change, or a message whose "said" mark is lost: worth a retry (the
	// retry finds the change done; a finding may be told once more).
	if len(ir.Changed) > 0 || ir.Notified || r.dirty {
		return fmt.Errorf("record the state of %s/%s/%s: %w", r.sc.Account, r.sc.Region, ir.Name, err)
	}
	return nil
}

// unsent settles a notice whose publish did not succeed (sent false, with
// notifications on). Its mark is not kept, so a finding is told again at
// the next run. A change's message, which no later run would decide to
// send (the change is done), is owed instead: kept in the resource's
// memory and sent by the next run, and the error returned makes Lambda
// retry soon.
func (r *run) unsent(n notify.Notice, sent bool) error {
	if sent || r.Notifier == nil {
		return nil
	}
	r.mark = nil
	if len(r.changed) == 0 || r.lease == nil {
		return nil // nothing changed, or no memory to keep it in
	}
	body, err := json.Marshal(n)
	if err != nil {
		return nil
	}
	r.prev.Owed = &state.OwedNotice{Outcome: string(n.Outcome), Fingerprint: fingerprint(string(n.Outcome), n.Reason, nil),
		Body: body, Since: r.Now().UTC()}
	r.dirty = true
	return fmt.Errorf("the %s message for %s/%s/%s was not sent; it is kept and sent by the retry", n.Outcome, r.sc.Account, r.sc.Region, n.Instance)
}

// paidAhead clears the message this run wrote ahead of its change, once
// the run has settled what it tells.
func (r *run) paidAhead() {
	if r.aheadOwed {
		r.prev.Owed, r.dirty, r.aheadOwed = nil, true, false
	}
}

// payOwed settles a message an earlier run owes (the outbox): one whose
// publish failed, or one written ahead of a change or a reboot by a run
// that stopped before telling it. It is sent before this run changes or
// tells anything, then cleared; a crash between the two sends it once
// more, never more. What to do with it is settleOwed's decision.
func (r *run) payOwed(ctx context.Context, o plan.Observed, p plan.Plan) error {
	owed := r.prev.Owed
	if owed == nil || r.lease == nil {
		return nil
	}
	v := settleOwed(owed.Outcome, p, r.Notifier != nil, restartShows(r.prev.Intent, o))
	if v == owedKeep {
		return nil
	}
	if v == owedSend {
		var n notify.Notice
		if err := json.Unmarshal(owed.Body, &n); err != nil {
			r.log.ErrorContext(ctx, "an owed message cannot be read; dropped", "error", err.Error(), "outcome", owed.Outcome)
		} else if err := r.publish(ctx, n); err != nil {
			return fmt.Errorf("send the %s message owed since %s: %w", owed.Outcome, owed.Since.Format(time.RFC3339), err)
		}
	}
	// Cleared at once, not with the run's memory at its end: the run may
	// fail before that, and its retry must not send the message again.
	n := r.prev
	n.Owed = nil
	if err := r.putHeld(ctx, n); err != nil {
		return fmt.Errorf("clear the %s message owed since %s: %w", owed.Outcome, owed.Since.Format(time.RFC3339), err)
	}
	return nil
}

// owedVerdict is what a run does with a message an earlier run owes.
type owedVerdict int

const (
	owedSend owedVerdict = iota // publish it, then clear it
	owedKeep                    // leave it for a later run
	owedDrop                    // clear it unsent
)

// settleOwed decides an owed message (its outcome) from this run's plan:
// whether notices are on, and whether a restart forcessl made for the open
// intent shows (restartShows). A "rebooted" message is sent once the
// restart shows (its marker confirmed, its target in sync, the resource
// compliant), whatever else waits on the resource since (the owner's
// change pending kept it forever: seed 102034), dropped when it is
// refused as unconfirmed (the refusal says it instead) or when forcessl
// looks at the resource no more (exempt, out of scope, gone) and the
// target still waits (the reboot never happened), and kept otherwise. Any other message is dropped when what
// it announced is not in effect (non-compliant: the change was never
// made; this run makes it and tells it), and sent otherwise.
func settleOwed(outcome string, p plan.Plan, notifying, restartShown bool) owedVerdict {
	if !notifying {
		return owedDrop
	}
	if outcome == string(plan.OutcomeRebooted) {
		switch {
		case p.Outcome == plan.OutcomeRefused: // the restart was not confirmed
			return owedDrop
		case restartShown, p.State == plan.Compliant:
			return owedSend
		case p.State == plan.Exempt, p.State == plan.OutOfScope, p.State == plan.NotFound:
			return owedDrop // looked at no more, and the target still waits
		}
		return owedKeep
	}
	if p.State == plan.NonCompliant {
		return owedDrop
	}
	return owedSend
}

// restartShows reports whether a restart forcessl made for the open
// intent shows: its marker confirmed, or its target seen no longer waiting
// for a reboot (RDS applies every pending change at a restart).
func restartShows(in *state.Intent, o plan.Observed) bool {
	if in == nil {
		return false
	}
	for _, x := range in.Restarts {
		if x.Confirmed {
			return true
		}
		if !o.Found {
			continue
		}
		status := ""
		if x.Target == o.Resource.ID {
			status = o.Resource.ApplyStatus
		}
		for _, m := range o.Resource.Members {
			if m.ID == x.Target {
				status = m.ApplyStatus
			}
		}
		if status == plan.InSync {
			return true
		}
	}
	return false
}

// owedAhead is the message the plan's changes will be told with, written
// ahead of them (with the intent, or the restart marker), so a run that
// stops after a change and before its message still has it told.
func (r *run) owedAhead(o plan.Observed, p plan.Plan) *state.OwedNotice {
	if r.Notifier == nil || !r.shouldNotifyChange(p) {
		return nil
	}
	n := r.notice(o, p, false, "")
	n.Actions = nil
	for _, s := range p.Steps {
		n.Actions = append(n.Actions, s.Describe())
	}
	if !p.RebootAt.IsZero() {
		at := p.RebootAt
		n.RebootAt = &at
	}
	body, err := json.Marshal(n)
	if err != nil {
		return nil
	}
	return &state.OwedNotice{Outcome: string(p.Outcome), Fingerprint: fingerprint(string(p.Outcome), p.Reason, nil),
		Body: body, Since: r.Now().UTC()}
}

func (r *run) notify(ctx context.Context, n notify.Notice) bool {
	if r.Notifier == nil {
		return false
	}
	if err := r.publish(ctx, n); err != nil {
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
		Outcome: p.Outcome, Report: report && errText == "" && p.Outcome != plan.OutcomeVerified && p.Outcome != gate.OutcomePaused,
		Account: r.sc.Account, Region: r.sc.Region, Instance: r.res.Name, InstanceARN: o.Resource.ARN,
		Engine: o.Resource.Engine, State: p.State, Reason: p.Reason, Parameter: p.Requirement.Parameter,
		Group: o.Resource.Group, NewGroup: p.TargetGroup(), Actions: actions, RebootAt: r.res.RebootAt, Window: o.Resource.MaintenanceWindow,
		ExemptTag: r.Settings.ExemptTag, Error: errText,
		Kind: o.Resource.Kind, Members: members(o.Resource), MultiAZ: o.Resource.MultiAZ,
	}
}

// members are a cluster's members as messages and reports show them.
func members(in plan.Resource) []notify.Member {
	var ms []notify.Member
	for _, m := range in.Members {
		ms = append(ms, notify.Member{ID: m.ID, Writer: m.Writer, Status: m.Status, ApplyStatus: m.ApplyStatus})
	}
	return ms
}
