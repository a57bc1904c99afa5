package state

import (
	"context"
	"sync"
)

// MemoryOrgCache is OrgCache in process (tests, and the CLI without a
// state table), keeping the rows Dynamo keeps.
type MemoryOrgCache struct {
	mu    sync.Mutex
	items map[string]orgItem
	reads int
}

var _ OrgCache = (*MemoryOrgCache)(nil)

// NewMemoryOrgCache returns an empty cache.
func NewMemoryOrgCache() *MemoryOrgCache { return &MemoryOrgCache{items: map[string]orgItem{}} }

// Reads counts Listing calls, for tests of how often the engine reads.
func (m *MemoryOrgCache) Reads() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reads
}

func (m *MemoryOrgCache) PutListing(_ context.Context, l OrgListing) error {
	it := newOrgItem(l)
	// Stored as Dynamo stores it: through the row, never sharing slices.
	back, err := it.listing()
	if err != nil {
		return err
	}
	it = newOrgItem(back)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[it.PK] = it
	return nil
}

func (m *MemoryOrgCache) Listing(_ context.Context, targets []string) (OrgListing, bool, error) {
	pk, _ := orgPK(targets)
	m.mu.Lock()
	it, ok := m.items[pk]
	m.reads++
	m.mu.Unlock()
	if !ok {
		return OrgListing{}, false, nil
	}
	l, err := it.listing()
	return l, err == nil, err
}
