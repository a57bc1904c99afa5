package state_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/state"
)

// Both OrgCache implementations keep one listing per set of targets (in
// any order), the last one written, sorted and once, with the OUs above
// each account the walk placed; an unknown set has none; no targets is
// the whole organization's row.
func TestOrgCache(t *testing.T) {
	for name, c := range map[string]state.OrgCache{"memory": state.NewMemoryOrgCache(), "dynamo": state.NewDynamo(newTable(t), table)} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			targets := []string{"ou-ab12-cdef3456", "r-ab12"}
			if _, ok, err := c.Listing(ctx, targets); ok || err != nil {
				t.Fatalf("empty cache: %v, %v", ok, err)
			}
			if err := c.PutListing(ctx, state.OrgListing{Targets: targets, Accounts: []string{"333333333333", "222222222222", "222222222222"}, At: at(0)}); err != nil {
				t.Fatal(err)
			}
			above := map[string][]string{"222222222222": {"r-ab12", "ou-ab12-cdef3456"}, "555555555555": {"r-ab12", "ou-ab12-cdef3456", "ou-ab12-99999999"},
				"666666666666": {"r-ab12"}}
			if err := c.PutListing(ctx, state.OrgListing{Targets: []string{"r-ab12", "ou-ab12-cdef3456"},
				Accounts: []string{"666666666666", "444444444444", "222222222222", "555555555555"}, Above: above, At: at(5)}); err != nil {
				t.Fatal(err)
			}
			l, ok, err := c.Listing(ctx, []string{"r-ab12", "ou-ab12-cdef3456"})
			if !ok || err != nil || !slices.Equal(l.Accounts, []string{"222222222222", "444444444444", "555555555555", "666666666666"}) ||
				!l.At.Equal(at(5)) || !slices.Equal(l.Targets, []string{"ou-ab12-cdef3456", "r-ab12"}) || !reflect.DeepEqual(l.Above, above) {
				t.Fatalf("listing %+v, %v, %v", l, ok, err)
			}
			if !l.Has("444444444444") || l.Has("333333333333") {
				t.Errorf("Has: %+v", l)
			}
			if l.OUs("444444444444") != nil || !slices.Equal(l.OUs("555555555555"), above["555555555555"]) {
				t.Errorf("OUs: %v, %v", l.OUs("444444444444"), l.OUs("555555555555"))
			}
			if _, ok, _ := c.Listing(ctx, []string{"ou-ab12-cdef3456"}); ok {
				t.Error("another set of targets read this listing")
			}
			if _, ok, _ := c.Listing(ctx, nil); ok {
				t.Error("the whole organization's row read a listing of some targets")
			}
			if err := c.PutListing(ctx, state.OrgListing{Accounts: []string{"777777777777"}, Above: map[string][]string{"777777777777": {"r-ab12"}}, At: at(0)}); err != nil {
				t.Fatal(err)
			}
			if l, ok, err := c.Listing(ctx, nil); !ok || err != nil || !l.Has("777777777777") || !slices.Equal(l.OUs("777777777777"), []string{"r-ab12"}) {
				t.Errorf("the whole organization: %+v, %v, %v", l, ok, err)
			}
		})
	}
}

// CachedOrg reads a listing at most once per For, and again at once after
// writing one.
func TestCachedOrgReadsOncePerPeriod(t *testing.T) {
	m := state.NewMemoryOrgCache()
	clock := at(0)
	c := &state.CachedOrg{Cache: m, For: time.Minute, Clock: func() time.Time { return clock }}
	ctx := t.Context()
	targets := []string{"ou-ab12-cdef3456"}
	if _, ok, _ := c.Listing(ctx, targets); ok {
		t.Fatal("listing before any sweep")
	}
	if err := m.PutListing(ctx, state.OrgListing{Targets: targets, Accounts: []string{"222222222222"}, At: clock}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(30 * time.Second)
	if _, ok, _ := c.Listing(ctx, targets); ok || m.Reads() != 1 {
		t.Fatalf("within the period: read again (%d reads) or saw the new listing", m.Reads())
	}
	clock = clock.Add(30 * time.Second)
	if l, ok, _ := c.Listing(ctx, targets); !ok || !l.Has("222222222222") || m.Reads() != 2 {
		t.Fatalf("after the period: %+v, %v, %d reads", l, ok, m.Reads())
	}
	if err := c.PutListing(ctx, state.OrgListing{Targets: targets, Accounts: []string{"333333333333"}, At: clock}); err != nil {
		t.Fatal(err)
	}
	if l, _, _ := c.Listing(ctx, targets); !l.Has("333333333333") {
		t.Fatalf("after a write: %+v", l)
	}
}
