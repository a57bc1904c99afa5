package observe

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/smithy-go"

	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/request"
)

// group is a schedule group that serves ListSchedules by name prefix in
// pages of two, as Scheduler does, and GetSchedule by name.
type group struct {
	mu       sync.Mutex
	names    []string
	lists    int
	gets     int
	failNext bool
}

func (g *group) ListSchedules(_ context.Context, in *scheduler.ListSchedulesInput, _ ...func(*scheduler.Options)) (*scheduler.ListSchedulesOutput, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.lists++
	if g.failNext {
		g.failNext = false
		return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	}
	var match []string
	for _, n := range g.names {
		if strings.HasPrefix(n, aws.ToString(in.NamePrefix)) {
			match = append(match, n)
		}
	}
	slices.Sort(match)
	start := 0
	if in.NextToken != nil {
		start = slices.Index(match, *in.NextToken)
	}
	out := &scheduler.ListSchedulesOutput{}
	for _, n := range match[start:min(start+2, len(match))] {
		out.Schedules = append(out.Schedules, types.ScheduleSummary{Name: aws.String(n)})
	}
	if start+2 < len(match) {
		out.NextToken = aws.String(match[start+2])
	}
	return out, nil
}

func (g *group) GetSchedule(_ context.Context, in *scheduler.GetScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gets++
	if !slices.Contains(g.names, aws.ToString(in.Name)) {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException"}
	}
	return &scheduler.GetScheduleOutput{Name: in.Name, ScheduleExpression: aws.String("at(2026-11-29T05:00:00)")}, nil
}

// A read-only sweep lists the schedule group once for all its observers,
// and each resource gets exactly what a listing by its own prefix gives.
func TestSharedScheduleListing(t *testing.T) {
	at := time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC)
	type res struct{ account, region, id string }
	resources := []res{{"111111111111", "eu-west-1", "db-AAA"}, {"111111111111", "us-east-1", "db-AAA"},
		{"222222222222", "eu-west-1", "db-BBB"}, {"222222222222", "eu-west-1", "db-CCC"}}
	g := &group{names: []string{
		plan.ScheduleName("111111111111", "eu-west-1", "db-AAA", at, request.TriggerReboot),
		plan.ScheduleName("111111111111", "eu-west-1", "db-AAA", at.Add(time.Hour), request.TriggerRecheck),
		plan.ScheduleName("222222222222", "eu-west-1", "db-CCC", at, request.TriggerReboot),
		plan.LegacyScheduleName("222222222222", "eu-west-1", "legacy-db"),
		"someone-elses-schedule",
	}}
	observed := func(r res) plan.Observed {
		return plan.Observed{Resource: plan.Resource{Kind: plan.KindInstance, ID: r.id, ResourceID: r.id}}
	}
	want := map[res][]plan.ScheduledAction{}
	for _, r := range resources {
		got, err := New(nil, g, r.account, r.region, "forcessl").ScheduledActions(context.Background(), observed(r))
		if err != nil {
			t.Fatal(err)
		}
		want[r] = got
	}
	if own := g.lists; own < len(resources) {
		t.Fatalf("%d listings for %d resources read one by one", own, len(resources))
	}
	if len(want[resources[0]]) != 2 || len(want[resources[1]]) != 0 || len(want[resources[3]]) != 1 {
		t.Fatalf("the fixture is not what the test means: %v", want)
	}

	g.lists = 0
	sh := NewShared()
	var wg sync.WaitGroup
	got := make([][]plan.ScheduledAction, len(resources))
	errs := make([]error, len(resources))
	for i, r := range resources {
		wg.Go(func() {
			o := New(nil, g, r.account, r.region, "forcessl")
			o.Shared = sh
			got[i], errs[i] = o.ScheduledActions(context.Background(), observed(r))
		})
	}
	wg.Wait()
	for i, r := range resources {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !slices.Equal(got[i], want[r]) {
			t.Errorf("%v: shared listing gives %v, its own listing %v", r, got[i], want[r])
		}
	}
	// 5 schedules in pages of two: one listing of the group is 3 pages.
	if g.lists != 3 {
		t.Errorf("%d ListSchedules calls for %d resources sharing one listing, want 3 (one listing, 3 pages)", g.lists, len(resources))
	}

	// The pre-state-table schedule of an unknown resource pending a reboot
	// on a forcessl group: read only when the group has it.
	pending := func(id string) plan.Observed {
		return plan.Observed{Resource: plan.Resource{Kind: plan.KindInstance, ID: id, ResourceID: "db-" + id,
			Group: "forcessl-app", ApplyStatus: plan.PendingReboot}}
	}
	o := New(nil, g, "222222222222", "eu-west-1", "forcessl")
	o.Shared = sh
	for _, id := range []string{"legacy-db", "other-db"} {
		if _, err := o.ScheduledActions(context.Background(), pending(id)); err != nil {
			t.Fatal(err)
		}
	}
	if g.gets != 1 || g.lists != 3 {
		t.Errorf("%d GetSchedule and %d ListSchedules: only the schedule the group has is read, and the group is not listed again", g.gets, g.lists)
	}
}

