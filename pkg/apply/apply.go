// Package apply carries out a plan's steps through narrow interfaces over the
// RDS and EventBridge Scheduler clients. Every step is idempotent: names are
// deterministic and "already exists" means done, so a plan interrupted half
// way is finished by the next run. Errors are classified where they meet the
// SDK: permanent ones are awserr.TerminalError.
package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
)

// RDS is the write side of the RDS API the engine uses.
type RDS interface {
	CreateDBParameterGroup(context.Context, *rds.CreateDBParameterGroupInput, ...func(*rds.Options)) (*rds.CreateDBParameterGroupOutput, error)
	CopyDBParameterGroup(context.Context, *rds.CopyDBParameterGroupInput, ...func(*rds.Options)) (*rds.CopyDBParameterGroupOutput, error)
	ModifyDBParameterGroup(context.Context, *rds.ModifyDBParameterGroupInput, ...func(*rds.Options)) (*rds.ModifyDBParameterGroupOutput, error)
	ModifyDBInstance(context.Context, *rds.ModifyDBInstanceInput, ...func(*rds.Options)) (*rds.ModifyDBInstanceOutput, error)
	RebootDBInstance(context.Context, *rds.RebootDBInstanceInput, ...func(*rds.Options)) (*rds.RebootDBInstanceOutput, error)
	ClusterRDS
}

// ClusterRDS is the write side of the RDS API for DB clusters.
type ClusterRDS interface {
	CreateDBClusterParameterGroup(context.Context, *rds.CreateDBClusterParameterGroupInput, ...func(*rds.Options)) (*rds.CreateDBClusterParameterGroupOutput, error)
	CopyDBClusterParameterGroup(context.Context, *rds.CopyDBClusterParameterGroupInput, ...func(*rds.Options)) (*rds.CopyDBClusterParameterGroupOutput, error)
	ModifyDBClusterParameterGroup(context.Context, *rds.ModifyDBClusterParameterGroupInput, ...func(*rds.Options)) (*rds.ModifyDBClusterParameterGroupOutput, error)
	ModifyDBCluster(context.Context, *rds.ModifyDBClusterInput, ...func(*rds.Options)) (*rds.ModifyDBClusterOutput, error)
	RebootDBCluster(context.Context, *rds.RebootDBClusterInput, ...func(*rds.Options)) (*rds.RebootDBClusterOutput, error)
	DescribeDBClusters(context.Context, *rds.DescribeDBClustersInput, ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
}

// Executor performs plans for one instance's account and region. Schedules
// may live elsewhere (the central account); their payload names the account.
type Executor struct {
	RDS       RDS
	Scheduler Scheduler
	Target    ScheduleTarget
	Account   string
	Region    string
	// Session, when set, gives the RDS client whose assumed-role session
	// is named after one resource: a member account's CloudTrail then says
	// which instance each of forcessl's writes was for, even in a sweep
	// whose reads share one session.
	Session func(ctx context.Context, resource string) (RDS, error)
}

// For returns the executor that writes for one resource.
func (e *Executor) For(ctx context.Context, resource string) (*Executor, error) {
	if e.Session == nil {
		return e, nil
	}
	client, err := e.Session(ctx, resource)
	if err != nil {
		return nil, awserr.Classify(fmt.Errorf("RDS client for %s: %w", resource, err))
	}
	w := *e
	w.RDS, w.Session = client, nil
	return &w, nil
}

// GroupExistsError means a group's name is already taken: the caller must
// look at that group and decide again.
type GroupExistsError struct{ Name string }

func (e *GroupExistsError) Error() string { return "parameter group " + e.Name + " already exists" }

// Result says what a plan changed.
type Result struct {
	// Changed lists each write that changed something, in order.
	Changed []string
}

// Guard is called before each step's write, and stops the plan there with
// its error: where the caller renews its lease, records what it is about to
// do (a write-ahead intent, a restart marker) and applies its own limits,
// so no write can pass by it.
type Guard func(ctx context.Context, step plan.Step) error

// Apply performs the steps in order and stops at the first error, which
// names the step. Steps before it stay done; the next run finishes the rest.
// guard, when not nil, is called before every step.
func (e *Executor) Apply(ctx context.Context, p plan.Plan, guard Guard) (Result, error) {
	var res Result
	for _, step := range p.Steps {
		if guard != nil {
			if err := guard(ctx, step); err != nil {
				return res, fmt.Errorf("before %s: %w", step.Describe(), err)
			}
		}
		changed, err := e.do(ctx, step)
		var taken *GroupExistsError
		if errors.As(err, &taken) {
			return res, err
		}
		if err != nil {
			return res, awserr.Classify(fmt.Errorf("%s: %w", step.Describe(), err))
		}
		if changed {
			res.Changed = append(res.Changed, step.Describe())
		}
	}
	return res, nil
}

func (e *Executor) do(ctx context.Context, step plan.Step) (bool, error) {
	if kindOf(step) == plan.KindCluster {
		return e.cluster(ctx, step)
	}
	switch s := step.(type) {
	case plan.CreateGroup:
		_, err := e.RDS.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
			DBParameterGroupName:   aws.String(s.Name),
			DBParameterGroupFamily: aws.String(s.Family),
			Description:            aws.String(createdFrom(s)),
			Tags:                   tags(s.Source),
		})
		return true, groupExists(s.Name, err)
	case plan.CopyGroup:
		_, err := e.RDS.CopyDBParameterGroup(ctx, &rds.CopyDBParameterGroupInput{
			SourceDBParameterGroupIdentifier:  aws.String(s.Source),
			TargetDBParameterGroupIdentifier:  aws.String(s.Name),
			TargetDBParameterGroupDescription: aws.String(copiedFrom(s)),
			Tags:                              tags(s.Source),
		})
		return true, groupExists(s.Name, err)
	case plan.SetParameter:
		_, err := e.RDS.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{
			DBParameterGroupName: aws.String(s.Group), Parameters: parameter(s)})
		return true, err
	case plan.AttachGroup:
		_, err := e.RDS.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
			DBInstanceIdentifier: aws.String(s.Target.ID),
			DBParameterGroupName: aws.String(s.Group),
			ApplyImmediately:     aws.Bool(s.ApplyImmediately),
		})
		return true, err
	case plan.Reboot:
		_, err := e.RDS.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{
			DBInstanceIdentifier: aws.String(s.Target.ID),
			ForceFailover:        aws.Bool(false),
		}, OneAttempt)
		return true, err
	case plan.SetCA:
		// Only CACertificateIdentifier and ApplyImmediately: the tripwire
		// (pkg/tripwire) allows exactly this key when FORCESSL_CA is set.
		_, err := e.RDS.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
			DBInstanceIdentifier:    aws.String(s.Target.ID),
			CACertificateIdentifier: aws.String(s.CA),
			ApplyImmediately:        aws.Bool(s.ApplyImmediately),
		})
		return true, err
	case plan.CreateSchedule:
		return e.createSchedule(ctx, s)
	case plan.DeleteSchedule:
		return e.deleteSchedule(ctx, s)
	}
	return false, fmt.Errorf("unknown step %T", step)
}

