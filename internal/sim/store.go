package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/state"
)

// DynamoDB's item limit, and SNS's message limit (a digest is one message).
const (
	maxItem   = 400 * 1000
	maxDigest = 256 * 1024
)

// store is the state table (state.Memory: atomic conditional writes, as
// DynamoDB's), each call a scheduling point with faults. It checks every
// row written against DynamoDB's 400 KB item limit.
type store struct {
	w *world
	m *state.Memory
}

var _ state.Store = (*store)(nil)

func storeErr(f Fault, op string) error {
	if f == FaultThrottle {
		return fmt.Errorf("%s: %w", op, fakeaws.APIError("ProvisionedThroughputExceededException"))
	}
	if f == FaultCrash {
		return errCrashed
	}
	return fmt.Errorf("%s: %w", op, fakeaws.APIError("InternalServerError"))
}

// do runs one gated table call.
func do[O any](s *store, ctx context.Context, op, key string, write bool, fn func() (O, error)) (O, error) {
	var zero O
	f := s.w.s.gate(ctx, op, key, write)
	switch f {
	case FaultBefore, FaultThrottle, FaultCrash:
		return zero, storeErr(f, op)
	}
	out, err := fn()
	if f == FaultAfter && err == nil {
		return zero, storeErr(f, op)
	}
	return out, err
}

func (s *store) size(what string, v any) {
	b, _ := json.Marshal(v)
	if len(b) >= maxItem {
		s.w.violate("storage", "%s is %d bytes, over DynamoDB's 400 KB item limit", what, len(b))
	}
}

func (s *store) Resource(ctx context.Context, k state.Key) (state.Resource, bool, error) {
	type out struct {
		r  state.Resource
		ok bool
	}
	o, err := do(s, ctx, "ddb.Resource", k.ResourceID, false, func() (out, error) {
		r, ok, err := s.m.Resource(ctx, k)
		return out{r, ok}, err
	})
	return o.r, o.ok, err
}

func (s *store) PutResource(ctx context.Context, r state.Resource) error {
	_, err := do(s, ctx, "ddb.PutResource", r.Key.ResourceID, true, func() (struct{}, error) {
		s.size("resource row "+r.Key.ResourceID, r)
		err := s.m.PutResource(ctx, r)
		if err == nil {
			s.w.s.logf("  state %s: %s intent=%v", r.Name, r.State, r.Intent != nil)
		}
		return struct{}{}, err
	})
	return err
}

func (s *store) AppendHistory(ctx context.Context, k state.Key, e state.HistoryEntry, keepFor time.Duration) error {
	_, err := do(s, ctx, "ddb.AppendHistory", k.ResourceID, true, func() (struct{}, error) {
		s.size("history entry", e)
		s.w.s.logf("  history %s: %s %s (%s)", e.Name, e.State, e.Outcome, firstLine(e.Reason))
		return struct{}{}, s.m.AppendHistory(ctx, k, e, keepFor)
	})
	return err
}

func (s *store) History(ctx context.Context, k state.Key) ([]state.HistoryEntry, error) {
	return do(s, ctx, "ddb.History", k.ResourceID, false, func() ([]state.HistoryEntry, error) { return s.m.History(ctx, k) })
}

func (s *store) LinkName(ctx context.Context, account, region, kind, name, resourceID string, at time.Time) error {
	_, err := do(s, ctx, "ddb.LinkName", name, true, func() (struct{}, error) {
		return struct{}{}, s.m.LinkName(ctx, account, region, kind, name, resourceID, at)
	})
	return err
}

func (s *store) Names(ctx context.Context, account, region, kind, name string) ([]state.NameLink, error) {
	return do(s, ctx, "ddb.Names", name, false, func() ([]state.NameLink, error) { return s.m.Names(ctx, account, region, kind, name) })
}