// A failed listing is not kept: the next resource lists again.
func TestSharedScheduleListingRetriesAfterAFailure(t *testing.T) {
	g := &group{failNext: true}
	sh := NewShared()
	o := New(nil, g, "111111111111", "eu-west-1", "forcessl")
	o.Shared = sh
	obs := plan.Observed{Resource: plan.Resource{Kind: plan.KindInstance, ID: "a", ResourceID: "db-a"}}
	if _, err := o.ScheduledActions(context.Background(), obs); err == nil {
		t.Fatal("the throttled listing succeeded")
	}
	if _, err := o.ScheduledActions(context.Background(), obs); err != nil {
		t.Fatalf("the listing after a failure: %v", err)
	}
	if g.lists != 2 {
		t.Errorf("%d listings, want 2", g.lists)
	}
}

// certificates lists one CA, or fails for the accounts in deny.
type certificates struct {
	RDS
	account string
	calls   *atomic.Int32
	deny    bool
}

func (c certificates) DescribeCertificates(context.Context, *rds.DescribeCertificatesInput, ...func(*rds.Options)) (*rds.DescribeCertificatesOutput, error) {
	c.calls.Add(1)
	if c.deny {
		return nil, errors.New("AccessDenied")
	}
	return &rds.DescribeCertificatesOutput{Certificates: []rdstypes.Certificate{{CertificateIdentifier: aws.String("rds-ca-new"),
		ValidTill: aws.Time(time.Date(2061, 1, 1, 0, 0, 0, 0, time.UTC))}}}, nil
}

// A region's CAs are read once for the sweep, whatever the account; a
// read that fell back to the built-in table is not shared.
func TestSharedCAsOncePerRegion(t *testing.T) {
	var calls atomic.Int32
	sh := NewShared()
	read := func(account, region string, deny bool) map[string]time.Time {
		o := New(certificates{account: account, calls: &calls, deny: deny}, nil, account, region, "forcessl")
		o.Shared = sh
		return o.CAs(context.Background())
	}
	if cas := read("111111111111", "eu-west-1", true); !cas["rds-ca-new"].IsZero() || cas["rds-ca-2019"].IsZero() {
		t.Fatalf("a denied listing falls back to the table: %v", cas)
	}
	for _, account := range []string{"222222222222", "333333333333", "444444444444"} {
		if cas := read(account, "eu-west-1", false); cas["rds-ca-new"].IsZero() {
			t.Fatalf("%s: the region's listing is missing: %v", account, cas)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d DescribeCertificates in eu-west-1, want 2 (the denied one, then one shared by three accounts)", n)
	}
	read("222222222222", "us-east-1", false)
	if n := calls.Load(); n != 3 {
		t.Errorf("another region reads its own: %d calls, want 3", n)
	}
}
