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

// Scheduler is the part of EventBridge Scheduler the engine uses.
type Scheduler interface {
	CreateSchedule(context.Context, *scheduler.CreateScheduleInput, ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error)
	GetSchedule(context.Context, *scheduler.GetScheduleInput, ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error)
	UpdateSchedule(context.Context, *scheduler.UpdateScheduleInput, ...func(*scheduler.Options)) (*scheduler.UpdateScheduleOutput, error)
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

// schedule creates the instance's schedule. When one exists already
// (ConflictException) it is kept, unless the step may move it: then it is
// read and, if it says something else, replaced. A schedule that vanished
// between the two calls (Scheduler deletes a schedule once it has fired) is
// created again.
func (e *Executor) schedule(ctx context.Context, s plan.Schedule) (bool, error) {
	if e.Target.FunctionARN == "" || e.Target.RoleARN == "" {
		return false, awserr.Terminal(errors.New("no schedule target: set FORCESSL_FUNCTION_ARN (outside Lambda) and FORCESSL_SCHEDULER_ROLE_ARN"))
	}
	payload, err := rdsevent.ScheduledPayload(rdsevent.Scheduled{Action: s.Action, Account: e.Account, Region: e.Region,
		Instance: s.Target.ID})
	if err != nil {
		return false, err
	}
	expr := AtExpression(s.At)
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
	desc := aws.String(fmt.Sprintf("forcessl %s of %s/%s/%s", s.Action, e.Account, e.Region, s.Target.ID))
	create := func() error {
		_, err := e.Scheduler.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
			Name: aws.String(s.Name), GroupName: aws.String(e.Target.Group),
			ScheduleExpression: aws.String(expr), ScheduleExpressionTimezone: aws.String("UTC"),
			FlexibleTimeWindow:    &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
			ActionAfterCompletion: schedtypes.ActionAfterCompletionDelete,
			State:                 schedtypes.ScheduleStateEnabled,
			Target:                target, Description: desc,
		})
		return err
	}
	err = create()
	if err == nil {
		return true, nil
	}
	if !awserr.Is(err, "ConflictException") {
		return false, err
	}
	if !s.Move {
		return false, nil
	}
	got, err := e.Scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(s.Name), GroupName: aws.String(e.Target.Group)})
	if awserr.Is(err, "ResourceNotFoundException") {
		return true, create()
	}
	if err != nil {
		return false, fmt.Errorf("read existing schedule %s: %w", s.Name, err)
	}
	if aws.ToString(got.ScheduleExpression) == expr && got.State == schedtypes.ScheduleStateEnabled && got.Target != nil &&
		aws.ToString(got.Target.Input) == aws.ToString(target.Input) && aws.ToString(got.Target.Arn) == e.Target.FunctionARN &&
		aws.ToString(got.Target.RoleArn) == e.Target.RoleARN {
		return false, nil
	}
	// UpdateSchedule replaces the whole schedule, so send every field.
	_, err = e.Scheduler.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
		Name: aws.String(s.Name), GroupName: aws.String(e.Target.Group),
		ScheduleExpression: aws.String(expr), ScheduleExpressionTimezone: aws.String("UTC"),
		FlexibleTimeWindow:    &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
		ActionAfterCompletion: schedtypes.ActionAfterCompletionDelete,
		State:                 schedtypes.ScheduleStateEnabled,
		Target:                target, Description: desc,
	})
	return err == nil, err
}
