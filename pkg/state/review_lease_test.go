package state_test

// Review: the lease compared one host's wall clock (leaseUntil, written by
// the holder) with another host's (:now, sent by the taker), so a CLI host
// whose clock ran 2+ minutes ahead took a live Lambda lease at once. The
// store now compares no clock at all: a live lease is refused to anyone,
// whatever their clock, and can be taken over only from the exact holding
// and version the taker watched (pkg/reconcile watches it for a whole
// period on its own monotonic clock: TestLeaseTakenOverOnlyAfterAWholePeriod).

import (
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/state"
)

func TestReviewLeaseTakenByASkewedClock(t *testing.T) {
	for name, s := range map[string]func(t *testing.T) state.Store{
		"memory": func(*testing.T) state.Store { return state.NewMemory() },
		"dynamo": func(t *testing.T) state.Store { return state.NewDynamo(newTable(t), table) },
	} {
		t.Run(name, func(t *testing.T) {
			st := s(t)
			ctx := t.Context()
			held, ok, err := st.Acquire(ctx, keyA, "forcessl-lambda", 20*time.Second)
			if !ok || err != nil {
				t.Fatal(ok, err)
			}
			// A CLI run on a laptop whose clock is 2m30s fast: no time of its
			// own is sent, so nothing about its clock can win the lease.
			seen, ok, _ := st.Acquire(ctx, keyA, "forcessl-cli", 20*time.Second)
			if ok {
				t.Fatalf("a live lease was taken by another host")
			}
			// The holder renews while it works: the version the CLI watched is
			// gone, so its takeover fails however long it believes it waited.
			if _, err := st.Renew(ctx, held); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := st.TakeOver(ctx, seen, "forcessl-cli", 20*time.Second); ok {
				t.Errorf("a renewed lease was taken over from a stale watch")
			}
		})
	}
}
