package reconcile_test

// forcessl's blast-radius controls, through the whole engine over the
// fake: a pause, the reboot budget, rings, the mode tag and the breaker.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/gate"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/state"
)

func controlled(t *testing.T, vars map[string]string, c state.Controls) *fakeaws.Env {
	env := map[string]string{"FORCESSL_MODE": "enforce"}
	for k, v := range vars {
		env[k] = v
	}
	return fakeaws.NewEnv(t, now, env, state.NewMemory()).WithControls(c)
}

func mustPause(t *testing.T, c state.Controls, p state.Pause) {
	t.Helper()
	if err := c.Pause(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// A pause stops a remediation and a scheduled reboot within one minute of
// being set, in every Lambda environment; resume lets the next window
// proceed.
func TestPauseStopsChangesAndRebootsAcrossEnvironments(t *testing.T) {
	c := state.NewMemoryControls()
	e := controlled(t, nil, c)
	e.AddSQLServer("orders")
	e.AddSQLServer("billing")
	e.AddSQLServer("ledger")
	if ir := e.Event(t, "RDS-EVENT-0005", "orders"); ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("before the pause: %+v", ir)
	}
	e.Notes.Take()
	first := e.D // this environment read the controls at `now`

	mustPause(t, c, state.Pause{Reason: "incident 7", By: "arn:aws:iam::123456789012:user/ops", Since: now.Add(10 * time.Second)})
	// Another Lambda environment, a second later.
	e.Now = now.Add(20 * time.Second)
	e.D = e.Environment()
	ir := e.Event(t, "RDS-EVENT-0005", "billing")
	if ir.Outcome != gate.OutcomePaused || len(ir.Changed) != 0 || e.AWS.Get("billing").Group != fakeaws.DefaultGroup {
		t.Fatalf("another environment under the pause: %+v, group %s", ir, e.AWS.Get("billing").Group)
	}
	if !strings.Contains(ir.Reason, "paused: incident 7 (since ") || !strings.Contains(ir.Reason, "by arn:aws:iam::123456789012:user/ops") {
		t.Errorf("reason does not name the pause: %s", ir.Reason)
	}
	// The first environment, a minute after it read the controls, sees it too.
	e.D = first
	e.Now = now.Add(time.Minute)
	if ir := e.Event(t, "RDS-EVENT-0005", "ledger"); ir.Outcome != gate.OutcomePaused || e.AWS.Get("ledger").Group != fakeaws.DefaultGroup {
		t.Fatalf("the first environment a minute later: %+v", ir)
	}
	// Told once per resource and pause.
	e.Event(t, "RDS-EVENT-0005", "billing")
	if got := e.Notes.Take(); !equal(got, []string{"paused", "paused"}) {
		t.Errorf("messages = %v, want one paused per resource", got)
	}

	// orders' reboot fires during the pause: postponed to the next window.
	e.Now = nextWindow
	ir = e.Fire(t, "orders")
	if ir.Outcome != plan.OutcomePostponed || len(e.AWS.Reboots) != 0 || !strings.Contains(ir.Reason, "paused: incident 7") {
		t.Fatalf("the scheduled reboot under a pause: %+v, %d reboots", ir, len(e.AWS.Reboots))
	}
	week := nextWindow.AddDate(0, 0, 7)
	if got := e.ScheduleAt("orders"); got != "at("+week.Format("2006-01-02T15:04:05")+")" {
		t.Errorf("postponed to %s, want the next window %s", got, week)
	}
	if got := e.Notes.Take(); !equal(got, []string{"postponed"}) {
		t.Errorf("messages = %v, want one postponed", got)
	}

	if err := c.Resume(context.Background(), state.Scope{}, "arn:aws:iam::123456789012:user/ops", "incident over", nextWindow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.Now = week
	if ir := e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRebooted || len(e.AWS.Reboots) != 1 {
		t.Fatalf("after resume, the next window: %+v", ir)
	}
}

// The controls are read once per invocation at most, not per resource.
func TestControlsReadOncePerMinute(t *testing.T) {
	c := state.NewMemoryControls()
	e := controlled(t, nil, c)
	for i := range 5 {
		e.AddSQLServer(fmt.Sprintf("db%d", i))
	}
	for i := range 5 {
		e.Event(t, "RDS-EVENT-0005", fmt.Sprintf("db%d", i))
	}
	if c.Reads() != 1 {
		t.Errorf("%d reads of the controls for 5 changes in one minute, want 1", c.Reads())
	}
}

// The budget postpones the (N+1)th reboot in an hour, and is exact when
// six Lambda environments fire six reboots at once.
func TestRebootBudget(t *testing.T) {
	c := state.NewMemoryControls()
	e := controlled(t, map[string]string{"FORCESSL_REBOOT_BUDGET": "account=4/h,org=100/h"}, c)
	ids := []string{"a", "b", "c", "d", "e", "f"}
	for _, id := range ids {
		e.AddSQLServer(id)
		if ir := e.Event(t, "RDS-EVENT-0005", id); ir.Outcome != plan.OutcomeRemediated {
			t.Fatalf("%s: %+v", id, ir)
		}
	}
	e.Now = nextWindow
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[plan.Outcome]int{}
	for _, id := range ids {
		d := e.Environment() // one Lambda environment each
		payload := firePayload(t, e, id)
		wg.Go(func() {
			out, err := d.Invoke(context.Background(), payload, fakeaws.FunctionARN)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			outcomes[fakeaws.Only(t, out).Outcome]++
		})
	}
	wg.Wait()
	if outcomes[plan.OutcomeRebooted] != 4 || outcomes[plan.OutcomePostponed] != 2 || len(e.AWS.Reboots) != 4 {
		t.Fatalf("outcomes %v, %d reboots; want 4 rebooted and 2 postponed", outcomes, len(e.AWS.Reboots))
	}
	counts, _ := c.RebootCounts(context.Background(), nextWindow)
	if counts[e.AWS.Account] != 4 {
		t.Errorf("counted %v", counts)
	}
}

// firePayload takes the resource's schedule due now (as Scheduler fires
// and deletes it) and returns its payload.
func firePayload(t *testing.T, e *fakeaws.Env, id string) []byte {
	t.Helper()
	for _, name := range e.AWS.Names(plan.SchedulePrefixFor(e.AWS.Account, e.AWS.Region, fakeaws.ResourceID(id))) {
		if s, ok := e.AWS.Schedule(name); ok && strings.Contains(aws.ToString(s.ScheduleExpression), e.Now.Format("2006-01-02T15:04")) {
			e.AWS.Take(name)
			return []byte(aws.ToString(s.Target.Input))
		}
	}
	t.Fatalf("no schedule of %s due at %s", id, e.Now)
	return nil
}

// A ring keeps an account outside it report-only while an account in it
// is changed; forcessl:mode=report keeps one resource report-only.
func TestRingsAndModeTag(t *testing.T) {
	c := state.NewMemoryControls()
	outside := controlled(t, map[string]string{"FORCESSL_ENFORCE_ACCOUNTS": "999999999999"}, c)
	outside.AddSQLServer("orders")
	ir := outside.Event(t, "RDS-EVENT-0005", "orders")
	if len(ir.Changed) != 0 || outside.AWS.Get("orders").Group != fakeaws.DefaultGroup || !strings.Contains(ir.Reason, "outside the enforcement rings") {
		t.Fatalf("an account outside the rings was changed: %+v", ir)
	}
	if got := outside.Notes.Take(); !equal(got, []string{"report-finding"}) {
		t.Errorf("outside the rings, told as report mode: %v", got)
	}

	inside := controlled(t, map[string]string{"FORCESSL_ENFORCE_ACCOUNTS": fakeaws.New().Account}, c)
	inside.AddSQLServer("orders")
	inside.AddSQLServer("reports", func(i *fakeaws.Instance) { i.Tags["forcessl:mode"] = "report" })
	if ir := inside.Event(t, "RDS-EVENT-0005", "orders"); ir.Outcome != plan.OutcomeRemediated || inside.AWS.Get("orders").Group == fakeaws.DefaultGroup {
		t.Fatalf("an account in the ring was not changed: %+v", ir)
	}
	ir = inside.Event(t, "RDS-EVENT-0005", "reports")
	if len(ir.Changed) != 0 || inside.AWS.Get("reports").Group != fakeaws.DefaultGroup || ir.State != plan.NonCompliant ||
		!strings.Contains(ir.Reason, "tagged forcessl:mode=report") {
		t.Fatalf("forcessl:mode=report was changed: %+v", ir)
	}
}

// A breaker opens when a rebooted instance does not come back within
// FORCESSL_RESTART_TIMEOUT, says so once, and stays open: the account's
// next reboot is postponed until resume.
func TestBreakerOpensAndStaysOpen(t *testing.T) {
	c := state.NewMemoryControls()
	e := controlled(t, map[string]string{"FORCESSL_RESTART_TIMEOUT": "30m"}, c)
	e.AddSQLServer("orders")
	e.AddSQLServer("billing", func(i *fakeaws.Instance) { i.Window = "sun:05:00-sun:06:00" })
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Event(t, "RDS-EVENT-0005", "billing")
	e.Notes.Take()
	e.Now = nextWindow
	if ir := e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("reboot: %+v", ir)
	}
	// orders never comes back.
	e.AWS.Set("orders", func(i *fakeaws.Instance) { i.Status = "rebooting" })
	// The look forcessl schedules after each reboot (issue 16), within the
	// timeout: not back yet, not broken.
	e.Now = nextWindow.Add(plan.RecheckDelay)
	if ir := e.Fire(t, "orders"); ir.Outcome == gate.OutcomeBreakerOpen {
		t.Fatalf("breaker opened inside the timeout: %+v", ir)
	}
	e.Now = nextWindow.Add(31 * time.Minute)
	ir := e.Fire(t, "orders") // the look forcessl scheduled with the reboot
	if ir.Outcome != gate.OutcomeBreakerOpen || !strings.Contains(ir.Reason, "orders is still rebooting") {
		t.Fatalf("the look after the reboot: %+v", ir)
	}
	set, _ := c.ReadControls(context.Background())
	if len(set.Breakers) != 1 || set.Breakers[0].Account != e.AWS.Account {
		t.Fatalf("breakers: %+v", set.Breakers)
	}
	// (The look at 10 minutes verifies TLS from the group's in-sync status,
	// whatever the instance's; the breaker judges the instance.)
	if got := e.Notes.Take(); !equal(got, []string{"rebooted", "verified", "breaker-open"}) {
		t.Errorf("messages = %v, want rebooted, verified, then one breaker-open", got)
	}
	// It stays open: billing's reboot, fired late (at 05:32, still in its
	// window, where it would reboot), is postponed.
	e.D = e.Environment()
	ir = e.Event(t, "RDS-EVENT-0014", "orders") // another look at orders: said once
	if ir.Outcome == gate.OutcomeBreakerOpen {
		t.Errorf("the breaker was told twice: %+v", ir)
	}
	reboots := len(e.AWS.Reboots)
	e.Now = nextWindow.Add(32 * time.Minute)
	out, err := e.Invoke(t, takeSchedule(t, e, "billing"))
	if err != nil {
		t.Fatal(err)
	}
	if ir := fakeaws.Only(t, out); ir.Outcome != plan.OutcomePostponed || len(e.AWS.Reboots) != reboots || !strings.Contains(ir.Reason, "breaker open") {
		t.Fatalf("a reboot under an open breaker: %+v", ir)
	}
	if c.Resume(context.Background(), state.Scope{Account: e.AWS.Account}, "ops", "fixed", e.Now) != nil {
		t.Fatal("resume did not close the breaker")
	}
}

// takeSchedule takes the resource's one schedule whatever its time (a
// late fire) and returns its payload.
func takeSchedule(t *testing.T, e *fakeaws.Env, id string) []byte {
	t.Helper()
	names := e.AWS.Names(plan.SchedulePrefixFor(e.AWS.Account, e.AWS.Region, fakeaws.ResourceID(id)))
	if len(names) != 1 {
		t.Fatalf("schedules of %s: %v", id, names)
	}
	s, _ := e.AWS.Take(names[0])
	return []byte(aws.ToString(s.Target.Input))
}

// When a shared window holds more reboots than the budget week after
// week, the oldest intents go first: a reboot postponed last week goes
// this week, ahead of the week's younger arrivals, even when those fire
// first. (In the first week nobody waits yet: first come, first served.) Every resource is rebooted, each within a week of its first
// window; first come, first served would starve last week's forever
// here, since the younger ones fire first every week.
func TestBudgetOldestIntentFirstWeekAfterWeek(t *testing.T) {
	c := state.NewMemoryControls()
	e := controlled(t, map[string]string{"FORCESSL_REBOOT_BUDGET": "account=2/h,org=100/h"}, c)
	intentAt := map[string]time.Time{}
	firstWindow := map[string]int{}
	rebootedIn := map[string]int{}
	const weeks, arrivingWeeks = 8, 5
	for week := range weeks {
		window := nextWindow.AddDate(0, 0, 7*week)
		arrivals := 2
		if week == 0 {
			arrivals = 4 // two more than the budget: two wait from the start
		}
		if week >= arrivingWeeks {
			arrivals = 0
		}
		for i := range arrivals {
			id := fmt.Sprintf("w%d-%d", week, i)
			e.AddSQLServer(id)
			e.Now = window.Add(-72*time.Hour + time.Duration(i)*time.Minute)
			if ir := e.Event(t, "RDS-EVENT-0005", id); ir.Outcome != plan.OutcomeRemediated {
				t.Fatalf("%s: %+v", id, ir)
			}
			intentAt[id], firstWindow[id] = e.Now, week
		}
		e.Now = window
		var due []string
		for id := range intentAt {
			if _, done := rebootedIn[id]; !done && e.RebootAt(id) == "at("+window.Format("2006-01-02T15:04:05")+")" {
				due = append(due, id)
			}
		}
		// The youngest intents fire first: the worst order for the old.
		slices.SortFunc(due, func(a, b string) int { return intentAt[b].Compare(intentAt[a]) })
		oldest := slices.SortedFunc(slices.Values(due), func(a, b string) int { return intentAt[a].Compare(intentAt[b]) })
		if len(oldest) > 2 {
			oldest = oldest[:2]
		}
		var went []string
		for _, id := range due {
			out, err := e.Invoke(t, firePayload(t, e, id))
			if err != nil {
				t.Fatal(err)
			}
			switch ir := fakeaws.Only(t, out); ir.Outcome {
			case plan.OutcomeRebooted:
				went, rebootedIn[id] = append(went, id), week
			case plan.OutcomePostponed:
				if !strings.Contains(ir.Reason, "reboot budget") {
					t.Fatalf("week %d, %s postponed for another reason: %s", week, id, ir.Reason)
				}
			default:
				t.Fatalf("week %d, %s: %+v", week, id, ir)
			}
		}
		slices.Sort(went)
		slices.Sort(oldest)
		switch {
		case week == 0 && len(went) != 2:
			// Nobody waits yet: first come, first served, up to the budget.
			t.Fatalf("week 0: %v rebooted of %v due; want two", went, due)
		case week > 0 && !slices.Equal(went, oldest):
			t.Fatalf("week %d: %v rebooted of %v due; want the oldest intents %v", week, went, due, oldest)
		}
	}
	for id, first := range firstWindow {
		week, done := rebootedIn[id]
		if !done || week-first > 1 {
			t.Errorf("%s: first due in week %d, rebooted in week %d (%v)", id, first, week, done)
		}
	}
}

// lookPayload takes the resource's look due now out of Scheduler.
func lookPayload(t *testing.T, e *fakeaws.Env, id string) []byte {
	t.Helper()
	p, ok := e.DuePayload(id)
	if !ok {
		t.Fatalf("no look of %s due at %s (schedules: %s)", id, e.Now, e.ScheduleAt(id))
	}
	return p
}

// failingLook delivers a look whose read of the instance fails, as
// Lambda would (the payload), and returns the invocation's error.
func failingLook(t *testing.T, e *fakeaws.Env, payload []byte) (any, error) {
	t.Helper()
	e.AWS.FailNext["DescribeDBInstances"] = fakeaws.APIError("ThrottlingException")
	return e.Invoke(t, payload)
}

// A look after forcessl's reboot that keeps failing to read the instance
// opens the breaker, but only past FORCESSL_RESTART_TIMEOUT and after
// three failures in a row: the look at 10 minutes and its two Lambda
// retries fail (the error goes back to Lambda each time; the look at the
// timeout is scheduled, since the failed look scheduled nothing); the
// look at the timeout fails too and opens it, with the error codes it
// met, in one breaker-open message, and the event is acknowledged. It
// stays open.
func TestBreakerOpensWhenTheLookKeepsFailing(t *testing.T) {
	c := state.NewMemoryControls()
	e := controlled(t, map[string]string{"FORCESSL_RESTART_TIMEOUT": "30m"}, c)
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Now = nextWindow
	if ir := e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("reboot: %+v", ir)
	}
	e.Notes.Take()
	e.Now = nextWindow.Add(plan.RecheckDelay)
	look := lookPayload(t, e, "orders")
	for i, at := range []time.Duration{0, time.Minute, 3 * time.Minute} { // the look and Lambda's two retries
		e.Now = nextWindow.Add(plan.RecheckDelay + at)
		if _, err := failingLook(t, e, look); err == nil {
			t.Fatalf("failed look #%d acknowledged; want it retried", i+1)
		}
		if set, _ := c.ReadControls(context.Background()); len(set.Breakers) != 0 {
			t.Fatalf("breaker opened inside the timeout, after %d failed looks", i+1)
		}
	}
	if got := e.Notes.Take(); len(got) != 0 {
		t.Errorf("messages before the timeout: %v", got)
	}
	// The look at the timeout (scheduled by the failed look) fails too.
	e.Now = nextWindow.Add(31 * time.Minute)
	atTimeout := lookPayload(t, e, "orders")
	out, err := failingLook(t, e, atTimeout)
	if err != nil {
		t.Fatalf("the look that opened the breaker was not acknowledged: %v", err)
	}
	ir := fakeaws.Only(t, out)
	if ir.Outcome != gate.OutcomeBreakerOpen || !strings.Contains(ir.Reason, "could not read the resource 4 time(s)") ||
		!strings.Contains(ir.Reason, "ThrottlingException") {
		t.Fatalf("the failing look at the timeout: %+v", ir)
	}
	set, _ := c.ReadControls(context.Background())
	if len(set.Breakers) != 1 || set.Breakers[0].Account != e.AWS.Account || !strings.Contains(set.Breakers[0].Saw, "ThrottlingException") {
		t.Fatalf("breakers: %+v", set.Breakers)
	}
	if got := e.Notes.Take(); !equal(got, []string{"breaker-open"}) {
		t.Errorf("messages = %v, want one breaker-open", got)
	}
	// Lambda's retry of a look that already opened it: said once.
	if out, err := failingLook(t, e, atTimeout); err == nil && fakeaws.Only(t, out).Outcome == gate.OutcomeBreakerOpen {
		t.Error("the breaker was told twice")
	}
	if set, _ := c.ReadControls(context.Background()); len(set.Breakers) != 1 {
		t.Fatalf("the breaker did not stay open: %+v", set.Breakers)
	}
}

