package sweep

import (
	"context"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/state"
)

func TestRunID(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 42, 0, time.UTC)
	evTime := time.Date(2026, 11, 26, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		name      string
		req       request.Request
		id        string
		started   time.Time
		fromEvent bool
	}{
		{"scheduled event", request.Request{EventID: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", EventTime: evTime},
			"2026-11-26T09:00:00Z_53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", evTime, true},
		{"CLI: no event", request.Request{}, "2026-11-26T10:00:42Z", now, false},
		{"old constant input: no time", request.Request{EventID: "53dc4d37"}, "2026-11-26T10:00:42Z", now, false},
		{"an ID that could break a key", request.Request{EventID: "a#b", EventTime: evTime}, "2026-11-26T10:00:42Z", now, false},
	} {
		id, started, fromEvent := RunID(tc.req, now)
		if id != tc.id || !started.Equal(tc.started) || fromEvent != tc.fromEvent {
			t.Errorf("%s: RunID = %q, %s, %v; want %q, %s, %v", tc.name, id, started, fromEvent, tc.id, tc.started, tc.fromEvent)
		}
	}
}

// scheduledStart is the start the CDK rule delivers: the scheduled event's
// ID and time in the envelope.
func scheduledStart(t *testing.T) request.Request {
	t.Helper()
	req, err := rdsevent.Parse([]byte(`{"version":"0","id":"0f6a3c1e-1b2c-4d5e-8f90-123456789abc",` +
		`"time":"2026-11-26T10:00:00Z","source":"forcessl","detail-type":"forcessl Sweep","detail":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// A start delivered again after its run completed (EventBridge delivers at
// least once) enqueues nothing and sends nothing.
func TestStartRepeatedAfterRunCompleted(t *testing.T) {
	f := newFixture(t, nil)
	start := scheduledStart(t)
	if _, err := f.s.StartFrom(context.Background(), start, ""); err != nil {
		t.Fatal(err)
	}
	for _, req := range f.items(t) {
		if _, err := f.s.Item(context.Background(), req, ""); err != nil {
			t.Fatal(err)
		}
	}
	queued := len(f.q.bodies)
	f.now = f.now.Add(time.Hour)
	st, err := f.s.StartFrom(context.Background(), start, "")
	if err != nil || st.SweepID != "2026-11-26T10:00:00Z_0f6a3c1e-1b2c-4d5e-8f90-123456789abc" {
		t.Fatalf("repeated start: %+v, %v", st, err)
	}
	if len(f.q.bodies) != queued || len(f.d.sent) != 1 {
		t.Errorf("a repeated start of a completed run enqueued %d messages and %d digests went out; want none more, 1 digest",
			len(f.q.bodies)-queued, len(f.d.sent))
	}
}

// A retried start completes the FIRST start's run even when the accounts
// listed differ by then: the run's stored work items are enqueued, not the
// new enumeration, so the run's count and its digest stay consistent.
func TestRetriedStartEnqueuesTheStoredItems(t *testing.T) {
	f := newFixture(t, nil)
	fq := &failingQueue{queue: f.q, failAt: 2}
	f.s.Queue = fq
	start := scheduledStart(t)
	if _, err := f.s.StartFrom(context.Background(), start, ""); err == nil {
		t.Fatal("setup: the start must fail")
	}
	f.s.Accounts = func(context.Context) ([]string, error) { return []string{"444444444444"}, nil }
	if _, err := f.s.StartFrom(context.Background(), start, ""); err != nil {
		t.Fatal(err)
	}
	items := f.items(t)
	if len(items) != 3 || items[0].Account != "111111111111" {
		t.Fatalf("retried start enqueued %+v; want the first start's 3 items", items)
	}
	for _, req := range items {
		if _, err := f.s.Item(context.Background(), req, ""); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.d.sent) != 1 {
		t.Errorf("%d digests, want 1", len(f.d.sent))
	}
}

// A digest whose send fails on the last item is retried by a deadline
// message a couple of minutes later, long before the deadline, without
// sweeping the item again.
func TestDigestRetriedByAShortDeadline(t *testing.T) {
	f := newFixture(t, nil)
	fd := &flakyDigests{fail: 1}
	f.s.Digests = fd
	if _, err := f.s.Start(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	for _, req := range f.items(t) {
		if _, err := f.s.Item(context.Background(), req, ""); err != nil {
			t.Fatalf("the item's own work is done: %v", err)
		}
	}
	if f.q.deadline != 2 || f.q.delays[len(f.q.delays)-1] != int32(digestRetry.Seconds()) {
		t.Fatalf("want a digest retry queued %v after the failure: %d deadline messages, delays %v", digestRetry, f.q.deadline, f.q.delays)
	}
	f.now = f.now.Add(digestRetry)
	retry, err := rdsevent.Parse([]byte(f.q.bodies[len(f.q.bodies)-1]))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.AtDeadline(context.Background(), retry); err != nil {
		t.Fatal(err)
	}
	if len(fd.sent) != 1 {
		t.Errorf("%d digests after the retry, want 1", len(fd.sent))
	}
}

// The deadline message sends the digest at the deadline; if it fails
// there, the message comes back (SQS) and the next delivery sends it.
func TestDeadlineSendFailureIsRetried(t *testing.T) {
	f := newFixture(t, nil)
	fd := &flakyDigests{fail: 1}
	f.s.Digests = fd
	if _, err := f.s.Start(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	deadline := request.Request{Target: request.TargetSweepDeadline, SweepID: f.items(t)[0].SweepID}
	f.now = f.now.Add(4 * time.Hour)
	if err := f.s.AtDeadline(context.Background(), deadline); err == nil {
		t.Fatal("a failed send at the deadline must return its error, for SQS to deliver the message again")
	}
	if err := f.s.AtDeadline(context.Background(), deadline); err != nil || len(fd.sent) != 1 {
		t.Fatalf("redelivered deadline: %d digests, %v; want 1", len(fd.sent), err)
	}
}

// A sender that died holding the claim (a Lambda timeout between claim and
// send) holds the digest back only until its claim goes stale: the
// deadline message waits for that, then takes it over.
func TestDeadClaimTakenOver(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.s.Start(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	id := f.items(t)[0].SweepID
	f.now = f.now.Add(4 * time.Hour)
	if won, err := f.s.Store.ClaimDigest(context.Background(), id, f.now); !won || err != nil {
		t.Fatalf("setup: claim %v, %v", won, err)
	}
	deadline := request.Request{Target: request.TargetSweepDeadline, SweepID: id}
	before := f.q.deadline
	if err := f.s.AtDeadline(context.Background(), deadline); err != nil {
		t.Fatal(err)
	}
	if len(f.d.sent) != 0 || f.q.deadline != before+1 || f.q.delays[len(f.q.delays)-1] != int32(state.DigestClaimFor.Seconds()) {
		t.Fatalf("while the claim is live: %d digests, delays %v; want none sent and the message back in %v",
			len(f.d.sent), f.q.delays, state.DigestClaimFor)
	}
	f.now = f.now.Add(state.DigestClaimFor)
	if err := f.s.AtDeadline(context.Background(), deadline); err != nil || len(f.d.sent) != 1 {
		t.Fatalf("after the claim went stale: %d digests, %v; want 1", len(f.d.sent), err)
	}
	if err := f.s.AtDeadline(context.Background(), deadline); err != nil || len(f.d.sent) != 1 {
		t.Errorf("after it was sent: %d digests, %v; want still 1", len(f.d.sent), err)
	}
}
