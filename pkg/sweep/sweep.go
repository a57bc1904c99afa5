// Package sweep reconciles every instance in every account and region in
// scope, periodically, so an instance whose event was missed does not stay
// plaintext. It uses exactly the event path's engine on each instance (the
// dispatcher's Request, through Reconcile); only the enumeration, the
// fan-out, coverage and the report are its own.
//
// In Lambda a sweep fans out on AWS's own machinery: the scheduled start
// enqueues one SQS work item per account and region, and the function
// consumes them with bounded concurrency; failed items are retried and end
// in the dead-letter queue. With the state table each item records its
// result under the run, once however often SQS delivers it, and whichever
// records the last one sends the run's one digest; a deadline message sends
// it with what has reported if an item never does. Without a queue (the
// CLI, one small account) the items run in this process, several at once.
package sweep

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/report"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/state"
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
	// accounts under the target OUs, or the function's own).
	Accounts func(context.Context) ([]string, error)
	Regions  []string
	// Ring names an account's enforcement ring for its report items
	// (gate.Rings.RingName); nil without rings.
	Ring func(ctx context.Context, account string) string
	// HomeRegion is the function's own region: the one swept when Regions
	// is empty.
	HomeRegion func() string
	Queue      Queue // nil: run every item in this process
	QueueURL   string
	Digests    Digests   // nil: no digest
	Metrics    io.Writer // embedded-metric-format lines (stdout in Lambda); nil: none
	// Store holds the runs of fanned-out sweeps, so each sends one digest;
	// nil: each work item sends its own (no memory).
	Store state.Store
	// Deadline is how long after its start a fanned-out sweep's digest goes
	// out at the latest; MaxReceives the deliveries of an item before SQS
	// dead-letters it (its last delivery records a failure as not covered).
	Deadline    time.Duration
	MaxReceives int
	// Parallelism bounds the account-regions swept at once in this process.
	Parallelism int
	// Progress, when set, is told after each item (the CLI prints it).
	Progress func(done, total int, it report.Item)
	// Warm, when set, readies an account-region's credentials ahead of its
	// item (dispatch.Dispatcher.Warm): an in-process sweep warms each
	// account of the next wave while the current one runs, taking the
	// AssumeRole off those items' critical path.
	Warm func(ctx context.Context, account, region, functionARN string)
	// Coverage, when set, is given each finished report (where the digest
	// is made): Security Hub's coverage findings. It cannot fail the sweep.
	Coverage func(context.Context, report.Report)
}

