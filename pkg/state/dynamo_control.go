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

// countAttempts bounds CountReboot's tries: retries of a
// TransactionConflict (concurrent reboots in one hour touch the same org
// counter), and of the versioned write that lost to another's.
const countAttempts = 12

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
// (string sets) in one transaction. The first try is conditional on each
// set being under its limit or holding the resource already, and on no
// restart waiting for the hour: then admission is first come, first
// served, which is what the rule says when nobody waits. When that fails
// (full, or restarts wait), the counters are read, admit judges the claim
// in each, and the count is written conditional on both counters'
// versions being unchanged: exact however many Lambda environments count
// at once, and idempotent for a retry.
func (c DynamoControls) CountReboot(ctx context.Context, at time.Time, claim BudgetClaim, limits BudgetLimits, admit Admission) (BudgetUse, error) {
	if err := checkParts("budget", claim.Account, claim.Resource); err != nil {
		return BudgetUse{}, err
	}
	pk, ttl := budgetPK(at), num(epochSeconds(at.Truncate(time.Hour).Add(budgetTTL)))
	sks := [2]string{budgetAcctPrefix + claim.Account, budgetOrgSK}
	update := func(sk string) *types.Update {
		return &types.Update{TableName: &c.d.table, Key: itemKey(pk, sk),
			UpdateExpression:         aws.String("ADD #rs :set, #v :one SET #ttl = :ttl"),
			ExpressionAttributeNames: map[string]string{"#rs": "resources", "#ttl": "ttl", "#v": "v"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":set": &types.AttributeValueMemberSS{Value: []string{claim.Resource}}, ":ttl": ttl, ":one": num(1)},
		}
	}
	// The first try: nobody waits, so the limits alone decide.
	fast := func(sk string, limit int) types.TransactWriteItem {
		u := update(sk)
		u.ExpressionAttributeNames["#w"] = "waiting"
		u.ExpressionAttributeValues[":zero"] = num(0)
		u.ConditionExpression = aws.String("(attribute_not_exists(#w) OR size(#w) = :zero)")
		if limit > 0 {
			u.ConditionExpression = aws.String(*u.ConditionExpression +
				" AND (attribute_not_exists(#rs) OR size(#rs) < :limit OR contains(#rs, :rid))")
			u.ExpressionAttributeValues[":limit"] = num(int64(limit))
			u.ExpressionAttributeValues[":rid"] = str(claim.Resource)
		}
		return types.TransactWriteItem{Update: u}
	}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		fast(sks[0], limits.Account), fast(sks[1], limits.Org)}}
	for attempt := 1; ; attempt++ {
		in.ClientRequestToken = nil // a fresh idempotency token per attempt (see transact)
		_, err := c.d.client.TransactWriteItems(ctx, in)
		reasons := cancellationCodes(err)
		switch {
		case err == nil:
			return BudgetUse{Allowed: true}, nil
		case reasons == nil:
			return BudgetUse{}, wrap(err, "count a reboot of %s", claim.Resource)
		case attempt == countAttempts:
			return BudgetUse{}, wrap(err, "count a reboot of %s", claim.Resource)
		case slices.Contains(reasons, "ConditionalCheckFailed"):
			// Full, or restarts wait (or, after a read, a counter moved):
			// read the counters and judge.
			counters, versions, err := c.readCounters(ctx, pk, sks, limits)
			if err != nil {
				return BudgetUse{}, err
			}
			if use, done := judge(counters, claim, admit); done {
				return use, nil
			}
			items := make([]types.TransactWriteItem, 2)
			for i, sk := range sks {
				u := update(sk)
				if versions[i] == 0 {
					u.ConditionExpression = aws.String("attribute_not_exists(#v)")
				} else {
					u.ConditionExpression = aws.String("#v = :v")
					u.ExpressionAttributeValues[":v"] = num(versions[i])
				}
				if w, ok := waiting(counters[i], claim.Resource); ok {
					// Counted: its wait is over.
					*u.UpdateExpression += " DELETE #w :w"
					u.ExpressionAttributeNames["#w"] = "waiting"
					u.ExpressionAttributeValues[":w"] = &types.AttributeValueMemberSS{Value: w}
				}
				items[i] = types.TransactWriteItem{Update: u}
			}
			in.TransactItems = items
			continue // at once: the counters were just read
		case !slices.Contains(reasons, "TransactionConflict"):
			return BudgetUse{}, wrap(err, "count a reboot of %s", claim.Resource)
		}
		if err := sleep(ctx, time.Duration(attempt)*30*time.Millisecond); err != nil {
			return BudgetUse{}, err
		}
	}
}

