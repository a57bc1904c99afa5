// Package reconcile reconciles one resource: observe it, decide, act (in
// enforce mode) and tell people, and nothing else. Which resources a
// request covers, how many run at once and what they share is pkg/fanout's
// job; turning a payload into a request is pkg/dispatch's.
//
// Every call re-reads AWS, so a missed, late or duplicated event is
// harmless, and running the same request twice changes nothing the second
// time.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/forcessl/forcessl/pkg/apply"
	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/observe"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/state"
)

// Notifier publishes a notice.
type Notifier interface {
	Publish(context.Context, notify.Notice) error
}

// Shared is what the reconciles of one request share, owned by the
// fan-out: resources on one group are reconciled one after another, and
// the compliant group the first one made is reused by the others without
// reading it again. DB parameter groups and DB cluster parameter groups
// are separate namespaces, hence the kind.
type Shared interface {
	LockGroup(kind plan.Kind, group string) (unlock func())
	Made(kind plan.Kind, group string) (plan.Group, bool)
	Remember(kind plan.Kind, g plan.Group)
	// LockResource is taken when a request for a cluster member turns into
	// its cluster's reconcile, after the member's own lock.
	LockResource(ref plan.Ref) (unlock func())
}

// Reconciler reconciles single resources. Build one per process.
type Reconciler struct {
	Mode     policy.Mode
	Settings plan.Settings
	Notifier Notifier // nil: notifications off
	Now      func() time.Time
	// Store is forcessl's memory (the state table); nil runs without one:
	// no intents, no leases, no de-duplicated notices.
	Store state.Store
	// HistoryFor is how long history entries are kept.
	HistoryFor time.Duration
	// Sleep waits between tries for a lease (time.Sleep when nil).
	Sleep func(time.Duration)
	// Owner names this reconciler in leases (NewOwner; the process's when
	// empty).
	Owner string
	// Blast is the blast-radius control (gate.go); nil: off.
	Blast *Blast
}

// Scope is one request's view of an account and region: the clients that
// read and write there, why the request was made, and its logger.
type Scope struct {
	Account, Region string
	Trigger         request.Trigger
	EventTime       time.Time // when the triggering event happened, if known
	Observer        *observe.Observer
	Executor        *apply.Executor
	Shared          Shared
	Log             *slog.Logger
	// Quiet suppresses per-resource findings, refusals and failures: a
	// sweep's digest reports them. Changes are still told one by one.
	Quiet bool
	// Cause says who triggered the request (an event ID, a sweep run) for
	// the history.
	Cause string
	// DeferBusy: a resource another run holds the lease of is left to that
	// run (a sweep), rather than the request retried (an event).
	DeferBusy bool
	// Findings receives each resource's result for Security Hub; nil: off.
	Findings Findings
	// VetGroup: compare a resource's forcessl-* group with its source
	// before trusting it (plan.Observed.VetGroup): the request is a change
	// to or an attach of a forcessl-* group, or a sweep.
	VetGroup bool
}

// Findings takes reconciled resources for Security Hub (pkg/hub): the
// result, and with a state table the resource's key and the mark of what
// was last imported. It reports later, for the whole request, and cannot
// fail the reconcile.
type Findings interface {
	Add(ctx context.Context, res result.Resource, key *state.Key, mark *state.HubMark)
}

