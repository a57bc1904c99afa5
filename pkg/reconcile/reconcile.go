// Package reconcile is the engine's loop: take a request, observe, decide,
// act, tell. It holds no state between calls beyond per-key locks; every
// call re-reads AWS, so a missed, late or duplicated event is harmless.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/forcessl/forcessl/pkg/apply"
	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/observe"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/route"
)

// RDS is every RDS call the engine makes.
type RDS interface {
	observe.RDS
	apply.RDS
}

// Notifier publishes a notice.
type Notifier interface {
	Publish(context.Context, notify.Notice) error
}

// Engine reconciles requests. Build one per process and share it.
type Engine struct {
	Config config.Config
	// RDS returns the client that acts along a route (own credentials, or a
	// member account's role assumed under session) in a region.
	RDS func(ctx context.Context, rt route.Route, region, session string) (RDS, error)
	// Identity returns the function's own account and partition. Nil in a
	// single-account deployment, where every event is the function's own.
	Identity  func(ctx context.Context) (account, partition string, err error)
	Scheduler apply.Scheduler
	Notifier  Notifier // nil: notifications off
	Now       func() time.Time
	Log       *slog.Logger

	locks sync.Map // key -> *sync.Mutex
}

// InstanceResult is what happened to one instance.
type InstanceResult struct {
	Instance string       `json:"instance"`
	State    plan.State   `json:"state"`
	Outcome  plan.Outcome `json:"outcome"`
	Reason   string       `json:"reason"`
	Planned  []string     `json:"planned,omitempty"`
	Changed  []string     `json:"changed,omitempty"`
	RebootAt *time.Time   `json:"rebootAt,omitempty"`
	Notified bool         `json:"notified"`
	Error    string       `json:"error,omitempty"`
}

// Result is what one request did.
type Result struct {
	Mode      config.Mode      `json:"mode"`
	Request   rdsevent.Request `json:"request"`
	Ignored   string           `json:"ignored,omitempty"`
	Instances []InstanceResult `json:"instances"`
}

// Handle processes one raw payload. Payloads that are not work (malformed,
// unsupported) are logged at warn level and acknowledged: the returned error
// is non-nil only when a retry can help.
func (e *Engine) Handle(ctx context.Context, payload []byte, functionARN string) (Result, error) {
	req, err := rdsevent.Parse(payload)
	if err != nil {
		e.Log.WarnContext(ctx, "event ignored", "reason", err.Error(), "outcome", "ignored", "bytes", len(payload))
		return Result{Mode: e.Config.Mode, Ignored: err.Error(), Instances: []InstanceResult{}}, nil
	}
	return e.Reconcile(ctx, req, functionARN)
}

