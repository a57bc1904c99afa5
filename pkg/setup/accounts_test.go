package setup_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/setup"
)

var moto *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, &moto) }

// A sweep in organization mode covers the active accounts under the
// target OUs, recursively, not the whole organization, and never the
// management account (unless FORCESSL_ACCOUNTS lists it).
func TestAccountsUnderTheTargetOUs(t *testing.T) {
	moto.Reset(t)
	ctx := context.Background()
	cfg := moto.Config(t)
	org := organizations.NewFromConfig(cfg)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	roots, err := org.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
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
	sandbox := ou(root, "sandbox")
	shop, card := account(prod, "shop"), account(payments, "card")
	account(sandbox, "play")

	got, err := setup.Accounts(ctx, org, []string{prod})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{shop, card}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("accounts under %s: %v, want %v (recursive, not the sandbox)", prod, got, want)
	}
	all, err := setup.Accounts(ctx, org, []string{root})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || slices.Contains(all, mototest.Account) {
		t.Errorf("under the root: %v, want the three member accounts without the management account %s", all, mototest.Account)
	}
}
