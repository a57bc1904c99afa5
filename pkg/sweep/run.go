package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
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

// digestRetry is how soon a digest whose send failed is tried again, by a
// deadline message (SNS throttling or a 5xx passes in seconds).
const digestRetry = 2 * time.Minute

// fanOut records the run, enqueues its work items and the deadline message.
// A start retried or delivered twice (same sweep ID) finds the first start's
// run and enqueues that run's items, so it completes the same run: items
// already recorded are swept again but never counted twice.
func (s *Sweeper) fanOut(ctx context.Context, sweepID string, started time.Time, items []rdsevent.SweepItem) error {
	if s.Store != nil {
		run := state.Run{SweepID: sweepID, Mode: string(s.Mode), StartedAt: started.UTC(), Deadline: started.Add(s.Deadline).UTC(), Total: len(items)}
		for _, it := range items {
			run.Expected = append(run.Expected, it.Account+"/"+it.Region)
		}
		if err := s.Store.StartRun(ctx, run); err != nil {
			return fmt.Errorf("record sweep %s: %w", sweepID, err)
		}
		stored, err := s.Store.Run(ctx, sweepID)
		if err != nil {
			return fmt.Errorf("record sweep %s: %w", sweepID, err)
		}
		if stored.Done >= stored.Total || !stored.DigestSentAt.IsZero() {
			s.Log.InfoContext(ctx, "sweep start repeated after its run completed: nothing to enqueue", "sweepId", sweepID,
				"done", stored.Done, "expected", stored.Total, "outcome", "ignored")
			return nil
		}
		if items, err = storedItems(sweepID, stored.Expected); err != nil {
			return err
		}
		if stored.Total != run.Total || !stored.StartedAt.Equal(run.StartedAt) {
			s.Log.InfoContext(ctx, "sweep start repeated: completing the first start's run", "sweepId", sweepID,
				"expected", stored.Total, "enumerated", run.Total)
		}
		if err := s.deadlineIn(ctx, sweepID, stored.Deadline.Sub(s.Now())); err != nil {
			return err
		}
	}
	var bodies [][]byte
	for _, it := range items {
		b, err := rdsevent.SweepItemPayload(it)
		if err != nil {
			return err
		}
		bodies = append(bodies, b)
	}
	return s.enqueue(ctx, bodies, 0)
}

// storedItems turns a run's Expected list back into its work items.
func storedItems(sweepID string, expected []string) ([]rdsevent.SweepItem, error) {
	out := make([]rdsevent.SweepItem, 0, len(expected))
	for _, e := range expected {
		account, region, ok := strings.Cut(e, "/")
		if !ok {
			return nil, fmt.Errorf("sweep %s: stored work item %q is not account/region", sweepID, e)
		}
		out = append(out, rdsevent.SweepItem{SweepID: sweepID, Account: account, Region: region})
	}
	return out, nil
}

// record stores an item's result under its run. Whoever sees the run
// complete and its digest not yet sent tries to send it, a redelivery too
// (the claim picks one sender); a send that fails is retried shortly by a
// deadline message, so the item's own work is not redone for it.
func (s *Sweeper) record(ctx context.Context, sweepID string, ri report.Item) error {
	b, err := json.Marshal(ri)
	if err != nil {
		return err
	}
	_, run, err := s.Store.RecordItem(ctx, sweepID, state.ItemRecord{Account: ri.Account, Region: ri.Region, RecordedAt: s.Now().UTC(), Report: b})
	if errors.Is(err, state.ErrUnknownRun) {
		// Started by a version without the table, or its run expired: this
		// item reports alone, as such versions did.
		return s.digest(ctx, report.Report{SweepID: sweepID, Mode: s.Mode, Items: []report.Item{ri}})
	}
	if err != nil || run.Done < run.Total || !run.DigestSentAt.IsZero() {
		return err
	}
	if _, err := s.finish(ctx, sweepID, false); err != nil {
		s.Log.ErrorContext(ctx, "digest not sent: retrying shortly", "sweepId", sweepID, "error", err.Error(), "outcome", "retry")
		return s.deadlineIn(ctx, sweepID, digestRetry)
	}
	return nil
}