// A look that reads the instance in between starts the count over: the
// look at 10 minutes fails twice, its second retry reads (not back yet);
// at the timeout a throttled look alone opens nothing, and only its
// third failure in a row does.
func TestFailedLookCountStartsOverAfterARead(t *testing.T) {
	c := state.NewMemoryControls()
	e := controlled(t, map[string]string{"FORCESSL_RESTART_TIMEOUT": "30m"}, c)
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Now = nextWindow
	if ir := e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("reboot: %+v", ir)
	}
	e.AWS.Set("orders", func(i *fakeaws.Instance) { i.Status = "rebooting" })
	e.Now = nextWindow.Add(plan.RecheckDelay)
	look := lookPayload(t, e, "orders")
	for range 2 {
		if _, err := failingLook(t, e, look); err == nil {
			t.Fatal("failed look acknowledged")
		}
	}
	e.Now = nextWindow.Add(plan.RecheckDelay + 3*time.Minute)
	if _, err := e.Invoke(t, look); err != nil { // reads: rebooting, not back yet
		t.Fatal(err)
	}
	if m, _, _ := e.Store.Resource(context.Background(), state.Key{Account: e.AWS.Account, Region: e.AWS.Region,
		ResourceID: fakeaws.ResourceID("orders")}); m.LookFailed != nil {
		t.Fatalf("a look that read the instance kept the count: %+v", m.LookFailed)
	}
	e.Now = nextWindow.Add(31 * time.Minute)
	atTimeout := lookPayload(t, e, "orders")
	for i, at := range []time.Duration{0, time.Minute} {
		e.Now = nextWindow.Add(31*time.Minute + at)
		if _, err := failingLook(t, e, atTimeout); err == nil {
			t.Fatalf("failure #%d at the timeout acknowledged", i+1)
		}
		if set, _ := c.ReadControls(context.Background()); len(set.Breakers) != 0 {
			t.Fatalf("breaker opened after %d failures in a row", i+1)
		}
	}
	e.Now = nextWindow.Add(34 * time.Minute)
	out, err := failingLook(t, e, atTimeout)
	if err != nil || fakeaws.Only(t, out).Outcome != gate.OutcomeBreakerOpen {
		t.Fatalf("third failure in a row past the timeout: %v, %v", out, err)
	}
}

