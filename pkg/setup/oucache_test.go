package setup_test

// The organization listing against moto's Organizations and DynamoDB.

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/setup"
	"github.com/forcessl/forcessl/pkg/state"
)

// The sweep's one walk of the OU tree lists the accounts and places each
// under its OUs, nested ones with every OU above them; the listing
// cached in the state table gives both back: the intake's accounts and
// the rings' OUs.
func TestAccountsPlaced(t *testing.T) {
	moto.Reset(t)
	ctx := context.Background()
	cfg := moto.Config(t)
	org := organizations.NewFromConfig(cfg)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	roots, _ := org.ListRoots(ctx, &organizations.ListRootsInput{})
	root := aws.ToString(roots.Roots[0].Id)
	ou := func(parent, name string) string {
		out, err := org.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.OrganizationalUnit.Id)
	}
	account := func(parent, name string) string {
		out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(out.CreateAccountStatus.AccountId)
		if _, err := org.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(id), SourceParentId: aws.String(root),
			DestinationParentId: aws.String(parent)}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	prod := ou(root, "prod")
	payments := ou(prod, "payments")
	shop, card := account(prod, "shop"), account(payments, "card")
	cache := state.NewDynamo(mototest.CreateStateTable(t, cfg, "forcessl-state"), "forcessl-state")
	for _, targets := range [][]string{nil, {prod}} {
		ids, above, err := setup.AccountsPlaced(ctx, org, targets)
		if err != nil || !slices.Contains(ids, shop) || !slices.Contains(ids, card) {
			t.Fatalf("accounts %v, %v", ids, err)
		}
		if err := cache.PutListing(ctx, state.OrgListing{Targets: targets, Accounts: ids, Above: above, At: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		l, ok, err := cache.Listing(ctx, targets)
		if !ok || err != nil || !l.Has(shop) || !l.Has(card) {
			t.Fatalf("cached listing %+v, %v, %v", l, ok, err)
		}
		start := root
		if targets != nil {
			start = prod
		}
		want := map[string][]string{shop: {start}, card: {start, payments}}
		if targets == nil {
			want = map[string][]string{shop: {root, prod}, card: {root, prod, payments}}
		}
		for acct, w := range want {
			if got := l.OUs(acct); !slices.Equal(got, w) {
				t.Errorf("targets %v: OUs of %s = %v; want %v", targets, acct, got, w)
			}
		}
	}
}
