package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/forcessl/forcessl/pkg/apply"
	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/hub"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/observe"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/reconcile"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/route"
)

// RDS is every RDS call the engine makes.
type RDS interface {
	observe.RDS
	apply.RDS
}

// Scheduler is every EventBridge Scheduler call the engine makes.
type Scheduler interface {
	observe.Schedules
	apply.Scheduler
}

// Clients makes the SDK clients a request needs; pkg/setup builds them
// lazily, so an event that is ignored builds none.
type Clients interface {
	// RDS returns the client that acts along a route (own credentials, or
	// a member account's role assumed under session) in a region.
	RDS(ctx context.Context, rt route.Route, region, session string) (RDS, error)
	Scheduler() Scheduler
	// SecurityHub returns the Security Hub client that acts along a route
	// in a region: findings are imported in the resource's own account.
	SecurityHub(ctx context.Context, rt route.Route, region, session string) (hub.API, error)
	// Identity returns the function's own account and partition.
	Identity(ctx context.Context) (account, partition string, err error)
}

// Claimer is what Clients offer when the credentials may name their
// account: the claim, without a call, and STS's confirmation of it.
type Claimer interface {
	ClaimedAccount(ctx context.Context) (account, partition string, ok bool)
	VerifyIdentity(ctx context.Context) error
}

// Request processes one instance, parameter-group or account-region
// request in the account and region it names. A request routed on a
// claimed identity (ClaimedIdentity) reports nothing it read unless STS
// confirms the claim: by the time its reads are done, STS has answered
// beside them.
func (d *Dispatcher) Request(ctx context.Context, req request.Request, functionARN string) (result.Result, error) {
	res, err := d.request(ctx, req, functionARN)
	c, ok := d.Clients.(Claimer)
	if !d.ClaimedIdentity || !ok {
		return res, err
	}
	if verr := c.VerifyIdentity(ctx); verr != nil {
		res = result.Result{Mode: res.Mode, Request: req, Resources: []result.Resource{}}
		log := d.Log.With("account", req.Account, "region", req.Region, "cause", req.Cause, "mode", d.Config.Mode)
		return res, d.unreachable(ctx, log, &res, verr)
	}
	return res, err
}