// A throttled look at the timeout whose retry reads a healthy instance
// opens nothing.
func TestTransientLookFailureOpensNothing(t *testing.T) {
	c := state.NewMemoryControls()
	e := controlled(t, map[string]string{"FORCESSL_RESTART_TIMEOUT": "30m"}, c)
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Now = nextWindow
	e.Fire(t, "orders")
	e.AWS.Set("orders", func(i *fakeaws.Instance) { i.Status = "rebooting" })
	e.Now = nextWindow.Add(plan.RecheckDelay)
	e.Fire(t, "orders") // not back yet: the look at the timeout is scheduled
	e.AWS.Set("orders", func(i *fakeaws.Instance) { i.Status = "available" })
	e.Now = nextWindow.Add(31 * time.Minute)
	look := lookPayload(t, e, "orders")
	if _, err := failingLook(t, e, look); err == nil {
		t.Fatal("throttled look acknowledged")
	}
	e.Now = nextWindow.Add(32 * time.Minute)
	out, err := e.Invoke(t, look)
	if err != nil || fakeaws.Only(t, out).Outcome == gate.OutcomeBreakerOpen {
		t.Fatalf("retry: %v, %v", out, err)
	}
	if set, _ := c.ReadControls(context.Background()); len(set.Breakers) != 0 {
		t.Fatalf("breakers %+v", set.Breakers)
	}
}

