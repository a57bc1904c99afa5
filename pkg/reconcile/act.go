package reconcile

import (
	"context"
	"errors"

	"github.com/forcessl/forcessl/pkg/apply"
	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
)

// act carries the plan out in enforce mode. When the world answers that it
// changed under the plan, it observes again and decides once more: a
// compliant group's name found taken (an earlier run, or another Lambda
// environment just now), the instance refusing the change
// (InvalidDBInstanceState), or no room for another group (quota).
func (r *run) act(ctx context.Context, o *plan.Observed, p plan.Plan) (plan.Plan, error) {
	p = r.watch(ctx, *o, p)
	for attempt := 0; r.writes(p); attempt++ {
		var err error
		if p, err = r.gate(ctx, o, p); err != nil || !r.writes(p) {
			return p, err // held back (gate.go): nothing written
		}
		exec, err := r.sc.Executor.For(ctx, o.Resource.ID)
		if err != nil {
			return p, err
		}
		res, err := exec.Apply(ctx, p, r.guard(*o, p))
		if serr := r.settleRestart(ctx, err); serr != nil {
			err = errors.Join(err, serr)
		}
		r.changed = append(r.changed, res.Changed...)
		if len(res.Changed) > 0 {
			r.sc.Observer.Forget(p.TargetGroup())
			r.rememberMade(*o, p)
		}
		if err == nil || attempt > 0 {
			return p, err
		}
		var taken *apply.GroupExistsError
		var refused plan.RefusedBy
		switch {
		case errors.As(err, &taken):
		case awserr.Is(err, "InvalidDBInstanceState", "InvalidDBInstanceStateFault", "InvalidDBClusterStateFault"):
			refused = plan.RefusedBusy
		case awserr.Is(err, "DBParameterGroupQuotaExceeded", "DBParameterGroupQuotaExceededFault"):
			refused = plan.RefusedQuota
		default:
			return p, err
		}
		r.log.InfoContext(ctx, "the plan met a change; looking again", "error", err.Error())
		if err := r.observe(ctx, o, o.Resource.Ref(), nil); err != nil {
			return p, err
		}
		o.Refused = refused
		if taken != nil {
			if err := r.sc.Observer.Fill(ctx, o, plan.Need{Groups: []string{taken.Name}}); err != nil {
				return p, err
			}
		}
		if p, err = r.decide(ctx, o); err != nil {
			return p, err
		}
	}
	return p, nil
}

// rememberMade records a compliant group this run created from the resource's
// group, for the other resources of the request.
func (r *run) rememberMade(o plan.Observed, p plan.Plan) {
	for _, s := range p.Steps {
		var name, source, family string
		switch s := s.(type) {
		case plan.CreateGroup:
			name, source, family = s.Name, s.Source, s.Family
		case plan.CopyGroup:
			name, source = s.Name, s.Source
		default:
			continue
		}
		var user map[string]string
		if src := o.Groups[source]; src != nil {
			user = src.UserParams
		}
		r.sc.Shared.Remember(o.Resource.Kind, plan.Group{Name: name, Exists: true, Family: family, UserParams: user,
			Tags:   map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue, paramgroup.TagSourceGroup: source},
			Params: map[string]plan.Parameter{p.Requirement.Parameter: {Found: true, Value: p.Requirement.Value}}})
	}
}
