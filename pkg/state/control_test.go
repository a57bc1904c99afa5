package state_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/gate"
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
	t.Run("budget: the oldest waiting intents go first", func(t *testing.T) { testBudgetWaiting(t, newControls(t)) })
	t.Run("budget with waiting intents exact under 6 concurrent invocations", func(t *testing.T) {
		testBudgetWaitingConcurrent(t, newControls(t))
	})
}

// testBudgetWaiting: three restarts postponed to an hour wait for it;
// under a budget of two, younger arrivals yield to them and the two oldest
// go; counting a waiting one ends its wait; the next hour is free.
func testBudgetWaiting(t *testing.T, c state.Controls) {
	ctx := t.Context()
	hour := time.Date(2026, 12, 13, 3, 0, 0, 0, time.UTC)
	limits := state.BudgetLimits{Account: 2, Org: 10}
	claim := func(res string, weeksAgo int) state.BudgetClaim {
		return state.BudgetClaim{Account: "111111111111", Resource: "111111111111/us-east-1/" + res, IntentAt: hour.AddDate(0, 0, -7*weeksAgo)}
	}
	for _, w := range []state.BudgetClaim{claim("a", 3), claim("b", 2), claim("c", 1), claim("a", 3)} {
		if err := c.Wait(ctx, hour.Add(time.Minute), w); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range []struct {
		claim state.BudgetClaim
		want  state.BudgetUse
	}{
		{claim("new", 0), state.BudgetUse{Full: "account"}}, // younger than every waiting one
		{claim("c", 1), state.BudgetUse{Full: "account"}},   // two older wait
		{claim("b", 2), state.BudgetUse{Allowed: true}},
		{claim("b", 2), state.BudgetUse{Allowed: true}}, // a retry
		{claim("new", 0), state.BudgetUse{Full: "account"}},
		{claim("a", 3), state.BudgetUse{Allowed: true}},
		{claim("c", 1), state.BudgetUse{Full: "account"}}, // full now
	} {
		got, err := c.CountReboot(ctx, hour.Add(time.Duration(i)*time.Minute), s.claim, limits, gate.Admit)
		if err != nil || got != s.want {
			t.Fatalf("#%d %s: %+v, %v; want %+v", i, s.claim.Resource, got, err, s.want)
		}
	}
	counts, _ := c.RebootCounts(ctx, hour)
	if counts["111111111111"] != 2 || counts["org"] != 2 {
		t.Fatalf("counted %v", counts)
	}
	// Another account's restart, in the org counter: one waits there (c,
	// never counted), and the org's limit of 10 holds it.
	if got, err := c.CountReboot(ctx, hour, state.BudgetClaim{Account: "222222222222", Resource: "222222222222/us-east-1/z"},
		limits, gate.Admit); err != nil || !got.Allowed {
		t.Fatalf("another account: %+v, %v", got, err)
	}
	// The next hour nobody waits: first come, first served.
	if got, err := c.CountReboot(ctx, hour.Add(time.Hour), claim("new", 0), limits, gate.Admit); err != nil || !got.Allowed {
		t.Fatalf("next hour: %+v, %v", got, err)
	}
}

// testBudgetWaitingConcurrent: three restarts wait for an hour whose
// budget is two, and six invocations (the three and three younger ones)
// count at once: exactly the two oldest go, whoever comes first.
func testBudgetWaitingConcurrent(t *testing.T, c state.Controls) {
	const n = 6
	hour := time.Date(2026, 12, 13, 3, 0, 0, 0, time.UTC)
	claims := make([]state.BudgetClaim, n)
	for i := range n {
		claims[i] = state.BudgetClaim{Account: "111111111111", Resource: fmt.Sprintf("111111111111/us-east-1/db-%d", i),
			IntentAt: hour.Add(-time.Duration(n-i) * time.Hour)} // db-0 oldest
		if i < 3 {
			if err := c.Wait(t.Context(), hour, claims[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	var wg sync.WaitGroup
	results := make([]state.BudgetUse, n)
	errs := make([]error, n)
	for i := range n {
		j := n - 1 - i // the youngest start first
		wg.Go(func() {
			results[j], errs[j] = c.CountReboot(t.Context(), hour.Add(time.Minute), claims[j], state.BudgetLimits{Account: 2, Org: 100}, gate.Admit)
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if want := i < 2; results[i].Allowed != want {
			t.Errorf("db-%d: %+v, want allowed=%v (the two oldest waiting go)", i, results[i], want)
		}
	}
	counts, _ := c.RebootCounts(t.Context(), hour)
	if counts["111111111111"] != 2 || counts["org"] != 2 {
		t.Fatalf("counts %v", counts)
	}
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
		got, err := c.CountReboot(ctx, s.at, state.BudgetClaim{Account: s.account, Resource: s.resource}, limits, gate.Admit)
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
	if got, _ := c.CountReboot(ctx, hour, state.BudgetClaim{Account: "333333333333", Resource: "z"}, state.BudgetLimits{}, gate.Admit); !got.Allowed {
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
			results[i], errs[i] = c.CountReboot(t.Context(), hour.Add(time.Duration(i)*time.Second),
				state.BudgetClaim{Account: "111111111111", Resource: fmt.Sprintf("111111111111/us-east-1/db-%d", i)},
				state.BudgetLimits{Account: limit, Org: 100}, gate.Admit)
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
