package reconcile

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/gate"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/state"
)

// Blast is the blast-radius control of a Reconciler (issue 20): pauses,
// breakers and the reboot budget in the state table, the enforcement
// rings and the mode tag. act asks it before every write; nil turns it off.
type Blast struct {
	Controls state.Controls
	Config   gate.Config
	// Org is the sweep's cached listing of the organization, which says
	// which OUs an account sits under, and Targets the listing's
	// FORCESSL_TARGET_OUS; nil: unknown, so FORCESSL_ENFORCE_OUS matches
	// nothing.
	Org     state.OrgCache
	Targets []string
	// RestartTimeout is FORCESSL_RESTART_TIMEOUT: how long a resource
	// forcessl rebooted has to come back before the breaker opens.
	RestartTimeout time.Duration
	// MaxStale bounds how old the controls read may be (gate.DefaultMaxStale
	// when 0): a pause reaches every Lambda environment within it, and an
	// invocation reads the controls at most once per MaxStale, not per
	// resource.
	MaxStale time.Duration
	// Clock times the cache (time.Now when nil); not the engine's clock,
	// which tests hold still.
	Clock func() time.Time

	mu     sync.Mutex
	set    state.ControlSet
	readAt time.Time
}

// gateState is what the gate decided for one reconcile.
type gateState struct {
	report  bool // write nothing: report as report mode does
	decided bool // the gate has rewritten the plan already
	counted bool // the restart is counted against the budget
}

