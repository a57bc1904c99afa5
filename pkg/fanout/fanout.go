// Package fanout turns a request into the resources it covers and runs
// their reconciles: one instance, every instance using a parameter group,
// or every instance of an account and region (a sweep item). It owns what
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

// Group reconciles every instance using a parameter group. RDS stores group
// names in lowercase; CloudTrail keeps the caller's spelling.
func (f *FanOut) Group(ctx context.Context, sc reconcile.Scope, group string) ([]result.Resource, error) {
	return f.listed(ctx, sc, func(in plan.Resource) bool { return strings.EqualFold(in.Group, group) })
}

// All reconciles every instance of the scope's account and region.
func (f *FanOut) All(ctx context.Context, sc reconcile.Scope) ([]result.Resource, error) {
	return f.listed(ctx, sc, func(plan.Resource) bool { return true })
}

// listed pages through the region once (DescribeDBInstances cannot filter
// by group) and reconciles what keep accepts, Parallelism at a time.
func (f *FanOut) listed(ctx context.Context, sc reconcile.Scope, keep func(plan.Resource) bool) ([]result.Resource, error) {
	known, err := sc.Observer.Instances(ctx, keep)
	if err != nil {
		return nil, err
	}
	sc.Log.InfoContext(ctx, "reconciling instances", "instances", len(known))
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
	defer f.lock(sc.Account + "/" + sc.Region + "/" + string(ref.Kind) + "/" + ref.ID)()
	return f.Reconciler.Reconcile(ctx, sc, ref, listed)
}

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
	return &shared{f: f, prefix: sc.Account + "/" + sc.Region + "/pg:", made: map[string]plan.Group{}}
}

type shared struct {
	f      *FanOut
	prefix string
	mu     sync.Mutex
	made   map[string]plan.Group
}

func (s *shared) LockGroup(group string) func() { return s.f.lock(s.prefix + group) }

func (s *shared) Made(name string) (plan.Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.made[name]
	return g, ok
}

func (s *shared) Remember(g plan.Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.made[g.Name] = g
}
