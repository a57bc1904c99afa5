package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Scope is what a pause covers: the whole organization (both empty), one
// account (Region empty), or one account in one region.
type Scope struct{ Account, Region string }

// Covers reports whether the scope takes in the account and region.
func (s Scope) Covers(account, region string) bool {
	return (s.Account == "" || s.Account == account) && (s.Region == "" || s.Region == region)
}

func (s Scope) String() string {
	switch {
	case s.Account == "" && s.Region == "":
		return "organization"
	case s.Region == "":
		return "account " + s.Account
	case s.Account == "":
		return "region " + s.Region
	}
	return "account " + s.Account + " in " + s.Region
}

// Pause stops forcessl's changes in a scope until resumed: who set it,
// when and why.
type Pause struct {
	Scope  Scope
	Reason string
	By     string // the caller identity (an ARN) that set it
	Since  time.Time
}

// Breaker is opened when a resource forcessl rebooted did not come back:
// it pauses the account until an operator resumes it.
type Breaker struct {
	Account  string
	OpenedAt time.Time
	Resource string // account/region/resource ID of the resource that tripped it
	Saw      string // what the look after the reboot saw
}

// ControlEvent is one pause, resume or breaker, for the control history.
type ControlEvent struct {
	At                       time.Time
	Action                   string // pause | resume | breaker-open
	Account, Region, By, Why string
}

// Control event actions.
const (
	ActionPause       = "pause"
	ActionResume      = "resume"
	ActionBreakerOpen = "breaker-open"
)

// ControlSet is every active pause and open breaker, read in one query.
type ControlSet struct {
	Pauses   []Pause
	Breakers []Breaker
}

// BudgetLimits are reboots allowed per UTC clock hour; 0 is unlimited.
type BudgetLimits struct{ Account, Org int }

// BudgetUse is what CountReboot found: whether the reboot fits, and if not
// which limit is used up.
type BudgetUse struct {
	Allowed bool
	Full    string // "account" or "org" when not allowed
}

// Budget counter names in RebootCounts.
const BudgetOrg = "org"

// BudgetClaim is one restart asking the budget for a slot.
type BudgetClaim struct {
	Account  string
	Resource string // account/region/resource ID
	// IntentAt is when forcessl recorded the change the restart is for (the
	// write-ahead intent): its age, which a postponement keeps, so the
	// oldest intent goes first.
	IntentAt time.Time
}

// Waiter is a restart postponed to an hour for the budget: it waits for
// that hour's slots, with its intent's time.
type Waiter struct {
	Resource string
	IntentAt time.Time
}

// BudgetCounter is one of an hour's two budget counters (the account's or
// the organization's) as read: its limit, the resources counted, and the
// restarts postponed to this hour for the budget, still waiting.
type BudgetCounter struct {
	Scope   string // "account" or "org"
	Limit   int    // 0: unlimited
	Counted []string
	Waiting []Waiter
}

// Admission decides whether a claim fits in one counter: a pure rule
// (gate.Admit), applied by CountReboot to what it read, and made good by
// a write conditional on nothing having changed since.
type Admission func(c BudgetCounter, claim BudgetClaim) bool

// ErrNoChange means a resume found nothing paused or open in its scope.
var ErrNoChange = errors.New("state: nothing paused or open in that scope")

// Controls is forcessl's blast-radius switches in the state table, beside
// (not part of) Store: pauses, breakers, the hourly reboot budget and the
// history of pauses and resumes. Safe for concurrent use.
type Controls interface {
	// ReadControls returns every active pause and open breaker (one Query).
	ReadControls(ctx context.Context) (ControlSet, error)
	// Pause sets (or replaces) the pause of p.Scope and records it in the
	// control history.
	Pause(ctx context.Context, p Pause) error
	// Resume lifts the pause of exactly scope and closes the open breakers
	// in it (every breaker for the organization, the account's for an
	// account), recording it; ErrNoChange if there was neither.
	Resume(ctx context.Context, scope Scope, by, why string, at time.Time) error
	// OpenBreaker opens the account's breaker; false if one is open already
	// (exactly one caller opens it, so one message goes out).
	OpenBreaker(ctx context.Context, b Breaker) (bool, error)
	// CountReboot counts one restart in the UTC hour holding at, under both
	// limits at once with conditional writes, if admit lets it into both
	// counters. A resource already counted in that hour is allowed again
	// without counting (a retry, a cluster's next member). An hour nobody
	// waits for costs one conditional transaction; an hour with restarts
	// waiting (Wait) is read, judged by admit, and written conditional on
	// the counters being unchanged, so the rule is exact under concurrency.
	// Counting a waiting restart ends its wait.
	CountReboot(ctx context.Context, at time.Time, claim BudgetClaim, limits BudgetLimits, admit Admission) (BudgetUse, error)
	// Wait records a restart postponed for the budget to the hour holding
	// at, in the account's and the organization's counters: in that hour
	// it keeps a slot against younger intents (idempotent).
	Wait(ctx context.Context, at time.Time, claim BudgetClaim) error
	// RebootCounts returns the restarts counted in the UTC hour holding at:
	// BudgetOrg and each account ID that has any.
	RebootCounts(ctx context.Context, at time.Time) (map[string]int, error)
	// ControlHistory returns every pause, resume and breaker, oldest first.
	ControlHistory(ctx context.Context) ([]ControlEvent, error)
}

// Control item keys (see doc.go). The pauses and breakers share one small
// partition, so every reconcile reads them all in one Query; budget
// counters get a partition per hour, history one of its own.
const (
	controlPK        = "control"
	controlHistoryPK = "control#history"
	budgetPKPrefix   = "control#budget#"
	pausePrefix      = "pause#"
	breakerPrefix    = "breaker#"
	budgetOrgSK      = "org"
	budgetAcctPrefix = "account#"
	// budgetTTL keeps an hour's counters two days, for status and ops.
	budgetTTL = 48 * time.Hour
	// controlHistoryTTL: pause and resume records are kept 400 days.
	controlHistoryTTL = 400 * 24 * time.Hour
)

