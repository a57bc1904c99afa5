package state

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ownerName: "owner" is a DynamoDB reserved word, so conditions name it
// through a placeholder.
var ownerName = map[string]string{"#owner": "owner"}

func (d *Dynamo) Acquire(ctx context.Context, k Key, owner string, period time.Duration) (Lease, bool, error) {
	if err := checkLease(k, owner, period); err != nil {
		return Lease{}, false, err
	}
	l := newLease(k, owner, period)
	err := d.put(ctx, toLeaseItem(l), "attribute_not_exists(pk) OR #owner = :owner", ownerName,
		map[string]types.AttributeValue{":owner": str(owner)})
	if !isConditionFailed(err) {
		return l, err == nil, wrap(err, "acquire lease on %s for %s", k, owner)
	}
	// Held by another: read it (strongly consistent) for the caller to
	// watch. Gone meanwhile: an empty version, which the next try takes.
	var it leaseItem
	if _, err := d.get(ctx, k.pk(), skLease, &it); err != nil {
		return Lease{}, false, wrap(err, "read lease on %s", k)
	}
	return it.lease(k), false, nil
}

func (d *Dynamo) TakeOver(ctx context.Context, stale Lease, owner string, period time.Duration) (Lease, bool, error) {
	if err := checkLease(stale.Key, owner, period); err != nil {
		return Lease{}, false, err
	}
	l := newLease(stale.Key, owner, period)
	err := d.put(ctx, toLeaseItem(l), "#token = :token AND #rvn = :rvn", leaseNames,
		map[string]types.AttributeValue{":token": str(stale.Token), ":rvn": str(stale.Version)})
	if isConditionFailed(err) {
		return Lease{}, false, nil
	}
	return l, err == nil, wrap(err, "take over lease on %s from %s for %s", stale.Key, stale.Owner, owner)
}

func (d *Dynamo) Renew(ctx context.Context, l Lease) (Lease, error) {
	if err := checkLease(l.Key, l.Owner, l.Period); err != nil {
		return Lease{}, err
	}
	n := l
	n.Version = newToken()
	err := d.put(ctx, toLeaseItem(n), "#token = :token", map[string]string{"#token": "token"},
		map[string]types.AttributeValue{":token": str(l.Token)})
	if isConditionFailed(err) {
		return Lease{}, wrap(ErrLeaseLost, "renew lease on %s for %s", l.Key, l.Owner)
	}
	return n, wrap(err, "renew lease on %s for %s", l.Key, l.Owner)
}

func (d *Dynamo) Release(ctx context.Context, l Lease) error {
	if err := l.Key.check(); err != nil {
		return err
	}
	_, err := d.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &d.table, Key: itemKey(l.Key.pk(), skLease),
		ConditionExpression:       aws.String("#token = :token"),
		ExpressionAttributeNames:  map[string]string{"#token": "token"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":token": str(l.Token)},
	})
	if isConditionFailed(err) { // gone, or taken over: not ours to delete
		return nil
	}
	return wrap(err, "release lease on %s for %s", l.Key, l.Owner)
}

var leaseNames = map[string]string{"#token": "token", "#rvn": "rvn"}

// fencedPut writes a row only while the lease's holding still has it: one
// transaction, the lease row checked and the row put, so a holder that
// was taken over cannot write however late it wakes up.
func (d *Dynamo) fencedPut(ctx context.Context, l Lease, item map[string]types.AttributeValue, cond string,
	names map[string]string, values map[string]types.AttributeValue) error {
	put := &types.Put{TableName: &d.table, Item: item, ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values}
	_, err := d.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: &d.table, Key: itemKey(l.Key.pk(), skLease),
			ConditionExpression:       aws.String("#token = :token"),
			ExpressionAttributeNames:  map[string]string{"#token": "token"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":token": str(l.Token)}}},
		{Put: put},
	}})
	switch codes := cancellationCodes(err); {
	case codes == nil:
		return err
	case codes[0] == "ConditionalCheckFailed":
		return ErrLeaseLost
	case codes[1] == "ConditionalCheckFailed":
		return ErrConflict
	}
	return err
}