// Reconcile processes one request: one instance, every instance using a
// parameter group, or every instance of an account and region (a sweep item).
func (e *Engine) Reconcile(ctx context.Context, req rdsevent.Request, functionARN string) (Result, error) {
	res := Result{Mode: e.Config.Mode, Request: req, Instances: []InstanceResult{}}
	if req.Target == rdsevent.TargetSweep {
		// Starting a sweep enumerates accounts: pkg/sweep's job, not ours.
		res.Ignored = "a sweep start is handled by the sweeper"
		e.Log.WarnContext(ctx, "event ignored", "reason", res.Ignored, "outcome", "ignored")
		return res, nil
	}
	log := e.Log.With("account", req.Account, "region", req.Region, "cause", req.Cause, "mode", e.Config.Mode)
	target := e.Config.FunctionARN
	if target == "" {
		target = functionARN
	}
	rt, err := e.route(ctx, req.Account, target)
	if err != nil {
		return res, e.retryable(ctx, log, fmt.Errorf("own identity: %w", err))
	}
	if rt.Kind == route.Refused {
		return e.refuse(ctx, log, res, rt)
	}
	client, err := e.RDS(ctx, rt, req.Region, route.SessionName(subject(req)))
	if err != nil {
		if awserr.Permanent(err) {
			log.ErrorContext(ctx, "no RDS access", "error", err.Error(), "outcome", "failed")
			return res, nil
		}
		return res, fmt.Errorf("RDS client for %s/%s: %w", req.Account, req.Region, err)
	}
	r := run{
		Engine: e, req: req, log: log, obs: observe.New(client), made: &madeGroups{m: map[string]plan.Group{}},
		exec: &apply.Executor{RDS: client, Scheduler: e.Scheduler, Account: req.Account, Region: req.Region,
			Target: apply.ScheduleTarget{FunctionARN: target, RoleARN: e.Config.SchedulerRoleARN, Group: e.Config.ScheduleGroup,
				DeadLetterARN: e.Config.ScheduleDLQARN}},
	}
	if req.Target == rdsevent.TargetInstance {
		ir, err := r.instance(ctx, req.Instance, nil)
		res.Instances = append(res.Instances, ir)
		return res, err
	}
	// A parameter group event covers every instance using the group; a sweep
	// item every instance in the account and region. DescribeDBInstances
	// cannot filter by group, so both page through the region once.
	keep := func(plan.Instance) bool { return true }
	if req.Target == rdsevent.TargetParameterGroup {
		// RDS stores group names in lowercase; CloudTrail keeps the caller's spelling.
		keep = func(in plan.Instance) bool { return strings.EqualFold(in.ParameterGroup, req.ParameterGroup) }
	} else {
		r.quiet = true // the sweep's digest reports findings, not one message each
	}
	known, err := r.obs.Instances(ctx, keep)
	if err != nil {
		return res, e.retryable(ctx, log, err)
	}
	log.InfoContext(ctx, "reconciling instances", "target", req.Target, "parameterGroup", req.ParameterGroup, "instances", len(known))
	res.Instances = make([]InstanceResult, len(known))
	errs := make([]error, len(known))
	sem := make(chan struct{}, max(e.Config.SweepParallelism, 1))
	var wg sync.WaitGroup
	for i := range known {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res.Instances[i], errs[i] = r.instance(ctx, known[i].ID, &known[i])
		}()
	}
	wg.Wait()
	return res, errors.Join(errs...)
}

// route decides whose credentials handle an account. The function's own
// account comes free from its ARN in Lambda (or FORCESSL_FUNCTION_ARN);
// otherwise Identity asks STS once.
func (e *Engine) route(ctx context.Context, account, functionARN string) (route.Route, error) {
	rs := route.Settings{MemberRole: e.Config.MemberRoleName, Allow: e.Config.Accounts}
	if parts := strings.Split(functionARN, ":"); len(parts) >= 7 && config.ValidAccount(parts[4]) {
		rs.Partition, rs.OwnAccount = parts[1], parts[4]
	} else if e.Identity != nil {
		var err error
		if rs.OwnAccount, rs.Partition, err = e.Identity(ctx); err != nil {
			return route.Route{}, err
		}
	}
	return route.Decide(account, rs), nil
}

// refuse acknowledges an event from an account forcessl must not act in,
// and says so: nothing is read or changed there.
func (e *Engine) refuse(ctx context.Context, log *slog.Logger, res Result, rt route.Route) (Result, error) {
	name := subject(res.Request)
	log.WarnContext(ctx, "account refused", "instance", name, "reason", rt.Reason, "outcome", plan.OutcomeRefused)
	ir := InstanceResult{Instance: name, State: plan.OutOfScope, Outcome: plan.OutcomeRefused, Reason: rt.Reason}
	if e.Notifier != nil {
		n := notify.Notice{Outcome: plan.OutcomeRefused, Account: res.Request.Account, Region: res.Request.Region,
			Instance: name, State: plan.OutOfScope, Reason: rt.Reason, ExemptTag: e.Config.ExemptTag}
		if err := e.Notifier.Publish(ctx, n); err != nil {
			log.ErrorContext(ctx, "notification not sent", "error", err.Error(), "outcome", plan.OutcomeRefused)
		} else {
			ir.Notified = true
		}
	}
	res.Instances = append(res.Instances, ir)
	return res, nil
}

