// Package fanout turns a request into the resources it covers and runs
// their reconciles: one instance or cluster, every resource using a
// parameter group, or every resource of an account and region (a sweep
// item). It owns what
// those reconciles share: bounded concurrency, per-key locks (one reconcile
// of a resource at a time in this process, like a controller's work queue,
// so concurrent duplicate events see each other's work instead of racing)
// and the cache of compliant groups the request made.
package fanout

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/forcessl/forcessl/pkg/observe"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/reconcile"
	"github.com/forcessl/forcessl/pkg/result"
)

// FanOut runs reconciles. Build one per process and share it: its locks
// are process-wide.
type FanOut struct {
	Reconciler *reconcile.Reconciler
	// Parallelism bounds the resources reconciled at once for a listing.
	Parallelism int

	locks sync.Map // key -> *sync.Mutex
}

// One reconciles one resource.
func (f *FanOut) One(ctx context.Context, sc reconcile.Scope, ref plan.Ref) (result.Resource, error) {
	sc.Shared = f.shared(sc)
	return f.one(ctx, sc, ref, nil)
}

// Group reconciles every resource using a parameter group: the instances
// on a DB parameter group (not cluster members: their TLS switch is their
// cluster's), or the clusters on a DB cluster parameter group. RDS stores
// group names in lowercase; CloudTrail keeps the caller's spelling.
func (f *FanOut) Group(ctx context.Context, sc reconcile.Scope, kind plan.Kind, group string) ([]result.Resource, error) {
	on := func(r plan.Resource) bool { return strings.EqualFold(r.Group, group) }
	if kind == plan.KindCluster {
		return f.listed(ctx, sc, nil, on)
	}
	return f.listed(ctx, sc, func(r plan.Resource) bool { return r.ClusterID == "" && on(r) }, nil)
}

// All reconciles every instance that is not a cluster member, and every
// cluster, of the scope's account and region.
func (f *FanOut) All(ctx context.Context, sc reconcile.Scope) ([]result.Resource, error) {
	return f.listed(ctx, sc, func(r plan.Resource) bool { return r.ClusterID == "" }, func(plan.Resource) bool { return true })
}

// listed pages through the region's instances, and its clusters when
// clusters is not nil (neither listing can filter by group), and
// reconciles what the keep functions accept, Parallelism at a time. The
// instance listing also gives the clusters' members their statuses.
func (f *FanOut) listed(ctx context.Context, sc reconcile.Scope, instances, clusters func(plan.Resource) bool) ([]result.Resource, error) {
	// The two listings are independent: read them at once (one round trip
	// per account-region instead of two), then join.
	var found []plan.Resource
	var clusterErr error
	var listing sync.WaitGroup
	if clusters != nil {
		listing.Go(func() { found, clusterErr = sc.Observer.Clusters(ctx, clusters) })
	}
	// A read-only sweep's one listing of the schedule group, read beside
	// the first item's listings rather than after its parameters.
	listing.Go(func() { sc.Observer.PrefetchSchedules(ctx) })
	all := map[string]plan.Resource{}
	known, err := sc.Observer.Instances(ctx, func(r plan.Resource) bool {
		all[r.ID] = r
		return instances != nil && instances(r)
	})
	listing.Wait()
	if err = errors.Join(err, clusterErr); err != nil {
		return nil, err
	}
	for i := range found {
		observe.JoinMembers(&found[i], all)
	}
	known = append(known, found...)
	sc.Log.InfoContext(ctx, "reconciling resources", "resources", len(known))
	sc.Shared = f.shared(sc)
	res := make([]result.Resource, len(known))
	errs := make([]error, len(known))
	sem := make(chan struct{}, max(f.Parallelism, 1))
	var wg sync.WaitGroup
	for i := range known {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res[i], errs[i] = f.one(ctx, sc, known[i].Ref(), &known[i])
		}()
	}
	wg.Wait()
	return res, errors.Join(errs...)
}

func (f *FanOut) one(ctx context.Context, sc reconcile.Scope, ref plan.Ref, listed *plan.Resource) (result.Resource, error) {
	defer f.lock(sc.Account + "/" + sc.Region + "/" + resourceKey(ref))()
	return f.Reconciler.Reconcile(ctx, sc, ref, listed)
}

func resourceKey(ref plan.Ref) string { return string(ref.Kind) + "/" + ref.ID }

func (f *FanOut) lock(key string) func() {
	m, _ := f.locks.LoadOrStore(key, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// shared is one request's reconcile.Shared: group locks are the
// process-wide ones (always taken after the resource's own lock, so they
// never deadlock), the made-groups cache is the request's.
func (f *FanOut) shared(sc reconcile.Scope) *shared {
	return &shared{f: f, prefix: sc.Account + "/" + sc.Region + "/pg:", resource: sc.Account + "/" + sc.Region + "/",
		made: map[string]plan.Group{}}
}

type shared struct {
	f                *FanOut
	prefix, resource string
	mu               sync.Mutex
	made             map[string]plan.Group
}

func (s *shared) LockGroup(kind plan.Kind, group string) func() {
	return s.f.lock(s.prefix + string(kind) + "/" + group)
}

func (s *shared) LockResource(ref plan.Ref) func() { return s.f.lock(s.resource + resourceKey(ref)) }

func (s *shared) Made(kind plan.Kind, name string) (plan.Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.made[string(kind)+"/"+name]
	return g, ok
}

func (s *shared) Remember(kind plan.Kind, g plan.Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.made[string(kind)+"/"+g.Name] = g
}
