// Package upcoming lists what forcessl will restart when: every scheduled
// reboot and heads-up in forcessl's schedule group, matched to the intent
// (the reboot forcessl owes) in the state table, with whether a pause, an
// open breaker or the reboot budget holds it back. It is pure: the CLI
// reads the intents (one Scan), the schedules (one paged ListSchedules per
// schedule group, names only, never a GetSchedule each) and the controls,
// and renders what Build returns as a table, JSON, CSV or iCalendar.
package upcoming

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/gate"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/state"
)

// Entry is one scheduled reboot or heads-up.
type Entry struct {
	// UID identifies the reboot across moves: the resource, the action and
	// the intent it serves. Sequence counts the moves (postponements).
	UID      string    `json:"uid"`
	Sequence int       `json:"sequence"`
	At       time.Time `json:"at"`
	Action   string    `json:"action"` // reboot | heads-up
	Account  string    `json:"account"`
	Region   string    `json:"region"`
	Resource string    `json:"resource"` // the identifier as last seen
	Kind     string    `json:"kind,omitempty"`
	ID       string    `json:"resourceId,omitempty"`
	Why      string    `json:"why"`
	Ring     string    `json:"ring"`
	// Paused names the pause or breaker that will postpone it if still in
	// force then; OverBudget that its hour already holds the budget's worth.
	Paused     string `json:"paused,omitempty"`
	OverBudget bool   `json:"overBudget,omitempty"`
	Schedule   string `json:"schedule"`
	// IntentAt is when forcessl recorded the reboot it owes (zero when the
	// schedule has no intent in the state table).
	IntentAt time.Time `json:"intentRecordedAt,omitzero"`
}

// Input is what Build needs, all read beforehand.
type Input struct {
	Intents []state.Resource
	// Moves counts each resource's postponements since its intent was
	// recorded (from its history), by resource ID.
	Moves     map[string]int
	Schedules []string // forcessl's schedule names in the schedule group
	Controls  state.ControlSet
	Config    gate.Config
	// Counted are the restarts counted in the current hour (RebootCounts).
	Counted map[string]int
	// Org is the sweep's cached organization listing, which places
	// accounts under the OUs the rings name (FORCESSL_ENFORCE_OUS); zero:
	// none yet, so only FORCESSL_ENFORCE_ACCOUNTS places an account in a
	// ring.
	Org  state.OrgListing
	Now  time.Time
	Days int
}

// Build lists the reboots and heads-ups due in the next Days days, in time
// order (ties by account, region and resource).
func Build(in Input) []Entry {
	until := in.Now.Add(time.Duration(in.Days) * 24 * time.Hour)
	var out []Entry
	for _, name := range in.Schedules {
		at, action, ok := plan.ParseScheduleName(name)
		if !ok || at.Before(in.Now.Truncate(time.Minute)) || at.After(until) ||
			action != request.TriggerReboot && action != request.TriggerNotice {
			continue
		}
		e := Entry{At: at.UTC(), Action: "reboot", Schedule: name, Resource: "(not in the state table)", Why: "scheduled by forcessl"}
		if action == request.TriggerNotice {
			e.Action = "heads-up"
		}
		var intentAt time.Time
		if r, ok := owner(in.Intents, name); ok {
			e.Account, e.Region, e.Resource, e.Kind, e.ID = r.Key.Account, r.Key.Region, r.Name, r.Kind, r.Key.ResourceID
			e.Why = why(r.Intent)
			e.Sequence = in.Moves[r.Key.ResourceID]
			intentAt = r.Intent.RecordedAt
			e.IntentAt = intentAt.UTC()
			e.Ring = in.Config.Rings.RingName(r.Key.Account, in.Org.OUs(r.Key.Account))
			if p, paused := gate.Blocked(in.Controls, r.Key.Account, r.Key.Region); paused {
				e.Paused = p
			}
		}
		e.UID = uid(e, intentAt, name)
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b Entry) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region),
			cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.Action, b.Action))
	})
	overBudget(out, in)
	return out
}

// overBudget marks the reboots an hour cannot hold: in each UTC hour the
// oldest intents go first, as the engine's budget lets them (a reboot
// postponed once carries its old intent and so comes first next time).
func overBudget(out []Entry, in Input) {
	type slot struct{ hour, account string }
	used := map[slot]int{}
	hourNow := in.Now.UTC().Format("2006-01-02T15")
	for acct, n := range in.Counted {
		used[slot{hourNow, acct}] = n
	}
	idx := make([]int, 0, len(out))
	for i, e := range out {
		if e.Action == "reboot" {
			idx = append(idx, i)
		}
	}
	// Oldest intent first within an hour (no intent known: last).
	slices.SortStableFunc(idx, func(a, b int) int {
		ia, ib := out[a].IntentAt, out[b].IntentAt
		return cmp.Or(cmp.Compare(out[a].At.Format("2006-01-02T15"), out[b].At.Format("2006-01-02T15")),
			cmp.Compare(zeroLast(ia), zeroLast(ib)), ia.Compare(ib))
	})
	for _, i := range idx {
		h := out[i].At.Format("2006-01-02T15")
		acct, org := slot{h, out[i].Account}, slot{h, state.BudgetOrg}
		b := in.Config.Budget
		if b.Account > 0 && used[acct] >= b.Account || b.Org > 0 && used[org] >= b.Org {
			out[i].OverBudget = true
			continue
		}
		used[acct]++
		used[org]++
	}
}

// owner finds the intent whose resource the schedule belongs to.
func owner(intents []state.Resource, name string) (state.Resource, bool) {
	for _, r := range intents {
		if r.Intent != nil && strings.HasPrefix(name, plan.SchedulePrefixFor(r.Key.Account, r.Key.Region, r.Key.ResourceID)) {
			return r, true
		}
	}
	return state.Resource{}, false
}

func why(in *state.Intent) string {
	s := "TLS enforcement set by forcessl in " + in.Group + " takes effect at the restart"
	if len(in.Changes) > 0 {
		s += " (" + strings.Join(in.Changes, "; ") + ")"
	}
	return s
}

// uid is stable across moves of the same reboot: the resource, the
// action and the intent's time, not the fire time.
func uid(e Entry, intentAt time.Time, schedule string) string {
	key := schedule
	if e.ID != "" {
		key = e.Account + "/" + e.Region + "/" + e.ID + "/" + e.Action + "/" + intentAt.UTC().Format(time.RFC3339Nano)
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:12]) + "@forcessl"
}

// Moves counts the postponements in a resource's history since at.
func Moves(h []state.HistoryEntry, since time.Time) int {
	n := 0
	for _, e := range h {
		if e.Outcome == string(plan.OutcomePostponed) && !e.At.Before(since) {
			n++
		}
	}
	return n
}

func zeroLast(t time.Time) int {
	if t.IsZero() {
		return 1
	}
	return 0
}
