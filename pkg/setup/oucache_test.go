package setup_test

// AccountsRecordingOUs against moto's Organizations and DynamoDB.

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

// The sweep's account listing records each account's OUs, nested ones
// with every OU above them, which the rings read back.
func TestAccountsRecordingOUs(t *testing.T) {
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
	cache := state.NewOUCache(mototest.CreateStateTable(t, cfg, "forcessl-state"), "forcessl-state")
	ids, err := setup.AccountsRecordingOUs(ctx, org, nil, cache, time.Unix(0, 0))
	if err != nil || !slices.Contains(ids, shop) || !slices.Contains(ids, card) {
		t.Fatalf("accounts %v, %v", ids, err)
	}
	for acct, want := range map[string][]string{shop: {root, prod}, card: {root, prod, payments}} {
		if got, err := cache.AccountOUs(ctx, acct); err != nil || !slices.Equal(got, want) {
			t.Errorf("OUs of %s = %v, %v; want %v", acct, got, err, want)
		}
	}
}
