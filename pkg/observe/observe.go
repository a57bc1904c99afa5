// Package observe reads the AWS state Decide needs, through the narrowest
// RDS interface, and returns it as pkg/plan's types (no SDK type leaks out).
// It only reads.
package observe

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
)

// RDS is the read side of the RDS API the engine uses; *rds.Client
// satisfies it.
type RDS interface {
	DescribeDBInstances(context.Context, *rds.DescribeDBInstancesInput, ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	DescribeDBParameters(context.Context, *rds.DescribeDBParametersInput, ...func(*rds.Options)) (*rds.DescribeDBParametersOutput, error)
	DescribeDBParameterGroups(context.Context, *rds.DescribeDBParameterGroupsInput, ...func(*rds.Options)) (*rds.DescribeDBParameterGroupsOutput, error)
	ListTagsForResource(context.Context, *rds.ListTagsForResourceInput, ...func(*rds.Options)) (*rds.ListTagsForResourceOutput, error)
}

// Observer reads one account and region. It remembers each group's TLS
// parameter for its lifetime (one invocation), so instances that share a
// group cost one read.
type Observer struct {
	RDS RDS

	mu  sync.Mutex
	tls map[string]plan.Parameter
}

// New returns an Observer over client.
func New(client RDS) *Observer { return &Observer{RDS: client, tls: map[string]plan.Parameter{}} }

// Instance reads one instance. A missing instance is Found=false, not an error.
func (o *Observer) Instance(ctx context.Context, id string) (plan.Instance, bool, error) {
	out, err := o.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if awserr.Is(err, "DBInstanceNotFound", "DBInstanceNotFoundFault") {
		return plan.Instance{}, false, nil
	}
	if err != nil {
		return plan.Instance{}, false, fmt.Errorf("describe instance %s: %w", id, err)
	}
	if len(out.DBInstances) == 0 {
		return plan.Instance{}, false, nil
	}
	return toInstance(out.DBInstances[0]), true, nil
}

// Instances pages through every instance in the region and keeps those
// keep accepts (DescribeDBInstances has no parameter-group filter).
func (o *Observer) Instances(ctx context.Context, keep func(plan.Instance) bool) ([]plan.Instance, error) {
	var found []plan.Instance
	p := rds.NewDescribeDBInstancesPaginator(o.RDS, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list instances: %w", err)
		}
		for _, db := range page.DBInstances {
			if in := toInstance(db); keep(in) {
				found = append(found, in)
			}
		}
	}
	return found, nil
}

func toInstance(db types.DBInstance) plan.Instance {
	in := plan.Instance{
		ID:                aws.ToString(db.DBInstanceIdentifier),
		ARN:               aws.ToString(db.DBInstanceArn),
		Engine:            aws.ToString(db.Engine),
		Status:            aws.ToString(db.DBInstanceStatus),
		ClusterID:         aws.ToString(db.DBClusterIdentifier),
		MaintenanceWindow: aws.ToString(db.PreferredMaintenanceWindow),
		PendingModified:   pendingModified(db.PendingModifiedValues),
		Tags:              map[string]string{},
	}
	if len(db.DBParameterGroups) > 0 {
		in.ParameterGroup = aws.ToString(db.DBParameterGroups[0].DBParameterGroupName)
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

// TLS reads one parameter of a group: DescribeDBParameters filtered by
// parameter-name (the only filter RDS supports), with every page read and the
// name matched client-side, so a region that refuses or ignores the filter
// still gets the right answer.
func (o *Observer) TLS(ctx context.Context, group, name string) (plan.Parameter, error) {
	key := group + "\x00" + name
	o.mu.Lock()
	p, ok := o.tls[key]
	o.mu.Unlock()
	if ok {
		return p, nil
	}
	in := &rds.DescribeDBParametersInput{
		DBParameterGroupName: aws.String(group),
		Filters:              []types.Filter{{Name: aws.String("parameter-name"), Values: []string{name}}},
	}
	p, err := findParameter(ctx, o.RDS, in, name)
	if awserr.Is(err, "InvalidParameterValue", "InvalidParameterCombination") {
		in.Filters = nil
		p, err = findParameter(ctx, o.RDS, in, name)
	}
	if err != nil {
		return plan.Parameter{}, fmt.Errorf("read %s of parameter group %s: %w", name, group, err)
	}
	o.mu.Lock()
	o.tls[key] = p
	o.mu.Unlock()
	return p, nil
}

func findParameter(ctx context.Context, client RDS, in *rds.DescribeDBParametersInput, name string) (plan.Parameter, error) {
	pages := rds.NewDescribeDBParametersPaginator(client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return plan.Parameter{}, err
		}
		for _, p := range page.Parameters {
			if aws.ToString(p.ParameterName) == name {
				return plan.Parameter{Found: true, Value: aws.ToString(p.ParameterValue), ApplyType: aws.ToString(p.ApplyType)}, nil
			}
		}
	}
	return plan.Parameter{}, nil
}

// Forget drops what the observer remembers of a group (after forcessl
// changed it).
func (o *Observer) Forget(group string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k := range o.tls {
		if strings.HasPrefix(k, group+"\x00") {
			delete(o.tls, k)
		}
	}
}

// Group reads an existing group in full: family, tags, TLS parameter and
// user-set parameters. Exists is false when there is no such group.
func (o *Observer) Group(ctx context.Context, name, tlsParam string) (plan.Group, error) {
	out, err := o.RDS.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String(name)})
	if awserr.Is(err, "DBParameterGroupNotFound", "DBParameterGroupNotFoundFault") {
		return plan.Group{Name: name}, nil
	}
	if err != nil {
		return plan.Group{}, fmt.Errorf("describe parameter group %s: %w", name, err)
	}
	if len(out.DBParameterGroups) == 0 {
		return plan.Group{Name: name}, nil
	}
	pg := out.DBParameterGroups[0]
	g := plan.Group{Name: name, Exists: true, Family: aws.ToString(pg.DBParameterGroupFamily), Tags: map[string]string{}}
	if paramgroup.IsDefault(name) {
		// Default groups carry no user settings and no tags of ours.
		g.UserParams = map[string]string{}
	} else {
		tags, err := o.RDS.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: pg.DBParameterGroupArn})
		if err != nil {
			return plan.Group{}, fmt.Errorf("list tags of parameter group %s: %w", name, err)
		}
		for _, t := range tags.TagList {
			g.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		if g.UserParams, err = o.UserParams(ctx, name); err != nil {
			return plan.Group{}, err
		}
	}
	g.TLS, err = o.TLS(ctx, name, tlsParam)
	return g, err
}

// UserParams reads the parameters a user set in a group (Source "user").
func (o *Observer) UserParams(ctx context.Context, group string) (map[string]string, error) {
	params := map[string]string{}
	pages := rds.NewDescribeDBParametersPaginator(o.RDS, &rds.DescribeDBParametersInput{
		DBParameterGroupName: aws.String(group), Source: aws.String("user")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read user parameters of %s: %w", group, err)
		}
		for _, p := range page.Parameters {
			if aws.ToString(p.Source) == "user" {
				params[aws.ToString(p.ParameterName)] = aws.ToString(p.ParameterValue)
			}
		}
	}
	return params, nil
}
