package state

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Memory is an in-process Store for tests: every method runs under one
// mutex, so each conditional write is truly atomic. That is what the
// engine's concurrency tests need and what moto cannot give (it does not
// make conditional writes atomic across its request threads). It keeps the
// same rows as Dynamo and applies the same conditions. It lives outside
// _test.go so other packages' tests can use it; production wiring must
// never use it (it forgets everything when the process ends).
type Memory struct {
	mu        sync.Mutex
	resources map[string]resourceItem           // by pk
	history   map[string]map[string]historyItem // by pk, then sk
	names     map[string]map[string]nameItem    // by pk, then resource ID
	leases    map[string]leaseItem              // by resource pk
	runs      map[string]runItem                // by sweep ID
	items     map[string]map[string]recordItem  // by sweep ID, then sk
	// split holds a run's Expected shards and report chunks (expectedItem,
	// chunkItem), by sweep ID, then sk.
	split map[string]map[string]any
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-process store (tests only).
func NewMemory() *Memory {
	return &Memory{
		resources: map[string]resourceItem{}, history: map[string]map[string]historyItem{},
		names: map[string]map[string]nameItem{}, leases: map[string]leaseItem{},
		runs: map[string]runItem{}, items: map[string]map[string]recordItem{}, split: map[string]map[string]any{},
	}
}

func (m *Memory) Resource(_ context.Context, k Key) (Resource, bool, error) {
	if err := k.check(); err != nil {
		return Resource{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.resources[k.pk()]
	if !ok {
		return Resource{}, false, nil
	}
	r, err := it.resource(k)
	return r, err == nil, err
}

func (m *Memory) PutResource(_ context.Context, r Resource) error {
	if err := checkResource(r); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if f := r.Fence; f != nil && m.leases[r.Key.pk()].Token != f.Token {
		return fmt.Errorf("put resource state %s at version %d: %w", r.Key, r.Version, ErrLeaseLost)
	}
	if m.resources[r.Key.pk()].Version != r.Version { // absent: Version 0
		return fmt.Errorf("put resource state %s at version %d: %w", r.Key, r.Version, ErrConflict)
	}
	m.resources[r.Key.pk()] = toResourceItem(r, r.Version+1)
	return nil
}

func (m *Memory) AppendHistory(_ context.Context, k Key, e HistoryEntry, keepFor time.Duration) error {
	if err := checkHistory(k, e); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rows := m.history[k.pk()]
	if rows == nil {
		rows = map[string]historyItem{}
		m.history[k.pk()] = rows
	}
	it := toHistoryItem(k, e, keepFor)
	for rows[it.SK].SK != "" { // same instant and suffix: draw another suffix, as Dynamo does
		it.SK = historySK(e.At)
	}
	rows[it.SK] = it
	return nil
}

func (m *Memory) History(_ context.Context, k Key) ([]HistoryEntry, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rows := m.history[k.pk()]
	var out []HistoryEntry
	for _, sk := range slices.Sorted(maps.Keys(rows)) {
		e, err := rows[sk].entry()
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", k, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (m *Memory) LinkName(_ context.Context, account, region, kind, name, resourceID string, at time.Time) error {
	if err := checkName(account, region, kind, name, resourceID, at); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	pk, ts := namePK(account, region, kind, name), fmtTime(at)
	rows := m.names[pk]
	if rows == nil {
		rows = map[string]nameItem{}
		m.names[pk] = rows
	}
	it, ok := rows[resourceID]
	if !ok {
		it = nameItem{PK: pk, SK: resourceID, FirstSeen: ts, LastSeen: ts}
	}
	// Fixed-width UTC strings compare as times, exactly as Dynamo's condition does.
	it.FirstSeen, it.LastSeen = min(it.FirstSeen, ts), max(it.LastSeen, ts)
	rows[resourceID] = it
	return nil
}

func (m *Memory) Names(_ context.Context, account, region, kind, name string) ([]NameLink, error) {
	if err := checkParts("name link", account, region, kind, name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rows := m.names[namePK(account, region, kind, name)]
	var out []NameLink
	for _, id := range slices.Sorted(maps.Keys(rows)) {
		l, err := rows[id].link()
		if err != nil {
			return nil, fmt.Errorf("name links of %s: %w", name, err)
		}
		out = append(out, l)
	}
	return out, nil
}

func (m *Memory) Acquire(_ context.Context, k Key, owner string, period time.Duration) (Lease, bool, error) {
	if err := checkLease(k, owner, period); err != nil {
		return Lease{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// The negation of Dynamo's condition: attribute_not_exists(pk) OR owner = :owner.
	if cur, ok := m.leases[k.pk()]; ok && cur.Owner != owner {
		return cur.lease(k), false, nil
	}
	l := newLease(k, owner, period)
	m.leases[k.pk()] = toLeaseItem(l)
	return l, true, nil
}

func (m *Memory) TakeOver(_ context.Context, stale Lease, owner string, period time.Duration) (Lease, bool, error) {
	if err := checkLease(stale.Key, owner, period); err != nil {
		return Lease{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur := m.leases[stale.Key.pk()]; cur.Token != stale.Token || cur.RVN != stale.Version {
		return Lease{}, false, nil
	}
	l := newLease(stale.Key, owner, period)
	m.leases[stale.Key.pk()] = toLeaseItem(l)
	return l, true, nil
}

func (m *Memory) Renew(_ context.Context, l Lease) (Lease, error) {
	if err := checkLease(l.Key, l.Owner, l.Period); err != nil {
		return Lease{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.leases[l.Key.pk()].Token != l.Token {
		return Lease{}, fmt.Errorf("renew lease on %s for %s: %w", l.Key, l.Owner, ErrLeaseLost)
	}
	l.Version = newToken()
	m.leases[l.Key.pk()] = toLeaseItem(l)
	return l, nil
}

func (m *Memory) Release(_ context.Context, l Lease) error {
	if err := l.Key.check(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.leases[l.Key.pk()]; ok && cur.Token == l.Token {
		delete(m.leases, l.Key.pk())
	}
	return nil
}

func (m *Memory) StartRun(_ context.Context, r Run) error {
	if err := checkRun(r); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.runs[r.SweepID]; ok {
		return nil
	}
	set := newSet()
	shards, err := shardExpected(r.SweepID, set, r.Expected, runTTLOf(r))
	if err != nil {
		return err
	}
	for _, sh := range shards {
		m.putSplit(r.SweepID, sh.SK, sh)
	}
	m.runs[r.SweepID] = toRunItem(r, set, len(shards))
	return nil
}

func (m *Memory) Run(_ context.Context, sweepID string) (Run, error) {
	if err := checkParts("sweep run", sweepID); err != nil {
		return Run{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rs, ok := m.rows(sweepID)
	if !ok {
		return Run{}, fmt.Errorf("read sweep run %s: %w", sweepID, ErrUnknownRun)
	}
	return rs.runWith(sweepID)
}

func (m *Memory) RecordItem(_ context.Context, sweepID string, it ItemRecord) (bool, Run, error) {
	if err := checkItem(sweepID, it); err != nil {
		return false, Run{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	run, ok := m.runs[sweepID]
	if !ok {
		return false, Run{}, fmt.Errorf("record sweep item %s %s/%s: %w", sweepID, it.Account, it.Region, ErrUnknownRun)
	}
	rows := m.items[sweepID]
	if rows == nil {
		rows = map[string]recordItem{}
		m.items[sweepID] = rows
	}
	sk := itemSK(it.Account, it.Region)
	_, seen := rows[sk]
	if !seen {
		rec, chunks, err := splitReport(sweepID, it, run.TTL, newSet())
		if err != nil {
			return false, Run{}, err
		}
		for _, c := range chunks {
			m.putSplit(sweepID, c.SK, c)
		}
		rows[sk] = rec
		run.Done++
		m.runs[sweepID] = run
	}
	r, err := run.run(sweepID)
	return !seen, r, err
}

func (m *Memory) ClaimDigest(_ context.Context, sweepID string, at time.Time) (bool, error) {
	if err := checkClaim(sweepID, at); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	run, ok := m.runs[sweepID]
	if !ok {
		return false, fmt.Errorf("claim digest of sweep %s: %w", sweepID, ErrUnknownRun)
	}
	// Dynamo's condition, on the same fixed-width time strings.
	if run.DigestSentAt != "" || (run.DigestClaimedAt != "" && run.DigestClaimedAt > fmtTime(at.Add(-DigestClaimFor))) {
		return false, nil
	}
	run.DigestClaimedAt = fmtTime(at)
	m.runs[sweepID] = run
	return true, nil
}

func (m *Memory) ReleaseDigest(_ context.Context, sweepID string, claimedAt time.Time) error {
	if err := checkClaim(sweepID, claimedAt); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if run, ok := m.runs[sweepID]; ok && run.DigestSentAt == "" && run.DigestClaimedAt == fmtTime(claimedAt) {
		run.DigestClaimedAt = ""
		m.runs[sweepID] = run
	}
	return nil
}

func (m *Memory) ConfirmDigest(_ context.Context, sweepID string, at time.Time) error {
	if err := checkClaim(sweepID, at); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	run, ok := m.runs[sweepID]
	if !ok {
		return fmt.Errorf("confirm digest of sweep %s: %w", sweepID, ErrUnknownRun)
	}
	if run.DigestSentAt == "" {
		run.DigestSentAt = fmtTime(at)
		m.runs[sweepID] = run
	}
	return nil
}

func (m *Memory) RunItems(_ context.Context, sweepID string) (Run, []ItemRecord, error) {
	if err := checkParts("sweep run", sweepID); err != nil {
		return Run{}, nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rs, ok := m.rows(sweepID)
	if !ok {
		return Run{}, nil, fmt.Errorf("items of sweep %s: %w", sweepID, ErrUnknownRun)
	}
	run, err := rs.runWith(sweepID)
	if err != nil {
		return Run{}, nil, err
	}
	items, err := rs.items()
	if err != nil {
		return Run{}, nil, fmt.Errorf("items of sweep %s: %w", sweepID, err)
	}
	return run, items, nil
}

func (m *Memory) putSplit(sweepID, sk string, row any) {
	rows := m.split[sweepID]
	if rows == nil {
		rows = map[string]any{}
		m.split[sweepID] = rows
	}
	rows[sk] = row
}

// rows gathers a run's rows as Dynamo's Query would return them.
func (m *Memory) rows(sweepID string) (sweepRows, bool) {
	run, ok := m.runs[sweepID]
	if !ok {
		return sweepRows{}, false
	}
	rs := sweepRows{run: &run}
	for _, sk := range slices.Sorted(maps.Keys(m.items[sweepID])) {
		rs.records = append(rs.records, m.items[sweepID][sk])
	}
	for _, row := range m.split[sweepID] {
		switch r := row.(type) {
		case expectedItem:
			rs.addShard(r)
		case chunkItem:
			rs.addChunk(r)
		}
	}
	return rs, true
}
