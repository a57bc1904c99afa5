package observe

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/forcessl/forcessl/pkg/awserr"
)

// Shared holds what the account-regions of one read-only sweep (an audit:
// one process, nothing written while it runs) read once between them
// instead of once each:
//
//   - forcessl's schedule group, listed whole once: the group is central
//     (one for every account and region), and an audit creates no
//     schedule, so one listing answers every resource's "which schedules
//     are mine" by name prefix, where each non-compliant resource would
//     otherwise list its own;
//   - a region's CA certificates, listed once per region rather than once
//     per account-region: forcessl reads only each CA's identifier and
//     expiry, which are the region's, not the account's (DescribeCertificates'
//     CustomerOverride fields, the account's own, are not read).
//
// A failed read is not kept: the next caller reads again. A process that
// writes (a sweep in report or enforce mode, the Lambda function) gives its
// observers none, so each request reads the current state.
type Shared struct {
	mu        sync.Mutex
	schedules *lazy[map[string]bool] // schedule group name -> names
	cas       map[string]*casSlot    // by region
}

// casSlot holds a region's CA read (lazy's slot, one per region).
type casSlot struct{ l *lazy[map[string]time.Time] }

// NewShared returns an empty Shared for one read-only sweep.
func NewShared() *Shared {
	return &Shared{cas: map[string]*casSlot{}}
}

// lazy is one read shared by concurrent callers: the first reads, the
// others wait for its answer; a failure is forgotten so a later caller
// tries again.
type lazy[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// get returns the value *slot holds, reading it with read when no read has
// succeeded or is under way.
func get[T any](ctx context.Context, mu *sync.Mutex, slot **lazy[T], read func(context.Context) (T, error)) (T, error) {
	mu.Lock()
	l := *slot
	if l == nil {
		l = &lazy[T]{done: make(chan struct{})}
		*slot = l
		mu.Unlock()
		l.val, l.err = read(ctx)
		if l.err != nil {
			mu.Lock()
			*slot = nil
			mu.Unlock()
		}
		close(l.done)
		return l.val, l.err
	}
	mu.Unlock()
	select {
	case <-l.done:
		return l.val, l.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// scheduleNames lists every schedule name in the group once for the sweep.
func (s *Shared) scheduleNames(ctx context.Context, api Schedules, group string) (map[string]bool, error) {
	return get(ctx, &s.mu, &s.schedules, func(ctx context.Context) (map[string]bool, error) {
		names := map[string]bool{}
		pages := scheduler.NewListSchedulesPaginator(api, &scheduler.ListSchedulesInput{GroupName: aws.String(group)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, awserr.Classify(fmt.Errorf("list schedules of group %s: %w", group, err))
			}
			for _, sc := range page.Schedules {
				names[aws.ToString(sc.Name)] = true
			}
		}
		return names, nil
	})
}

// regionCAs returns the region's CA expiries, read once for the sweep by
// read; a read that fell back to the built-in table (ok false) is used by
// its caller but not kept, so another account may still read the region's.
func (s *Shared) regionCAs(ctx context.Context, region string, read func(context.Context) (map[string]time.Time, bool)) map[string]time.Time {
	s.mu.Lock()
	slot := s.cas[region]
	if slot == nil {
		slot = &casSlot{}
		s.cas[region] = slot
	}
	s.mu.Unlock()
	var fallback map[string]time.Time
	cas, err := get(ctx, &s.mu, &slot.l, func(ctx context.Context) (map[string]time.Time, error) {
		cas, ok := read(ctx)
		if !ok {
			fallback = cas
			return nil, errFellBack
		}
		return cas, nil
	})
	if err != nil {
		if fallback != nil {
			return fallback
		}
		cas, _ := read(ctx) // the shared read failed or was cancelled: this caller reads its own
		return cas
	}
	return cas
}

var errFellBack = fmt.Errorf("the CA listing fell back to the built-in table")
