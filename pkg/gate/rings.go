package gate

import (
	"fmt"
	"slices"
	"strings"
)

// Rings are the staged-enforcement rings: FORCESSL_ENFORCE_ACCOUNTS and
// FORCESSL_ENFORCE_OUS. With neither set every covered account is
// enforced; with either, only the accounts listed or under an OU listed
// (at any depth), and every other account runs as report mode.
type Rings struct {
	Accounts []string
	OUs      []string
}

// Staged reports whether rings are configured at all.
func (r Rings) Staged() bool { return len(r.Accounts) > 0 || len(r.OUs) > 0 }

// Enforced reports whether the account is in a ring, and if not why, as
// the report says it. ous are the OUs and root above the account (any
// order), nil when the OU listing does not know the account.
func (r Rings) Enforced(account string, ous []string) (bool, string) {
	in, why := r.Ring(account, ous)
	if in {
		return true, ""
	}
	return false, why
}

// Ring names the ring the account is in ("all", "accounts", "ou-…"), or
// says why it is outside them.
func (r Rings) Ring(account string, ous []string) (bool, string) {
	switch {
	case !r.Staged():
		return true, "all"
	case slices.Contains(r.Accounts, account):
		return true, "accounts"
	}
	for _, ou := range r.OUs {
		if slices.Contains(ous, ou) {
			return true, ou
		}
	}
	why := fmt.Sprintf("ring: account %s is outside the enforcement rings (FORCESSL_ENFORCE_ACCOUNTS, FORCESSL_ENFORCE_OUS): report only", account)
	if len(r.OUs) > 0 && ous == nil {
		why += "; its OUs are not in the sweep's OU listing yet"
	}
	return false, why
}

// RingName is the short ring label status and reports show.
func (r Rings) RingName(account string, ous []string) string {
	in, ring := r.Ring(account, ous)
	switch {
	case !in:
		return "report"
	case ring == "accounts":
		return "enforce (listed)"
	case strings.HasPrefix(ring, "ou-") || strings.HasPrefix(ring, "r-"):
		return "enforce (" + ring + ")"
	}
	return "enforce"
}
