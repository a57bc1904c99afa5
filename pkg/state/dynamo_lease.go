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

func (d *Dynamo) Acquire(ctx context.Context, k Key, owner string, now, until time.Time) (bool, error) {
	if err := checkLease(k, owner, now, until); err != nil {
		return false, err
	}
	// The expiry is compared in the write's condition: a crashed holder's
	// lease is taken over once leaseUntil has passed, whether or not TTL has
	// deleted the item yet (it may take days). The owner clause lets a
	// holder extend its own lease.
	err := d.put(ctx, toLeaseItem(k, owner, until),
		"attribute_not_exists(pk) OR leaseUntil < :now OR #owner = :owner", ownerName,
		map[string]types.AttributeValue{":now": num(now.UnixMilli()), ":owner": str(owner)})
	if isConditionFailed(err) {
		return false, nil
	}
	return err == nil, wrap(err, "acquire lease on %s for %s", k, owner)
}

func (d *Dynamo) Release(ctx context.Context, k Key, owner string) error {
	if err := k.check(); err != nil {
		return err
	}
	_, err := d.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &d.table, Key: itemKey(k.pk(), skLease),
		ConditionExpression:       aws.String("#owner = :owner"),
		ExpressionAttributeNames:  ownerName,
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": str(owner)},
	})
	if isConditionFailed(err) { // gone, or expired and taken over: not ours to delete
		return nil
	}
	return wrap(err, "release lease on %s for %s", k, owner)
}
