package stack

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/forcessl/forcessl/pkg/rdsevent"
)

// filterValues are, by filter ID, the values its rules match, in order,
// and the accounts its first rules (those of its first values) filter on.
func filterValues(ps []rulePattern) (values, accounts map[string][]string) {
	values, accounts = map[string][]string{}, map[string][]string{}
	for _, f := range eventFilters() {
		for _, p := range ps {
			if *(*p.pattern.DetailType)[0] != f.detailType {
				continue
			}
			if p.id == f.id || strings.HasPrefix(p.id, f.id+"Accounts") {
				for _, a := range asList(p.json["account"]) {
					accounts[f.id] = append(accounts[f.id], a.(string))
				}
			}
			if strings.Contains(p.id, "Accounts") {
				continue // the values of the rule before it
			}
			for _, v := range p.json["detail"].(map[string]any)[f.key].([]any) {
				values[f.id] = append(values[f.id], v.(string))
			}
		}
	}
	return values, accounts
}

// TestEventPatternSizes: every rule's pattern fits EventBridge's 2,048
// characters; a filter too long for one rule is split over several that
// together match exactly the engine's list and accounts, the first keeping
// the filter's ID and name.
func TestEventPatternSizes(t *testing.T) {
	var many []string
	for i := range 300 {
		many = append(many, fmt.Sprintf("%012d", 100000000000+i))
	}
	want := map[string][]string{}
	for _, f := range eventFilters() {
		want[f.id] = f.values
	}
	for _, tc := range []struct {
		name     string
		accounts []string
		budget   int
		split    bool // some filter takes more than one rule
	}{
		{"default bus and member accounts", nil, eventPatternBudget, false},
		{"central bus, two accounts", []string{"111111111111", "222222222222"}, eventPatternBudget, false},
		{"central bus, 300 accounts", many, eventPatternBudget, true},
		{"engine lists longer than a rule", nil, 300, true},
	} {
		// GIVEN accounts and a budget WHEN the rules are built
		ps := eventPatternsWithin(tc.accounts, tc.budget)
		// THEN each fits
		for _, p := range ps {
			if n := patternLength(p.json); n > tc.budget || n > maxEventPatternChars {
				t.Errorf("%s: rule %s pattern has %d characters, over %d", tc.name, p.id, n, tc.budget)
			}
		}
		if got := len(ps) > len(eventFilters()); got != tc.split {
			t.Errorf("%s: %d rules for %d filters", tc.name, len(ps), len(eventFilters()))
		}
		// ... the first rule of each filter keeps its ID and name, and no
		// two rules share either
		var ids, slugs []string
		for _, p := range ps {
			if slices.Contains(ids, p.id) {
				t.Errorf("%s: rule ID %s twice", tc.name, p.id)
			}
			ids = append(ids, p.id)
			if !strings.Contains(p.id, "Accounts") {
				if slices.Contains(slugs, p.slug) {
					t.Errorf("%s: member rule name %s twice", tc.name, memberRuleName(p))
				}
				slugs = append(slugs, p.slug)
			}
		}
		for _, f := range eventFilters() {
			if !slices.Contains(ids, f.id) || !slices.Contains(slugs, f.slug) {
				t.Errorf("%s: filter %s lost its rule ID or name (%v, %v)", tc.name, f.id, ids, slugs)
			}
		}
		// ... and together they match exactly the engine's values, for
		// exactly the accounts
		values, accounts := filterValues(ps)
		for id, w := range want {
			if !slices.Equal(values[id], w) {
				t.Errorf("%s: %s matches %v, the engine acts on %v", tc.name, id, values[id], w)
			}
			if len(tc.accounts) > 0 {
				if got := accounts[id]; !slices.Equal(got, tc.accounts) {
					t.Errorf("%s: %s rules filter on accounts %v, want %v", tc.name, id, got, tc.accounts)
				}
			}
		}
	}
	// The engine's lists themselves: what the rules are built from.
	if !slices.Equal(want["ApiCallsRule"], rdsevent.APICalls()) || !slices.Equal(want["ClusterEventsRule"], rdsevent.ClusterEventIDs()) ||
		!slices.Equal(want["InstanceEventsRule"], rdsevent.InstanceEventIDs()) {
		t.Errorf("filters are not the engine's lists: %v", want)
	}
}
