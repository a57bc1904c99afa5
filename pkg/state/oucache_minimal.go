package state

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// OUCache is a minimal cache of the sweep's OU listing in the state table:
// which OUs (and root) each account sits under, so the enforcement rings
// (FORCESSL_ENFORCE_OUS) never call Organizations per event. The security
// work adds a fuller organization cache; until it lands this is the one
// rings read. Item: pk "orgcache#ous", sk the account ID, ous (L of S),
// listedAt. Reads are cached in process for OUCacheFor.
type OUCache struct {
	d *Dynamo

	mu   sync.Mutex
	seen map[string]ouEntry
	// Clock ages the in-process cache (time.Now when nil).
	Clock func() time.Time
}

// OUCacheFor is how long a process trusts an account's OUs once read:
// accounts move between OUs rarely, and a sweep refreshes the table.
const OUCacheFor = 15 * time.Minute

const ouCachePK = "orgcache#ous"

type ouEntry struct {
	ous  []string
	read time.Time
}

type ouItem struct {
	PK       string   `dynamodbav:"pk"`
	SK       string   `dynamodbav:"sk"`
	OUs      []string `dynamodbav:"ous"`
	ListedAt string   `dynamodbav:"listedAt"`
}

// NewOUCache returns the cache on table.
func NewOUCache(client API, table string) *OUCache {
	return &OUCache{d: NewDynamo(client, table), seen: map[string]ouEntry{}}
}

// PutAccountOUs records the OUs and root above an account, as the sweep's
// listing found them at `at`.
func (c *OUCache) PutAccountOUs(ctx context.Context, account string, ous []string, at time.Time) error {
	if err := checkParts("ou cache", account); err != nil {
		return err
	}
	err := c.d.put(ctx, ouItem{PK: ouCachePK, SK: account, OUs: cloneStrings(ous), ListedAt: fmtTime(at)}, "", nil, nil)
	return wrap(err, "cache the OUs of %s", account)
}

// AccountOUs returns the OUs and root above the account, nil when the
// sweep's listing has not seen it.
func (c *OUCache) AccountOUs(ctx context.Context, account string) ([]string, error) {
	now := time.Now
	if c.Clock != nil {
		now = c.Clock
	}
	c.mu.Lock()
	e, ok := c.seen[account]
	c.mu.Unlock()
	if ok && now().Sub(e.read) < OUCacheFor {
		return e.ous, nil
	}
	var it ouItem
	found, err := c.d.get(ctx, ouCachePK, account, &it)
	if err != nil {
		return nil, fmt.Errorf("read the cached OUs of %s: %w", account, err)
	}
	var ous []string
	if found {
		ous = it.OUs
	}
	c.mu.Lock()
	c.seen[account] = ouEntry{ous, now()}
	c.mu.Unlock()
	return ous, nil
}
