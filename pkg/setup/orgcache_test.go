package setup_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/plan"
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
	l, ok, err := m.MemoryOrgCache.Listing(t.Context(), []string{"ou-ab12-cdef3456"})
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
	if _, ok, _ := m.MemoryOrgCache.Listing(t.Context(), []string{"ou-ab12-cdef3456"}); ok || cache != nil {
		t.Error("with FORCESSL_ACCOUNTS the listing is neither written nor read")
	}
	if _, _, cache = wire(org, state.ReadOnly(state.NewMemory())); cache != nil {
		t.Error("a read-only store reads the listing")
	}
}

// The rings by OU read the listing the intake reads, which the sweep
// writes in its one walk: before the first sweep an account's OUs are
// unknown (report only, and the report says why; the intake lets it
// through); after it (and the process's minute of caching), an account
// placed under an enforced OU is changed, one under the root only is
// reported.
func TestRingsByOUReadTheSweepsListing(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	vars := map[string]string{config.EnvMode: "enforce", config.EnvMemberRoleName: "forcessl-remediation", config.EnvTargetOUs: "r-ab12",
		config.EnvEnforceOUs: "ou-ab12-cdef3456", config.EnvSchedulerRoleARN: fakeaws.RoleARN, config.EnvNoticeLead: "0"}
	cfg, err := config.FromMap(vars)
	if err != nil {
		t.Fatal(err)
	}
	store := &memoryWithOrg{state.NewMemory(), state.NewMemoryOrgCache()}
	e := fakeaws.NewEnv(t, now, vars, store)
	e.AWS.Account = "222222222222"
	listing := state.OrgListing{Accounts: []string{"222222222222", "333333333333"},
		Above: map[string][]string{"222222222222": {"r-ab12", "ou-ab12-cdef3456"}, "333333333333": {"r-ab12"}}}
	walks := 0
	e.D = setup.Wire(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), setup.Parts{Clients: fakeaws.Clients{AWS: e.AWS},
		Store: store, Controls: state.NewMemoryControls(), Now: func() time.Time { return e.Now },
		Accounts: func(context.Context) ([]string, error) {
			t.Error("the sweep listed accounts without placing them")
			return nil, nil
		},
		Listing: func(context.Context) (state.OrgListing, error) { walks++; return listing, nil }})
	e.AddSQLServer("orders")
	ir := e.Event(t, "RDS-EVENT-0005", "orders")
	if len(ir.Changed) != 0 || !strings.Contains(ir.Reason, "not in the sweep's OU listing yet") {
		t.Fatalf("before the first sweep: %+v", ir)
	}
	ids, err := e.D.Sweeper.Accounts(t.Context())
	if err != nil || walks != 1 || !slices.Equal(ids, listing.Accounts) {
		t.Fatalf("sweep accounts %v, %v, %d walks", ids, err, walks)
	}
	if l, ok, _ := store.MemoryOrgCache.Listing(t.Context(), []string{"r-ab12"}); !ok || !slices.Equal(l.OUs("222222222222"), listing.Above["222222222222"]) {
		t.Fatalf("cached %+v", l)
	}
	for account, want := range map[string]string{"222222222222": "enforce (ou-ab12-cdef3456)", "333333333333": "report"} {
		if got := e.D.Sweeper.Ring(t.Context(), account); got != want {
			t.Errorf("the sweep report's ring of %s is %q, want %q", account, got, want)
		}
	}
	e.Now = now.Add(time.Minute)
	if ir := e.Event(t, "RDS-EVENT-0005", "orders"); ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("an account under an enforced OU: %+v", ir)
	}
	reads := store.MemoryOrgCache.Reads()
	e.AWS.Account = "333333333333"
	e.AddSQLServer("billing")
	if ir := e.Event(t, "RDS-EVENT-0005", "billing"); len(ir.Changed) != 0 || !strings.Contains(ir.Reason, "outside the enforcement rings") ||
		strings.Contains(ir.Reason, "not in the sweep's OU listing") {
		t.Fatalf("an account under the root only: %+v", ir)
	}
	if got := store.MemoryOrgCache.Reads() - reads; got != 0 {
		t.Errorf("the intake and the rings read the listing %d more times within the minute; want none", got)
	}
}
