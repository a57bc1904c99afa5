package state

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// OrgCache keeps the sweep's listing of the accounts under the target OUs
// (organization mode without FORCESSL_ACCOUNTS), so that an event costs no
// Organizations call: the intake refuses an account the listing did not
// return. Readers: the intake (pkg/dispatch) and staged enforcement rings.
// A small interface of its own, apart from Store: Dynamo and Memory
// implement it; the read-only store of an audit does not (an audit writes
// nothing, and reads what it lists itself).
type OrgCache interface {
	// PutAccounts records the accounts listed under targets at `at`.
	PutAccounts(ctx context.Context, targets []string, accounts []string, at time.Time) error
	// Accounts returns the last listing under targets; false when there is
	// none yet (no sweep has listed them).
	Accounts(ctx context.Context, targets []string) (OrgListing, bool, error)
}

// OrgListing is one listing of the accounts under some targets.
type OrgListing struct {
	Targets  []string  // the OUs or roots listed, sorted
	Accounts []string  // sorted
	At       time.Time // when the sweep listed them (UTC)
}

// Has reports whether account is in the listing.
func (l OrgListing) Has(account string) bool {
	_, ok := slices.BinarySearch(l.Accounts, account)
	return ok
}

// orgItem is the listing's row: one per set of targets, so a change of
// targetOus never reads an older set's listing.
type orgItem struct {
	PK       string   `dynamodbav:"pk"`
	SK       string   `dynamodbav:"sk"`
	Targets  []string `dynamodbav:"targets"`
	Accounts []string `dynamodbav:"accounts"`
	At       string   `dynamodbav:"at"`
}

const skOrgAccounts = "accounts"

// orgPK is the partition key of a listing: "org#" and the sorted targets.
func orgPK(targets []string) (string, []string, error) {
	if len(targets) == 0 {
		return "", nil, errors.New("org listing: no target OUs")
	}
	sorted := slices.Sorted(slices.Values(targets))
	return "org#" + strings.Join(sorted, ","), sorted, nil
}

func newOrgItem(targets, accounts []string, at time.Time) (orgItem, error) {
	pk, sorted, err := orgPK(targets)
	if err != nil {
		return orgItem{}, err
	}
	acc := slices.Compact(slices.Sorted(slices.Values(accounts)))
	return orgItem{PK: pk, SK: skOrgAccounts, Targets: sorted, Accounts: acc, At: at.UTC().Format(time.RFC3339Nano)}, nil
}

func (it orgItem) listing() (OrgListing, error) {
	at, err := time.Parse(time.RFC3339Nano, it.At)
	if err != nil {
		return OrgListing{}, err
	}
	return OrgListing{Targets: it.Targets, Accounts: it.Accounts, At: at.UTC()}, nil
}
