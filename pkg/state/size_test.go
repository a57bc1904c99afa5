package state_test

// The sweep partition's rows stay below DynamoDB's 400 KB item limit at
// the scales issue 16 names, against moto (which refuses larger items), and
// each row's size is measured by DynamoDB's own rules: run with -v to see
// the figures docs/sweep-runs.md quotes.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/report"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/state"
)

// maxItem is DynamoDB's item size limit.
const maxItem = 400 * 1024

// regions17 are the 17 regions enabled by default in every account.
var regions17 = []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2",
	"eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-southeast-1", "ap-southeast-2", "sa-east-1"}

func TestSizeRunOf10000AccountsBy17Regions(t *testing.T) {
	c := newTable(t)
	d := state.NewDynamo(c, table)
	run := state.Run{SweepID: "2026-11-26T10:00:00Z_53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", Mode: "enforce",
		StartedAt: at(0), Deadline: at(3 * time.Hour)}
	for a := range 10000 {
		for _, r := range regions17 {
			run.Expected = append(run.Expected, fmt.Sprintf("%012d/%s", 100000000000+a, r))
		}
	}
	run.Total = len(run.Expected)
	if err := d.StartRun(t.Context(), run); err != nil {
		t.Fatalf("a run of %d work items: %v", run.Total, err)
	}
	got, err := d.Run(t.Context(), run.SweepID)
	if err != nil || len(got.Expected) != run.Total || got.Expected[run.Total-1] != run.Expected[run.Total-1] {
		t.Fatalf("Run read back %d of %d expected, %v", len(got.Expected), run.Total, err)
	}
	sizes := rowSizes(t, c, "sweep#"+run.SweepID)
	t.Logf("%d work items: run row %d bytes, %d expected shards, largest %d bytes",
		run.Total, sizes["run"].max, sizes["expected"].n, sizes["expected"].max)
	checkBounded(t, sizes)
}

func TestSizeItemOf5000Resources(t *testing.T) {
	for _, tc := range []struct {
		name   string
		report []byte
	}{
		{"engine's report", engineReport(t, 5000)},
		{"incompressible", randomReport(5000 * 630)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTable(t)
			d := state.NewDynamo(c, table)
			if err := d.StartRun(t.Context(), state.Run{SweepID: "s1", StartedAt: at(0), Total: 1, Expected: []string{"111111111111/eu-west-1"}}); err != nil {
				t.Fatal(err)
			}
			rec := state.ItemRecord{Account: "111111111111", Region: "eu-west-1", RecordedAt: at(time.Minute), Report: tc.report}
			if recorded, _, err := d.RecordItem(t.Context(), "s1", rec); err != nil || !recorded {
				t.Fatalf("a %d-byte report: recorded %v, %v", len(tc.report), recorded, err)
			}
			_, items, err := d.RunItems(t.Context(), "s1")
			if err != nil || len(items) != 1 || string(items[0].Report) != string(tc.report) {
				t.Fatalf("RunItems: %d items, %v; want the report back whole", len(items), err)
			}
			sizes := rowSizes(t, c, "sweep#s1")
			t.Logf("%d-byte report (%d bytes/resource): record row %d bytes, %d chunk rows, largest %d bytes",
				len(tc.report), len(tc.report)/5000, sizes["item"].max, sizes["chunk"].n, sizes["chunk"].max)
			checkBounded(t, sizes)
		})
	}
}

// engineReport is the engine's own JSON for one account-region of n
// non-compliant SQL Server instances: each is both a finding and a
// resource, with its checks, as report.FromResult makes them.
func engineReport(t *testing.T, n int) []byte {
	t.Helper()
	since := at(-72 * time.Hour)
	it := report.Item{Account: "111111111111", Region: "eu-west-1", Counts: map[report.Bucket]int{report.NonCompliant: n},
		Kinds: map[plan.Kind]int{plan.KindInstance: n}}
	for i := range n {
		f := report.Finding{Account: "111111111111", Region: "eu-west-1", Kind: plan.KindInstance,
			Instance: fmt.Sprintf("orders-sql-%05d", i), Bucket: report.NonCompliant, Outcome: plan.OutcomeRemediated,
			Reason: "rds.force_ssl is 0 in parameter group default.sqlserver-se-16.0 (report mode: enforce would attach forcessl-default-sqlserver-se-16-0)",
			Since:  &since, LastAction: "", Checks: []result.Check{{Name: result.CheckTLS, Detail: "rds.force_ssl=0"}}}
		it.Findings = append(it.Findings, f)
		it.Resources = append(it.Resources, f)
	}
	b, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// randomReport is n bytes of JSON text gzip can hardly shrink.
func randomReport(n int) []byte {
	rng := rand.New(rand.NewPCG(7, 7))
	var b strings.Builder
	b.WriteString(`{"noise":"`)
	for b.Len() < n {
		fmt.Fprintf(&b, "%016x", rng.Uint64())
	}
	b.WriteString(`"}`)
	return []byte(b.String())
}

type sizeStat struct{ n, max int }

// rowSizes reads a partition raw and sizes each row by kind (the sort
// key's prefix before '#').
func rowSizes(t *testing.T, c *dynamodb.Client, pk string) map[string]sizeStat {
	t.Helper()
	out := map[string]sizeStat{}
	p := dynamodb.NewQueryPaginator(c, &dynamodb.QueryInput{TableName: aws.String(table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}}})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range page.Items {
			kind, _, _ := strings.Cut(row["sk"].(*types.AttributeValueMemberS).Value, "#")
			s := out[kind]
			s.n++
			s.max = max(s.max, itemSize(row))
			out[kind] = s
		}
	}
	return out
}

func checkBounded(t *testing.T, sizes map[string]sizeStat) {
	t.Helper()
	for kind, s := range sizes {
		if s.max >= maxItem {
			t.Errorf("%s rows reach %d bytes, DynamoDB's limit is %d", kind, s.max, maxItem)
		}
	}
}

// itemSize is an item's size as DynamoDB counts it against the 400 KB
// limit (Developer Guide, "Item sizes and formats"): names and values in
// UTF-8 bytes, binary as raw bytes, numbers about one byte per two digits
// plus one, lists and maps 3 bytes plus 1 byte per element (conservative).
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return (len(strings.TrimLeft(v.Value, "-0"))+1)/2 + 1
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	panic(fmt.Sprintf("itemSize: unhandled %T", v))
}

// TestSizeMotoEnforcesTheLimit: the size tests above mean something only
// if moto refuses an item over 400 KB, as DynamoDB does.
func TestSizeMotoEnforcesTheLimit(t *testing.T) {
	c := newTable(t)
	_, err := c.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "x"}, "sk": &types.AttributeValueMemberS{Value: "y"},
		"data": &types.AttributeValueMemberB{Value: make([]byte, maxItem)}}})
	if err == nil {
		t.Fatal("moto accepted an item over 400 KB: the size tests prove nothing")
	}
}
