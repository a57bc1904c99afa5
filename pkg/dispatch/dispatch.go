// Package dispatch is the function's intake: it parses what Lambda
// delivers once, and hands each request to the part that handles it: RDS
// events and scheduled actions to the fan-out (after deciding whose
// credentials act in the event's account), a sweep start and its work items
// to the sweeper, SQS batches item by item (reporting partial batch
// failures so only the failed items are retried). Input that is not work is
// logged at warn level and acknowledged.
package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/fanout"
	"github.com/forcessl/forcessl/pkg/hub"
	"github.com/forcessl/forcessl/pkg/observe"
	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/reconcile"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/state"
	"github.com/forcessl/forcessl/pkg/sweep"
	"github.com/forcessl/forcessl/pkg/tripwire"
)

// Dispatcher is the function's entry point. Build one per process.
type Dispatcher struct {
	Config   config.Config
	Clients  Clients
	FanOut   *fanout.FanOut
	Sweeper  *sweep.Sweeper
	Notifier reconcile.Notifier // nil: notifications off
	Log      *slog.Logger
	// Hub reports results into Security Hub; nil: off.
	Hub *hub.Hub
	// Shared is what the requests of a read-only process (an audit) read
	// once between them: the schedule group, each region's CAs. nil (any
	// process that writes): each request reads its own.
	Shared *observe.Shared
	// ClaimedIdentity lets a read-only process (an audit) route on the
	// account its credentials name (ClaimedAccount), without waiting for
	// STS, when Clients can claim one; every request's result is then
	// withheld unless STS confirms the claim. false (any process that
	// writes): the own account is STS's answer, asked first.
	ClaimedIdentity bool
	// Org is the sweep's cached listing of the accounts under
	// FORCESSL_TARGET_OUS (organization mode without FORCESSL_ACCOUNTS);
	// nil: no cache (no state table, or an audit).
	Org state.OrgCache
}

// SweepStarted is the answer to a sweep start.
type SweepStarted = sweep.Started

// Invoke handles one invocation. The returned error is non-nil only when a
// retry can help.
func (d *Dispatcher) Invoke(ctx context.Context, payload []byte, functionARN string) (any, error) {
	if batch, ok := sqsBatch(payload); ok {
		return d.batch(ctx, batch, functionARN), nil
	}
	if f, isCheck, found, err := tripwire.Check(payload, d.appliesCA()); isCheck {
		return d.tripwire(ctx, f, found, err), nil
	}
	req, err := rdsevent.Parse(payload)
	if err != nil {
		d.Log.WarnContext(ctx, "event ignored", "reason", err.Error(), "outcome", "ignored", "bytes", len(payload))
		return result.Result{Mode: d.Config.Mode, Ignored: err.Error(), Resources: []result.Resource{}}, nil
	}
	switch req.Target {
	case request.TargetSweep:
		return d.Sweeper.StartFrom(ctx, req, functionARN)
	case request.TargetAccountRegion:
		return d.Sweeper.Item(ctx, req, functionARN)
	case request.TargetSweepDeadline:
		return nil, d.Sweeper.AtDeadline(ctx, req)
	}
	return d.Request(ctx, req, functionARN)
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

// batch processes the sweep queue's records; a record that fails with a
// retryable error is reported as a batch item failure (the event source
// mapping must enable ReportBatchItemFailures), the rest are deleted from
// the queue. The queue carries only forcessl's own sweep work: anything
// else, or a work item for an account or region out of scope, is logged
// and dropped, never reconciled.
func (d *Dispatcher) batch(ctx context.Context, ev events.SQSEvent, functionARN string) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, rec := range ev.Records {
		req, err := rdsevent.Parse([]byte(rec.Body))
		if err == nil {
			err = d.queued(req)
		}
		if err != nil {
			d.Log.WarnContext(ctx, "queued message dropped", "messageId", rec.MessageId, "reason", err.Error(), "outcome", "ignored")
			continue
		}
		req.Delivery, _ = strconv.Atoi(rec.Attributes["ApproximateReceiveCount"])
		var rerr error
		if req.Target == request.TargetSweepDeadline {
			rerr = d.Sweeper.AtDeadline(ctx, req)
		} else {
			_, rerr = d.Sweeper.Item(ctx, req, functionARN)
		}
		if rerr != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp
}

// queued checks that a queued request is sweep work in scope.
func (d *Dispatcher) queued(req request.Request) error {
	switch {
	case req.Target == request.TargetSweepDeadline:
		return nil
	case req.Target != request.TargetAccountRegion:
		return fmt.Errorf("a %s request on the sweep queue: only sweep work items belong there", req.Target)
	case len(d.Config.Accounts) > 0 && !slices.Contains(d.Config.Accounts, req.Account):
		return fmt.Errorf("sweep item for account %s, not in %s", req.Account, config.EnvAccounts)
	case !d.regionInScope(req.Region):
		return fmt.Errorf("sweep item for region %s, not in %s", req.Region, config.EnvRegions)
	}
	return nil
}

// regionInScope: FORCESSL_REGIONS, when set, is the allow-list of regions
// forcessl covers, for events and sweeps alike.
func (d *Dispatcher) regionInScope(region string) bool {
	return len(d.Config.Regions) == 0 || slices.Contains(d.Config.Regions, region)
}
