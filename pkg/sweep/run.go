package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/report"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/state"
)

// maxDelay is SQS's longest message delay (DelaySeconds, 900): the
// deadline message waits in steps of at most this.
const maxDelay = 15 * time.Minute

// fanOut records the run, enqueues its work items and the deadline message.
func (s *Sweeper) fanOut(ctx context.Context, sweepID string, started time.Time, items []rdsevent.SweepItem) error {
	var bodies [][]byte
	for _, it := range items {
		b, err := rdsevent.SweepItemPayload(it)
		if err != nil {
			return err
		}
		bodies = append(bodies, b)
	}
	if s.Store != nil {
		run := state.Run{SweepID: sweepID, Mode: string(s.Mode), StartedAt: started.UTC(), Deadline: started.Add(s.Deadline).UTC(), Total: len(items)}
		for _, it := range items {
			run.Expected = append(run.Expected, it.Account+"/"+it.Region)
		}
		if err := s.Store.StartRun(ctx, run); err != nil {
			return fmt.Errorf("record sweep %s: %w", sweepID, err)
		}
		if err := s.deadlineIn(ctx, sweepID, s.Deadline); err != nil {
			return err
		}
	}
	return s.enqueue(ctx, bodies, 0)
}

// record stores an item's result under its run; the item that records the
// last result sends the run's digest.
func (s *Sweeper) record(ctx context.Context, sweepID string, ri report.Item) error {
	b, err := json.Marshal(ri)
	if err != nil {
		return err
	}
	recorded, run, err := s.Store.RecordItem(ctx, sweepID, state.ItemRecord{Account: ri.Account, Region: ri.Region, RecordedAt: s.Now().UTC(), Report: b})
	if errors.Is(err, state.ErrUnknownRun) {
		// Started by a version without the table, or its run expired: this
		// item reports alone, as such versions did.
		return s.digest(ctx, report.Report{SweepID: sweepID, Mode: s.Mode, Items: []report.Item{ri}})
	}
	if err != nil {
		return err
	}
	if recorded && run.Done >= run.Total {
		return s.finish(ctx, sweepID, false)
	}
	return nil
}

// AtDeadline handles a run's deadline message: before the deadline it waits
// again (SQS delays a message 15 minutes at most); at it, it sends the
// digest with what has reported, if the items have not sent it.
func (s *Sweeper) AtDeadline(ctx context.Context, req request.Request) error {
	if s.Store == nil {
		return nil
	}
	_, run, err := s.runOf(ctx, req.SweepID)
	if err != nil || !run.DigestSentAt.IsZero() {
		return err
	}
	if left := run.Deadline.Sub(s.Now()); left > 0 {
		return s.deadlineIn(ctx, req.SweepID, left)
	}
	return s.finish(ctx, req.SweepID, true)
}

func (s *Sweeper) runOf(ctx context.Context, sweepID string) ([]state.ItemRecord, state.Run, error) {
	run, items, err := s.Store.RunItems(ctx, sweepID)
	if errors.Is(err, state.ErrUnknownRun) {
		s.Log.WarnContext(ctx, "deadline of an unknown sweep ignored", "sweepId", sweepID)
		return nil, state.Run{DigestSentAt: s.Now()}, nil
	}
	return items, run, err
}

// finish sends the run's one digest: whoever claims it first sends it,
// with every recorded item and, at the deadline, the items that never
// reported counted as failed.
func (s *Sweeper) finish(ctx context.Context, sweepID string, atDeadline bool) error {
	won, err := s.Store.ClaimDigest(ctx, sweepID, s.Now().UTC())
	if err != nil || !won {
		return err
	}
	items, run, err := s.runOf(ctx, sweepID)
	if err != nil {
		return err
	}
	rep := report.Report{SweepID: sweepID, Mode: s.Mode, Duration: s.Now().Sub(run.StartedAt)}
	seen := map[string]bool{}
	for _, rec := range items {
		var ri report.Item
		if err := json.Unmarshal(rec.Report, &ri); err != nil {
			return fmt.Errorf("sweep %s item %s/%s: %w", sweepID, rec.Account, rec.Region, err)
		}
		rep.Items = append(rep.Items, ri)
		seen[rec.Account+"/"+rec.Region] = true
	}
	for _, e := range run.Expected {
		if seen[e] {
			continue
		}
		account, region, _ := strings.Cut(e, "/")
		rep.Items = append(rep.Items, report.Item{Account: account, Region: region, Counts: map[report.Bucket]int{},
			Findings: []report.Finding{}, Resources: []report.Finding{}, NotCovered: true,
			Error: "the work item did not report before the sweep's deadline (see the sweep dead-letter queue and the function's logs)"})
	}
	s.Log.InfoContext(ctx, "sweep digest", "sweepId", sweepID, "items", len(items), "expected", run.Total, "atDeadline", atDeadline)
	return s.digest(ctx, rep)
}

// deadlineIn enqueues the run's deadline message, delayed by d (at most
// SQS's 15 minutes; it is sent again until the deadline).
func (s *Sweeper) deadlineIn(ctx context.Context, sweepID string, d time.Duration) error {
	b, err := rdsevent.SweepDeadlinePayload(rdsevent.SweepDeadline{SweepID: sweepID})
	if err != nil {
		return err
	}
	return s.enqueue(ctx, [][]byte{b}, min(d, maxDelay))
}

func (s *Sweeper) enqueue(ctx context.Context, bodies [][]byte, delay time.Duration) error {
	for start := 0; start < len(bodies); start += 10 { // SQS batch limit
		var entries []sqstypes.SendMessageBatchRequestEntry
		for i, b := range bodies[start:min(start+10, len(bodies))] {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(start + i)),
				MessageBody: aws.String(string(b)), DelaySeconds: int32(delay.Seconds())})
		}
		out, err := s.Queue.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(s.QueueURL), Entries: entries})
		if err != nil {
			return fmt.Errorf("enqueue sweep items: %w", err)
		}
		if len(out.Failed) > 0 {
			return fmt.Errorf("enqueue sweep items: %d of %d refused (first: %s)", len(out.Failed), len(entries), aws.ToString(out.Failed[0].Message))
		}
	}
	return nil
}