// read returns the controls, read again when older than MaxStale.
func (b *Blast) read(ctx context.Context) (state.ControlSet, error) {
	clock, stale := b.Clock, b.MaxStale
	if clock == nil {
		clock = time.Now
	}
	if stale <= 0 {
		stale = gate.DefaultMaxStale
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if now := clock(); b.readAt.IsZero() || now.Sub(b.readAt) >= stale || now.Before(b.readAt) {
		set, err := b.Controls.ReadControls(ctx)
		if err != nil {
			return state.ControlSet{}, awserr.Classify(fmt.Errorf("read forcessl's pauses and breakers: %w", err))
		}
		b.set, b.readAt = set, now
	}
	return b.set, nil
}

// forget drops the cached controls (this process just changed them).
func (b *Blast) forget() {
	b.mu.Lock()
	b.readAt = time.Time{}
	b.mu.Unlock()
}

// enforcing reports whether this reconcile may write: enforce mode, and
// the gate has not made it report only.
func (r *run) enforcing() bool { return r.Mode == policy.ModeEnforce && !r.gated.report }

// gate is the one check before forcessl writes anything: act calls it
// before each attempt to carry a plan out. It returns the plan to carry
// out (unchanged, postponed to the next window, or marked paused or report
// only, which writes nothing).
func (r *run) gate(ctx context.Context, o *plan.Observed, p plan.Plan) (plan.Plan, error) {
	b := r.Blast
	if b == nil || r.gated.decided {
		return p, nil
	}
	set, err := b.read(ctx)
	if err != nil {
		return p, err
	}
	var ous []string
	if b.Org != nil && len(b.Config.Rings.OUs) > 0 {
		l, _, err := b.Org.Listing(ctx, b.Targets)
		if err != nil {
			r.log.WarnContext(ctx, "OU membership unknown; the account is enforced only if listed", "error", err.Error())
		}
		ous = l.OUs(o.Account)
	}
	now := r.Now()
	d := gate.Decide(b.Config, set, *o, ous, p, now)
	if d.Count && !r.gated.counted {
		claim := r.claim(o, now)
		use, err := b.Controls.CountReboot(ctx, now, claim, b.Config.Budget, gate.Admit)
		if err != nil {
			return p, awserr.Classify(fmt.Errorf("count the reboot of %s against the budget: %w", o.Resource.ID, err))
		}
		r.gated.counted = use.Allowed
		if !use.Allowed {
			d = gate.OverBudget(b.Config, *o, p, use, now)
			if d.Verdict == gate.Postpone && !d.Plan.RebootAt.IsZero() {
				// It waits for the window it is postponed to, with its
				// intent's age: there it goes before younger intents.
				if err := b.Controls.Wait(ctx, d.Plan.RebootAt, claim); err != nil {
					return p, awserr.Classify(fmt.Errorf("queue the postponed reboot of %s for the budget: %w", o.Resource.ID, err))
				}
			}
		}
	}
	if d.Verdict != gate.Allow {
		r.gated.decided = true
		r.gated.report = d.Verdict == gate.Report || d.Verdict == gate.Paused
		r.log.InfoContext(ctx, "held back by forcessl's blast-radius controls", "gate", d.Verdict.String(), "why", d.Why)
	}
	return d.Plan, nil
}

// claim is the resource's restart as the budget sees it: its intent's
// time (the write-ahead intent, kept across postponements), or now for a
// restart without one (a CA change), which makes it the youngest.
func (r *run) claim(o *plan.Observed, now time.Time) state.BudgetClaim {
	c := state.BudgetClaim{Account: o.Account, Resource: o.Account + "/" + o.Region + "/" + r.resourceID(o), IntentAt: now.UTC()}
	if o.Memory != nil && o.Memory.Intent != nil && !o.Memory.Intent.RecordedAt.IsZero() {
		c.IntentAt = o.Memory.Intent.RecordedAt.UTC()
	}
	return c
}

// withLook adds the breaker's look at the restart timeout, after which the
// resource must be back: needed when the protocol's look finds it not back
// yet, since that look may verify TLS (the group in sync) and schedule
// nothing more.
func (r *run) withLook(o *plan.Observed, p plan.Plan, rebootedAt time.Time) plan.Plan {
	at := rebootedAt.Add(r.Blast.RestartTimeout).Truncate(time.Minute).Add(time.Minute)
	name := plan.ScheduleName(o.Account, o.Region, r.resourceID(o), at, request.TriggerRecheck)
	if slices.ContainsFunc(p.Steps, func(s plan.Step) bool { c, ok := s.(plan.CreateSchedule); return ok && c.Name == name }) {
		return p
	}
	p.Steps = append(slices.Clone(p.Steps), plan.CreateSchedule{Name: name, Target: o.Resource.Ref(), At: at, Action: request.TriggerRecheck})
	return p
}

func (r *run) resourceID(o *plan.Observed) string {
	if o.Resource.ResourceID != "" {
		return o.Resource.ResourceID
	}
	return o.Resource.ID
}

// watch is the breaker's judgement, hooked into the look after each of
// forcessl's reboots (the re-check the plan schedules with every reboot,
// issue 16, and, when that look finds the resource not back yet, one at
// the restart timeout, withLook): when
// forcessl rebooted the resource within the timeout's reach (its memory
// says so), judge how it came back; broken opens the account's breaker, once, with one high-severity
// message (outcome breaker-open), and two in an hour pause the
// organization. It returns the plan to report, changed only when the
// breaker opened.
func (r *run) watch(ctx context.Context, o plan.Observed, p plan.Plan) plan.Plan {
	b := r.Blast
	if b == nil || b.RestartTimeout <= 0 || !r.known || r.Mode != policy.ModeEnforce {
		return p
	}
	restarted, at := rebootedBy(r.prev)
	if at.IsZero() && o.Trigger == request.TriggerRecheck && r.Store != nil {
		// A scheduled look, after the protocol's look closed the intent
		// (TLS verified from the group) while the resource was not back:
		// the reboot is in the history. Only scheduled looks pay this read.
		restarted, at = r.rebootInHistory(ctx, o)
	}
	if at.IsZero() {
		return p
	}
	// Judged from the reboot to shortly after the look at the timeout
	// (Scheduler fires within minutes): a resource in trouble days later
	// is not forcessl's reboot's doing. Compliance is no proof of health:
	// the group can be in sync while the instance is still rebooting.
	since := r.Now().Sub(at)
	if since < 0 || since > 2*b.RestartTimeout+15*time.Minute {
		return p
	}
	h, saw := gate.Judge(o.Resource, restarted, since, b.RestartTimeout)
	if h == gate.Wait {
		return r.withLook(&o, p, at)
	}
	if h != gate.Broken {
		return p
	}
	q, _ := r.openBreaker(ctx, o, p, saw)
	return q
}

// openBreaker opens the account's breaker for what the look saw: once,
// with one high-severity message (outcome breaker-open); two in an hour
// pause the organization. It returns the plan to report (p when the
// breaker was open already or could not be opened), and whether it
// opened or found it open.
func (r *run) openBreaker(ctx context.Context, o plan.Observed, p plan.Plan, saw string) (plan.Plan, bool) {
	b := r.Blast
	br := state.Breaker{Account: r.sc.Account, OpenedAt: r.Now().UTC(), Resource: r.sc.Account + "/" + r.sc.Region + "/" + r.resourceID(&o), Saw: saw}
	opened, err := b.Controls.OpenBreaker(ctx, br)
	if err != nil {
		r.log.ErrorContext(ctx, "breaker not opened", "error", err.Error(), "outcome", string(gate.OutcomeBreakerOpen))
		return p, false
	}
	b.forget()
	if !opened {
		return p, true // open already: said once
	}
	if set, err := b.Controls.ReadControls(ctx); err == nil {
		if pause, ok := gate.Escalate(set, br); ok {
			if err := b.Controls.Pause(ctx, pause); err != nil {
				r.log.ErrorContext(ctx, "organization not paused after two breakers", "error", err.Error())
			}
		}
	}
	q := p
	q.Steps, q.Outcome = nil, gate.OutcomeBreakerOpen
	q.Reason = fmt.Sprintf("breaker opened for account %s: %s; forcessl reboots nothing more in the account until "+
		"`forcessl resume --account %s`", r.sc.Account, saw, r.sc.Account)
	r.log.ErrorContext(ctx, "breaker opened", "outcome", string(gate.OutcomeBreakerOpen), "saw", saw)
	return q, true
}

// lookFailed is the breaker's judgement of a look after forcessl's reboot
// (a scheduled re-check) whose read of the resource failed: the failure
// is counted in the resource's memory (one conditional write, paid only
// by failed looks), and gate.JudgeFailedLook decides. Past the restart
// timeout, a look that keeps failing opens the breaker with what it met
// (handled: the reconcile reports that, and the event is acknowledged);
// before it, the look at the timeout is scheduled, since the protocol's
// look that failed scheduled nothing, and the error goes back to Lambda,
// which retries it. A look that reads the resource clears the count
// (next).
func (r *run) lookFailed(ctx context.Context, ref plan.Ref, o *plan.Observed, lookErr error) (plan.Plan, bool, error) {
	b := r.Blast
	if b == nil || b.RestartTimeout <= 0 || r.Mode != policy.ModeEnforce || r.Store == nil ||
		r.sc.Trigger != request.TriggerRecheck || ref.ResourceID == "" {
		return plan.Plan{}, false, nil
	}
	k := state.Key{Account: r.sc.Account, Region: r.sc.Region, ResourceID: ref.ResourceID}
	prev, known, err := r.Store.Resource(ctx, k)
	if err != nil || !known {
		return plan.Plan{}, false, err
	}
	_, at := rebootedBy(prev)
	now := r.Now()
	since := now.Sub(at)
	if at.IsZero() || since < 0 || since > 2*b.RestartTimeout+15*time.Minute {
		return plan.Plan{}, false, nil
	}
	f := gate.FailedLook(prev.LookFailed, awserr.Code(lookErr), now)
	n := prev
	n.LookFailed, n.UpdatedAt = &f, now.UTC()
	if err := r.Store.PutResource(ctx, n); err != nil {
		// Another run wrote the memory meanwhile: Lambda's retry counts.
		return plan.Plan{}, false, fmt.Errorf("count the failed look at %s: %w", ref.ID, err)
	}
	n.Version++
	r.prev, r.known = n, true
	o.Resource = plan.Resource{Kind: ref.Kind, ID: ref.ID, ResourceID: ref.ResourceID}
	p := plan.Plan{State: plan.State(prev.State), Outcome: plan.OutcomeNone}
	h, saw := gate.JudgeFailedLook(f, awserr.IsTerminal(lookErr), since, b.RestartTimeout)
	r.log.WarnContext(ctx, "the look after forcessl's reboot failed", "failures", f.Count, "breaker", h.String(), "code", awserr.Code(lookErr))
	if h == gate.Broken {
		q, ok := r.openBreaker(ctx, *o, p, saw)
		return q, ok, nil
	}
	if since < b.RestartTimeout {
		q, err := r.act(ctx, o, r.withLook(o, p, at))
		if err != nil {
			return plan.Plan{}, false, fmt.Errorf("schedule the look at the restart timeout: %w", err)
		}
		r.res.Planned = nil
		for _, s := range q.Steps {
			r.res.Planned = append(r.res.Planned, s.Describe())
		}
	}
	return plan.Plan{}, false, nil
}

// rebootedBy reads forcessl's last reboot from the resource's memory: the
// targets it restarted and when (the latest), zero if none. The open
// intent's restart records (written before each call, issue 16's
// protocol) come first; once the intent is closed, the last action.
func rebootedBy(m state.Resource) (restarted []string, at time.Time) {
	if m.Intent != nil {
		for _, r := range m.Intent.Restarts {
			restarted = append(restarted, r.Target)
			if r.At.After(at) {
				at = r.At
			}
		}
		if len(restarted) > 0 {
			return restarted, at
		}
	}
	for _, a := range strings.Split(m.LastAction, "; ") {
		var id string
		switch {
		case strings.HasPrefix(a, "reboot DB cluster "):
			id = strings.TrimPrefix(a, "reboot DB cluster ")
		case strings.HasPrefix(a, "reboot ") && strings.HasSuffix(a, " without failover"):
			id = strings.TrimSuffix(strings.TrimPrefix(a, "reboot "), " without failover")
		default:
			continue
		}
		restarted = append(restarted, id)
	}
	if len(restarted) == 0 {
		return nil, time.Time{}
	}
	return restarted, m.LastActionAt
}

// rebootInHistory finds forcessl's latest reboot of the resource in its
// history, zero if none.
func (r *run) rebootInHistory(ctx context.Context, o plan.Observed) ([]string, time.Time) {
	h, err := r.Store.History(ctx, r.key(o))
	if err != nil {
		r.log.WarnContext(ctx, "history not read for the breaker's look", "error", err.Error())
		return nil, time.Time{}
	}
	for i := len(h) - 1; i >= 0; i-- {
		if ids, _ := rebootedBy(state.Resource{LastAction: strings.Join(h[i].Changed, "; "), LastActionAt: h[i].At}); len(ids) > 0 {
			return ids, h[i].At
		}
	}
	return nil, time.Time{}
}