// Started is the answer to a sweep start.
type Started struct {
	SweepID string        `json:"sweepId"`
	Items   int           `json:"items"`
	Queued  bool          `json:"queued"`
	Report  report.Report `json:"report"`
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

// Start begins a sweep with a generated ID (the CLI's): see StartFrom.
func (s *Sweeper) Start(ctx context.Context, functionARN string) (Started, error) {
	return s.StartFrom(ctx, request.Request{Target: request.TargetSweep}, functionARN)
}

// StartFrom begins the sweep that req (a sweep start) asks for: enqueues
// its items, or runs them here when there is no queue and returns the
// whole report. The sweep ID comes from the triggering event (RunID), so a
// start Lambda retries, or EventBridge delivers twice, is the same run.
func (s *Sweeper) StartFrom(ctx context.Context, req request.Request, functionARN string) (Started, error) {
	sweepID, started, fromEvent := RunID(req, s.Now())
	rep := report.Report{SweepID: sweepID, Mode: s.Mode}
	st := Started{SweepID: rep.SweepID, Queued: s.Queue != nil}
	items, err := s.Items(ctx, rep.SweepID)
	if err != nil {
		return st, err
	}
	st.Items = len(items)
	idFrom := "event"
	if !fromEvent {
		idFrom = "clock"
	}
	s.Log.InfoContext(ctx, "sweep started", "sweepId", rep.SweepID, "items", len(items), "queued", s.Queue != nil, "sweepIdFrom", idFrom)
	if s.Queue != nil {
		if !fromEvent {
			s.Log.WarnContext(ctx, "sweep start without an event ID and time (a rule input of an earlier version?): "+
				"its sweep ID is generated from the clock, so a retry of this start makes a second run", "sweepId", rep.SweepID)
		}
		return st, s.fanOut(ctx, rep.SweepID, started, items)
	}
	rep.Items = s.inProcess(ctx, items, functionARN)
	rep.Duration = s.Now().Sub(started)
	st.Report = rep
	return st, s.digest(ctx, rep)
}

// RunID names a sweep run after the event that started it: its time (RFC
// 3339, so IDs sort and the digest can age findings) and its ID, which
// EventBridge keeps across its own retries and Lambda's async retries of
// the same event. fromEvent is false when req carries neither (a CLI
// sweep, or the constant rule input of earlier versions): the ID is then
// the clock's time, as it always was, and started is now.
func RunID(req request.Request, now time.Time) (id string, started time.Time, fromEvent bool) {
	if req.EventID != "" && !req.EventTime.IsZero() && validEventID(req.EventID) {
		t := req.EventTime.UTC()
		return t.Format(time.RFC3339) + "_" + req.EventID, t, true
	}
	return now.UTC().Format(time.RFC3339), now, false
}

// validEventID accepts what EventBridge's IDs are made of (a UUID) and
// nothing that could break a state key or a message: at most 64 letters,
// digits and hyphens.
func validEventID(id string) bool {
	if len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// inProcess sweeps the items here, Parallelism at a time; progress and the
// report stay the same whatever the order they finish in.
func (s *Sweeper) inProcess(ctx context.Context, items []rdsevent.SweepItem, functionARN string) []report.Item {
	out := make([]report.Item, len(items))
	parallel := max(s.Parallelism, 1)
	sem := make(chan struct{}, parallel)
	var mu sync.Mutex
	var wg sync.WaitGroup
	done := 0
	warmed := map[string]bool{}
	for i, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		if next := i + parallel; s.Warm != nil && next < len(items) && !warmed[items[next].Account] {
			warmed[items[next].Account] = true
			wg.Go(func() { s.Warm(ctx, items[next].Account, items[next].Region, functionARN) })
		}
		go func() {
			defer func() { <-sem; wg.Done() }()
			req := request.Request{Target: request.TargetAccountRegion, Trigger: request.TriggerSweep, Cause: "sweep",
				SweepID: it.SweepID, Account: it.Account, Region: it.Region}
			ri, _ := s.item(ctx, req, functionARN, true) // an item's error is in its report
			out[i] = ri
			mu.Lock()
			defer mu.Unlock()
			done++
			if s.Progress != nil {
				s.Progress(done, len(items), ri)
			}
		}()
	}
	wg.Wait()
	return out
}

// Item reconciles one queued work item. A retryable error is returned, so
// SQS delivers the item again and, in the end, dead-letters it; on its
// last delivery the failure is also recorded, as not covered, so the run's
// digest counts it.
func (s *Sweeper) Item(ctx context.Context, req request.Request, functionARN string) (report.Item, error) {
	started := s.Now()
	last := req.Delivery > 0 && req.Delivery >= s.MaxReceives
	ri, err := s.item(ctx, req, functionARN, last)
	if err != nil && !last {
		return ri, err
	}
	if s.Store == nil {
		rep := report.Report{SweepID: req.SweepID, Mode: s.Mode, Items: []report.Item{ri}, Duration: s.Now().Sub(started)}
		return ri, joinErr(err, s.digest(ctx, rep))
	}
	return ri, joinErr(err, s.record(ctx, req.SweepID, ri))
}

// item reconciles one account-region and makes its report: an
// account-region that cannot be read at all (terminal: role refused,
// access denied, region not enabled), or still failing on its last try, is
// not covered.
func (s *Sweeper) item(ctx context.Context, req request.Request, functionARN string, last bool) (report.Item, error) {
	res, err := s.Reconcile(ctx, req, functionARN)
	ri := report.FromResult(req.Account, req.Region, res, err)
	if s.Ring != nil {
		ri.Ring = s.Ring(ctx, req.Account)
	}
	switch {
	case res.NotCovered:
		ri.NotCovered, ri.Error = true, res.Failure
	case err != nil && last:
		ri.NotCovered, ri.Error = true, "still failing on the last try: "+err.Error()
	}
	if s.Metrics != nil {
		if line, merr := report.EMF(ri, s.Now()); merr == nil {
			fmt.Fprintln(s.Metrics, string(line))
		}
	}
	level, outcome := slog.LevelInfo, "swept"
	switch {
	case ri.NotCovered:
		level, outcome = slog.LevelError, "not-covered"
	case err != nil:
		level, outcome = slog.LevelError, "retry"
	}
	s.Log.Log(ctx, level, "sweep item", "sweepId", req.SweepID, "account", req.Account, "region", req.Region,
		"instances", len(res.Resources), "findings", len(ri.Findings), "outcome", outcome, "error", ri.Error)
	return ri, err
}

// digest sends a report no run keeps (an in-process sweep's, or an item's
// without the state table): a failed send is logged, since nothing could
// send it again short of redoing the sweep's work.
func (s *Sweeper) digest(ctx context.Context, rep report.Report) error {
	if err := s.send(ctx, rep); err != nil {
		s.Log.ErrorContext(ctx, "digest not sent", "sweepId", rep.SweepID, "error", err.Error())
	}
	return nil
}

// send hands a finished report to coverage and, if it needs attention,
// sends its digest.
func (s *Sweeper) send(ctx context.Context, rep report.Report) error {
	if s.Coverage != nil {
		s.Coverage(ctx, rep)
	}
	if s.Digests == nil || !rep.NeedsAttention() {
		return nil
	}
	m, err := report.Digest(rep)
	if err != nil {
		return err
	}
	if err := s.Digests.Send(ctx, m); err != nil {
		return fmt.Errorf("send digest of sweep %s: %w", rep.SweepID, err)
	}
	return nil
}

func joinErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
