package state

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemoryControls is Controls in process, for tests only: each method runs
// under one mutex, so the budget's conditions are exact under concurrency,
// as DynamoDB's conditional writes are. It keeps the same rows as
// DynamoControls and applies the same conditions.
type MemoryControls struct {
	mu       sync.Mutex
	pauses   map[string]pauseItem
	breakers map[string]breakerItem
	budget   map[string]map[string]*memoryCounter // by hour pk, then counter sk
	history  []controlEventItem
	reads    int
}

var _ Controls = (*MemoryControls)(nil)

// NewMemoryControls returns empty in-process controls (tests only).
func NewMemoryControls() *MemoryControls {
	return &MemoryControls{pauses: map[string]pauseItem{}, breakers: map[string]breakerItem{},
		budget: map[string]map[string]*memoryCounter{}}
}

// Reads counts ReadControls calls, for tests of how often the engine reads.
func (m *MemoryControls) Reads() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reads
}

func (m *MemoryControls) ReadControls(context.Context) (ControlSet, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	var set ControlSet
	for _, sk := range sortedKeys(m.pauses) {
		p, err := m.pauses[sk].pause()
		if err != nil {
			return ControlSet{}, err
		}
		set.Pauses = append(set.Pauses, p)
	}
	for _, sk := range sortedKeys(m.breakers) {
		b, err := m.breakers[sk].breaker()
		if err != nil {
			return ControlSet{}, err
		}
		set.Breakers = append(set.Breakers, b)
	}
	return set, nil
}

func (m *MemoryControls) Pause(_ context.Context, p Pause) error {
	if err := checkScope(p.Scope); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	it := toPauseItem(p)
	m.pauses[it.SK] = it
	m.history = append(m.history, toControlEventItem(ControlEvent{At: p.Since, Action: ActionPause,
		Account: p.Scope.Account, Region: p.Scope.Region, By: p.By, Why: p.Reason}))
	return nil
}

func (m *MemoryControls) Resume(_ context.Context, scope Scope, by, why string, at time.Time) error {
	if err := checkScope(scope); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, changed := m.pauses[pauseSK(scope)]
	delete(m.pauses, pauseSK(scope))
	for sk, it := range m.breakers {
		if b, _ := it.breaker(); closes(scope, b.Account) {
			delete(m.breakers, sk)
			changed = true
		}
	}
	if !changed {
		return ErrNoChange
	}
	m.history = append(m.history, toControlEventItem(ControlEvent{At: at, Action: ActionResume,
		Account: scope.Account, Region: scope.Region, By: by, Why: why}))
	return nil
}

func (m *MemoryControls) OpenBreaker(_ context.Context, b Breaker) (bool, error) {
	if err := checkParts("breaker", b.Account); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sk := breakerSK(b.Account)
	if _, open := m.breakers[sk]; open {
		return false, nil
	}
	m.breakers[sk] = toBreakerItem(b)
	m.history = append(m.history, toControlEventItem(ControlEvent{At: b.OpenedAt, Action: ActionBreakerOpen,
		Account: b.Account, By: "forcessl", Why: b.Resource + ": " + b.Saw}))
	return true, nil
}

func (m *MemoryControls) CountReboot(_ context.Context, at time.Time, claim BudgetClaim, limits BudgetLimits, admit Admission) (BudgetUse, error) {
	if err := checkParts("budget", claim.Account, claim.Resource); err != nil {
		return BudgetUse{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// The same rule as DynamoControls: both counters judged before either
	// moves.
	sks := [2]string{budgetAcctPrefix + claim.Account, budgetOrgSK}
	var counters [2]BudgetCounter
	for i, sk := range sks {
		c := m.counter(at, sk)
		counters[i] = BudgetCounter{Scope: "account", Limit: limits.Account, Counted: slices.Clone(c.counted)}
		if sk == budgetOrgSK {
			counters[i].Scope, counters[i].Limit = BudgetOrg, limits.Org
		}
		for _, w := range sortedKeys(c.waiting) {
			counters[i].Waiting = append(counters[i].Waiting, c.waiting[w])
		}
	}
	if use, done := judge(counters, claim, admit); done {
		return use, nil
	}
	for _, sk := range sks {
		c := m.counter(at, sk)
		if !slices.Contains(c.counted, claim.Resource) {
			c.counted = append(c.counted, claim.Resource)
		}
		for k, w := range c.waiting {
			if w.Resource == claim.Resource {
				delete(c.waiting, k)
			}
		}
	}
	return BudgetUse{Allowed: true}, nil
}

func (m *MemoryControls) Wait(_ context.Context, at time.Time, claim BudgetClaim) error {
	if err := checkParts("budget", claim.Account, claim.Resource); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	w := Waiter{Resource: claim.Resource, IntentAt: claim.IntentAt.UTC()}
	for _, sk := range []string{budgetAcctPrefix + claim.Account, budgetOrgSK} {
		m.counter(at, sk).waiting[waiterText(w)] = w
	}
	return nil
}

// counter returns a counter of the hour holding at, made if missing
// (callers hold mu).
func (m *MemoryControls) counter(at time.Time, sk string) *memoryCounter {
	hour := m.budget[budgetPK(at)]
	if hour == nil {
		hour = map[string]*memoryCounter{}
		m.budget[budgetPK(at)] = hour
	}
	if hour[sk] == nil {
		hour[sk] = &memoryCounter{waiting: map[string]Waiter{}}
	}
	return hour[sk]
}

func (m *MemoryControls) RebootCounts(_ context.Context, at time.Time) (map[string]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for sk, c := range m.budget[budgetPK(at)] {
		if len(c.counted) > 0 {
			out[counterName(sk)] = len(c.counted)
		}
	}
	return out, nil
}

func (m *MemoryControls) ControlHistory(context.Context) ([]ControlEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	items := slices.Clone(m.history)
	slices.SortStableFunc(items, func(a, b controlEventItem) int { return strings.Compare(a.SK, b.SK) })
	var out []ControlEvent
	for _, it := range items {
		e, err := it.event()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// counterName is a budget counter's name in RebootCounts.
func counterName(sk string) string {
	if sk == budgetOrgSK {
		return BudgetOrg
	}
	return sk[len(budgetAcctPrefix):]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// memoryCounter is one budget counter row: the resources counted and the
// restarts waiting, by their stored text.
type memoryCounter struct {
	counted []string
	waiting map[string]Waiter
}
