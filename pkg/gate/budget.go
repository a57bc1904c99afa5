package gate

import (
	"slices"

	"github.com/forcessl/forcessl/pkg/state"
)

// Admit is the reboot budget's rule for one counter of one UTC hour
// (state.Admission): a restart already counted in the hour goes again (a
// retry, a cluster's next member); any other fits when the restarts
// counted, plus the restarts waiting for this hour whose intents are
// older than its own, leave a slot under the limit. Waiting restarts are
// those postponed to this hour for the budget: each keeps its intent's
// time, so however the reboots of a shared window arrive, the oldest
// intents take the slots and a younger one is postponed instead; a
// resource cannot be starved week after week, since every week's younger
// arrivals queue behind it. Ties in intent time go by resource, so the
// order is total.
func Admit(c state.BudgetCounter, claim state.BudgetClaim) bool {
	if c.Limit <= 0 || slices.Contains(c.Counted, claim.Resource) {
		return true
	}
	ahead := map[string]bool{}
	for _, w := range c.Waiting {
		if w.Resource != claim.Resource && !slices.Contains(c.Counted, w.Resource) && older(w, claim) {
			ahead[w.Resource] = true
		}
	}
	return len(c.Counted)+len(ahead) < c.Limit
}

func older(w state.Waiter, c state.BudgetClaim) bool {
	return w.IntentAt.Before(c.IntentAt) || w.IntentAt.Equal(c.IntentAt) && w.Resource < c.Resource
}
