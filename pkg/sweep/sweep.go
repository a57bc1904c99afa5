// Package sweep reconciles every instance in every account and region in
// scope, periodically, so an instance whose event was missed does not stay
// plaintext. It uses exactly the event path's engine (reconcile.Engine) on
// each instance; only the enumeration and the report are its own.
//
// In Lambda a sweep fans out on AWS's own machinery: the scheduled start
// enqueues one SQS work item per account and region, and the function
// consumes them with bounded concurrency; failed items are retried and end
// in the dead-letter queue. Without a queue (local runs, one small account)
// the items run in the same process.
package sweep

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/report"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/result"
)

// Queue is the part of SQS the fan-out uses.
type Queue interface {
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Digests sends a rendered digest.
type Digests interface {
	Send(context.Context, notify.Message) error
}

// Sweeper runs sweeps.
type Sweeper struct {
	Mode policy.Mode
	Now  func() time.Time
	Log  *slog.Logger
	// Reconcile reconciles one account-region request: the event path's
	// own engine.
	Reconcile func(ctx context.Context, req request.Request, functionARN string) (result.Result, error)
	// Accounts lists the accounts in scope (FORCESSL_ACCOUNTS, the
	// organization's active accounts, or the function's own).
	Accounts func(context.Context) ([]string, error)
	Regions  []string
	// HomeRegion is the function's own region: the one swept when Regions
	// is empty.
	HomeRegion func() string
	Queue      Queue // nil: run every item in this process
	QueueURL   string
	Digests    Digests   // nil: no digest
	Metrics    io.Writer // embedded-metric-format lines (stdout in Lambda); nil: none
	// Progress, when set, is told after each item (the CLI prints it).
	Progress func(done, total int, it report.Item)
}

// Items enumerates the work: one item per account and region.
func (s *Sweeper) Items(ctx context.Context, sweepID string) ([]rdsevent.SweepItem, error) {
	accounts, err := s.Accounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	regions := s.Regions
	if len(regions) == 0 && s.HomeRegion != nil {
		regions = []string{s.HomeRegion()}
	}
	var items []rdsevent.SweepItem
	for _, a := range accounts {
		for _, r := range regions {
			items = append(items, rdsevent.SweepItem{SweepID: sweepID, Account: a, Region: r})
		}
	}
	return items, nil
}

// Started is the answer to a sweep start.
type Started struct {
	SweepID string        `json:"sweepId"`
	Items   int           `json:"items"`
	Queued  bool          `json:"queued"`
	Report  report.Report `json:"report"`
}

// Start begins a sweep: enqueues its items, or runs them here when there
// is no queue and returns the whole report.
func (s *Sweeper) Start(ctx context.Context, functionARN string) (Started, error) {
	started := s.Now()
	rep := report.Report{SweepID: started.UTC().Format(time.RFC3339), Mode: s.Mode}
	st := Started{SweepID: rep.SweepID, Queued: s.Queue != nil}
	items, err := s.Items(ctx, rep.SweepID)
	if err != nil {
		return st, err
	}
	st.Items = len(items)
	s.Log.InfoContext(ctx, "sweep started", "sweepId", rep.SweepID, "items", len(items), "queued", s.Queue != nil)
	if s.Queue != nil {
		return st, s.enqueue(ctx, items)
	}
	for i, it := range items {
		req := request.Request{Target: request.TargetAccountRegion, Trigger: request.TriggerSweep, Cause: "sweep",
			SweepID: rep.SweepID, Account: it.Account, Region: it.Region}
		ri, _ := s.item(ctx, req, functionARN) // an item's error is in its report
		rep.Items = append(rep.Items, ri)
		if s.Progress != nil {
			s.Progress(i+1, len(items), ri)
		}
	}
	rep.Duration = s.Now().Sub(started)
	st.Report = rep
	return st, s.digest(ctx, rep)
}

// Item reconciles one queued work item and sends its digest. A retryable
// error is returned, so SQS redelivers the item and, in the end,
// dead-letters it.
func (s *Sweeper) Item(ctx context.Context, req request.Request, functionARN string) (report.Item, error) {
	started := s.Now()
	ri, err := s.item(ctx, req, functionARN)
	if err != nil {
		return ri, err
	}
	rep := report.Report{SweepID: req.SweepID, Mode: s.Mode, Items: []report.Item{ri}, Duration: s.Now().Sub(started)}
	return ri, s.digest(ctx, rep)
}

func (s *Sweeper) item(ctx context.Context, req request.Request, functionARN string) (report.Item, error) {
	res, err := s.Reconcile(ctx, req, functionARN)
	ri := report.FromResult(req.Account, req.Region, res, err)
	if s.Metrics != nil {
		if line, merr := report.EMF(ri, s.Now()); merr == nil {
			fmt.Fprintln(s.Metrics, string(line))
		}
	}
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelError
	}
	s.Log.Log(ctx, level, "sweep item", "sweepId", req.SweepID, "account", req.Account, "region", req.Region,
		"instances", len(res.Resources), "findings", len(ri.Findings), "outcome", outcome(err))
	return ri, err
}

func outcome(err error) string {
	if err != nil {
		return "retry"
	}
	return "swept"
}

func (s *Sweeper) digest(ctx context.Context, rep report.Report) error {
	if s.Digests == nil || !rep.NeedsAttention() {
		return nil
	}
	m, err := report.Digest(rep)
	if err != nil {
		return err
	}
	if err := s.Digests.Send(ctx, m); err != nil {
		// The sweep's work is done; a lost digest must not redo it.
		s.Log.ErrorContext(ctx, "digest not sent", "sweepId", rep.SweepID, "error", err.Error())
	}
	return nil
}

func (s *Sweeper) enqueue(ctx context.Context, items []rdsevent.SweepItem) error {
	for start := 0; start < len(items); start += 10 { // SQS batch limit
		var entries []sqstypes.SendMessageBatchRequestEntry
		for i, it := range items[start:min(start+10, len(items))] {
			body, err := rdsevent.SweepItemPayload(it)
			if err != nil {
				return err
			}
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(start + i)), MessageBody: aws.String(string(body))})
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
