package sweep

// The run logic of a fanned-out sweep, with the atomic in-process store and
// a recording queue: one digest per run, however SQS delivers the items.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/state"
)

type queue struct {
	mu       sync.Mutex
	bodies   []string
	delays   []int32
	deadline int // deadline messages sent
}

func (q *queue) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, e := range in.Entries {
		q.bodies = append(q.bodies, aws.ToString(e.MessageBody))
		q.delays = append(q.delays, e.DelaySeconds)
		if strings.Contains(aws.ToString(e.MessageBody), rdsevent.DetailSweepDeadline) {
			q.deadline++
		}
	}
	return &sqs.SendMessageBatchOutput{}, nil
}

type digests struct {
	mu   sync.Mutex
	sent []notify.Message
}

func (d *digests) Send(_ context.Context, m notify.Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sent = append(d.sent, m)
	return nil
}

type fixture struct {
	s   *Sweeper
	q   *queue
	d   *digests
	now time.Time
}

// fixture sweeps 3 accounts in one region; every account-region has one
// non-compliant instance, so each digest has something to say.
func newFixture(t *testing.T, reconcile func(request.Request) (result.Result, error)) *fixture {
	f := &fixture{q: &queue{}, d: &digests{}, now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	if reconcile == nil {
		reconcile = func(req request.Request) (result.Result, error) {
			return result.Result{Resources: []result.Resource{{Kind: plan.KindInstance, Name: "db-" + req.Account, State: plan.NonCompliant}}}, nil
		}
	}
	f.s = &Sweeper{Mode: "report", Now: func() time.Time { return f.now }, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Reconcile: func(_ context.Context, req request.Request, _ string) (result.Result, error) { return reconcile(req) },
		Accounts: func(context.Context) ([]string, error) {
			return []string{"111111111111", "222222222222", "333333333333"}, nil
		},
		Regions: []string{"eu-west-1"}, Queue: f.q, QueueURL: "q", Digests: f.d, Store: state.NewMemory(),
		Deadline: 3 * time.Hour, MaxReceives: 3}
	return f
}

// items parses what the start enqueued.
func (f *fixture) items(t *testing.T) []request.Request {
	t.Helper()
	var out []request.Request
	for _, b := range f.q.bodies {
		req, err := rdsevent.Parse([]byte(b))
		if err != nil {
			t.Fatal(err)
		}
		if req.Target == request.TargetAccountRegion {
			out = append(out, req)
		}
	}
	return out
}

func TestOneDigestPerRun(t *testing.T) {
	f := newFixture(t, nil)
	st, err := f.s.Start(context.Background(), "")
	if err != nil || st.Items != 3 || !st.Queued {
		t.Fatalf("%+v %v", st, err)
	}
	if f.q.deadline != 1 || f.q.delays[0] != 900 {
		t.Errorf("the deadline message must be enqueued with SQS's longest delay: %v", f.q.delays)
	}
	items := f.items(t)
	// SQS delivers at least once: every item twice, in parallel.
	var wg sync.WaitGroup
	for _, req := range append(items, items...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req.Delivery = 1
			if _, err := f.s.Item(context.Background(), req, ""); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(f.d.sent) != 1 {
		t.Fatalf("%d digests for one run, want 1", len(f.d.sent))
	}
	if m := f.d.sent[0]; !strings.Contains(m.Email, "111111111111") || !strings.Contains(m.Email, "333333333333") ||
		!strings.Contains(m.Subject, "3 need attention") {
		t.Errorf("the digest must total every account-region:\n%s\n%s", m.Subject, m.Email)
	}
}

// An item that never completes must not hold the digest back: at the
// deadline the digest goes out with what reported, the rest counted as not
// covered; a late item afterwards sends nothing more.
func TestDeadlineSendsWhatReported(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.s.Start(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	items := f.items(t)
	if _, err := f.s.Item(context.Background(), items[0], ""); err != nil {
		t.Fatal(err)
	}
	deadline := request.Request{Target: request.TargetSweepDeadline, SweepID: items[0].SweepID}
	f.now = f.now.Add(15 * time.Minute)
	if err := f.s.AtDeadline(context.Background(), deadline); err != nil {
		t.Fatal(err)
	}
	if len(f.d.sent) != 0 || f.q.deadline != 2 {
		t.Fatalf("before the deadline the message must wait again: %d digests, %d deadline messages", len(f.d.sent), f.q.deadline)
	}
	f.now = f.now.Add(3 * time.Hour)
	if err := f.s.AtDeadline(context.Background(), deadline); err != nil {
		t.Fatal(err)
	}
	if len(f.d.sent) != 1 {
		t.Fatalf("%d digests at the deadline, want 1", len(f.d.sent))
	}
	if m := f.d.sent[0]; !strings.Contains(m.Subject, "2 account-region(s) NOT COVERED") || !strings.Contains(m.Email, "did not report before the sweep's deadline") {
		t.Errorf("the missing items must count as not covered:\n%s\n%s", m.Subject, m.Email)
	}
	if _, err := f.s.Item(context.Background(), items[1], ""); err != nil {
		t.Fatal(err)
	}
	if err := f.s.AtDeadline(context.Background(), deadline); err != nil || len(f.d.sent) != 1 {
		t.Errorf("a late item or a second deadline must not send again: %d digests, %v", len(f.d.sent), err)
	}
}

// A retryable failure is left to SQS's retries; on the item's last
// delivery it is recorded as not covered (and still returned, so the item
// also lands in the dead-letter queue).
func TestLastDeliveryRecordsNotCovered(t *testing.T) {
	outage := errors.New("throttled")
	f := newFixture(t, func(req request.Request) (result.Result, error) {
		if req.Account == "222222222222" {
			return result.Result{}, outage
		}
		return result.Result{}, nil
	})
	if _, err := f.s.Start(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	for _, req := range f.items(t) {
		for delivery := 1; delivery <= 3; delivery++ {
			req.Delivery = delivery
			_, err := f.s.Item(context.Background(), req, "")
			if req.Account != "222222222222" {
				break
			}
			if !errors.Is(err, outage) {
				t.Fatalf("delivery %d: %v, want the error back for SQS", delivery, err)
			}
			if delivery < 3 && len(f.d.sent) != 0 {
				t.Fatal("recorded before the last delivery")
			}
		}
	}
	if len(f.d.sent) != 1 || !strings.Contains(f.d.sent[0].Email, "still failing on the last try: throttled") {
		t.Fatalf("digests %+v", f.d.sent)
	}
}
