package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/forcessl/forcessl/pkg/state/schema"
)

// recordAttempts bounds RecordItem's retries of a TransactionConflict: every
// work item of a sweep increments the same run row, so concurrent items can
// cancel each other's transactions. A retry is safe (the item's condition
// makes it idempotent); after the last one the error goes back to the
// caller and SQS redelivers.
const recordAttempts = 4

func (d *Dynamo) StartRun(ctx context.Context, r Run) error {
	if err := checkRun(r); err != nil {
		return err
	}
	err := d.put(ctx, toRunItem(r), "attribute_not_exists(pk)", nil, nil)
	if isConditionFailed(err) { // started before: keep the first start's totals
		return nil
	}
	return wrap(err, "start sweep run %s", r.SweepID)
}

func (d *Dynamo) RecordItem(ctx context.Context, sweepID string, it ItemRecord) (bool, Run, error) {
	if err := checkItem(sweepID, it); err != nil {
		return false, Run{}, err
	}
	what := fmt.Sprintf("record sweep item %s %s/%s", sweepID, it.Account, it.Region)
	// Read the run first: for its ttl (the item expires with it) and to
	// refuse an unknown run clearly.
	before, ok, err := d.run(ctx, sweepID)
	if err != nil || !ok {
		return false, Run{}, wrap(orUnknown(err, ok), "%s", what)
	}
	av, err := attributevalue.MarshalMap(toRecordItem(sweepID, it, before.TTL))
	if err != nil {
		return false, Run{}, fmt.Errorf("%s: %w", what, err)
	}
	// The item's conditional put and the count's increment commit together
	// or not at all, so a redelivered item can never count twice and a
	// crash can never leave an item recorded but uncounted.
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &d.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Update: &types.Update{TableName: &d.table, Key: itemKey(runPK(sweepID), skRun),
			UpdateExpression:          aws.String("ADD #done :one"),
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeNames:  map[string]string{"#done": "done"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1)}}},
	}}
	recorded, err := d.transact(ctx, in)
	if err != nil {
		return false, Run{}, fmt.Errorf("%s: %w", what, err)
	}
	after, ok, err := d.run(ctx, sweepID)
	if err != nil || !ok {
		return recorded, Run{}, wrap(orUnknown(err, ok), "%s: read run after", what)
	}
	r, err := after.run(sweepID)
	return recorded, r, err
}

func (d *Dynamo) ClaimDigest(ctx context.Context, sweepID string, at time.Time) (bool, error) {
	if err := checkClaim(sweepID, at); err != nil {
		return false, err
	}
	_, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &d.table, Key: itemKey(runPK(sweepID), skRun),
		UpdateExpression:          aws.String("SET digestSentAt = :at"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(digestSentAt)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(fmtTime(at))},
	})
	if isConditionFailed(err) {
		// Claimed already, or no such run: only the second is an error.
		_, ok, err := d.run(ctx, sweepID)
		return false, wrap(orUnknown(err, ok), "claim digest of sweep %s", sweepID)
	}
	return err == nil, wrap(err, "claim digest of sweep %s", sweepID)
}

func (d *Dynamo) RunItems(ctx context.Context, sweepID string) (Run, []ItemRecord, error) {
	if err := checkParts("sweep run", sweepID); err != nil {
		return Run{}, nil, err
	}
	rows, err := d.query(ctx, runPK(sweepID), "")
	if err != nil {
		return Run{}, nil, wrap(err, "read items of sweep %s", sweepID)
	}
	var run *Run
	var items []ItemRecord
	for _, row := range rows {
		sk, _ := row[schema.SortKey].(*types.AttributeValueMemberS)
		var err error
		switch {
		case sk != nil && sk.Value == skRun:
			var it runItem
			if err = attributevalue.UnmarshalMap(row, &it); err == nil {
				var r Run
				r, err = it.run(sweepID)
				run = &r
			}
		case sk != nil && strings.HasPrefix(sk.Value, itemPrefix):
			var it recordItem
			if err = attributevalue.UnmarshalMap(row, &it); err == nil {
				var rec ItemRecord
				rec, err = it.record()
				items = append(items, rec)
			}
		}
		if err != nil {
			return Run{}, nil, fmt.Errorf("read items of sweep %s: %w", sweepID, err)
		}
	}
	if run == nil {
		return Run{}, nil, fmt.Errorf("read items of sweep %s: %w", sweepID, ErrUnknownRun)
	}
	return *run, items, nil
}

// transact runs RecordItem's transaction: true if it committed, false if
// the item was recorded before (a redelivery).
func (d *Dynamo) transact(ctx context.Context, in *dynamodb.TransactWriteItemsInput) (bool, error) {
	for attempt := 1; ; attempt++ {
		// The SDK fills in an idempotency token (and writes it into in), so
		// its own retries of one attempt cannot apply it twice; each of our
		// attempts needs a fresh one.
		in.ClientRequestToken = nil
		_, err := d.client.TransactWriteItems(ctx, in)
		reasons := cancellationCodes(err)
		switch {
		case err == nil:
			return true, nil
		case reasons == nil:
			return false, err
		case reasons[1] == "ConditionalCheckFailed": // the run vanished (deleted by hand)
			return false, ErrUnknownRun
		case reasons[0] == "ConditionalCheckFailed":
			return false, nil
		case !slices.Contains(reasons, "TransactionConflict") || attempt == recordAttempts:
			return false, err
		}
		if err := sleep(ctx, time.Duration(attempt)*50*time.Millisecond); err != nil {
			return false, err
		}
	}
}

// run reads a sweep run's row.
func (d *Dynamo) run(ctx context.Context, sweepID string) (runItem, bool, error) {
	var it runItem
	ok, err := d.get(ctx, runPK(sweepID), skRun, &it)
	return it, ok, err
}

// orUnknown turns "read fine, but no run" into ErrUnknownRun.
func orUnknown(err error, found bool) error {
	if err == nil && !found {
		return ErrUnknownRun
	}
	return err
}

// cancellationCodes returns the per-operation codes of a cancelled
// transaction ("None" for an operation that did not fail), or nil if err is
// not a cancellation. Decided by the modeled error type and its codes,
// never by the message.
func cancellationCodes(err error) []string {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) < 2 {
		return nil
	}
	codes := make([]string, len(tce.CancellationReasons))
	for i, r := range tce.CancellationReasons {
		codes[i] = aws.ToString(r.Code)
	}
	return codes
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