// waiterText is a waiting restart as stored in a counter's string set:
// the intent's time first, so the set reads in age order.
func waiterText(w Waiter) string { return fmtTime(w.IntentAt) + "|" + w.Resource }

func parseWaiter(s string) (Waiter, error) {
	at, res, ok := strings.Cut(s, "|")
	if !ok {
		return Waiter{}, fmt.Errorf("budget waiter %q: malformed", s)
	}
	t, err := parseTime(at)
	return Waiter{Resource: res, IntentAt: t}, err
}

// wildcard stands for "any" in a pause's sort key; "*" is no account ID
// or region name.
const wildcard = "*"

func pauseSK(s Scope) string {
	return pausePrefix + orWild(s.Account) + "#" + orWild(s.Region)
}

func breakerSK(account string) string { return breakerPrefix + account }

func budgetPK(at time.Time) string { return budgetPKPrefix + at.UTC().Format("2006-01-02T15") }

func orWild(s string) string {
	if s == "" {
		return wildcard
	}
	return s
}

func fromWild(s string) string {
	if s == wildcard {
		return ""
	}
	return s
}

func checkScope(s Scope) error {
	for _, p := range []string{s.Account, s.Region} {
		if strings.ContainsAny(p, "#*") {
			return fmt.Errorf("state: invalid scope part %q", p)
		}
	}
	if s.Account == "" && s.Region != "" {
		return fmt.Errorf("state: a region pause needs its account")
	}
	return nil
}

type pauseItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	Reason string `dynamodbav:"reason,omitempty"`
	By     string `dynamodbav:"by,omitempty"`
	Since  string `dynamodbav:"since"`
}

type breakerItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	OpenedAt string `dynamodbav:"openedAt"`
	Resource string `dynamodbav:"resource,omitempty"`
	Saw      string `dynamodbav:"saw,omitempty"`
}

type controlEventItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	At      string `dynamodbav:"at"`
	Action  string `dynamodbav:"action"`
	Account string `dynamodbav:"account,omitempty"`
	Region  string `dynamodbav:"region,omitempty"`
	By      string `dynamodbav:"by,omitempty"`
	Why     string `dynamodbav:"why,omitempty"`
	TTL     int64  `dynamodbav:"ttl"`
}

func toPauseItem(p Pause) pauseItem {
	return pauseItem{PK: controlPK, SK: pauseSK(p.Scope), Reason: p.Reason, By: p.By, Since: fmtTime(p.Since)}
}

func (it pauseItem) pause() (Pause, error) {
	parts := strings.Split(strings.TrimPrefix(it.SK, pausePrefix), "#")
	if len(parts) != 2 {
		return Pause{}, fmt.Errorf("pause item %q: malformed sort key", it.SK)
	}
	since, err := parseTime(it.Since)
	return Pause{Scope: Scope{fromWild(parts[0]), fromWild(parts[1])}, Reason: it.Reason, By: it.By, Since: since}, err
}

func toBreakerItem(b Breaker) breakerItem {
	return breakerItem{PK: controlPK, SK: breakerSK(b.Account), OpenedAt: fmtTime(b.OpenedAt), Resource: b.Resource, Saw: b.Saw}
}

func (it breakerItem) breaker() (Breaker, error) {
	at, err := parseTime(it.OpenedAt)
	return Breaker{Account: strings.TrimPrefix(it.SK, breakerPrefix), OpenedAt: at, Resource: it.Resource, Saw: it.Saw}, err
}

func toControlEventItem(e ControlEvent) controlEventItem {
	return controlEventItem{PK: controlHistoryPK, SK: historySK(e.At), At: fmtTime(e.At), Action: e.Action,
		Account: e.Account, Region: e.Region, By: e.By, Why: e.Why, TTL: epochSeconds(e.At.Add(controlHistoryTTL))}
}

func (it controlEventItem) event() (ControlEvent, error) {
	at, err := parseTime(it.At)
	return ControlEvent{At: at, Action: it.Action, Account: it.Account, Region: it.Region, By: it.By, Why: it.Why}, err
}

// closes reports the breakers a resume of scope closes.
func closes(scope Scope, account string) bool {
	return scope.Region == "" && (scope.Account == "" || scope.Account == account)
}

// NoControls is Controls without a state table: nothing is ever paused or
// open, and the budget is not counted (there is nowhere to count it).
// Writing a pause is an error.
type NoControls struct{}

var errNoTable = errors.New("state: pauses and breakers need the state table (FORCESSL_STATE_TABLE)")

func (NoControls) ReadControls(context.Context) (ControlSet, error) { return ControlSet{}, nil }
func (NoControls) Pause(context.Context, Pause) error               { return errNoTable }
func (NoControls) Resume(context.Context, Scope, string, string, time.Time) error {
	return errNoTable
}
func (NoControls) OpenBreaker(context.Context, Breaker) (bool, error) { return false, errNoTable }
func (NoControls) CountReboot(context.Context, time.Time, BudgetClaim, BudgetLimits, Admission) (BudgetUse, error) {
	return BudgetUse{Allowed: true}, nil
}
func (NoControls) Wait(context.Context, time.Time, BudgetClaim) error              { return nil }
func (NoControls) RebootCounts(context.Context, time.Time) (map[string]int, error) { return nil, nil }
func (NoControls) ControlHistory(context.Context) ([]ControlEvent, error)          { return nil, nil }
