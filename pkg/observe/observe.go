// Package observe reads the AWS state Decide needs, through the narrowest
// RDS interface, and returns it as pkg/plan's types (no SDK type leaks out).
// It only reads. Every error it returns is classified where it meets the
// SDK: permanent ones are awserr.TerminalError.
package observe

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
)

// RDS is the read side of the RDS API the engine uses; *rds.Client
// satisfies it.
type RDS interface {
	DescribeDBInstances(context.Context, *rds.DescribeDBInstancesInput, ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	DescribeDBParameters(context.Context, *rds.DescribeDBParametersInput, ...func(*rds.Options)) (*rds.DescribeDBParametersOutput, error)
	DescribeDBParameterGroups(context.Context, *rds.DescribeDBParameterGroupsInput, ...func(*rds.Options)) (*rds.DescribeDBParameterGroupsOutput, error)
	DescribeDBClusters(context.Context, *rds.DescribeDBClustersInput, ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
	DescribeDBClusterParameters(context.Context, *rds.DescribeDBClusterParametersInput, ...func(*rds.Options)) (*rds.DescribeDBClusterParametersOutput, error)
	DescribeDBClusterParameterGroups(context.Context, *rds.DescribeDBClusterParameterGroupsInput, ...func(*rds.Options)) (*rds.DescribeDBClusterParameterGroupsOutput, error)
	ListTagsForResource(context.Context, *rds.ListTagsForResourceInput, ...func(*rds.Options)) (*rds.ListTagsForResourceOutput, error)
	DescribeCertificates(context.Context, *rds.DescribeCertificatesInput, ...func(*rds.Options)) (*rds.DescribeCertificatesOutput, error)
	DescribeGlobalClusters(context.Context, *rds.DescribeGlobalClustersInput, ...func(*rds.Options)) (*rds.DescribeGlobalClustersOutput, error)
	DescribeEvents(context.Context, *rds.DescribeEventsInput, ...func(*rds.Options)) (*rds.DescribeEventsOutput, error)
}

// Observer reads one account and region: its RDS, and forcessl's
// schedules for it (which live in forcessl's own account). It remembers
// each group's parameters for its lifetime (one request), so resources
// that share a group cost one read.
type Observer struct {
	RDS       RDS
	Schedules Schedules
	// Account, Region and ScheduleGroup locate the resources' schedules.
	Account, Region, ScheduleGroup string
	// Profile is the TLS profile whose parameters Fill reads with the
	// switch (policy.ProfileForce when zero: the switch alone).
	Profile policy.TLSProfile
	// Log receives what is worth knowing but must not fail a reconcile
	// (a CA listing that fell back to the built-in table); nil: discarded.
	Log *slog.Logger
	// Shared is what a read-only sweep's observers read once between
	// them (the schedule group, each region's CAs); nil: this observer
	// reads its own.
	Shared *Shared

	mu     sync.Mutex
	params map[string]plan.Parameter // kind + "\x00" + group + "\x00" + name
	cas    map[string]time.Time      // the region's CAs, once read
	// groups are the existing groups read in full, kind + "\x00" + group:
	// the resources of a sweep or a group event that share a forcessl-*
	// group (and its source) cost one comparison between them (plan.Vet).
	groups map[string]plan.Group
}

// New returns an Observer over an account and region's RDS client, and
// the Scheduler client of forcessl's schedule group.
func New(client RDS, sched Schedules, account, region, scheduleGroup string) *Observer {
	return &Observer{RDS: client, Schedules: sched, Account: account, Region: region, ScheduleGroup: scheduleGroup,
		params: map[string]plan.Parameter{}, groups: map[string]plan.Group{}}
}

// Resource reads one resource. A missing one is Found=false, not an
// error. With a resource ID the answer must be that resource: the name is
// tried first (the usual case, one indexed call), and when it now belongs
// to another resource or to none (a rename, or a blue/green switchover that
// gave the name to the green instance) the immutable ID finds the current
// name (filter dbi-resource-id).
func (o *Observer) Resource(ctx context.Context, ref plan.Ref) (plan.Resource, bool, error) {
	if ref.Kind == plan.KindCluster {
		return o.cluster(ctx, ref)
	}
	if ref.ID != "" {
		r, found, err := o.describe(ctx, ref.ID, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(ref.ID)})
		if err != nil || ref.ResourceID == "" || found && r.ResourceID == ref.ResourceID {
			return r, found, err
		}
	}
	return o.describe(ctx, ref.ResourceID, &rds.DescribeDBInstancesInput{
		Filters: []types.Filter{{Name: aws.String("dbi-resource-id"), Values: []string{ref.ResourceID}}}})
}

func (o *Observer) describe(ctx context.Context, what string, in *rds.DescribeDBInstancesInput) (plan.Resource, bool, error) {
	out, err := o.RDS.DescribeDBInstances(ctx, in)
	if awserr.Is(err, "DBInstanceNotFound", "DBInstanceNotFoundFault") {
		return plan.Resource{}, false, nil
	}
	if err != nil {
		return plan.Resource{}, false, awserr.Classify(fmt.Errorf("describe instance %s: %w", what, err))
	}
	if len(out.DBInstances) != 1 {
		return plan.Resource{}, false, nil
	}
	return toResource(out.DBInstances[0]), true, nil
}

// Instances pages through every instance in the region and keeps those
// keep accepts (DescribeDBInstances has no parameter-group filter).
func (o *Observer) Instances(ctx context.Context, keep func(plan.Resource) bool) ([]plan.Resource, error) {
	p := rds.NewDescribeDBInstancesPaginator(o.RDS, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(100)})
	return list(ctx, p, func(out *rds.DescribeDBInstancesOutput) []types.DBInstance { return out.DBInstances }, toResource, keep, "instances")
}

