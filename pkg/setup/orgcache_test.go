package setup_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/setup"
	"github.com/forcessl/forcessl/pkg/state"
)

// memoryWithOrg is a state table with the org listing, as Dynamo is.
type memoryWithOrg struct {
	*state.Memory
	*state.MemoryOrgCache
}

// In organization mode without FORCESSL_ACCOUNTS, the sweep's listing of the
// target OUs is written to the state table and the intake reads it; with an
// allow-list, or a store without the listing (an audit's), neither.
func TestSweepCachesTheOrgListing(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	listed := []string{"333333333333", "222222222222"}
	wire := func(vars map[string]string, store state.Store) (*memoryWithOrg, func(context.Context) ([]string, error), state.OrgCache) {
		cfg, err := config.FromMap(vars)
		if err != nil {
			t.Fatal(err)
		}
		d := setup.Wire(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), setup.Parts{Clients: fakeaws.Clients{AWS: fakeaws.New()},
			Store: store, Now: func() time.Time { return now },
			Accounts: func(context.Context) ([]string, error) { return listed, nil }})
		m, _ := store.(*memoryWithOrg)
		return m, d.Sweeper.Accounts, d.Org
	}
	org := map[string]string{config.EnvMemberRoleName: "forcessl-remediation", config.EnvTargetOUs: "ou-ab12-cdef3456"}

	m, accounts, cache := wire(org, &memoryWithOrg{state.NewMemory(), state.NewMemoryOrgCache()})
	if got, err := accounts(t.Context()); err != nil || !slices.Equal(got, listed) {
		t.Fatalf("sweep accounts %v, %v", got, err)
	}
	l, ok, err := m.MemoryOrgCache.Accounts(t.Context(), []string{"ou-ab12-cdef3456"})
	if !ok || err != nil || !slices.Equal(l.Accounts, []string{"222222222222", "333333333333"}) || !l.At.Equal(now) {
		t.Errorf("cached listing %+v, %v, %v", l, ok, err)
	}
	if cache == nil {
		t.Error("the intake does not read the listing")
	}

	withList := map[string]string{config.EnvMemberRoleName: "forcessl-remediation", config.EnvTargetOUs: "ou-ab12-cdef3456",
		config.EnvAccounts: "222222222222"}
	m, accounts, cache = wire(withList, &memoryWithOrg{state.NewMemory(), state.NewMemoryOrgCache()})
	if _, err := accounts(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := m.MemoryOrgCache.Accounts(t.Context(), []string{"ou-ab12-cdef3456"}); ok || cache != nil {
		t.Error("with FORCESSL_ACCOUNTS the listing is neither written nor read")
	}
	if _, _, cache = wire(org, state.ReadOnly(state.NewMemory())); cache != nil {
		t.Error("a read-only store reads the listing")
	}
}
