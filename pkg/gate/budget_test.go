package gate_test

import (
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/gate"
	"github.com/forcessl/forcessl/pkg/state"
)

// Several restarts wait for an hour, the budget is N: who goes.
func TestAdmitOldestIntentFirst(t *testing.T) {
	week := func(n int) time.Time { return time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC).AddDate(0, 0, 7*n) }
	w := func(res string, n int) state.Waiter { return state.Waiter{Resource: res, IntentAt: week(n)} }
	claim := func(res string, n int) state.BudgetClaim { return state.BudgetClaim{Resource: res, IntentAt: week(n)} }
	waiting := []state.Waiter{w("a", 0), w("b", 1), w("c", 2)}
	for _, tc := range []struct {
		name    string
		limit   int
		counted []string
		waiting []state.Waiter
		claim   state.BudgetClaim
		want    bool
	}{
		{"nobody waits: first come", 2, nil, nil, claim("x", 5), true},
		{"nobody waits: full", 2, []string{"p", "q"}, nil, claim("x", 5), false},
		{"unlimited", 0, []string{"p", "q"}, waiting, claim("x", 5), true},
		{"a younger intent yields to the waiting ones", 2, nil, waiting, claim("x", 5), false},
		{"a younger intent fits when the limit holds every older waiting one", 4, nil, waiting, claim("x", 5), true},
		{"the oldest waiting goes first", 2, nil, waiting, claim("a", 0), true},
		{"the second oldest too", 2, nil, waiting, claim("b", 1), true},
		{"the third waits behind two older under 2", 2, nil, waiting, claim("c", 2), false},
		{"the third goes once the oldest are counted", 3, []string{"a", "b"}, waiting, claim("c", 2), true},
		{"the oldest counted leaves its slot counted, not twice", 2, []string{"a"}, waiting, claim("b", 1), true},
		{"a slot taken by a younger arrival still leaves the older one's", 2, []string{"x"}, waiting, claim("a", 0), true},
		{"…but not the second's", 2, []string{"x"}, waiting, claim("b", 1), false},
		{"an older intent not waiting goes before the waiting ones", 2, nil, waiting, claim("old", -1), true},
		{"already counted goes again, even when full", 1, []string{"c"}, waiting, claim("c", 2), true},
		{"equal intent times: by resource", 1, nil, []state.Waiter{w("m", 3)}, claim("n", 3), false},
		{"equal intent times: by resource (first)", 1, nil, []state.Waiter{w("n", 3)}, claim("m", 3), true},
		{"a resource waiting twice counts once", 2, nil, []state.Waiter{w("a", 0), w("a", 1)}, claim("x", 5), true},
	} {
		c := state.BudgetCounter{Scope: "account", Limit: tc.limit, Counted: tc.counted, Waiting: tc.waiting}
		if got := gate.Admit(c, tc.claim); got != tc.want {
			t.Errorf("%s: Admit(%s) = %v, want %v", tc.name, tc.claim.Resource, got, tc.want)
		}
	}
}

// Whatever order a window's reboots arrive in, the N oldest intents
// among those waiting and arriving are the ones that go.
func TestAdmitWhoGoesInAnyOrder(t *testing.T) {
	base := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	waiting := []state.Waiter{{Resource: "w1", IntentAt: base}, {Resource: "w2", IntentAt: base.Add(time.Hour)},
		{Resource: "w3", IntentAt: base.Add(2 * time.Hour)}}
	arrivals := []state.BudgetClaim{{Resource: "new1", IntentAt: base.AddDate(0, 0, 7)}, {Resource: "new2", IntentAt: base.AddDate(0, 0, 7)}}
	for _, w := range waiting {
		arrivals = append(arrivals, state.BudgetClaim{Resource: w.Resource, IntentAt: w.IntentAt})
	}
	const limit = 2
	// every order of the five arrivals
	var perms func([]state.BudgetClaim, int) [][]state.BudgetClaim
	perms = func(a []state.BudgetClaim, k int) [][]state.BudgetClaim {
		if k == len(a) {
			return [][]state.BudgetClaim{append([]state.BudgetClaim(nil), a...)}
		}
		var out [][]state.BudgetClaim
		for i := k; i < len(a); i++ {
			a[k], a[i] = a[i], a[k]
			out = append(out, perms(a, k+1)...)
			a[k], a[i] = a[i], a[k]
		}
		return out
	}
	for _, order := range perms(arrivals, 0) {
		c := state.BudgetCounter{Scope: "org", Limit: limit, Waiting: waiting}
		for _, cl := range order {
			if gate.Admit(c, cl) {
				c.Counted = append(c.Counted, cl.Resource)
			}
		}
		if len(c.Counted) != 2 || !(c.Counted[0] == "w1" && c.Counted[1] == "w2" || c.Counted[0] == "w2" && c.Counted[1] == "w1") {
			t.Fatalf("order %v: counted %v, want w1 and w2", order, c.Counted)
		}
	}
}
