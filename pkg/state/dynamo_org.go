package state

import (
	"context"
)

var _ OrgCache = (*Dynamo)(nil)

// PutListing writes the listing (last writer wins: listings are whole).
func (d *Dynamo) PutListing(ctx context.Context, l OrgListing) error {
	it := newOrgItem(l)
	return wrap(d.put(ctx, it, "", nil, nil), "write the org listing %s", it.PK)
}

// Listing reads the listing (strongly consistent).
func (d *Dynamo) Listing(ctx context.Context, targets []string) (OrgListing, bool, error) {
	pk, _ := orgPK(targets)
	var it orgItem
	ok, err := d.get(ctx, pk, skOrgAccounts, &it)
	if err != nil || !ok {
		return OrgListing{}, false, wrap(err, "read the org listing %s", pk)
	}
	l, err := it.listing()
	return l, err == nil, err
}