// Reconcile reconciles one resource. listed, when not nil, is the resource
// as a listing saw it (sweep, parameter-group event): it saves a read, and
// the resource is read again before anything is changed. The error is
// non-nil only when a retry can help.
//
// With a state table, a plan that writes or may tell people something is
// carried out under the resource's lease, so duplicate events handled at
// once by several Lambda environments make one set of changes and one
// message; a compliant resource costs its reads and one table read.
func (r *Reconciler) Reconcile(ctx context.Context, sc Scope, ref plan.Ref, listed *plan.Resource) (result.Resource, error) {
	run := &run{Reconciler: r, sc: sc, log: sc.Log.With("instance", ref.ID),
		res: result.Resource{Kind: ref.Kind, Name: ref.ID}}
	o := plan.Observed{Account: sc.Account, Region: sc.Region, Trigger: sc.Trigger, EventTime: sc.EventTime, VetGroup: sc.VetGroup}
	var p plan.Plan
	err := run.observe(ctx, &o, ref, listed)
	if err == nil && o.Found && o.Resource.Kind == plan.KindInstance && o.Resource.ClusterID != "" {
		// A cluster member's TLS switch is its cluster's: reconcile that.
		ref, listed = plan.Ref{Kind: plan.KindCluster, ID: o.Resource.ClusterID}, nil
		defer sc.Shared.LockResource(ref)()
		run.log = sc.Log.With("instance", ref.ID, "member", o.Resource.ID)
		run.res = result.Resource{Kind: ref.Kind, Name: ref.ID}
		err = run.observe(ctx, &o, ref, nil)
	}
	if err == nil {
		defer sc.Shared.LockGroup(o.Resource.Kind, o.Resource.Group)()
		p, err = run.decide(ctx, &o)
	} else if run.unread {
		// The breaker watches a look after forcessl's reboot that cannot
		// read the resource (gate.go).
		q, handled, lerr := run.lookFailed(ctx, ref, &o, err)
		if handled {
			return run.finish(ctx, o, q, nil)
		}
		if lerr != nil {
			err = errors.Join(err, lerr)
		}
	}
	fresh := listed == nil
	if err == nil && run.mustHold(o, p) {
		var release func()
		var moved bool
		release, moved, err = run.hold(ctx, &o)
		if errors.Is(err, errBusy) && sc.DeferBusy {
			run.log.InfoContext(ctx, "resource left to the run that holds its lease", "outcome", "deferred")
			p.Steps, p.Outcome, p.Reason = nil, plan.OutcomeNone, p.Reason+"; deferred to another forcessl run that holds its lease"
			return run.result(o, p), nil
		}
		if err == nil {
			defer release()
			if !moved && fresh && run.writes(p) {
				// The resource was read before the lease was ours, and the
				// memory after: a run that changed it and let the lease go
				// in between leaves the memory's version as this run first
				// read it. One more read of the resource tells.
				moved, err = run.resourceMoved(ctx, o, ref)
			}
			if err == nil && moved && fresh {
				// Another run acted meanwhile: look again.
				if err = run.observe(ctx, &o, ref, nil); err == nil {
					p, err = run.decide(ctx, &o)
				}
			}
		}
	}
	if err == nil && !fresh && run.writes(p) {
		// Decided from a listing taken earlier: re-read the resource before
		// changing anything, so a tag or status set since (exempt,
		// deleting) is honoured.
		if err = run.observe(ctx, &o, ref, nil); err == nil {
			p, err = run.decide(ctx, &o)
		}
	}
	if err == nil {
		err = run.payOwed(ctx, o, p) // the outbox first, before any new change
	}
	if err == nil {
		p, err = run.act(ctx, &o, p)
	}
	return run.finish(ctx, o, p, err)
}

// run is the reconcile of one resource.
type run struct {
	*Reconciler
	sc      Scope
	log     *slog.Logger
	res     result.Resource
	changed []string
	// prev is the resource's memory as last read (known: it exists), and
	// mark the notice mark this run leaves.
	prev  state.Resource
	known bool
	mark  *state.NoticeMark
	// named is the resource's name in its memory as last read from the
	// table ("" for a resource never stored), for the name link.
	named    string
	recalled bool
	// lease is the resource's lease while this run holds it.
	lease *state.Lease
	// dirty: prev was changed in place (a notice owed or paid) and must be
	// written even if nothing else is.
	dirty bool
	// aheadOwed: this run wrote its own message ahead of a change
	// (owedAhead); finish clears it once the run has told what it did.
	aheadOwed bool
	// restarting is the target whose restart marker was written last and
	// whose call has not been seen to succeed yet.
	restarting string
	gated      gateState
	// unread: the resource itself could not be read (its Describe call
	// failed).
	unread bool
}

// observe reads the resource afresh (or takes it from a listing): every
// fact Decide asked for before is forgotten.
func (r *run) observe(ctx context.Context, o *plan.Observed, ref plan.Ref, listed *plan.Resource) error {
	o.Params, o.Groups, o.Schedules, o.Users, o.Refused = nil, nil, nil, nil, plan.NotRefused
	if listed != nil {
		o.Resource, o.Found = *listed, true
	} else {
		var err error
		if o.Resource, o.Found, err = r.sc.Observer.Resource(ctx, ref); err != nil {
			r.unread = true
			return err
		}
	}
	r.seed(o)
	return r.recall(ctx, o)
}

// seed gives Decide the compliant group this request made already for the
// same source group: by construction it carries the source's settings.
func (r *run) seed(o *plan.Observed) {
	if g, ok := r.sc.Shared.Made(o.Resource.Kind, paramgroup.CompliantName(o.Resource.Group)); ok {
		o.Groups = map[string]*plan.Group{g.Name: &g,
			o.Resource.Group: {Name: o.Resource.Group, Exists: true, Family: g.Family, UserParams: g.UserParams}}
	}
}

// decide runs the observe/decide protocol of plan.Need until Decide has
// everything it needs.
func (r *run) decide(ctx context.Context, o *plan.Observed) (plan.Plan, error) {
	for {
		p, need := plan.Decide(*o, r.Settings, r.Now())
		if need.Zero() {
			return p, nil
		}
		if missing := need.Missing(*o); !reflect.DeepEqual(missing, need) {
			return p, awserr.Terminal(fmt.Errorf("decide asked for %s, of which only %s was missing (a bug)", need, missing))
		}
		if err := r.sc.Observer.Fill(ctx, o, need); err != nil {
			return p, err
		}
	}
}

func (r *run) writes(p plan.Plan) bool { return r.enforcing() && p.Writes() }

// resourceMoved reads the resource again and reports whether it differs
// from what this run decided on.
func (r *run) resourceMoved(ctx context.Context, o plan.Observed, ref plan.Ref) (bool, error) {
	now, found, err := r.sc.Observer.Resource(ctx, ref)
	if err != nil {
		return false, err
	}
	return found != o.Found || !reflect.DeepEqual(now, o.Resource), nil
}