func (s *store) Acquire(ctx context.Context, k state.Key, owner string, period time.Duration) (state.Lease, bool, error) {
	type out struct {
		l  state.Lease
		ok bool
	}
	o, err := do(s, ctx, "ddb.Acquire", k.ResourceID, true, func() (out, error) {
		l, ok, err := s.m.Acquire(ctx, k, owner, period)
		s.w.s.logf("  lease %s by %s: %v (held by %s)", k.ResourceID[:12], owner, ok, l.Owner)
		if err == nil {
			s.w.leaseSeen(procOf(ctx), k, l, ok)
		}
		return out{l, ok}, err
	})
	return o.l, o.ok, err
}

func (s *store) TakeOver(ctx context.Context, stale state.Lease, owner string, period time.Duration) (state.Lease, bool, error) {
	type out struct {
		l  state.Lease
		ok bool
	}
	o, err := do(s, ctx, "ddb.TakeOver", stale.Key.ResourceID, true, func() (out, error) {
		l, ok, err := s.m.TakeOver(ctx, stale, owner, period)
		s.w.s.logf("  lease %s taken over from %s by %s: %v", stale.Key.ResourceID[:12], stale.Owner, owner, ok)
		if err == nil && ok {
			s.w.leaseSeen(procOf(ctx), stale.Key, l, ok)
		}
		return out{l, ok}, err
	})
	return o.l, o.ok, err
}

func (s *store) Renew(ctx context.Context, l state.Lease) (state.Lease, error) {
	return do(s, ctx, "ddb.Renew", l.Key.ResourceID, true, func() (state.Lease, error) {
		n, err := s.m.Renew(ctx, l)
		if err != nil {
			s.w.s.logf("  lease %s of %s not renewed: %v", l.Key.ResourceID[:12], l.Owner, err)
		} else {
			s.w.leaseSeen(procOf(ctx), l.Key, n, true)
		}
		return n, err
	})
}

func (s *store) Release(ctx context.Context, l state.Lease) error {
	_, err := do(s, ctx, "ddb.Release", l.Key.ResourceID, true, func() (struct{}, error) {
		err := s.m.Release(ctx, l)
		if h := s.w.leases[l.Key.ResourceID]; err == nil && h.l.Token == l.Token {
			delete(s.w.leases, l.Key.ResourceID)
		}
		return struct{}{}, err
	})
	return err
}

func (s *store) StartRun(ctx context.Context, r state.Run) error {
	_, err := do(s, ctx, "ddb.StartRun", r.SweepID, true, func() (struct{}, error) {
		s.size("sweep run row "+r.SweepID, r)
		return struct{}{}, s.m.StartRun(ctx, r)
	})
	return err
}

func (s *store) RecordItem(ctx context.Context, sweepID string, it state.ItemRecord) (bool, state.Run, error) {
	type out struct {
		ok  bool
		run state.Run
	}
	o, err := do(s, ctx, "ddb.RecordItem", sweepID, true, func() (out, error) {
		s.size("sweep item row "+it.Account+"/"+it.Region, it)
		ok, run, err := s.m.RecordItem(ctx, sweepID, it)
		return out{ok, run}, err
	})
	return o.ok, o.run, err
}

func (s *store) ClaimDigest(ctx context.Context, sweepID string, at time.Time) (bool, error) {
	return do(s, ctx, "ddb.ClaimDigest", sweepID, true, func() (bool, error) { return s.m.ClaimDigest(ctx, sweepID, at) })
}

func (s *store) Run(ctx context.Context, sweepID string) (state.Run, error) {
	return do(s, ctx, "ddb.Run", sweepID, false, func() (state.Run, error) { return s.m.Run(ctx, sweepID) })
}

func (s *store) ReleaseDigest(ctx context.Context, sweepID string, claimedAt time.Time) error {
	_, err := do(s, ctx, "ddb.ReleaseDigest", sweepID, true, func() (struct{}, error) {
		return struct{}{}, s.m.ReleaseDigest(ctx, sweepID, claimedAt)
	})
	return err
}

func (s *store) ConfirmDigest(ctx context.Context, sweepID string, at time.Time) error {
	_, err := do(s, ctx, "ddb.ConfirmDigest", sweepID, true, func() (struct{}, error) {
		return struct{}{}, s.m.ConfirmDigest(ctx, sweepID, at)
	})
	return err
}