// Two breakers opened in different accounts within an hour pause the
// organization.
func TestTwoBreakersInAnHourPauseTheOrganization(t *testing.T) {
	c := state.NewMemoryControls()
	for i, account := range []string{"111111111111", "222222222222"} {
		// Organization mode: the function reaches each account through
		// its member role.
		e := controlled(t, map[string]string{"FORCESSL_RESTART_TIMEOUT": "30m", "FORCESSL_MEMBER_ROLE_NAME": "forcessl-remediation"}, c)
		e.AWS.Account = account
		e.AddSQLServer("orders")
		e.Event(t, "RDS-EVENT-0005", "orders")
		e.Now = nextWindow
		if ir := e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRebooted {
			t.Fatalf("%s reboot: %+v", account, ir)
		}
		e.AWS.Set("orders", func(i *fakeaws.Instance) { i.Status = "rebooting" })
		e.Now = nextWindow.Add(plan.RecheckDelay)
		e.Fire(t, "orders")
		e.Now = nextWindow.Add(31 * time.Minute)
		if ir := e.Fire(t, "orders"); ir.Outcome != gate.OutcomeBreakerOpen {
			t.Fatalf("%s: %+v", account, ir)
		}
		set, _ := c.ReadControls(context.Background())
		if paused := len(set.Pauses) == 1 && set.Pauses[0].Scope == (state.Scope{}) &&
			strings.Contains(set.Pauses[0].Reason, "breakers opened in accounts 111111111111 and 222222222222"); paused != (i == 1) {
			t.Fatalf("after the breaker of %s: pauses %+v", account, set.Pauses)
		}
	}
}
