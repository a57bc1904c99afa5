package state

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// OrgCache keeps the sweep's listing of the organization in the state
// table, so that neither the intake nor the enforcement rings cost an
// Organizations call per event: the accounts under the target OUs
// (FORCESSL_TARGET_OUS; the intake refuses an account the listing did not
// return) and, when the walk of the OU tree recorded them, the OUs and
// root above each account (the rings by OU, FORCESSL_ENFORCE_OUS, read
// them). One row per set of targets, written whole by the sweep (the one
// writer), read whole (the one reader). Dynamo, Memory and CachedOrg
// implement it; the read-only store of an audit does not (an audit writes
// nothing, and reads what it lists itself).
type OrgCache interface {
	// PutListing records a listing (its Targets name the row).
	PutListing(ctx context.Context, l OrgListing) error
	// Listing returns the last listing under targets; false when there is
	// none yet (no sweep has listed them).
	Listing(ctx context.Context, targets []string) (OrgListing, bool, error)
}

// OrgListing is one listing of the accounts under some targets.
type OrgListing struct {
	// Targets are the OUs or roots listed, sorted; none: the whole
	// organization (walked from its roots).
	Targets  []string
	Accounts []string // sorted
	// Above holds, by account, the root or OU the walk started from and
	// each OU below it down to the account's parent; nil when the listing
	// was not a walk of the tree.
	Above map[string][]string
	At    time.Time // when the sweep listed them (UTC)
}

// Has reports whether account is in the listing.
func (l OrgListing) Has(account string) bool {
	_, ok := slices.BinarySearch(l.Accounts, account)
	return ok
}

// OUs returns the OUs and root above the account, nil when the listing
// does not place it.
func (l OrgListing) OUs(account string) []string { return l.Above[account] }

// orgItem is the listing's row. An account placed by the walk is kept in
// Placed only (under the path above it, "r-…/ou-…/ou-…"), so the row holds
// each account once: about 15 bytes an account, so some 20,000 accounts
// fit in DynamoDB's 400 KB item.
type orgItem struct {
	PK       string              `dynamodbav:"pk"`
	SK       string              `dynamodbav:"sk"`
	Targets  []string            `dynamodbav:"targets,omitempty"`
	Accounts []string            `dynamodbav:"accounts,omitempty"` // accounts not placed
	Placed   map[string][]string `dynamodbav:"placed,omitempty"`
	At       string              `dynamodbav:"at"`
}

const skOrgAccounts = "accounts"

// orgPK is the partition key of a listing: "org#" and the sorted targets,
// or "org#*" for the whole organization.
func orgPK(targets []string) (string, []string) {
	if len(targets) == 0 {
		return "org#" + wildcard, nil
	}
	sorted := slices.Compact(slices.Sorted(slices.Values(targets)))
	return "org#" + strings.Join(sorted, ","), sorted
}

func newOrgItem(l OrgListing) orgItem {
	pk, sorted := orgPK(l.Targets)
	it := orgItem{PK: pk, SK: skOrgAccounts, Targets: sorted, At: fmtTime(l.At)}
	for _, a := range slices.Compact(slices.Sorted(slices.Values(l.Accounts))) {
		above, ok := l.Above[a]
		if !ok {
			it.Accounts = append(it.Accounts, a)
			continue
		}
		if it.Placed == nil {
			it.Placed = map[string][]string{}
		}
		path := strings.Join(above, "/")
		it.Placed[path] = append(it.Placed[path], a)
	}
	return it
}

func (it orgItem) listing() (OrgListing, error) {
	at, err := parseTime(it.At)
	if err != nil {
		return OrgListing{}, err
	}
	l := OrgListing{Targets: cloneStrings(it.Targets), Accounts: cloneStrings(it.Accounts), At: at}
	for path, accounts := range it.Placed {
		var above []string
		if path != "" {
			above = strings.Split(path, "/")
		}
		for _, a := range accounts {
			if l.Above == nil {
				l.Above = map[string][]string{}
			}
			l.Above[a] = above
			l.Accounts = append(l.Accounts, a)
		}
	}
	slices.Sort(l.Accounts)
	l.Accounts = slices.Compact(l.Accounts)
	return l, nil
}

// CachedOrg is an OrgCache that keeps what it read for For (a process
// reads the listing at most once per For and set of targets, whatever
// the events' rate), and what it wrote. The intake and the rings share
// one. Accounts join the listing at a sweep, so a minute's delay is
// nothing next to the sweep's period.
type CachedOrg struct {
	Cache OrgCache
	For   time.Duration
	// Clock ages the cache (time.Now when nil).
	Clock func() time.Time

	mu   sync.Mutex
	seen map[string]cachedListing
}

// DefaultOrgCacheFor is how long a process trusts a listing it read.
const DefaultOrgCacheFor = time.Minute

type cachedListing struct {
	l    OrgListing
	ok   bool
	read time.Time
}

var _ OrgCache = (*CachedOrg)(nil)

func (c *CachedOrg) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}

func (c *CachedOrg) PutListing(ctx context.Context, l OrgListing) error {
	if err := c.Cache.PutListing(ctx, l); err != nil {
		return err
	}
	pk, _ := orgPK(l.Targets)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]cachedListing{}
	}
	c.seen[pk] = cachedListing{}
	return nil
}

func (c *CachedOrg) Listing(ctx context.Context, targets []string) (OrgListing, bool, error) {
	pk, _ := orgPK(targets)
	now := c.now()
	c.mu.Lock()
	e, hit := c.seen[pk]
	c.mu.Unlock()
	if hit && !e.read.IsZero() && now.Sub(e.read) < c.For && !now.Before(e.read) {
		return e.l, e.ok, nil
	}
	l, ok, err := c.Cache.Listing(ctx, targets)
	if err != nil {
		return OrgListing{}, false, err
	}
	c.mu.Lock()
	if c.seen == nil {
		c.seen = map[string]cachedListing{}
	}
	c.seen[pk] = cachedListing{l, ok, now}
	c.mu.Unlock()
	return l, ok, nil
}