// subject names what a request is about: an instance, a parameter group,
// or a sweep of a region.
func subject(req rdsevent.Request) string {
	switch req.Target {
	case rdsevent.TargetParameterGroup:
		return "pg-" + req.ParameterGroup
	case rdsevent.TargetAccountRegion:
		return "sweep-" + req.Region
	}
	return req.Instance
}

func (e *Engine) retryable(ctx context.Context, log *slog.Logger, err error) error {
	if awserr.Permanent(err) {
		log.ErrorContext(ctx, "permanent error, event acknowledged", "error", err.Error(), "outcome", "failed")
		return nil
	}
	return err
}

func (e *Engine) lock(key string) func() {
	m, _ := e.locks.LoadOrStore(key, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

func (e *Engine) settings() plan.Settings {
	return plan.Settings{Reboot: e.Config.Reboot, MinLead: e.Config.MinLead,
		ExemptTag: e.Config.ExemptTag, Engines: e.Config.Engines}
}

// run is one request's reconcile.
type run struct {
	*Engine
	req  rdsevent.Request
	log  *slog.Logger
	obs  *observe.Observer
	exec *apply.Executor
	// made holds the compliant groups this run created, so the other
	// instances of a parameter-group event or sweep reuse them without
	// re-reading.
	made *madeGroups
	// quiet suppresses per-instance findings, refusals and failures: a
	// sweep's digest reports them. Changes are still told one by one.
	quiet bool
}

type madeGroups struct {
	mu sync.Mutex
	m  map[string]plan.Group
}

func (m *madeGroups) get(name string) (plan.Group, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.m[name]
	return g, ok
}

func (m *madeGroups) put(g plan.Group) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[g.Name] = g
}

// maxRounds bounds observe-decide-act rounds per instance: one, plus one
// for each extra group Decide may need to see.
const maxRounds = 4

func (r run) instance(ctx context.Context, id string, known *plan.Instance) (InstanceResult, error) {
	// One reconcile per instance at a time in this process, like a
	// controller's work queue: concurrent duplicate events then see each
	// other's work instead of racing.
	defer r.lock(r.req.Account + "/" + r.req.Region + "/" + id)()
	log := r.log.With("instance", id)
	ir := InstanceResult{Instance: id}

	o := plan.Observed{Account: r.req.Account, Region: r.req.Region, Trigger: r.req.Trigger}
	stale := known != nil
	if known != nil {
		o.Instance, o.Found = *known, true
	} else {
		in, found, err := r.obs.Instance(ctx, id)
		if err != nil {
			return r.fail(ctx, log, ir, o, plan.Plan{}, err)
		}
		o.Instance, o.Found = in, found
	}

	// Instances sharing a parameter group are reconciled one after another
	// (always locking instance, then group): the first makes the compliant
	// group, the others reuse it instead of racing to create it.
	defer r.lock(r.req.Account + "/" + r.req.Region + "/pg:" + o.Instance.ParameterGroup)()
	if g, ok := r.made.get(paramgroup.CompliantName(o.Instance.ParameterGroup)); ok {
		o.Candidate = &g
	}
	var p plan.Plan
	for round := 0; ; round++ {
		if round == maxRounds {
			return r.fail(ctx, log, ir, o, p, fmt.Errorf("no stable plan after %d rounds", maxRounds))
		}
		p = plan.Decide(o, r.settings(), r.Now())
		var err error
		switch {
		case p.NeedTLS:
			o.TLS, err = r.obs.TLS(ctx, o.Instance.ParameterGroup, p.Requirement.Parameter)
			o.TLSKnown = true
		case p.NeedGroup != "":
			err = r.observeGroups(ctx, &o, p.Requirement.Parameter)
		case stale && p.Writes() && r.Config.Mode == config.ModeEnforce:
			// Decided from a listing taken earlier (sweep, group event):
			// re-read the instance before changing anything, so a tag or
			// status set since (exempt, deleting) is honoured.
			stale = false
			group := o.Instance.ParameterGroup
			o.Instance, o.Found, err = r.obs.Instance(ctx, id)
			if o.Instance.ParameterGroup != group {
				o.TLSKnown, o.Candidate = false, nil
			}
		default:
			var done bool
			if ir, done, err = r.act(ctx, log, ir, o, p); done || err != nil {
				return ir, err
			}
			// The compliant group's name was taken, perhaps by a concurrent
			// run in another Lambda environment: re-read the instance (that
			// run may have attached it already) and the group, decide again.
			if o.Instance, o.Found, err = r.obs.Instance(ctx, id); err == nil {
				err = r.observeGroups(ctx, &o, p.Requirement.Parameter)
			}
		}
		if err != nil {
			return r.fail(ctx, log, ir, o, p, err)
		}
	}
}

// observeGroups reads the compliant group of the instance's current group
// and, to judge whether reusing it is safe, the current group's family and
// custom settings.
func (r run) observeGroups(ctx context.Context, o *plan.Observed, tlsParam string) error {
	current := o.Instance.ParameterGroup
	target := paramgroup.CompliantName(current)
	c, err := r.obs.Group(ctx, target, tlsParam)
	if err != nil {
		return err
	}
	o.Candidate = &c
	if target == current {
		return nil
	}
	if family, ok := paramgroup.FamilyOfDefault(current); ok {
		o.SourceFamily, o.SourceUserParams = family, map[string]string{}
		return nil
	}
	src, err := r.obs.Group(ctx, current, tlsParam)
	if err != nil {
		return err
	}
	o.SourceFamily, o.SourceUserParams = src.Family, src.UserParams
	return nil
}

// act carries the plan out (enforce mode), then tells people. done is false
// when the plan must be redone after observing more.
func (r run) act(ctx context.Context, log *slog.Logger, ir InstanceResult, o plan.Observed, p plan.Plan) (InstanceResult, bool, error) {
	ir.State, ir.Outcome, ir.Reason, ir.Planned = p.State, p.Outcome, p.Reason, nil
	for _, s := range p.Steps {
		ir.Planned = append(ir.Planned, s.Describe())
	}
	if !p.RebootAt.IsZero() {
		at := p.RebootAt
		ir.RebootAt = &at
	}
	report := r.Config.Mode != config.ModeEnforce
	var res apply.Result
	if !report && p.Writes() {
		var err error
		res, err = r.exec.Apply(ctx, p)
		ir.Changed = res.Changed
		if errors.Is(err, apply.ErrGroupExists) && o.Candidate == nil {
			return ir, false, nil
		}
		if err != nil {
			ir, err = r.fail(ctx, log, ir, o, p, err)
			return ir, true, err
		}
		if len(res.Changed) > 0 {
			r.obs.Forget(paramgroup.CompliantName(o.Instance.ParameterGroup))
		}
		r.remember(o, p)
	}
	if r.shouldNotify(p, res, report) {
		ir.Notified = r.notify(ctx, log, notice(r, o, p, ir, report, ""))
	}
	level := slog.LevelInfo
	if p.Outcome == plan.OutcomeRefused || p.Outcome == plan.OutcomeFailed || report && p.State == plan.NonCompliant {
		level = slog.LevelWarn
	}
	log.Log(ctx, level, "reconciled", "state", p.State, "outcome", p.Outcome, "reason", p.Reason,
		"action", p.Describe(), "changed", len(res.Changed), "notified", ir.Notified)
	return ir, true, nil
}

// remember records a compliant group this run created from the instance's
// group: by construction it carries the source's settings plus TLS.
func (r run) remember(o plan.Observed, p plan.Plan) {
	for _, s := range p.Steps {
		var name, source string
		switch s := s.(type) {
		case plan.CreateGroup:
			name, source = s.Name, s.Source
		case plan.CopyGroup:
			name, source = s.Name, s.Source
		default:
			continue
		}
		r.made.put(plan.Group{Name: name, Exists: true, Family: o.SourceFamily, UserParams: o.SourceUserParams,
			Tags: map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue, paramgroup.TagSourceGroup: source},
			TLS:  plan.Parameter{Found: true, Value: p.Requirement.Value}})
	}
}

