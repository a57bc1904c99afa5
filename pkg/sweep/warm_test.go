package sweep

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/result"
)

// An in-process sweep warms the accounts of the next wave while the
// current one runs: each account once, never one of the first wave (its
// items assume their own role).
func TestInProcessWarmsTheNextWave(t *testing.T) {
	var items []rdsevent.SweepItem
	for a := range 5 {
		for _, r := range []string{"eu-west-1", "us-east-1"} {
			items = append(items, rdsevent.SweepItem{SweepID: "s", Account: fmt.Sprintf("%012d", a+1), Region: r})
		}
	}
	var mu sync.Mutex
	var warmed []string
	s := &Sweeper{Parallelism: 4, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Warm: func(_ context.Context, account, region, _ string) {
			mu.Lock()
			defer mu.Unlock()
			warmed = append(warmed, account)
		},
		Reconcile: func(context.Context, request.Request, string) (result.Result, error) { return result.Result{}, nil },
	}
	s.inProcess(context.Background(), items, "")
	slices.Sort(warmed)
	// The first wave is items 0-3 (accounts 1 and 2); items 4-9 belong to
	// accounts 3, 4 and 5.
	if want := []string{"000000000003", "000000000004", "000000000005"}; !slices.Equal(warmed, want) {
		t.Errorf("warmed %v, want %v", warmed, want)
	}
}
