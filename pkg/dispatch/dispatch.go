// Package dispatch routes what the Lambda function receives: RDS events and
// scheduled actions to the engine, a sweep start to the sweeper, and SQS
// batches of sweep work items (reporting partial batch failures so only the
// failed items are retried).
package dispatch

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/events"

	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/reconcile"
	"github.com/forcessl/forcessl/pkg/report"
	"github.com/forcessl/forcessl/pkg/sweep"
)

// Handler is the function's entry point.
type Handler struct {
	Engine  *reconcile.Engine
	Sweeper *sweep.Sweeper
}

// SweepStarted is the answer to a sweep start.
type SweepStarted struct {
	SweepID string        `json:"sweepId"`
	Items   int           `json:"items"`
	Queued  bool          `json:"queued"`
	Report  report.Report `json:"report"`
}

// Invoke handles one invocation. The returned error is non-nil only when a
// retry can help.
func (h Handler) Invoke(ctx context.Context, payload []byte, functionARN string) (any, error) {
	if batch, ok := sqsBatch(payload); ok {
		return h.batch(ctx, batch, functionARN), nil
	}
	req, err := rdsevent.Parse(payload)
	if err != nil {
		return h.Engine.Handle(ctx, payload, functionARN) // logs and acknowledges
	}
	return h.request(ctx, req, functionARN)
}

func (h Handler) request(ctx context.Context, req rdsevent.Request, functionARN string) (any, error) {
	switch req.Target {
	case rdsevent.TargetSweep:
		rep, n, err := h.Sweeper.Start(ctx, functionARN)
		return SweepStarted{SweepID: rep.SweepID, Items: n, Queued: h.Sweeper.Queue != nil, Report: rep}, err
	case rdsevent.TargetAccountRegion:
		return h.Sweeper.Item(ctx, req, functionARN)
	}
	return h.Engine.Reconcile(ctx, req, functionARN)
}

// sqsBatch recognises an SQS event (Records from aws:sqs).
func sqsBatch(payload []byte) (events.SQSEvent, bool) {
	var ev events.SQSEvent
	if json.Unmarshal(payload, &ev) != nil || len(ev.Records) == 0 {
		return ev, false
	}
	for _, r := range ev.Records {
		if r.EventSource != "aws:sqs" {
			return ev, false
		}
	}
	return ev, true
}

// batch processes SQS records; a record that fails with a retryable error
// is reported as a batch item failure (the event source mapping must enable
// ReportBatchItemFailures), the rest are deleted from the queue.
func (h Handler) batch(ctx context.Context, ev events.SQSEvent, functionARN string) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, rec := range ev.Records {
		req, err := rdsevent.Parse([]byte(rec.Body))
		if err != nil {
			h.Engine.Log.WarnContext(ctx, "queued message ignored", "messageId", rec.MessageId, "reason", err.Error(), "outcome", "ignored")
			continue
		}
		if _, err := h.request(ctx, req, functionARN); err != nil && !errors.Is(err, rdsevent.ErrIgnored) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp
}