// shouldNotify: one message per state change this run made, none when
// nothing changed, so duplicate events do not spam.
func (r run) shouldNotify(p plan.Plan, res apply.Result, report bool) bool {
	switch p.Outcome {
	case plan.OutcomeVerified, plan.OutcomeRefused, plan.OutcomeFailed:
		return !r.quiet
	case plan.OutcomeRemediated, plan.OutcomeRebooted, plan.OutcomeRebootPlanned, plan.OutcomePostponed:
		return report && !r.quiet || len(res.Changed) > 0
	}
	return false
}

// fail handles an error while reconciling an instance: a permanent one is
// told and acknowledged; anything else is returned so Lambda retries and,
// in the end, the dead-letter queue keeps the event.
func (r run) fail(ctx context.Context, log *slog.Logger, ir InstanceResult, o plan.Observed, p plan.Plan, err error) (InstanceResult, error) {
	ir.Error = err.Error()
	if !awserr.Permanent(err) {
		log.ErrorContext(ctx, "reconcile failed, will be retried", "error", err.Error(), "outcome", "retry", "state", p.State)
		return ir, fmt.Errorf("reconcile %s/%s/%s: %w", r.req.Account, r.req.Region, ir.Instance, err)
	}
	ir.Outcome = plan.OutcomeFailed
	if ir.State == "" {
		ir.State = p.State
	}
	log.ErrorContext(ctx, "reconcile failed permanently, event acknowledged", "error", err.Error(), "outcome", "failed",
		"code", awserr.Code(err), "state", ir.State)
	p.Outcome = plan.OutcomeFailed
	if !r.quiet {
		ir.Notified = r.notify(ctx, log, notice(r, o, p, ir, r.Config.Mode != config.ModeEnforce, err.Error()))
	}
	return ir, nil
}