// AtDeadline handles a run's deadline message: it sends the digest once
// every item has reported or the deadline has passed, and otherwise waits
// again (SQS delays a message 15 minutes at most). While another caller's
// claim on the digest is live it also waits, so a claim whose holder died
// is taken over once it goes stale. A failed send returns the error, for
// SQS to deliver the message again (and, in the end, dead-letter it).
func (s *Sweeper) AtDeadline(ctx context.Context, req request.Request) error {
	if s.Store == nil {
		return nil
	}
	run, err := s.Store.Run(ctx, req.SweepID)
	if errors.Is(err, state.ErrUnknownRun) {
		s.Log.WarnContext(ctx, "deadline of an unknown sweep ignored", "sweepId", req.SweepID)
		return nil
	}
	if err != nil || !run.DigestSentAt.IsZero() {
		return err
	}
	left := run.Deadline.Sub(s.Now())
	if run.Done < run.Total && left > 0 {
		return s.deadlineIn(ctx, req.SweepID, left)
	}
	held, err := s.finish(ctx, req.SweepID, left <= 0)
	if err != nil {
		return err
	}
	if held {
		return s.deadlineIn(ctx, req.SweepID, state.DigestClaimFor)
	}
	return nil
}

// finish sends the run's one digest: the caller that claims it sends it,
// with every recorded item and, at the deadline, the items that never
// reported counted as failed. held reports that another caller's live
// claim kept this one from sending.
//
// Claim, send, confirm: a failed send releases the claim (the next caller
// sends), and a claim whose holder died before confirming (a Lambda
// timeout) goes stale after state.DigestClaimFor and is taken over. So one
// transient SNS failure delays the digest and never loses it; two digests
// go out only if a send succeeded and its confirmation was lost.
func (s *Sweeper) finish(ctx context.Context, sweepID string, atDeadline bool) (held bool, err error) {
	claimedAt := s.Now().UTC()
	won, err := s.Store.ClaimDigest(ctx, sweepID, claimedAt)
	if err != nil || !won {
		return !won && err == nil, err
	}
	if err := s.sendDigest(ctx, sweepID, atDeadline); err != nil {
		if rerr := s.Store.ReleaseDigest(ctx, sweepID, claimedAt); rerr != nil {
			s.Log.ErrorContext(ctx, "digest claim not released: it goes stale instead", "sweepId", sweepID, "error", rerr.Error())
		}
		return false, err
	}
	if err := s.Store.ConfirmDigest(ctx, sweepID, s.Now().UTC()); err != nil {
		// Sent: the claim goes stale, and a later caller may send it again.
		s.Log.ErrorContext(ctx, "digest sent but not confirmed", "sweepId", sweepID, "error", err.Error())
	}
	return false, nil
}

func (s *Sweeper) sendDigest(ctx context.Context, sweepID string, atDeadline bool) error {
	run, items, err := s.Store.RunItems(ctx, sweepID)
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
	return s.send(ctx, rep)
}

// deadlineIn enqueues the run's deadline message, delayed by d (at most
// SQS's 15 minutes; it is sent again until the deadline).
func (s *Sweeper) deadlineIn(ctx context.Context, sweepID string, d time.Duration) error {
	b, err := rdsevent.SweepDeadlinePayload(rdsevent.SweepDeadline{SweepID: sweepID})
	if err != nil {
		return err
	}
	return s.enqueue(ctx, [][]byte{b}, max(0, min(d, maxDelay)))
}

// enqueueParallelism bounds the SendMessageBatch calls in flight: 10,000
// accounts x 17 regions is 17,000 batches, over five minutes (the
// function's timeout) one after another at ~20 ms each, about 45 s eight
// at a time.
const enqueueParallelism = 8

// enqueue sends bodies in batches of ten (SQS's limit), several batches at
// once; the first failure stops it and is returned (the start is retried,
// as the same run).
func (s *Sweeper) enqueue(parent context.Context, bodies [][]byte, delay time.Duration) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	sem := make(chan struct{}, enqueueParallelism)
	for start := 0; start < len(bodies) && ctx.Err() == nil; start += 10 {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for i, b := range bodies[start:min(start+10, len(bodies))] {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(start + i)),
				MessageBody: aws.String(string(b)), DelaySeconds: int32(delay.Seconds())})
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := s.sendBatch(ctx, entries); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = parent.Err() // cancelled before every batch was sent
	}
	return first
}

func (s *Sweeper) sendBatch(ctx context.Context, entries []sqstypes.SendMessageBatchRequestEntry) error {
	out, err := s.Queue.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(s.QueueURL), Entries: entries})
	if err != nil {
		return fmt.Errorf("enqueue sweep items: %w", err)
	}
	if len(out.Failed) > 0 {
		return fmt.Errorf("enqueue sweep items: %d of %d refused (first: %s)", len(out.Failed), len(entries), aws.ToString(out.Failed[0].Message))
	}
	return nil
}
