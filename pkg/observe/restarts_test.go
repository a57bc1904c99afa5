package observe_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/observe"
	"github.com/forcessl/forcessl/pkg/plan"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// An instance's restarts since the intent are read from the whole event
// log (every page), by message, and only its own.
func TestRestartsReadEveryPageOfTheTargetsLog(t *testing.T) {
	f := fakeaws.New()
	now := t0.Add(48 * time.Hour)
	f.Clock = func() time.Time { return now }
	for i := range 250 { // three pages of 100
		f.LogEvent(fakeaws.Event{SourceType: types.SourceTypeDbInstance, Source: "orders", Category: "availability",
			Message: "DB instance shutdown", At: t0.Add(time.Duration(i) * time.Minute)})
	}
	f.LogEvent(fakeaws.Event{SourceType: types.SourceTypeDbInstance, Source: "orders", Category: "availability",
		Message: "DB instance restarted", At: t0.Add(-time.Hour)}) // before the intent
	f.LogEvent(fakeaws.Event{SourceType: types.SourceTypeDbInstance, Source: "orders", Category: "notification",
		Message: "DB instance started", At: t0.Add(30 * time.Hour)}) // last page
	f.LogEvent(fakeaws.Event{SourceType: types.SourceTypeDbInstance, Source: "billing", Category: "availability",
		Message: "DB instance restarted", At: t0.Add(time.Hour)})
	o := observe.New(f, nil, "111122223333", "eu-west-1", "forcessl")
	got, err := o.Restarts(context.Background(), []string{"orders", "orders-2"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !got["orders"].Equal(t0.Add(30 * time.Hour)) {
		t.Errorf("orders restarted at %s, want the start on the last page %s", got["orders"], t0.Add(30*time.Hour))
	}
	if at, ok := got["orders-2"]; !ok || !at.IsZero() {
		t.Errorf("orders-2 = %s, %v; want read, no restart", at, ok)
	}
	if n := f.Count("DescribeEvents"); n != 4 {
		t.Errorf("%d DescribeEvents calls, want 3 pages + 1", n)
	}
}

// RDS keeps 14 days of events: an older restart is not seen.
func TestRestartsOlderThanFourteenDaysAreGone(t *testing.T) {
	f := fakeaws.New()
	now := t0.Add(20 * 24 * time.Hour)
	f.Clock = func() time.Time { return now }
	f.LogEvent(fakeaws.Event{SourceType: types.SourceTypeDbInstance, Source: "orders", Category: "availability",
		Message: "DB instance restarted", At: t0.Add(24 * time.Hour)})
	got, err := observe.New(f, nil, "111122223333", "eu-west-1", "forcessl").Restarts(context.Background(), []string{"orders"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !got["orders"].IsZero() {
		t.Errorf("a restart 19 days ago seen at %s", got["orders"])
	}
}

// A log that cannot be read is an error (the reconcile fails before any
// reboot and is retried), never "no restart".
func TestRestartsFailWhenTheLogCannotBeRead(t *testing.T) {
	f := fakeaws.New()
	f.FailNext["DescribeEvents"] = fakeaws.APIError("ThrottlingException")
	o := observe.New(f, nil, "111122223333", "eu-west-1", "forcessl")
	obs := plan.Observed{}
	err := o.Fill(context.Background(), &obs, plan.Need{Restarts: []string{"orders"}, RestartsSince: t0})
	var api interface{ ErrorCode() string }
	if !errors.As(err, &api) || api.ErrorCode() != "ThrottlingException" {
		t.Fatalf("Fill = %v, want the throttling error", err)
	}
	if obs.Restarts != nil {
		t.Errorf("restarts observed after a failed read: %v", obs.Restarts)
	}
}

// The read asks RDS for the target's instance events since the intent,
// in the restart categories.
func TestRestartsAskForTheTargetSinceTheIntent(t *testing.T) {
	r := &recordingEvents{}
	if _, err := observe.New(r, nil, "111122223333", "eu-west-1", "forcessl").Restarts(context.Background(), []string{"orders"}, t0); err != nil {
		t.Fatal(err)
	}
	in := r.in
	if in == nil || in.SourceType != types.SourceTypeDbInstance || aws.ToString(in.SourceIdentifier) != "orders" ||
		!aws.ToTime(in.StartTime).Equal(t0) || len(in.EventCategories) != 2 {
		t.Fatalf("DescribeEvents input %+v", in)
	}
}

type recordingEvents struct {
	observe.RDS
	in *rds.DescribeEventsInput
}

func (r *recordingEvents) DescribeEvents(_ context.Context, in *rds.DescribeEventsInput, _ ...func(*rds.Options)) (*rds.DescribeEventsOutput, error) {
	r.in = in
	return &rds.DescribeEventsOutput{}, nil
}
