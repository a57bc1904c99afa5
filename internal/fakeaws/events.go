package fakeaws

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// EventRetention is how long RDS keeps events: DescribeEvents "returns
// events ... for the past 14 days" (API reference).
const EventRetention = 14 * 24 * time.Hour

// Event is one entry of RDS's event log as DescribeEvents reports it.
type Event struct {
	SourceType rdstypes.SourceType
	Source     string // the instance's identifier when it happened
	Category   string
	Message    string
	At         time.Time
}

// now is the fake's clock: Clock when set (the simulator's), else the
// host's.
func (f *AWS) now() time.Time {
	if f.Clock != nil {
		return f.Clock()
	}
	return time.Now()
}

// restarted logs an instance's restart as RDS does (RDS-EVENT-0006, "DB
// instance restarted.", category availability), whoever restarted it.
// Locked by caller.
func (f *AWS) restarted(id string) {
	f.Events = append(f.Events, Event{SourceType: rdstypes.SourceTypeDbInstance, Source: id, Category: "availability",
		Message: "DB instance restarted", At: f.now()})
}

// LogEvent adds an event to the log (a test's or the simulator's: a start
// after a stop, an event of another kind).
func (f *AWS) LogEvent(e Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Events = append(f.Events, e)
}

// DescribeEvents answers from the event log as the API reference
// describes: by SourceType and SourceIdentifier, from StartTime to EndTime
// (the last hour when neither is given), by category, only the last 14
// days, oldest first, MaxRecords (default 100) a page with a Marker.
func (f *AWS) DescribeEvents(_ context.Context, in *rds.DescribeEventsInput, _ ...func(*rds.Options)) (*rds.DescribeEventsOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("DescribeEvents"); err != nil {
		return nil, err
	}
	now := f.now()
	from, to := now.Add(-time.Hour), now
	if in.StartTime != nil || in.EndTime != nil {
		from, to = aws.ToTime(in.StartTime), now
		if in.EndTime != nil {
			to = aws.ToTime(in.EndTime)
		}
	}
	if kept := now.Add(-EventRetention); from.Before(kept) {
		from = kept
	}
	var match []rdstypes.Event
	for _, e := range f.Events {
		switch {
		case in.SourceType != "" && e.SourceType != in.SourceType,
			in.SourceIdentifier != nil && e.Source != aws.ToString(in.SourceIdentifier),
			e.At.Before(from) || e.At.After(to),
			len(in.EventCategories) > 0 && !contains(in.EventCategories, e.Category):
			continue
		}
		match = append(match, rdstypes.Event{SourceType: e.SourceType, SourceIdentifier: aws.String(e.Source), Date: aws.Time(e.At),
			EventCategories: []string{e.Category}, Message: aws.String(e.Message + "."), SourceArn: aws.String(f.arn("db", e.Source))})
	}
	size := int(aws.ToInt32(in.MaxRecords))
	if size <= 0 {
		size = 100
	}
	start, _ := strconv.Atoi(aws.ToString(in.Marker))
	start = min(start, len(match))
	end := min(start+size, len(match))
	out := &rds.DescribeEventsOutput{Events: match[start:end]}
	if end < len(match) {
		out.Marker = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