func (d *Dispatcher) request(ctx context.Context, req request.Request, functionARN string) (result.Result, error) {
	res := result.Result{Mode: d.Config.Mode, Request: req, Resources: []result.Resource{}}
	log := d.Log.With("account", req.Account, "region", req.Region, "cause", req.Cause, "mode", d.Config.Mode)
	target := d.Config.FunctionARN
	if target == "" {
		target = functionARN
	}
	rt, err := d.route(ctx, req.Account, target)
	if err != nil {
		return res, d.settle(ctx, log, fmt.Errorf("own identity: %w", err))
	}
	if rt.Kind != route.Refused && !d.regionInScope(req.Region) {
		rt = route.Route{Kind: route.Refused, Account: req.Account, Reason: "region " + req.Region + " is not in " + config.EnvRegions}
	}
	if rt.Kind == route.Member {
		rt = d.underTargets(ctx, log, rt)
	}
	if rt.Kind == route.Refused {
		res.Resources = append(res.Resources, d.refuse(ctx, log, req, rt))
		return res, nil
	}
	client, err := d.Clients.RDS(ctx, rt, req.Region, route.SessionName(req.Subject()))
	if err != nil {
		return res, d.unreachable(ctx, log, &res, fmt.Errorf("RDS client for %s/%s: %w", req.Account, req.Region, err))
	}
	sched := d.Clients.Scheduler()
	sc := reconcile.Scope{Account: req.Account, Region: req.Region, Trigger: req.Trigger, EventTime: req.EventTime, Log: log,
		Cause:    cause(req),
		Observer: observe.New(client, sched, req.Account, req.Region, d.Config.ScheduleGroup),
		Executor: &apply.Executor{RDS: client, Scheduler: sched, Account: req.Account, Region: req.Region,
			Target: apply.ScheduleTarget{FunctionARN: target, RoleARN: d.Config.SchedulerRoleARN, Group: d.Config.ScheduleGroup,
				DeadLetterARN: d.Config.ScheduleDLQARN}},
	}
	sc.Observer.Profile, sc.Observer.Log, sc.Observer.Shared = d.Config.TLSProfile, log, d.Shared
	sc.VetGroup = vetGroup(req)
	if rt.Kind == route.Member && !single(req.Target) {
		// Reads share the request's session; each write is made under a
		// session named after its resource, for the member's CloudTrail.
		sc.Executor.Session = func(ctx context.Context, resource string) (apply.RDS, error) {
			return d.Clients.RDS(ctx, rt, req.Region, route.SessionName(resource))
		}
	}
	if d.Hub != nil {
		// Reported after the reconciles, in batches; never an error.
		if api, err := d.Clients.SecurityHub(ctx, rt, req.Region, route.SessionName(req.Subject())); err != nil {
			log.WarnContext(ctx, "Security Hub client not built: nothing reported for this request", "error", err.Error())
		} else {
			b := d.Hub.Batch(api, req.Account, req.Region, log)
			sc.Findings = b
			defer b.Flush(ctx)
		}
	}
	switch req.Target {
	case request.TargetInstance:
		ir, err := d.FanOut.One(ctx, sc, plan.Ref{Kind: plan.KindInstance, ID: req.Instance, ResourceID: req.ResourceID})
		res.Resources = append(res.Resources, ir)
		return res, err
	case request.TargetCluster:
		cr, err := d.FanOut.One(ctx, sc, plan.Ref{Kind: plan.KindCluster, ID: req.Cluster, ResourceID: req.ResourceID})
		res.Resources = append(res.Resources, cr)
		return res, err
	case request.TargetParameterGroup:
		log.InfoContext(ctx, "parameter group changed", "parameterGroup", req.ParameterGroup)
		res.Resources, err = d.FanOut.Group(ctx, sc, plan.KindInstance, req.ParameterGroup)
	case request.TargetClusterParameterGroup:
		// RDS sends no event for a cluster parameter group's change: the
		// CloudTrail call is the only signal.
		log.InfoContext(ctx, "cluster parameter group changed", "clusterParameterGroup", req.ClusterParameterGroup)
		res.Resources, err = d.FanOut.Group(ctx, sc, plan.KindCluster, req.ClusterParameterGroup)
	case request.TargetAccountRegion:
		// The sweep's digest reports findings, not one message each; a
		// resource another run holds is left to it.
		sc.Quiet, sc.DeferBusy = true, true
		res.Resources, err = d.FanOut.All(ctx, sc)
	default:
		return res, fmt.Errorf("request for %s: not handled here", req.Target)
	}
	if res.Resources == nil {
		res.Resources = []result.Resource{}
		if err != nil { // the listing itself failed
			return res, d.unreachable(ctx, log, &res, err)
		}
	}
	return res, d.settle(ctx, log, err)
}

// vetGroup says whether a request's reconciles compare a forcessl-* group
// with its source (plan.Vet): a change to a forcessl-* group, a call that
// attached one, and sweeps. Any other event on a resource costs no group
// reads.
func vetGroup(req request.Request) bool {
	switch req.Target {
	case request.TargetParameterGroup:
		return paramgroup.IsOurs(strings.ToLower(req.ParameterGroup))
	case request.TargetClusterParameterGroup:
		return paramgroup.IsOurs(strings.ToLower(req.ClusterParameterGroup))
	case request.TargetAccountRegion:
		return true
	}
	return req.NamesOurGroup
}

// single says whether a request is for one resource: its reads and
// writes share one session, named after it.
func single(t request.Target) bool { return t == request.TargetInstance || t == request.TargetCluster }

// kindOf is the kind of resource a request names.
func kindOf(t request.Target) plan.Kind {
	if t == request.TargetCluster || t == request.TargetClusterParameterGroup {
		return plan.KindCluster
	}
	return plan.KindInstance
}

// unreachable records why a request could not reach its resources at all:
// an error no retry fixes means the account or region cannot be read, a
// coverage finding for the sweep's report.
func (d *Dispatcher) unreachable(ctx context.Context, log *slog.Logger, res *result.Result, err error) error {
	res.Failure, res.NotCovered = err.Error(), awserr.IsTerminal(err)
	return d.settle(ctx, log, err)
}

