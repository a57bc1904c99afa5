package apply

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/rdsevent"
)

// Scheduler is the part of EventBridge Scheduler the engine writes with.
type Scheduler interface {
	CreateSchedule(context.Context, *scheduler.CreateScheduleInput, ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error)
	DeleteSchedule(context.Context, *scheduler.DeleteScheduleInput, ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error)
}

// ScheduleTarget is where schedules deliver: this function, invoked by
// Scheduler with RoleARN, in Group.
type ScheduleTarget struct {
	FunctionARN string
	RoleARN     string
	Group       string
	// DeadLetterARN is an SQS queue for invocations Scheduler gives up on.
	DeadLetterARN string
}

// AtExpression renders a one-time Scheduler expression; Scheduler wants
// at(yyyy-mm-ddThh:mm:ss) with no zone, evaluated in
// ScheduleExpressionTimezone, which we always set to UTC.
func AtExpression(t time.Time) string { return "at(" + t.UTC().Format("2006-01-02T15:04:05") + ")" }

// createSchedule creates a one-time schedule. Names are per resource and
// fire time (plan.ScheduleName), so a schedule is never updated: one of
// that name existing already (ConflictException) is this very schedule.
// The payload carries the resource's immutable ID, so the action finds the
// instance through a rename.
func (e *Executor) createSchedule(ctx context.Context, s plan.CreateSchedule) (bool, error) {
	if e.Target.FunctionARN == "" || e.Target.RoleARN == "" {
		return false, awserr.Terminal(errors.New("no schedule target: set FORCESSL_FUNCTION_ARN (outside Lambda) and FORCESSL_SCHEDULER_ROLE_ARN"))
	}
	act := rdsevent.Scheduled{Action: s.Action, Account: e.Account, Region: e.Region, Instance: s.Target.ID, ResourceID: s.Target.ResourceID}
	if s.Target.Kind == plan.KindCluster {
		act.Instance, act.Cluster = "", s.Target.ID
	}
	payload, err := rdsevent.ScheduledPayload(act)
	if err != nil {
		return false, err
	}
	target := &schedtypes.Target{
		Arn:     aws.String(e.Target.FunctionARN),
		RoleArn: aws.String(e.Target.RoleARN),
		Input:   aws.String(string(payload)),
		// Scheduler retries a failed invoke for up to a day by default;
		// an hour keeps a retried reboot close to its window.
		RetryPolicy: &schedtypes.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(3600), MaximumRetryAttempts: aws.Int32(10)},
	}
	if e.Target.DeadLetterARN != "" {
		// An invocation Scheduler finally gives up on lands here, not nowhere.
		target.DeadLetterConfig = &schedtypes.DeadLetterConfig{Arn: aws.String(e.Target.DeadLetterARN)}
	}
	_, err = e.Scheduler.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String(s.Name), GroupName: aws.String(e.Target.Group),
		ScheduleExpression: aws.String(AtExpression(s.At)), ScheduleExpressionTimezone: aws.String("UTC"),
		FlexibleTimeWindow:    &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
		ActionAfterCompletion: schedtypes.ActionAfterCompletionDelete,
		State:                 schedtypes.ScheduleStateEnabled,
		Target:                target,
		Description:           aws.String(fmt.Sprintf("forcessl %s of %s/%s/%s (%s)", s.Action, e.Account, e.Region, s.Target.ID, s.Target.ResourceID)),
	})
	if awserr.Is(err, "ConflictException") {
		return false, nil
	}
	return err == nil, err
}

// deleteSchedule deletes a superseded schedule; one already gone (fired,
// and deleted by Scheduler) is done.
func (e *Executor) deleteSchedule(ctx context.Context, s plan.DeleteSchedule) (bool, error) {
	_, err := e.Scheduler.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(s.Name), GroupName: aws.String(e.Target.Group)})
	if awserr.Is(err, "ResourceNotFoundException") {
		return false, nil
	}
	return err == nil, err
}
