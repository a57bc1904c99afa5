package setup

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/forcessl/forcessl/pkg/state"
)

// AccountsRecordingOUs lists the sweep's accounts as Accounts does, in the
// same walk of the OU tree, and records each account's OUs and root in the
// state table's OU cache, which the enforcement rings read
// (FORCESSL_ENFORCE_OUS): no Organizations call per event. Used only when
// rings by OU are configured.
func AccountsRecordingOUs(ctx context.Context, org *organizations.Client, roots []string, cache *state.OUCache, now time.Time) ([]string, error) {
	return accounts(ctx, org, roots, func(id string, above []string) error {
		return cache.PutAccountOUs(ctx, id, above, now)
	})
}
