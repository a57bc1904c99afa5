package state

import (
	"context"
	"time"
)

var _ OrgCache = (*Dynamo)(nil)

// PutAccounts writes the listing (last writer wins: listings are whole).
func (d *Dynamo) PutAccounts(ctx context.Context, targets, accounts []string, at time.Time) error {
	it, err := newOrgItem(targets, accounts, at)
	if err != nil {
		return err
	}
	return wrap(d.put(ctx, it, "", nil, nil), "write the org listing %s", it.PK)
}

// Accounts reads the listing (strongly consistent).
func (d *Dynamo) Accounts(ctx context.Context, targets []string) (OrgListing, bool, error) {
	pk, _, err := orgPK(targets)
	if err != nil {
		return OrgListing{}, false, err
	}
	var it orgItem
	ok, err := d.get(ctx, pk, skOrgAccounts, &it)
	if err != nil || !ok {
		return OrgListing{}, false, wrap(err, "read the org listing %s", pk)
	}
	l, err := it.listing()
	return l, err == nil, err
}
