package sweep

// Review: sweep-run defects with the atomic in-process store. Each test
// FAILS on the current code.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/request"
)

// flakyDigests fails the first n sends, as SNS does when throttled or on a
// 5xx that outlived the SDK's retries.
type flakyDigests struct {
	mu   sync.Mutex
	fail int
	sent []notify.Message
}

func (d *flakyDigests) Send(_ context.Context, m notify.Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail > 0 {
		d.fail--
		return errors.New("sns: Throttling: rate exceeded")
	}
	d.sent = append(d.sent, m)
	return nil
}

// D3. The digest is claimed (digestSentAt written) BEFORE it is sent, and
// a failed send is only logged. One transient SNS failure loses the run's
// digest for good: no redelivery retries it (the item returns nil), and
// the deadline message finds digestSentAt set and sends nothing.
func TestReviewDigestLostWhenSendFails(t *testing.T) {
	f := newFixture(t, nil)
	fd := &flakyDigests{fail: 1}
	f.s.Digests = fd
	if _, err := f.s.Start(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	items := f.items(t)
	for _, req := range items {
		req.Delivery = 1
		if _, err := f.s.Item(context.Background(), req, ""); err != nil {
			t.Logf("item %s: %v (SQS would redeliver)", req.Account, err)
		}
	}
	// SQS redelivers anything that failed, and the deadline comes.
	for _, req := range items {
		req.Delivery = 2
		_, _ = f.s.Item(context.Background(), req, "")
	}
	f.now = f.now.Add(4 * time.Hour)
	if err := f.s.AtDeadline(context.Background(), request.Request{Target: request.TargetSweepDeadline, SweepID: items[0].SweepID}); err != nil {
		t.Fatal(err)
	}
	if len(fd.sent) != 1 {
		t.Fatalf("%d digests delivered for a run whose findings need attention, want 1 (the first send failed once)", len(fd.sent))
	}
}

// failingQueue refuses the n-th SendMessageBatch call (1-based) once.
type failingQueue struct {
	*queue
	call, failAt int
}

func (q *failingQueue) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, o ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	q.call++
	if q.call == q.failAt {
		return nil, errors.New("sqs: InternalError")
	}
	return q.queue.SendMessageBatch(ctx, in, o...)
}

// D4. A sweep start that fails after StartRun and the deadline message
// (here: the work-item batch is refused once) is retried by Lambda's
// async retry (asyncRetryAttempts = 2). The retry takes a NEW sweep ID
// from the clock, so the first run is orphaned: its deadline digest
// reports every account-region as NOT COVERED ("did not report before
// the sweep's deadline") although all were swept, and the run sends two
// digests.
func TestReviewStartRetryOrphansARun(t *testing.T) {
	f := newFixture(t, nil)
	fq := &failingQueue{queue: f.q, failAt: 2} // call 1: deadline message; call 2: the items
	f.s.Queue = fq
	// Adapted: the start is the scheduled rule's, carrying the scheduled
	// event's ID and time as the CDK rule's input passes them through;
	// Lambda's async retry delivers the same payload again.
	start, err := rdsevent.Parse([]byte(`{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",` +
		`"time":"2026-11-26T10:00:00Z","source":"forcessl","detail-type":"forcessl Sweep","detail":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.StartFrom(context.Background(), start, ""); err == nil {
		t.Fatal("setup: the start must fail so Lambda retries it")
	}
	f.now = f.now.Add(time.Minute) // Lambda's first async retry comes about a minute later
	if _, err := f.s.StartFrom(context.Background(), start, ""); err != nil {
		t.Fatal(err)
	}
	for _, req := range f.items(t) {
		req.Delivery = 1
		if _, err := f.s.Item(context.Background(), req, ""); err != nil {
			t.Fatal(err)
		}
	}
	f.now = f.now.Add(4 * time.Hour)
	for _, b := range f.q.bodies {
		if req, err := rdsevent.Parse([]byte(b)); err == nil && req.Target == request.TargetSweepDeadline {
			if err := f.s.AtDeadline(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(f.d.sent) != 1 {
		t.Errorf("%d digests for one scheduled sweep, want 1", len(f.d.sent))
	}
	for _, m := range f.d.sent {
		if strings.Contains(m.Subject, "NOT COVERED") {
			t.Errorf("a digest reports swept account-regions as not covered: %s", m.Subject)
		}
	}
}