// pager is an RDS paginator.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*rds.Options)) (O, error)
}

// list reads every page, turns each item into a resource and keeps those
// keep accepts.
func list[O, I any](ctx context.Context, p pager[O], items func(O) []I, to func(I) plan.Resource, keep func(plan.Resource) bool,
	what string) ([]plan.Resource, error) {
	var found []plan.Resource
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, awserr.Classify(fmt.Errorf("list %s: %w", what, err))
		}
		for _, it := range items(page) {
			if r := to(it); keep(r) {
				found = append(found, r)
			}
		}
	}
	return found, nil
}

func toResource(db types.DBInstance) plan.Resource {
	in := plan.Resource{
		Kind:              plan.KindInstance,
		ID:                aws.ToString(db.DBInstanceIdentifier),
		ResourceID:        aws.ToString(db.DbiResourceId),
		ARN:               aws.ToString(db.DBInstanceArn),
		Engine:            aws.ToString(db.Engine),
		EngineVersion:     aws.ToString(db.EngineVersion),
		Status:            aws.ToString(db.DBInstanceStatus),
		ClusterID:         aws.ToString(db.DBClusterIdentifier),
		MaintenanceWindow: aws.ToString(db.PreferredMaintenanceWindow),
		PendingModified:   pendingModified(db.PendingModifiedValues),
		Tags:              map[string]string{},
		CA:                aws.ToString(db.CACertificateIdentifier),
	}
	if cd := db.CertificateDetails; cd != nil {
		in.CertValidTill = aws.ToTime(cd.ValidTill)
	}
	if len(db.DBParameterGroups) > 0 {
		in.Group = aws.ToString(db.DBParameterGroups[0].DBParameterGroupName)
		in.ApplyStatus = aws.ToString(db.DBParameterGroups[0].ParameterApplyStatus)
	}
	for _, t := range db.TagList {
		in.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return in
}

// pendingModified reports whether the owner has changes queued for the
// maintenance window. The SDK decodes an absent element to a zero struct,
// so compare with that rather than with nil.
func pendingModified(p *types.PendingModifiedValues) bool {
	if p == nil {
		return false
	}
	return !reflect.ValueOf(*p).IsZero()
}