// judge applies admit to both counters: done with the answer when the
// claim does not fit, or fits without a write (counted in both already).
func judge(counters [2]BudgetCounter, claim BudgetClaim, admit Admission) (BudgetUse, bool) {
	for _, c := range counters {
		if !admit(c, claim) {
			return BudgetUse{Full: c.Scope}, true
		}
	}
	if slices.Contains(counters[0].Counted, claim.Resource) && slices.Contains(counters[1].Counted, claim.Resource) {
		return BudgetUse{Allowed: true}, true
	}
	return BudgetUse{}, false
}

// waiting returns the stored entries of the resource's wait in c.
func waiting(c BudgetCounter, resource string) ([]string, bool) {
	var out []string
	for _, w := range c.Waiting {
		if w.Resource == resource {
			out = append(out, waiterText(w))
		}
	}
	return out, len(out) > 0
}

// budgetItem is one budget counter's row.
type budgetItem struct {
	SK        string   `dynamodbav:"sk"`
	Resources []string `dynamodbav:"resources,stringset"`
	Waiting   []string `dynamodbav:"waiting,stringset"`
	V         int64    `dynamodbav:"v"`
}

func (it budgetItem) counter(limit int) (BudgetCounter, error) {
	c := BudgetCounter{Scope: "account", Limit: limit, Counted: it.Resources}
	if it.SK == budgetOrgSK {
		c.Scope = BudgetOrg
	}
	for _, s := range it.Waiting {
		w, err := parseWaiter(s)
		if err != nil {
			return BudgetCounter{}, err
		}
		c.Waiting = append(c.Waiting, w)
	}
	return c, nil
}

// readCounters reads the account's and the org's counters of the hour
// (strongly consistent), with their versions (0: never written with one).
func (c DynamoControls) readCounters(ctx context.Context, pk string, sks [2]string, limits BudgetLimits) ([2]BudgetCounter, [2]int64, error) {
	var out [2]BudgetCounter
	var versions [2]int64
	for i, sk := range sks {
		it := budgetItem{SK: sk}
		if _, err := c.d.get(ctx, pk, sk, &it); err != nil {
			return out, versions, wrap(err, "read the reboot budget %s %s", pk, sk)
		}
		limit := limits.Account
		if sk == budgetOrgSK {
			limit = limits.Org
		}
		var err error
		if out[i], err = it.counter(limit); err != nil {
			return out, versions, err
		}
		versions[i] = it.V
	}
	return out, versions, nil
}

// Wait adds the claim to the waiting sets of the hour's account and org
// counters, in one transaction (idempotent: a string set).
func (c DynamoControls) Wait(ctx context.Context, at time.Time, claim BudgetClaim) error {
	if err := checkParts("budget", claim.Account, claim.Resource); err != nil {
		return err
	}
	pk, ttl := budgetPK(at), num(epochSeconds(at.Truncate(time.Hour).Add(budgetTTL)))
	item := func(sk string) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{TableName: &c.d.table, Key: itemKey(pk, sk),
			UpdateExpression:         aws.String("ADD #w :w, #v :one SET #ttl = :ttl"),
			ExpressionAttributeNames: map[string]string{"#w": "waiting", "#ttl": "ttl", "#v": "v"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":w":   &types.AttributeValueMemberSS{Value: []string{waiterText(Waiter{claim.Resource, claim.IntentAt})}},
				":ttl": ttl, ":one": num(1)}}}
	}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{item(budgetAcctPrefix + claim.Account), item(budgetOrgSK)}}
	for attempt := 1; ; attempt++ {
		_, err := c.d.client.TransactWriteItems(ctx, in)
		if err == nil || !slices.Contains(cancellationCodes(err), "TransactionConflict") || attempt == countAttempts {
			return wrap(err, "record %s as waiting for the reboot budget of %s", claim.Resource, pk)
		}
		if err := sleep(ctx, time.Duration(attempt)*30*time.Millisecond); err != nil {
			return err
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
