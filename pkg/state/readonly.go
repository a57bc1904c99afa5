package state

import (
	"context"
	"time"
)

// ReadOnly is a view of a store that reads and never writes: what
// `forcessl audit` and `explain` use, which may read forcessl's memory but
// must write nothing at all. Writes succeed without effect; a lease is
// "taken" without a write (a read-only run makes no change to guard).
func ReadOnly(s Store) Store { return readOnly{s} }

type readOnly struct{ Store }

func (readOnly) PutResource(context.Context, Resource) error { return nil }
func (readOnly) AppendHistory(context.Context, Key, HistoryEntry, time.Duration) error {
	return nil
}
func (readOnly) LinkName(context.Context, string, string, string, string, string, time.Time) error {
	return nil
}
func (readOnly) Acquire(_ context.Context, k Key, owner string, period time.Duration) (Lease, bool, error) {
	return Lease{Key: k, Owner: owner, Period: period}, true, nil
}
func (readOnly) TakeOver(_ context.Context, stale Lease, owner string, period time.Duration) (Lease, bool, error) {
	return Lease{Key: stale.Key, Owner: owner, Period: period}, true, nil
}
func (readOnly) Renew(_ context.Context, l Lease) (Lease, error) { return l, nil }
func (readOnly) Release(context.Context, Lease) error            { return nil }
func (readOnly) StartRun(context.Context, Run) error             { return nil }
func (readOnly) RecordItem(context.Context, string, ItemRecord) (bool, Run, error) {
	return false, Run{}, nil
}
func (readOnly) ClaimDigest(context.Context, string, time.Time) (bool, error) { return false, nil }
func (readOnly) ReleaseDigest(context.Context, string, time.Time) error       { return nil }
func (readOnly) ConfirmDigest(context.Context, string, time.Time) error       { return nil }
