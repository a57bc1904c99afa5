package state_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/forcessl/forcessl/pkg/state"
)

// conflicting cancels the first n transactions the way DynamoDB does when
// another write holds the run row, then passes through to moto.
type conflicting struct {
	*dynamodb.Client
	n, calls    int
	staleTokens int // attempts that arrived carrying an earlier attempt's token
}

func (c *conflicting) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.calls++
	if in.ClientRequestToken != nil {
		c.staleTokens++
	}
	if c.calls <= c.n {
		in.ClientRequestToken = aws.String("token-" + strconv.Itoa(c.calls)) // as the SDK's middleware does
		return nil, &types.TransactionCanceledException{Message: aws.String("cancelled"),
			CancellationReasons: []types.CancellationReason{{Code: aws.String("None")}, {Code: aws.String("TransactionConflict")}}}
	}
	return c.Client.TransactWriteItems(ctx, in, opts...)
}

func TestDynamoRecordItemRetriesTransactionConflict(t *testing.T) {
	for _, tc := range []struct {
		name         string
		conflicts    int
		wantRecorded bool
		wantCalls    int
		wantErr      bool
	}{
		{"one conflict, then recorded", 1, true, 2, false},
		{"three conflicts, then recorded", 3, true, 4, false},
		{"conflicts outlast the retries: error, SQS redelivers", 10, false, 4, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &conflicting{Client: newTable(t), n: tc.conflicts}
			d := state.NewDynamo(c, table)
			if err := d.StartRun(t.Context(), state.Run{SweepID: "s1", StartedAt: at(0), Total: 1}); err != nil {
				t.Fatal(err)
			}
			recorded, run, err := d.RecordItem(t.Context(), "s1", state.ItemRecord{Account: "1", Region: "r", RecordedAt: at(0)})
			if recorded != tc.wantRecorded || (err != nil) != tc.wantErr || c.calls != tc.wantCalls {
				t.Fatalf("RecordItem = %v, %v after %d calls; want %v, error %v after %d", recorded, err, c.calls, tc.wantRecorded, tc.wantErr, tc.wantCalls)
			}
			if tc.wantRecorded && run.Done != 1 {
				t.Errorf("done = %d, want 1", run.Done)
			}
			if tc.wantErr && !strings.HasPrefix(err.Error(), "record sweep item s1 1/r: ") {
				t.Errorf("error without context: %v", err)
			}
			if c.staleTokens != 0 {
				t.Errorf("%d retries reused a cancelled attempt's idempotency token", c.staleTokens)
			}
		})
	}
}

// TestDynamoErrorsCarryContext: a failure that is not a lost condition
// (here, a missing table) is returned wrapped with what was being done,
// never mistaken for a conflict, a held lease or a duplicate.
func TestDynamoErrorsCarryContext(t *testing.T) {
	newTable(t)
	d := state.NewDynamo(dynamodb.NewFromConfig(moto.Config(t)), "no-such-table")
	ctx := t.Context()
	for _, tc := range []struct {
		prefix string
		call   func() error
	}{
		{"read resource state", func() error { _, _, err := d.Resource(ctx, keyA); return err }},
		{"put resource state", func() error { return d.PutResource(ctx, state.Resource{Key: keyA}) }},
		{"append history", func() error { return d.AppendHistory(ctx, keyA, state.HistoryEntry{At: at(0)}, 0) }},
		{"read history", func() error { _, err := d.History(ctx, keyA); return err }},
		{"link name", func() error { return d.LinkName(ctx, "1", "r", state.KindInstance, "n", "db-A", at(0)) }},
		{"read name links", func() error { _, err := d.Names(ctx, "1", "r", state.KindInstance, "n"); return err }},
		{"acquire lease", func() error { _, _, err := d.Acquire(ctx, keyA, "o", time.Minute); return err }},
		{"take over lease", func() error {
			_, _, err := d.TakeOver(ctx, state.Lease{Key: keyA, Token: "t", Version: "v"}, "o", time.Minute)
			return err
		}},
		{"renew lease", func() error {
			_, err := d.Renew(ctx, state.Lease{Key: keyA, Owner: "o", Token: "t", Period: time.Minute})
			return err
		}},
		{"release lease", func() error { return d.Release(ctx, state.Lease{Key: keyA, Owner: "o", Token: "t"}) }},
		{"start sweep run", func() error { return d.StartRun(ctx, state.Run{SweepID: "s", StartedAt: at(0)}) }},
		{"record sweep item", func() error {
			_, _, err := d.RecordItem(ctx, "s", state.ItemRecord{Account: "1", Region: "r"})
			return err
		}},
		{"claim digest", func() error { _, err := d.ClaimDigest(ctx, "s", at(0)); return err }},
		{"read items of sweep", func() error { _, _, err := d.RunItems(ctx, "s"); return err }},
	} {
		err := tc.call()
		if err == nil || !strings.HasPrefix(err.Error(), tc.prefix) || errors.Is(err, state.ErrConflict) || errors.Is(err, state.ErrUnknownRun) {
			t.Errorf("%s: got %v; want an error starting %q, not a conflict", tc.prefix, err, tc.prefix)
		}
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("%s: the SDK's error is not kept in the chain: %v", tc.prefix, err)
		}
	}
}

// TestDynamoLeaseRow: the lease row holds no time the taker compares,
// only the holder's token, its record version and its period.
func TestDynamoLeaseRow(t *testing.T) {
	c := newTable(t)
	d := state.NewDynamo(c, table)
	l, ok, err := d.Acquire(t.Context(), keyA, "lambda-1", 20*time.Second)
	if !ok || err != nil {
		t.Fatalf("Acquire = %v, %v", ok, err)
	}
	row := rawItem(t, c, "resource#111111111111#eu-west-1#db-AAAA", "lease")
	for attr, want := range map[string]string{"owner": "S:lambda-1", "token": "S:" + l.Token, "rvn": "S:" + l.Version, "periodMs": "N:20000"} {
		if got := show(row[attr]); got != want {
			t.Errorf("lease %s = %s, want %s", attr, got, want)
		}
	}
	if _, ok := row["leaseUntil"]; ok {
		t.Error("the lease row still carries a wall-clock expiry")
	}
}
