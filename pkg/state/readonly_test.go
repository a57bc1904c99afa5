package state_test

import (
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/state"
)

// A read-only view reads what is there and changes nothing.
func TestReadOnly(t *testing.T) {
	ctx := t.Context()
	mem := state.NewMemory()
	k := state.Key{Account: "111111111111", Region: "eu-west-1", ResourceID: "db-X"}
	if err := mem.PutResource(ctx, state.Resource{Key: k, Kind: state.KindInstance, Name: "x", State: "compliant", UpdatedAt: at(0)}); err != nil {
		t.Fatal(err)
	}
	ro := state.ReadOnly(mem)
	got, ok, err := ro.Resource(ctx, k)
	if err != nil || !ok || got.Name != "x" {
		t.Fatalf("read through the view: %+v %v %v", got, ok, err)
	}
	got.State = "non-compliant"
	if err := ro.PutResource(ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := ro.AppendHistory(ctx, k, state.HistoryEntry{At: at(time.Minute), Name: "x"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ro.Acquire(ctx, k, "me", time.Minute); !ok || err != nil {
		t.Fatal(ok, err)
	}
	after, _, _ := mem.Resource(ctx, k)
	h, _ := mem.History(ctx, k)
	if after.State != "compliant" || after.Version != 1 || len(h) != 0 {
		t.Errorf("the view wrote: %+v, history %v", after, h)
	}
	if _, ok, _ := mem.Acquire(ctx, k, "someone", time.Minute); !ok {
		t.Error("the view took a real lease")
	}
}