func (r run) notify(ctx context.Context, log *slog.Logger, n notify.Notice) bool {
	if r.Notifier == nil {
		return false
	}
	if err := r.Notifier.Publish(ctx, n); err != nil {
		// The change is made; losing its message must not undo or repeat it.
		log.ErrorContext(ctx, "notification not sent", "error", err.Error(), "outcome", n.Outcome)
		return false
	}
	return true
}

func notice(r run, o plan.Observed, p plan.Plan, ir InstanceResult, report bool, errText string) notify.Notice {
	actions := ir.Changed
	if report || len(actions) == 0 {
		actions = ir.Planned
	}
	var newGroup string
	for _, s := range p.Steps {
		switch s := s.(type) {
		case plan.AttachGroup:
			newGroup = s.Group
		case plan.SetParameter:
			newGroup = s.Group
		}
	}
	return notify.Notice{
		Outcome: p.Outcome, Report: report && errText == "" && p.Outcome != plan.OutcomeVerified,
		Account: r.req.Account, Region: r.req.Region, Instance: ir.Instance, InstanceARN: o.Instance.ARN,
		Engine: o.Instance.Engine, State: p.State, Reason: p.Reason, Parameter: p.Requirement.Parameter,
		Group: o.Instance.ParameterGroup, NewGroup: newGroup, Actions: actions, RebootAt: ir.RebootAt, Window: o.Instance.MaintenanceWindow,
		ExemptTag: r.Config.ExemptTag, Error: errText,
	}
}
