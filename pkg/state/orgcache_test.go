package state_test

import (
	"slices"
	"testing"

	"github.com/forcessl/forcessl/pkg/state"
)

// Both OrgCache implementations keep one listing per set of targets (in
// any order), the last one written, sorted and once; an unknown set has
// none; no targets is an error.
func TestOrgCache(t *testing.T) {
	for name, c := range map[string]state.OrgCache{"memory": state.NewMemoryOrgCache(), "dynamo": state.NewDynamo(newTable(t), table)} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			targets := []string{"ou-ab12-cdef3456", "r-ab12"}
			if _, ok, err := c.Accounts(ctx, targets); ok || err != nil {
				t.Fatalf("empty cache: %v, %v", ok, err)
			}
			if err := c.PutAccounts(ctx, targets, []string{"333333333333", "222222222222", "222222222222"}, at(0)); err != nil {
				t.Fatal(err)
			}
			if err := c.PutAccounts(ctx, []string{"r-ab12", "ou-ab12-cdef3456"}, []string{"444444444444", "222222222222"}, at(5)); err != nil {
				t.Fatal(err)
			}
			l, ok, err := c.Accounts(ctx, []string{"r-ab12", "ou-ab12-cdef3456"})
			if !ok || err != nil || !slices.Equal(l.Accounts, []string{"222222222222", "444444444444"}) || !l.At.Equal(at(5)) ||
				!slices.Equal(l.Targets, []string{"ou-ab12-cdef3456", "r-ab12"}) {
				t.Fatalf("listing %+v, %v, %v", l, ok, err)
			}
			if !l.Has("444444444444") || l.Has("333333333333") {
				t.Errorf("Has: %+v", l)
			}
			if _, ok, _ := c.Accounts(ctx, []string{"ou-ab12-cdef3456"}); ok {
				t.Error("another set of targets read this listing")
			}
			if err := c.PutAccounts(ctx, nil, []string{"1"}, at(0)); err == nil {
				t.Error("a listing without targets was written")
			}
		})
	}
}
