package state_test

import (
	"slices"
	"testing"

	"github.com/forcessl/forcessl/pkg/state"
)

func TestOUCache(t *testing.T) {
	c := state.NewOUCache(newTable(t), table)
	ctx := t.Context()
	if ous, err := c.AccountOUs(ctx, "111111111111"); err != nil || ous != nil {
		t.Fatalf("unknown account: %v, %v", ous, err)
	}
	if err := c.PutAccountOUs(ctx, "222222222222", []string{"ou-ab12-cdefgh12", "r-ab12"}, at(0)); err != nil {
		t.Fatal(err)
	}
	if ous, err := c.AccountOUs(ctx, "222222222222"); err != nil || !slices.Equal(ous, []string{"ou-ab12-cdefgh12", "r-ab12"}) {
		t.Fatalf("read back: %v, %v", ous, err)
	}
}
