package dispatch_test

import (
	"strings"
	"testing"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/state"
)

// Organization mode without an accounts allow-list: an event from a member
// account the sweep's cached listing of FORCESSL_TARGET_OUS did not return
// is refused, with nothing read there and no Organizations call; one the
// listing returned is handled; without a listing yet the account is let
// through (IAM's aws:ResourceOrgPaths holds the same line).
func TestRefusesAccountsOutsideTheTargetOUs(t *testing.T) {
	targets := "ou-ab12-cdef3456"
	for _, tc := range []struct {
		name    string
		listing []string // nil: no listing yet
		want    plan.Outcome
	}{
		{"no listing yet", nil, plan.OutcomeRemediated},
		{"listed", []string{"222222222222", "333333333333"}, plan.OutcomeRemediated},
		{"not listed", []string{"333333333333"}, plan.OutcomeRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := fakeaws.NewEnv(t, now, map[string]string{config.EnvMode: "enforce", config.EnvMemberRoleName: "forcessl-remediation",
				config.EnvTargetOUs: targets})
			e.AWS.Account = "222222222222" // a member: the function's account is 123456789012
			e.AddSQLServer("orders")
			cache := state.NewMemoryOrgCache()
			if tc.listing != nil {
				if err := cache.PutListing(t.Context(), state.OrgListing{Targets: []string{targets}, Accounts: tc.listing, At: now}); err != nil {
					t.Fatal(err)
				}
			}
			e.D.Org = cache
			ir := e.Event(t, "RDS-EVENT-0005", "orders")
			if ir.Outcome != tc.want {
				t.Fatalf("%+v", ir)
			}
			if tc.want == plan.OutcomeRefused {
				if !strings.Contains(ir.Reason, "is not under FORCESSL_TARGET_OUS") || len(e.AWS.Calls) != 0 {
					t.Errorf("reason %q, calls %v", ir.Reason, e.AWS.Calls)
				}
			}
		})
	}
}
