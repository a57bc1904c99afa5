package observe

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/request"
)

// Schedules is the read side of EventBridge Scheduler.
type Schedules interface {
	ListSchedules(context.Context, *scheduler.ListSchedulesInput, ...func(*scheduler.Options)) (*scheduler.ListSchedulesOutput, error)
	GetSchedule(context.Context, *scheduler.GetScheduleInput, ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error)
}

// ScheduledActions lists forcessl's schedules for the resource: by name
// prefix (every fire time has a name of its own), and, for a resource
// forcessl has no memory of, the one schedule per instance identifier that
// versions before the state table kept.
func (ob *Observer) ScheduledActions(ctx context.Context, o plan.Observed) ([]plan.ScheduledAction, error) {
	id := o.Resource.ResourceID
	if id == "" {
		id = o.Resource.ID
	}
	prefix := plan.SchedulePrefixFor(ob.Account, ob.Region, id)
	var group map[string]bool // the sweep's one listing of the whole group, when shared
	var names []string
	var err error
	if ob.Shared != nil {
		if group, err = ob.Shared.scheduleNames(ctx, ob.Schedules, ob.ScheduleGroup); err != nil {
			return nil, err
		}
		for name := range group {
			if strings.HasPrefix(name, prefix) {
				names = append(names, name)
			}
		}
		slices.Sort(names) // ListSchedules' order
	} else if names, err = ob.listSchedules(ctx, prefix, o.Resource.ID); err != nil {
		return nil, err
	}
	out := []plan.ScheduledAction{}
	for _, name := range names {
		if at, action, ok := plan.ParseScheduleName(name); ok {
			out = append(out, plan.ScheduledAction{Name: name, At: at, Action: action})
		}
	}
	// Only a pending reboot on a forcessl group can be an earlier
	// version's intent (plan's openIntent), and only while forcessl has no
	// record of the resource.
	if o.Resource.ApplyStatus != plan.PendingReboot || !paramgroup.IsOurs(o.Resource.Group) || o.Memory != nil && o.Memory.Known {
		return out, nil
	}
	name := plan.LegacyScheduleName(ob.Account, ob.Region, o.Resource.ID)
	if group != nil && !group[name] {
		return out, nil // the sweep's listing of the group has no such schedule
	}
	legacy, ok, err := ob.legacy(ctx, name)
	if ok {
		out = append(out, legacy)
	}
	return out, err
}

// PrefetchSchedules starts the sweep's one listing of the schedule group
// (Shared), so the resources that need it find it read: an item calls it
// beside its own listings, off its critical path. Without Shared, or once
// read, it does nothing; a failure is left to the resource that needs the
// listing, which reads again and reports it.
func (ob *Observer) PrefetchSchedules(ctx context.Context) {
	if ob.Shared != nil {
		_, _ = ob.Shared.scheduleNames(ctx, ob.Schedules, ob.ScheduleGroup)
	}
}

// listSchedules lists the names of the group's schedules that start with
// prefix: one resource's.
func (ob *Observer) listSchedules(ctx context.Context, prefix, resource string) ([]string, error) {
	var names []string
	pages := scheduler.NewListSchedulesPaginator(ob.Schedules, &scheduler.ListSchedulesInput{
		GroupName: aws.String(ob.ScheduleGroup), NamePrefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, awserr.Classify(fmt.Errorf("list schedules of %s: %w", resource, err))
		}
		for _, s := range page.Schedules {
			names = append(names, aws.ToString(s.Name))
		}
	}
	return names, nil
}

// legacy reads a schedule of the earlier one-per-instance shape: its time
// from the at() expression, its action from the payload.
func (ob *Observer) legacy(ctx context.Context, name string) (plan.ScheduledAction, bool, error) {
	got, err := ob.Schedules.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(name), GroupName: aws.String(ob.ScheduleGroup)})
	if awserr.Is(err, "ResourceNotFoundException") {
		return plan.ScheduledAction{}, false, nil
	}
	if err != nil {
		return plan.ScheduledAction{}, false, awserr.Classify(fmt.Errorf("read schedule %s: %w", name, err))
	}
	expr := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(got.ScheduleExpression), "at("), ")")
	at, err := time.Parse("2006-01-02T15:04:05", expr)
	if err != nil {
		return plan.ScheduledAction{}, false, nil // not one of ours after all
	}
	var payload struct {
		Detail struct {
			Action request.Trigger `json:"action"`
		} `json:"detail"`
	}
	if got.Target != nil {
		_ = json.Unmarshal([]byte(aws.ToString(got.Target.Input)), &payload)
	}
	return plan.ScheduledAction{Name: name, At: at, Action: payload.Detail.Action, Legacy: true}, true, nil
}
