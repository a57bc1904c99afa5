package setup

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/forcessl/forcessl/pkg/state"
)

// AccountsRecordingOUs lists the sweep's accounts as Accounts does, in the
// same walk of the OU tree, and records each account's OUs and root in the
// state table's OU cache, which the enforcement rings read
// (FORCESSL_ENFORCE_OUS): no Organizations call per event. Used only when
// rings by OU are configured.
func AccountsRecordingOUs(ctx context.Context, org *organizations.Client, roots []string, cache *state.OUCache, now time.Time) ([]string, error) {
	desc, err := org.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return nil, fmt.Errorf("describe the organization: %w", err)
	}
	management := aws.ToString(desc.Organization.MasterAccountId)
	if len(roots) == 0 {
		out, err := org.ListRoots(ctx, &organizations.ListRootsInput{})
		if err != nil {
			return nil, fmt.Errorf("list the organization's roots: %w", err)
		}
		for _, r := range out.Roots {
			roots = append(roots, aws.ToString(r.Id))
		}
	}
	type node struct {
		id    string
		above []string // this node and its ancestors the walk came through
	}
	var ids []string
	for queue := []node{}; ; {
		if len(roots) > 0 {
			for _, r := range roots {
				queue = append(queue, node{r, []string{r}})
			}
			roots = nil
		}
		if len(queue) == 0 {
			break
		}
		n := queue[0]
		queue = queue[1:]
		accounts := organizations.NewListAccountsForParentPaginator(org, &organizations.ListAccountsForParentInput{ParentId: aws.String(n.id)})
		for accounts.HasMorePages() {
			page, err := accounts.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list the accounts of %s: %w", n.id, err)
			}
			for _, a := range page.Accounts {
				id := aws.ToString(a.Id)
				if a.Status != orgtypes.AccountStatusActive || id == management || slices.Contains(ids, id) {
					continue
				}
				ids = append(ids, id)
				if err := cache.PutAccountOUs(ctx, id, n.above, now); err != nil {
					return nil, err
				}
			}
		}
		ous := organizations.NewListOrganizationalUnitsForParentPaginator(org, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(n.id)})
		for ous.HasMorePages() {
			page, err := ous.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list the organizational units of %s: %w", n.id, err)
			}
			for _, ou := range page.OrganizationalUnits {
				queue = append(queue, node{aws.ToString(ou.Id), append(slices.Clone(n.above), aws.ToString(ou.Id))})
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}
