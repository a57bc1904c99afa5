package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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
	// A retried start finds its run: nothing to write (and no shards to
	// throw away).
	if _, ok, err := d.run(ctx, r.SweepID); err != nil || ok {
		return wrap(err, "start sweep run %s", r.SweepID)
	}
	set := newSet()
	shards, err := shardExpected(r.SweepID, set, r.Expected, runTTLOf(r))
	if err != nil {
		return err
	}
	// The shards first, the run row that names them last: a crash in
	// between leaves shards no run references (they expire with the ttl),
	// never a run whose list is incomplete.
	if err := putAll(ctx, d, shards); err != nil {
		return wrap(err, "start sweep run %s: expected list", r.SweepID)
	}
	err = d.put(ctx, toRunItem(r, set, len(shards)), "attribute_not_exists(pk)", nil, nil)
	if isConditionFailed(err) { // a concurrent start won: keep its run, drop our shards
		d.deleteRows(ctx, runPK(r.SweepID), shardKeys(shards))
		return nil
	}
	return wrap(err, "start sweep run %s", r.SweepID)
}

func (d *Dynamo) Run(ctx context.Context, sweepID string) (Run, error) {
	if err := checkParts("sweep run", sweepID); err != nil {
		return Run{}, err
	}
	it, ok, err := d.run(ctx, sweepID)
	if err != nil || !ok {
		return Run{}, wrap(orUnknown(err, ok), "read sweep run %s", sweepID)
	}
	rs := sweepRows{run: &it}
	if it.ExpectedShards > 0 {
		rows, err := d.query(ctx, runPK(sweepID), expectedPrefix+it.ExpectedSet+"#")
		if err != nil {
			return Run{}, wrap(err, "read sweep run %s", sweepID)
		}
		if err := rs.add(rows); err != nil {
			return Run{}, fmt.Errorf("read sweep run %s: %w", sweepID, err)
		}
	}
	return rs.runWith(sweepID)
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
	rec, chunks, err := splitReport(sweepID, it, before.TTL, newSet())
	if err != nil {
		return false, Run{}, fmt.Errorf("%s: %w", what, err)
	}
	// A large report's chunks go first, under a set of this delivery's
	// own, and become part of the run only when the record naming them
	// commits: a crash in between leaves chunks nothing references.
	if err := putAll(ctx, d, chunks); err != nil {
		return false, Run{}, wrap(err, "%s: report chunks", what)
	}
	av, err := attributevalue.MarshalMap(rec)
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
	if !recorded { // a redelivery: the first delivery's report stands
		d.deleteRows(ctx, runPK(sweepID), chunkKeys(chunks))
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
	// Times are fixed-width UTC strings: DynamoDB's string comparison
	// orders them as times.
	_, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &d.table, Key: itemKey(runPK(sweepID), skRun),
		UpdateExpression: aws.String("SET digestClaimedAt = :at"),
		ConditionExpression: aws.String("attribute_exists(pk) AND attribute_not_exists(digestSentAt) AND " +
			"(attribute_not_exists(digestClaimedAt) OR digestClaimedAt <= :stale)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":at": str(fmtTime(at)), ":stale": str(fmtTime(at.Add(-DigestClaimFor)))},
	})
	if isConditionFailed(err) {
		// Sent, claimed, or no such run: only the last is an error.
		_, ok, err := d.run(ctx, sweepID)
		return false, wrap(orUnknown(err, ok), "claim digest of sweep %s", sweepID)
	}
	return err == nil, wrap(err, "claim digest of sweep %s", sweepID)
}

func (d *Dynamo) ReleaseDigest(ctx context.Context, sweepID string, claimedAt time.Time) error {
	if err := checkClaim(sweepID, claimedAt); err != nil {
		return err
	}
	_, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &d.table, Key: itemKey(runPK(sweepID), skRun),
		UpdateExpression:          aws.String("REMOVE digestClaimedAt"),
		ConditionExpression:       aws.String("digestClaimedAt = :at AND attribute_not_exists(digestSentAt)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(fmtTime(claimedAt))},
	})
	if isConditionFailed(err) { // taken over, sent, or gone: not ours to release
		return nil
	}
	return wrap(err, "release digest claim of sweep %s", sweepID)
}

func (d *Dynamo) ConfirmDigest(ctx context.Context, sweepID string, at time.Time) error {
	if err := checkClaim(sweepID, at); err != nil {
		return err
	}
	_, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &d.table, Key: itemKey(runPK(sweepID), skRun),
		UpdateExpression:          aws.String("SET digestSentAt = if_not_exists(digestSentAt, :at)"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(fmtTime(at))},
	})
	if isConditionFailed(err) {
		err = ErrUnknownRun
	}
	return wrap(err, "confirm digest of sweep %s", sweepID)
}

func (d *Dynamo) RunItems(ctx context.Context, sweepID string) (Run, []ItemRecord, error) {
	if err := checkParts("sweep run", sweepID); err != nil {
		return Run{}, nil, err
	}
	rows, err := d.query(ctx, runPK(sweepID), "")
	if err != nil {
		return Run{}, nil, wrap(err, "read items of sweep %s", sweepID)
	}
	var rs sweepRows
	if err := rs.add(rows); err != nil {
		return Run{}, nil, fmt.Errorf("read items of sweep %s: %w", sweepID, err)
	}
	if rs.run == nil {
		return Run{}, nil, fmt.Errorf("read items of sweep %s: %w", sweepID, ErrUnknownRun)
	}
	run, err := rs.runWith(sweepID)
	if err != nil {
		return Run{}, nil, fmt.Errorf("read items of sweep %s: %w", sweepID, err)
	}
	items, err := rs.items()
	if err != nil {
		return Run{}, nil, fmt.Errorf("read items of sweep %s: %w", sweepID, err)
	}
	return run, items, nil
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
