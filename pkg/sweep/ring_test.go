package sweep

import (
	"context"
	"testing"

	"github.com/forcessl/forcessl/pkg/request"
)

// Each work item's report names its account's ring when the sweep has
// rings, and none without.
func TestItemNamesItsRing(t *testing.T) {
	f := newFixture(t, nil)
	req := request.Request{Target: request.TargetAccountRegion, Account: "222222222222", Region: "eu-west-1", SweepID: "s"}
	if ri, _ := f.s.item(context.Background(), req, "", false); ri.Ring != "" {
		t.Errorf("no rings, yet the item says %q", ri.Ring)
	}
	f.s.Ring = func(_ context.Context, account string) string { return "ring of " + account }
	if ri, _ := f.s.item(context.Background(), req, "", false); ri.Ring != "ring of 222222222222" {
		t.Errorf("ring %q", ri.Ring)
	}
}
