package state_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/state"
)

var moto *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, &moto) }

const table = "forcessl-state"

func TestMemory(t *testing.T) {
	testStore(t, func(*testing.T) state.Store { return state.NewMemory() })
}

func TestDynamo(t *testing.T) {
	testStore(t, func(t *testing.T) state.Store {
		d := state.NewDynamo(newTable(t), table)
		state.SetPageLimit(d, 2) // every Query reads several pages
		return d
	})
}

// newTable resets moto and creates the state table with the public key
// schema (what the CDK app creates) and TTL on.
func newTable(t *testing.T) *dynamodb.Client {
	t.Helper()
	moto.Reset(t)
	return mototest.CreateStateTable(t, moto.Config(t), table)
}

// queryCounter counts Query calls, to prove History reads every page.
type queryCounter struct {
	*dynamodb.Client
	queries atomic.Int32
}

func (q *queryCounter) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	q.queries.Add(1)
	return q.Client.Query(ctx, in, opts...)
}

func TestDynamoHistoryReadsEveryPage(t *testing.T) {
	c := &queryCounter{Client: newTable(t)}
	d := state.NewDynamo(c, table)
	state.SetPageLimit(d, 3)
	for i := range 10 {
		if err := d.AppendHistory(t.Context(), keyA, state.HistoryEntry{At: at(time.Duration(i) * time.Second)}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	got, err := d.History(t.Context(), keyA)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 || c.queries.Load() < 4 {
		t.Errorf("History read %d entries in %d queries; want 10 in at least 4 pages", len(got), c.queries.Load())
	}
}

// TestDynamoItemLayout reads the raw rows: the key schema and the TTL
// attributes are public interface (ops query and restore the table, and
// DynamoDB only expires items whose ttl is a number of epoch seconds).
func TestDynamoItemLayout(t *testing.T) {
	c := newTable(t)
	d := state.NewDynamo(c, table)
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.PutResource(ctx, fullResource()))
	must(d.AppendHistory(ctx, keyA, state.HistoryEntry{At: at(0), Name: "orders"}, 400*24*time.Hour))
	_, _, err := d.Acquire(ctx, keyA, "lambda-1", time.Minute)
	must(err)
	must(d.LinkName(ctx, keyA.Account, keyA.Region, state.KindInstance, "orders", keyA.ResourceID, at(0)))
	must(d.StartRun(ctx, state.Run{SweepID: "s1", Mode: "report", StartedAt: at(0), Total: 1}))
	_, _, err = d.RecordItem(ctx, "s1", state.ItemRecord{Account: "111111111111", Region: "eu-west-1", RecordedAt: at(time.Minute), Report: []byte(`{"ok":true}`)})
	must(err)

	const rpk = "resource#111111111111#eu-west-1#db-AAAA"
	secs := func(d time.Duration) string { return strconv.FormatInt(at(d).Unix(), 10) }
	for _, tc := range []struct {
		name, pk, sk string
		want         map[string]string // attribute -> "S:value" or "N:value"; "-" absent
	}{
		{"resource state", rpk, "state", map[string]string{"version": "N:1", "kind": "S:db-instance",
			"stateSince": "S:2026-11-26T09:00:00.000000000Z", "ttl": "-"}},
		{"history entry", rpk, "history#2026-11-26T10:00:00.000000000Z#", map[string]string{
			"ttl": "N:" + secs(400*24*time.Hour), "at": "S:2026-11-26T10:00:00.000000000Z"}},
		{"lease", rpk, "lease", map[string]string{"owner": "S:lambda-1", "periodMs": "N:60000", "leaseUntil": "-"}},
		{"name link", "name#111111111111#eu-west-1#db-instance#orders", "db-AAAA", map[string]string{
			"firstSeen": "S:2026-11-26T10:00:00.000000000Z", "ttl": "-"}},
		{"sweep run", "sweep#s1", "run", map[string]string{"done": "N:1", "total": "N:1", "ttl": "N:" + secs(30*24*time.Hour)}},
		{"sweep item", "sweep#s1", "item#111111111111#eu-west-1", map[string]string{
			"report": `S:{"ok":true}`, "ttl": "N:" + secs(30*24*time.Hour)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			item := rawItem(t, c, tc.pk, tc.sk)
			for attr, want := range tc.want {
				if got := show(item[attr]); got != want {
					t.Errorf("%s = %s, want %s", attr, got, want)
				}
			}
		})
	}
}

// rawItem reads the one row of pk whose sort key begins with skPrefix.
func rawItem(t *testing.T, c *dynamodb.Client, pk, skPrefix string) map[string]types.AttributeValue {
	t.Helper()
	out, err := c.Query(t.Context(), &dynamodb.QueryInput{TableName: aws.String(table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: pk}, ":sk": &types.AttributeValueMemberS{Value: skPrefix}}})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("raw rows of %s %s*: %d, %v; want exactly one", pk, skPrefix, len(out.Items), err)
	}
	return out.Items[0]
}

func show(av types.AttributeValue) string {
	switch v := av.(type) {
	case nil:
		return "-"
	case *types.AttributeValueMemberS:
		return "S:" + v.Value
	case *types.AttributeValueMemberN:
		return "N:" + v.Value
	default:
		return "other"
	}
}

// TestMemoryConcurrent: the fake's conditional writes are atomic, which is
// what the engine's concurrency tests lean on.
func TestMemoryConcurrent(t *testing.T) {
	ctx := t.Context()
	s := state.NewMemory()
	const n = 50
	var wins atomic.Int32
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start // every goroutine at the same instant, with the same clock
			_, ok, err := s.Acquire(ctx, keyA, "owner-"+strconv.Itoa(i), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d of %d goroutines acquired the lease, want exactly 1", wins.Load(), n)
	}

	if err := s.StartRun(ctx, state.Run{SweepID: "s1", StartedAt: at(0), Total: 10}); err != nil {
		t.Fatal(err)
	}
	var recorded, claimed atomic.Int32
	start = make(chan struct{})
	for i := range n { // 10 distinct items, each delivered 5 times
		wg.Go(func() {
			<-start
			acct := strconv.Itoa(100000000000 + i%10)
			ok, run, err := s.RecordItem(ctx, "s1", state.ItemRecord{Account: acct, Region: "eu-west-1", RecordedAt: at(0)})
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				recorded.Add(1)
			}
			if run.Done == run.Total { // whoever sees the run complete tries to send the digest
				if won, err := s.ClaimDigest(ctx, "s1", at(time.Minute)); err != nil {
					t.Error(err)
				} else if won {
					claimed.Add(1)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	run, items, err := s.RunItems(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if run.Done != 10 || len(items) != 10 || recorded.Load() != 10 {
		t.Errorf("done %d, %d items, %d recorded calls; want 10 each", run.Done, len(items), recorded.Load())
	}
	if claimed.Load() != 1 {
		t.Errorf("%d digest claims won, want exactly 1", claimed.Load())
	}
}
