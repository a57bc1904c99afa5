package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	// attributevalue is the SDK's own marshaller between Go structs and
	// AttributeValue maps: hand-written AttributeValue code for these rows
	// would be longer and easier to get wrong (a number stored as a string,
	// a forgotten field).
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/forcessl/forcessl/pkg/state/schema"
)

// API is the part of the DynamoDB client the store calls, with the SDK's
// own signatures, so *dynamodb.Client satisfies it and tests can wrap it.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	dynamodb.QueryAPIClient
}

// Dynamo is the Store on the DynamoDB state table.
type Dynamo struct {
	client    API
	table     string
	pageLimit int32 // items per Query page; 0 leaves DynamoDB's 1 MB pages (tests force small pages)
}

var _ Store = (*Dynamo)(nil)

// NewDynamo returns the store on table (FORCESSL_STATE_TABLE).
func NewDynamo(client API, table string) *Dynamo { return &Dynamo{client: client, table: table} }

func (d *Dynamo) Resource(ctx context.Context, k Key) (Resource, bool, error) {
	if err := k.check(); err != nil {
		return Resource{}, false, err
	}
	var it resourceItem
	ok, err := d.get(ctx, k.pk(), skState, &it)
	if err != nil || !ok {
		return Resource{}, false, wrap(err, "read resource state %s", k)
	}
	r, err := it.resource(k)
	return r, err == nil, err
}

func (d *Dynamo) PutResource(ctx context.Context, r Resource) error {
	if err := checkResource(r); err != nil {
		return err
	}
	// DynamoDB refuses expression names or values the condition does not use.
	cond, names, values := "attribute_not_exists(pk)", map[string]string(nil), map[string]types.AttributeValue(nil)
	if r.Version > 0 {
		cond, names = "#version = :version", map[string]string{"#version": "version"}
		values = map[string]types.AttributeValue{":version": num(r.Version)}
	}
	var err error
	if r.Fence != nil {
		var item map[string]types.AttributeValue
		if item, err = attributevalue.MarshalMap(toResourceItem(r, r.Version+1)); err == nil {
			err = d.fencedPut(ctx, *r.Fence, item, cond, names, values)
		}
	} else {
		err = d.put(ctx, toResourceItem(r, r.Version+1), cond, names, values)
	}
	if isConditionFailed(err) {
		err = ErrConflict
	}
	return wrap(err, "put resource state %s at version %d", r.Key, r.Version)
}

func (d *Dynamo) AppendHistory(ctx context.Context, k Key, e HistoryEntry, keepFor time.Duration) error {
	if err := checkHistory(k, e); err != nil {
		return err
	}
	it := toHistoryItem(k, e, keepFor)
	// Conditional, so an entry written in the same nanosecond with the same
	// random suffix is never overwritten: draw another suffix instead.
	for range 3 {
		err := d.put(ctx, it, "attribute_not_exists(pk)", nil, nil)
		if !isConditionFailed(err) {
			return wrap(err, "append history of %s", k)
		}
		it.SK = historySK(e.At)
	}
	return fmt.Errorf("append history of %s: sort key collided three times", k)
}

func (d *Dynamo) History(ctx context.Context, k Key) ([]HistoryEntry, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	var rows []historyItem
	if err := d.queryInto(ctx, k.pk(), historyPrefix, &rows); err != nil {
		return nil, wrap(err, "read history of %s", k)
	}
	out := make([]HistoryEntry, 0, len(rows))
	for _, it := range rows {
		e, err := it.entry()
		if err != nil {
			return nil, fmt.Errorf("read history of %s: %w", k, err)
		}
		out = append(out, e)
	}
	return nilIfEmpty(out), nil
}

func (d *Dynamo) LinkName(ctx context.Context, account, region, kind, name, resourceID string, at time.Time) error {
	if err := checkName(account, region, kind, name, resourceID, at); err != nil {
		return err
	}
	key, ts := itemKey(namePK(account, region, kind, name), resourceID), str(fmtTime(at))
	// Times are fixed-width UTC strings, so DynamoDB's string comparison
	// orders them as times. The common case (a newer sighting) is one write;
	// an older one, delivered late, can only move firstSeen back.
	_, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &d.table, Key: key,
		UpdateExpression:          aws.String("SET firstSeen = if_not_exists(firstSeen, :at), lastSeen = :at"),
		ConditionExpression:       aws.String("attribute_not_exists(lastSeen) OR lastSeen <= :at"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": ts},
	})
	if isConditionFailed(err) {
		_, err = d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &d.table, Key: key,
			UpdateExpression:          aws.String("SET firstSeen = :at"),
			ConditionExpression:       aws.String("firstSeen > :at"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": ts},
		})
		if isConditionFailed(err) {
			err = nil
		}
	}
	return wrap(err, "link name %s to %s", name, resourceID)
}

func (d *Dynamo) Names(ctx context.Context, account, region, kind, name string) ([]NameLink, error) {
	if err := checkParts("name link", account, region, kind, name); err != nil {
		return nil, err
	}
	var rows []nameItem
	if err := d.queryInto(ctx, namePK(account, region, kind, name), "", &rows); err != nil {
		return nil, wrap(err, "read name links of %s", name)
	}
	out := make([]NameLink, 0, len(rows))
	for _, it := range rows {
		l, err := it.link()
		if err != nil {
			return nil, fmt.Errorf("read name links of %s: %w", name, err)
		}
		out = append(out, l)
	}
	return nilIfEmpty(out), nil
}

// get reads one row (strongly consistent, since decisions follow) into out.
func (d *Dynamo) get(ctx context.Context, pk, sk string, out any) (bool, error) {
	res, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &d.table, Key: itemKey(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil || res.Item == nil {
		return false, err
	}
	return true, attributevalue.UnmarshalMap(res.Item, out)
}

// put writes a row under a condition ("" for none).
func (d *Dynamo) put(ctx context.Context, item any, cond string, names map[string]string, values map[string]types.AttributeValue) error {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return err
	}
	in := &dynamodb.PutItemInput{TableName: &d.table, Item: av}
	if cond != "" {
		in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = &cond, names, values
	}
	_, err = d.client.PutItem(ctx, in)
	return err
}

// queryInto reads the rows query returns into out, a slice of one row type.
func (d *Dynamo) queryInto(ctx context.Context, pk, skPrefix string, out any) error {
	rows, err := d.query(ctx, pk, skPrefix)
	if err != nil {
		return err
	}
	return attributevalue.UnmarshalListOfMaps(rows, out)
}

// query reads every page of a partition, optionally only sort keys with a
// prefix, in sort-key order (strongly consistent).
func (d *Dynamo) query(ctx context.Context, pk, skPrefix string) ([]map[string]types.AttributeValue, error) {
	in := &dynamodb.QueryInput{
		TableName: &d.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
	}
	if skPrefix != "" {
		in.KeyConditionExpression = aws.String("pk = :pk AND begins_with(sk, :prefix)")
		in.ExpressionAttributeValues[":prefix"] = str(skPrefix)
	}
	if d.pageLimit > 0 {
		in.Limit = &d.pageLimit
	}
	var items []map[string]types.AttributeValue
	for p := dynamodb.NewQueryPaginator(d.client, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		items = append(items, page.Items...)
	}
	return items, nil
}

func itemKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{schema.PartitionKey: str(pk), schema.SortKey: str(sk)}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// isConditionFailed tells a lost condition from a failure, by the error's
// modeled type, never its message.
func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// wrap adds what was being done to err; nil stays nil.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
