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
)

// DynamoControls is Controls on the state table (the same table and
// client as Dynamo).
type DynamoControls struct{ d *Dynamo }

var _ Controls = DynamoControls{}

// NewDynamoControls returns the controls on table (FORCESSL_STATE_TABLE).
func NewDynamoControls(client API, table string) DynamoControls {
	return DynamoControls{NewDynamo(client, table)}
}

// countAttempts bounds CountReboot's retries of a TransactionConflict
// (concurrent reboots in one hour touch the same org counter).
const countAttempts = 6

func (c DynamoControls) ReadControls(ctx context.Context) (ControlSet, error) {
	rows, err := c.d.query(ctx, controlPK, "")
	if err != nil {
		return ControlSet{}, wrap(err, "read pauses and breakers")
	}
	var set ControlSet
	for _, row := range rows {
		sk := ""
		if v, ok := row["sk"].(*types.AttributeValueMemberS); ok {
			sk = v.Value
		}
		switch {
		case strings.HasPrefix(sk, pausePrefix):
			var it pauseItem
			if err := attributevalue.UnmarshalMap(row, &it); err != nil {
				return ControlSet{}, fmt.Errorf("read pause %s: %w", sk, err)
			}
			p, err := it.pause()
			if err != nil {
				return ControlSet{}, err
			}
			set.Pauses = append(set.Pauses, p)
		case strings.HasPrefix(sk, breakerPrefix):
			var it breakerItem
			if err := attributevalue.UnmarshalMap(row, &it); err != nil {
				return ControlSet{}, fmt.Errorf("read breaker %s: %w", sk, err)
			}
			b, err := it.breaker()
			if err != nil {
				return ControlSet{}, err
			}
			set.Breakers = append(set.Breakers, b)
		}
	}
	return set, nil
}

func (c DynamoControls) Pause(ctx context.Context, p Pause) error {
	if err := checkScope(p.Scope); err != nil {
		return err
	}
	if err := c.d.put(ctx, toPauseItem(p), "", nil, nil); err != nil {
		return wrap(err, "pause %s", p.Scope)
	}
	return c.record(ctx, ControlEvent{At: p.Since, Action: ActionPause, Account: p.Scope.Account, Region: p.Scope.Region, By: p.By, Why: p.Reason})
}

func (c DynamoControls) Resume(ctx context.Context, scope Scope, by, why string, at time.Time) error {
	if err := checkScope(scope); err != nil {
		return err
	}
	changed, err := c.delete(ctx, pauseSK(scope))
	if err != nil {
		return wrap(err, "resume %s", scope)
	}
	set, err := c.ReadControls(ctx)
	if err != nil {
		return err
	}
	for _, b := range set.Breakers {
		if closes(scope, b.Account) {
			gone, err := c.delete(ctx, breakerSK(b.Account))
			if err != nil {
				return wrap(err, "close the breaker of %s", b.Account)
			}
			changed = changed || gone
		}
	}
	if !changed {
		return ErrNoChange
	}
	return c.record(ctx, ControlEvent{At: at, Action: ActionResume, Account: scope.Account, Region: scope.Region, By: by, Why: why})
}

// delete removes one control row, reporting whether it was there.
func (c DynamoControls) delete(ctx context.Context, sk string) (bool, error) {
	out, err := c.d.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &c.d.table, Key: itemKey(controlPK, sk),
		ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		return false, err
	}
	return len(out.Attributes) > 0, nil
}

func (c DynamoControls) OpenBreaker(ctx context.Context, b Breaker) (bool, error) {
	if err := checkParts("breaker", b.Account); err != nil {
		return false, err
	}
	err := c.d.put(ctx, toBreakerItem(b), "attribute_not_exists(pk)", nil, nil)
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, wrap(err, "open the breaker of %s", b.Account)
	}
	return true, c.record(ctx, ControlEvent{At: b.OpenedAt, Action: ActionBreakerOpen, Account: b.Account, By: "forcessl", Why: b.Resource + ": " + b.Saw})
}

