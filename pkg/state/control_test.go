package state_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/state"
)

func TestMemoryControls(t *testing.T) {
	testControls(t, func(*testing.T) state.Controls { return state.NewMemoryControls() })
}

// TestDynamoControls runs the same suite against moto's DynamoDB, whose
// conditional writes moto_server.py makes atomic, as DynamoDB's are.
func TestDynamoControls(t *testing.T) {
	testControls(t, func(t *testing.T) state.Controls { return state.NewDynamoControls(newTable(t), table) })
}

func testControls(t *testing.T, newControls func(*testing.T) state.Controls) {
	t.Run("pause, read, resume, history", func(t *testing.T) { testPauseResume(t, newControls(t)) })
	t.Run("breaker opens once and resume closes it", func(t *testing.T) { testBreaker(t, newControls(t)) })
	t.Run("budget", func(t *testing.T) { testBudget(t, newControls(t)) })
	t.Run("budget exact under 6 concurrent invocations", func(t *testing.T) { testBudgetConcurrent(t, newControls(t)) })
}

func testPauseResume(t *testing.T, c state.Controls) {
	ctx := t.Context()
	org := state.Pause{Reason: "incident 42", By: "arn:aws:iam::111111111111:user/ops", Since: at(0)}
	acct := state.Pause{Scope: state.Scope{Account: "222222222222", Region: "eu-west-1"}, Reason: "migration", By: "arn:x", Since: at(time.Minute)}
	for _, p := range []state.Pause{org, acct} {
		if err := c.Pause(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	set, err := c.ReadControls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Pauses) != 2 || set.Pauses[0] != org || set.Pauses[1] != acct {
		t.Fatalf("pauses = %+v, want the organization's and the account-region's (sort key order)", set.Pauses)
	}
	if err := c.Resume(ctx, state.Scope{}, "arn:aws:iam::111111111111:user/ops", "incident over", at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if set, _ = c.ReadControls(ctx); len(set.Pauses) != 1 || set.Pauses[0] != acct {
		t.Fatalf("after resuming the organization: %+v, want only the account-region's pause left", set.Pauses)
	}
	if err := c.Resume(ctx, state.Scope{}, "x", "again", at(time.Hour)); !errors.Is(err, state.ErrNoChange) {
		t.Fatalf("a second resume = %v, want ErrNoChange", err)
	}
	h, err := c.ControlHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []state.ControlEvent{
		{At: at(0), Action: state.ActionPause, By: org.By, Why: "incident 42"},
		{At: at(time.Minute), Action: state.ActionPause, Account: "222222222222", Region: "eu-west-1", By: "arn:x", Why: "migration"},
		{At: at(time.Hour), Action: state.ActionResume, By: org.By, Why: "incident over"},
	}
	if fmt.Sprint(h) != fmt.Sprint(want) {
		t.Fatalf("history = %+v\nwant      %+v", h, want)
	}
	if err := c.Pause(ctx, state.Pause{Scope: state.Scope{Region: "eu-west-1"}, Since: at(0)}); err == nil {
		t.Error("a region without its account was accepted")
	}
}

func testBreaker(t *testing.T, c state.Controls) {
	ctx := t.Context()
	b := state.Breaker{Account: "111111111111", OpenedAt: at(0), Resource: "111111111111/us-east-1/db-A", Saw: "storage-full 31m after the reboot"}
	for i, want := range []bool{true, false} {
		opened, err := c.OpenBreaker(ctx, b)
		if err != nil || opened != want {
			t.Fatalf("open #%d = %v, %v; want %v", i+1, opened, err, want)
		}
	}
	set, _ := c.ReadControls(ctx)
	if len(set.Breakers) != 1 || set.Breakers[0] != b {
		t.Fatalf("breakers = %+v, want %+v", set.Breakers, b)
	}
	// An account-region resume does not close the account's breaker.
	if err := c.Resume(ctx, state.Scope{Account: "111111111111", Region: "us-east-1"}, "x", "", at(1)); !errors.Is(err, state.ErrNoChange) {
		t.Fatalf("region resume = %v, want ErrNoChange", err)
	}
	if err := c.Resume(ctx, state.Scope{Account: "111111111111"}, "arn:ops", "looked at it", at(2)); err != nil {
		t.Fatal(err)
	}
	if set, _ = c.ReadControls(ctx); len(set.Breakers) != 0 {
		t.Fatalf("breaker still open after resume: %+v", set.Breakers)
	}
}

func testBudget(t *testing.T, c state.Controls) {
	ctx := t.Context()
	limits := state.BudgetLimits{Account: 2, Org: 3}
	hour := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	steps := []struct {
		at                time.Time
		account, resource string
		want              state.BudgetUse
	}{
		{hour, "111111111111", "a", state.BudgetUse{Allowed: true}},
		{hour.Add(time.Minute), "111111111111", "a", state.BudgetUse{Allowed: true}}, // counted once
		{hour.Add(2 * time.Minute), "111111111111", "b", state.BudgetUse{Allowed: true}},
		{hour.Add(3 * time.Minute), "111111111111", "c", state.BudgetUse{Full: "account"}},
		{hour.Add(4 * time.Minute), "222222222222", "d", state.BudgetUse{Allowed: true}},
		{hour.Add(5 * time.Minute), "222222222222", "e", state.BudgetUse{Full: "org"}},
		{hour.Add(59 * time.Minute), "111111111111", "b", state.BudgetUse{Allowed: true}}, // already counted
		{hour.Add(time.Hour), "111111111111", "c", state.BudgetUse{Allowed: true}},        // the next clock hour
	}
	for i, s := range steps {
		got, err := c.CountReboot(ctx, s.at, s.account, s.resource, limits)
		if err != nil || got != s.want {
			t.Fatalf("step %d (%s %s): %+v, %v; want %+v", i, s.account, s.resource, got, err, s.want)
		}
	}
	counts, err := c.RebootCounts(ctx, hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"org": 3, "111111111111": 2, "222222222222": 1}; fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Fatalf("counts = %v, want %v", counts, want)
	}
	if got, _ := c.CountReboot(ctx, hour, "333333333333", "z", state.BudgetLimits{}); !got.Allowed {
		t.Error("no limits: refused")
	}
}

// testBudgetConcurrent: six invocations reboot six resources of one
// account in the same hour under a budget of four: exactly four go.
func testBudgetConcurrent(t *testing.T, c state.Controls) {
	const n, limit = 6, 4
	hour := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	results := make([]state.BudgetUse, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = c.CountReboot(t.Context(), hour.Add(time.Duration(i)*time.Second), "111111111111",
				fmt.Sprintf("111111111111/us-east-1/db-%d", i), state.BudgetLimits{Account: limit, Org: 100})
		})
	}
	wg.Wait()
	allowed := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if results[i].Allowed {
			allowed++
		} else if results[i].Full != "account" {
			t.Errorf("refusal %+v, want the account's budget named", results[i])
		}
	}
	counts, _ := c.RebootCounts(t.Context(), hour)
	if allowed != limit || counts["111111111111"] != limit || counts["org"] != limit {
		t.Fatalf("%d of %d allowed, counts %v; want exactly %d", allowed, n, counts, limit)
	}
}