func (s *store) RunItems(ctx context.Context, sweepID string) (state.Run, []state.ItemRecord, error) {
	type out struct {
		run   state.Run
		items []state.ItemRecord
	}
	o, err := do(s, ctx, "ddb.RunItems", sweepID, false, func() (out, error) {
		run, items, err := s.m.RunItems(ctx, sweepID)
		return out{run, items}, err
	})
	return o.run, o.items, err
}

// leaseSeen follows who holds each lease and since when (for the
// blocked-lease check), and models DynamoDB's TTL: a lease row is deleted
// 24 to 48 hours after its last write (forcessl sets its TTL a day ahead;
// DynamoDB deletes within about two days after).
func (w *world) leaseSeen(p *proc, k state.Key, l state.Lease, held bool) {
	if p == nil {
		return
	}
	if !held {
		switch h := w.leases[k.ResourceID]; {
		case h.p != nil && h.p.dead && w.s.now.Sub(h.at) > 5*time.Minute:
			if p.blocked == nil {
				p.blocked = map[string]*proc{}
			}
			p.blocked[k.ResourceID] = h.p
		case h.p != nil && !h.p.dead:
			// Another run took the crashed holder's lease over: p waits
			// for a live holder now, which is no block.
			delete(p.blocked, k.ResourceID)
		}
		return
	}
	if p.got == nil {
		p.got = map[string]bool{}
	}
	p.got[k.ResourceID] = true
	w.leases[k.ResourceID] = holding{p: p, at: w.s.now, l: l}
	ttl := w.s.now.Add(24*time.Hour + time.Duration(w.s.rng.IntN(24*60))*time.Minute)
	w.s.at(ttl, "DynamoDB TTL of the lease row of "+k.ResourceID[:12], func() {
		// A later write set a later TTL; a release deleted the row already.
		if h := w.leases[k.ResourceID]; h.p != nil && !h.at.Add(24*time.Hour).After(w.s.now) {
			_ = w.mem.Release(context.Background(), h.l)
			delete(w.leases, k.ResourceID)
			w.s.logf("  the lease row of %s, last written by p%d, is deleted", k.ResourceID[:12], h.p.id)
		}
	})
}

// holding is who last took or renewed a lease, and when.
type holding struct {
	p  *proc
	at time.Time
	l  state.Lease
}

// sent is a notice as published.
type sent struct {
	n    notify.Notice
	at   time.Time
	proc *proc
	// after: the publish succeeded but the caller saw an error.
	after bool
}

// notifier is SNS for notices and digests, each publish a scheduling point.
type notifier struct{ w *world }

func (n *notifier) Publish(ctx context.Context, x notify.Notice) error {
	var rec *sent
	_, err := do(&store{w: n.w}, ctx, "sns.Publish", x.Instance, true, func() (struct{}, error) {
		p := procOf(ctx)
		rec = &sent{n: x, at: n.w.s.now, proc: p}
		n.w.sent = append(n.w.sent, rec)
		if p != nil {
			p.published++
		}
		n.w.s.logf("  NOTICE %s %s: %s", x.Instance, x.OutcomeName(), firstLine(x.Reason))
		return struct{}{}, nil
	})
	if err != nil && rec != nil {
		rec.after = true
	}
	return err
}

func (n *notifier) Send(ctx context.Context, m notify.Message) error {
	_, err := do(&store{w: n.w}, ctx, "sns.Digest", m.Subject, true, func() (struct{}, error) {
		size := len(m.Subject) + len(m.Email) + len(m.Chatbot) + len(m.Record)
		if size >= maxDigest {
			n.w.violate("storage", "digest %q is %d bytes, over SNS's 256 KiB", m.Subject, size)
		}
		n.w.digests, n.w.digestsAt = append(n.w.digests, m), append(n.w.digestsAt, n.w.s.now)
		n.w.s.logf("  DIGEST %s", m.Subject)
		return struct{}{}, nil
	})
	return err
}