// settle logs an error that ends a request before (or while) it reached
// its resources, and judges it the one way (reconcile.Settle).
func (d *Dispatcher) settle(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	retry := reconcile.Settle(err)
	if retry == nil {
		log.ErrorContext(ctx, "permanent error, event acknowledged", "error", err.Error(), "outcome", "failed")
	}
	return retry
}

// route decides whose credentials handle an account. The function's own
// account comes free from its ARN in Lambda (or FORCESSL_FUNCTION_ARN);
// a read-only process takes it from the credentials when they name it
// (ClaimedIdentity: Request has STS confirm it); otherwise Identity asks
// STS once.
func (d *Dispatcher) route(ctx context.Context, account, functionARN string) (route.Route, error) {
	rs := route.Settings{MemberRole: d.Config.MemberRoleName, Allow: d.Config.Accounts}
	if parts := strings.Split(functionARN, ":"); len(parts) >= 7 && request.ValidAccount(parts[4]) {
		rs.Partition, rs.OwnAccount = parts[1], parts[4]
	} else if c, ok := d.Clients.(Claimer); ok && d.ClaimedIdentity {
		rs.OwnAccount, rs.Partition, _ = c.ClaimedAccount(ctx) // "" when it names none
	}
	if rs.OwnAccount == "" {
		// Even a single-account deployment must tell its own account from
		// others: an event from elsewhere must never be handled with its own
		// credentials, on a same-named instance of its own.
		var err error
		if rs.OwnAccount, rs.Partition, err = d.Clients.Identity(ctx); err != nil {
			return route.Route{}, err
		}
	}
	return route.Decide(account, rs), nil
}

// Warm assumes an account's role for the account-region's sweep item
// ahead of it, when the clients can (a member route), so the item starts
// with its credentials ready: an in-process sweep warms the next wave's
// accounts while the current wave runs. The item assumes the same session
// from the same cache, so no call is added; a failure is ignored here and
// met again, and reported, by the item itself.
func (d *Dispatcher) Warm(ctx context.Context, account, region, functionARN string) {
	w, ok := d.Clients.(interface {
		Warm(ctx context.Context, rt route.Route, region, session string) error
	})
	if !ok || !d.regionInScope(region) {
		return
	}
	target := d.Config.FunctionARN
	if target == "" {
		target = functionARN
	}
	rt, err := d.route(ctx, account, target)
	if err != nil || rt.Kind != route.Member {
		return
	}
	sweepItem := request.Request{Target: request.TargetAccountRegion, Account: account, Region: region}
	_ = w.Warm(ctx, rt, region, route.SessionName(sweepItem.Subject()))
}

// refuse acknowledges an event from an account forcessl must not act in,
// and says so: nothing is read or changed there.
func (d *Dispatcher) refuse(ctx context.Context, log *slog.Logger, req request.Request, rt route.Route) result.Resource {
	name := req.Subject()
	log.WarnContext(ctx, "account refused", "instance", name, "reason", rt.Reason, "outcome", plan.OutcomeRefused)
	ir := result.Resource{Kind: kindOf(req.Target), Name: name, State: plan.OutOfScope, Outcome: plan.OutcomeRefused, Reason: rt.Reason}
	if d.Notifier == nil {
		return ir
	}
	n := notify.Notice{Outcome: plan.OutcomeRefused, Account: req.Account, Region: req.Region,
		Instance: name, State: plan.OutOfScope, Reason: rt.Reason, ExemptTag: d.Config.ExemptTag}
	if err := d.Notifier.Publish(ctx, n); err != nil {
		log.ErrorContext(ctx, "notification not sent", "error", err.Error(), "outcome", plan.OutcomeRefused)
	} else {
		ir.Notified = true
	}
	return ir
}

// cause says, for the history, what triggered a request: the event (and
// its ID) or the sweep run.
func cause(req request.Request) string {
	switch {
	case req.SweepID != "":
		return "sweep " + req.SweepID
	case req.EventID != "":
		return req.Cause + " (event " + req.EventID + ")"
	}
	return req.Cause
}
