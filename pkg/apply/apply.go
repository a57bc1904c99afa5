// Package apply carries out a plan's steps through narrow interfaces over the
// RDS and EventBridge Scheduler clients. Every step is idempotent: names are
// deterministic and "already exists" means done, so a plan interrupted half
// way is finished by the next run.
package apply

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/rdsevent"
)

// RDS is the write side of the RDS API the engine uses.
type RDS interface {
	CreateDBParameterGroup(context.Context, *rds.CreateDBParameterGroupInput, ...func(*rds.Options)) (*rds.CreateDBParameterGroupOutput, error)
	CopyDBParameterGroup(context.Context, *rds.CopyDBParameterGroupInput, ...func(*rds.Options)) (*rds.CopyDBParameterGroupOutput, error)
	ModifyDBParameterGroup(context.Context, *rds.ModifyDBParameterGroupInput, ...func(*rds.Options)) (*rds.ModifyDBParameterGroupOutput, error)
	ModifyDBInstance(context.Context, *rds.ModifyDBInstanceInput, ...func(*rds.Options)) (*rds.ModifyDBInstanceOutput, error)
	RebootDBInstance(context.Context, *rds.RebootDBInstanceInput, ...func(*rds.Options)) (*rds.RebootDBInstanceOutput, error)
}

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

// Executor performs plans for one instance's account and region. Schedules
// may live elsewhere (the central account); their payload names the account.
type Executor struct {
	RDS       RDS
	Scheduler Scheduler
	Target    ScheduleTarget
	Account   string
	Region    string
}

// ErrGroupExists means the compliant group's name is already taken: the
// caller must look at that group and decide again.
var ErrGroupExists = errors.New("parameter group already exists")

// Result says what a plan changed.
type Result struct {
	// Changed lists each write that changed something, in order.
	Changed []string
}

// Apply performs the steps in order and stops at the first error, which
// names the step. Steps before it stay done; the next run finishes the rest.
func (e *Executor) Apply(ctx context.Context, p plan.Plan) (Result, error) {
	var res Result
	for _, step := range p.Steps {
		changed, err := e.do(ctx, step)
		if err != nil {
			return res, fmt.Errorf("%s: %w", step.Describe(), err)
		}
		if changed {
			res.Changed = append(res.Changed, step.Describe())
		}
	}
	return res, nil
}

func (e *Executor) do(ctx context.Context, step plan.Step) (bool, error) {
	switch s := step.(type) {
	case plan.CreateGroup:
		_, err := e.RDS.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
			DBParameterGroupName:   aws.String(s.Name),
			DBParameterGroupFamily: aws.String(s.Family),
			Description:            aws.String(fmt.Sprintf("forcessl: %s defaults with TLS enforced (replaces %s)", s.Family, s.Source)),
			Tags:                   tags(s.Source),
		})
		return true, groupExists(err)
	case plan.CopyGroup:
		_, err := e.RDS.CopyDBParameterGroup(ctx, &rds.CopyDBParameterGroupInput{
			SourceDBParameterGroupIdentifier:  aws.String(s.Source),
			TargetDBParameterGroupIdentifier:  aws.String(s.Name),
			TargetDBParameterGroupDescription: aws.String(fmt.Sprintf("forcessl: copy of %s with TLS enforced", s.Source)),
			Tags:                              tags(s.Source),
		})
		return true, groupExists(err)
	case plan.SetParameter:
		_, err := e.RDS.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{
			DBParameterGroupName: aws.String(s.Group),
			Parameters: []rdstypes.Parameter{{
				ParameterName:  aws.String(s.Name),
				ParameterValue: aws.String(s.Value),
				ApplyMethod:    rdstypes.ApplyMethod(s.ApplyMethod),
			}},
		})
		return true, err
	case plan.AttachGroup:
		_, err := e.RDS.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
			DBInstanceIdentifier: aws.String(s.Instance),
			DBParameterGroupName: aws.String(s.Group),
			ApplyImmediately:     aws.Bool(s.ApplyImmediately),
		})
		return true, err
	case plan.Reboot:
		_, err := e.RDS.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{
			DBInstanceIdentifier: aws.String(s.Instance),
			ForceFailover:        aws.Bool(false),
		})
		return true, err
	case plan.Schedule:
		return e.schedule(ctx, s)
	}
	return false, fmt.Errorf("unknown step %T", step)
}

func groupExists(err error) error {
	if awserr.Is(err, "DBParameterGroupAlreadyExists", "DBParameterGroupAlreadyExistsFault") {
		return ErrGroupExists
	}
	return err
}

func tags(source string) []rdstypes.Tag {
	return []rdstypes.Tag{
		{Key: aws.String(paramgroup.TagManagedBy), Value: aws.String(paramgroup.ManagedByValue)},
		{Key: aws.String(paramgroup.TagSourceGroup), Value: aws.String(source)},
	}
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
		return false, errors.New("no schedule target: set FORCESSL_FUNCTION_ARN (outside Lambda) and FORCESSL_SCHEDULER_ROLE_ARN")
	}
	payload, err := rdsevent.ScheduledPayload(rdsevent.Scheduled{Action: s.Action, Account: e.Account, Region: e.Region,
		Instance: s.Instance})
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
	desc := aws.String(fmt.Sprintf("forcessl %s of %s/%s/%s", s.Action, e.Account, e.Region, s.Instance))
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