// OneAttempt makes a reboot a single request, without the SDK's retries:
// a retry after a timeout or a 5xx whose reboot did happen answers
// InvalidDBInstanceState, and would make a reboot that happened look
// refused. With one attempt, the error says whether RDS acted
// (NotMade), and the caller records the rest as unknown.
func OneAttempt(o *rds.Options) { o.RetryMaxAttempts = 1 }

// NotMade reports whether a reboot's error says RDS did not act: the
// request was throttled, refused for the resource's state, unauthorized or
// invalid. Anything else (a timeout, a 5xx, a lost connection) leaves it
// unknown.
func NotMade(err error) bool {
	return awserr.Is(err, "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
		"InvalidDBInstanceState", "InvalidDBInstanceStateFault", "InvalidDBClusterStateFault",
		"DBInstanceNotFound", "DBInstanceNotFoundFault", "DBClusterNotFoundFault",
		"AccessDenied", "AccessDeniedException", "InvalidParameterValue", "InvalidParameterCombination")
}

func createdFrom(s plan.CreateGroup) string {
	return fmt.Sprintf("forcessl: %s defaults with TLS enforced (replaces %s)", s.Family, s.Source)
}

func copiedFrom(s plan.CopyGroup) string {
	return fmt.Sprintf("forcessl: copy of %s with TLS enforced", s.Source)
}

func parameter(s plan.SetParameter) []rdstypes.Parameter {
	return []rdstypes.Parameter{{ParameterName: aws.String(s.Name), ParameterValue: aws.String(s.Value),
		ApplyMethod: rdstypes.ApplyMethod(s.ApplyMethod)}}
}

// kindOf is the kind of resource a step acts on: the seam where DB cluster
// steps will call the cluster APIs.
func kindOf(step plan.Step) plan.Kind {
	switch s := step.(type) {
	case plan.CreateGroup:
		return s.Kind
	case plan.CopyGroup:
		return s.Kind
	case plan.SetParameter:
		return s.Kind
	case plan.AttachGroup:
		return s.Target.Kind
	case plan.Reboot:
		return s.Target.Kind
	case plan.RebootCluster:
		return s.Target.Kind
	case plan.SetCA:
		return s.Target.Kind
	}
	return "" // schedules are the same for every kind

}

func groupExists(name string, err error) error {
	if awserr.Is(err, "DBParameterGroupAlreadyExists", "DBParameterGroupAlreadyExistsFault") {
		return &GroupExistsError{Name: name}
	}
	return err
}

func tags(source string) []rdstypes.Tag {
	return []rdstypes.Tag{
		{Key: aws.String(paramgroup.TagManagedBy), Value: aws.String(paramgroup.ManagedByValue)},
		{Key: aws.String(paramgroup.TagSourceGroup), Value: aws.String(source)},
	}
}