// CountReboot adds the resource to the hour's account and org counters
// (string sets) in one transaction, each conditional on its set being
// under its limit or holding the resource already: exact however many
// Lambda environments count at once, and idempotent for a retry.
func (c DynamoControls) CountReboot(ctx context.Context, at time.Time, account, resource string, limits BudgetLimits) (BudgetUse, error) {
	if err := checkParts("budget", account, resource); err != nil {
		return BudgetUse{}, err
	}
	pk, ttl := budgetPK(at), num(epochSeconds(at.Truncate(time.Hour).Add(budgetTTL)))
	update := func(sk string, limit int) types.TransactWriteItem {
		u := &types.Update{TableName: &c.d.table, Key: itemKey(pk, sk),
			UpdateExpression:         aws.String("ADD #rs :set SET #ttl = :ttl"),
			ExpressionAttributeNames: map[string]string{"#rs": "resources", "#ttl": "ttl"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":set": &types.AttributeValueMemberSS{Value: []string{resource}}, ":ttl": ttl},
		}
		if limit > 0 {
			u.ConditionExpression = aws.String("attribute_not_exists(#rs) OR size(#rs) < :limit OR contains(#rs, :rid)")
			u.ExpressionAttributeValues[":limit"] = num(int64(limit))
			u.ExpressionAttributeValues[":rid"] = str(resource)
		}
		return types.TransactWriteItem{Update: u}
	}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		update(budgetAcctPrefix+account, limits.Account), update(budgetOrgSK, limits.Org)}}
	for attempt := 1; ; attempt++ {
		in.ClientRequestToken = nil // a fresh idempotency token per attempt (see transact)
		_, err := c.d.client.TransactWriteItems(ctx, in)
		reasons := cancellationCodes(err)
		switch {
		case err == nil:
			return BudgetUse{Allowed: true}, nil
		case reasons == nil:
			return BudgetUse{}, wrap(err, "count a reboot of %s", resource)
		case reasons[0] == "ConditionalCheckFailed":
			return BudgetUse{Full: "account"}, nil
		case reasons[1] == "ConditionalCheckFailed":
			return BudgetUse{Full: "org"}, nil
		case !slices.Contains(reasons, "TransactionConflict") || attempt == countAttempts:
			return BudgetUse{}, wrap(err, "count a reboot of %s", resource)
		}
		if err := sleep(ctx, time.Duration(attempt)*30*time.Millisecond); err != nil {
			return BudgetUse{}, err
		}
	}
}

func (c DynamoControls) RebootCounts(ctx context.Context, at time.Time) (map[string]int, error) {
	rows, err := c.d.query(ctx, budgetPK(at), "")
	if err != nil {
		return nil, wrap(err, "read the reboot budget of %s", budgetPK(at))
	}
	out := map[string]int{}
	for _, row := range rows {
		var it struct {
			SK        string   `dynamodbav:"sk"`
			Resources []string `dynamodbav:"resources,stringset"`
		}
		if err := attributevalue.UnmarshalMap(row, &it); err != nil {
			return nil, fmt.Errorf("read the reboot budget: %w", err)
		}
		out[counterName(it.SK)] = len(it.Resources)
	}
	return out, nil
}

func (c DynamoControls) ControlHistory(ctx context.Context) ([]ControlEvent, error) {
	var rows []controlEventItem
	if err := c.d.queryInto(ctx, controlHistoryPK, historyPrefix, &rows); err != nil {
		return nil, wrap(err, "read the control history")
	}
	out := make([]ControlEvent, 0, len(rows))
	for _, it := range rows {
		e, err := it.event()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return nilIfEmpty(out), nil
}

// record appends a control event; the sort key is drawn again if taken.
func (c DynamoControls) record(ctx context.Context, e ControlEvent) error {
	it := toControlEventItem(e)
	for range 3 {
		err := c.d.put(ctx, it, "attribute_not_exists(pk)", nil, nil)
		if !isConditionFailed(err) {
			return wrap(err, "record %s of %s", e.Action, Scope{e.Account, e.Region})
		}
		it.SK = historySK(e.At)
	}
	return errors.New("record a control event: sort key collided three times")
}
