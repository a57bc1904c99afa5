package state

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryOrgCache is OrgCache in process (tests, and the CLI without a
// state table), keeping the rows Dynamo keeps.
type MemoryOrgCache struct {
	mu    sync.Mutex
	items map[string]orgItem
}

var _ OrgCache = (*MemoryOrgCache)(nil)

// NewMemoryOrgCache returns an empty cache.
func NewMemoryOrgCache() *MemoryOrgCache { return &MemoryOrgCache{items: map[string]orgItem{}} }

func (m *MemoryOrgCache) PutAccounts(_ context.Context, targets, accounts []string, at time.Time) error {
	it, err := newOrgItem(targets, accounts, at)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	it.Accounts = slices.Clone(it.Accounts)
	m.items[it.PK] = it
	return nil
}

func (m *MemoryOrgCache) Accounts(_ context.Context, targets []string) (OrgListing, bool, error) {
	pk, _, err := orgPK(targets)
	if err != nil {
		return OrgListing{}, false, err
	}
	m.mu.Lock()
	it, ok := m.items[pk]
	m.mu.Unlock()
	if !ok {
		return OrgListing{}, false, nil
	}
	l, err := it.listing()
	l.Accounts = slices.Clone(l.Accounts)
	return l, err == nil, err
}
