package sim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/dispatch"
	"github.com/forcessl/forcessl/pkg/hub"
	"github.com/forcessl/forcessl/pkg/route"
)

// errCrashed is what a call of a crashed process returns: nothing
// happens, and the process's goroutines run out.
var errCrashed = errors.New("sim: the process crashed")

// faultErr is the error a faulted call returns.
func faultErr(f Fault, op string) error {
	switch f {
	case FaultThrottle:
		return fakeaws.APIError("ThrottlingException")
	case FaultAfter:
		// The client saw a 500 (or a timeout) after the service acted.
		return fmt.Errorf("%s: %w", op, fakeaws.APIError("InternalFailure"))
	case FaultCrash:
		return errCrashed
	}
	return fmt.Errorf("%s: %w", op, fakeaws.APIError("InternalFailure"))
}

// call runs one gated call: park, then act as the fault says. after runs
// when the effect happened (with or without an error after it), for the
// ground truth.
func call[O any](w *world, ctx context.Context, op, key string, write bool, do func() (O, error), after func(O)) (O, error) {
	var zero O
	f := w.s.gate(ctx, op, key, write)
	switch f {
	case FaultBefore, FaultThrottle, FaultCrash:
		return zero, faultErr(f, op)
	}
	if write && w.reportMode() && procOf(ctx) != nil {
		w.violate("report-write", "a %s in report mode (%s)", op, key)
	}
	out, err := do()
	if err == nil && after != nil {
		after(out)
	}
	if err != nil {
		w.s.logf("  -> %s", firstLine(err.Error()))
	}
	if f == FaultAfter && err == nil {
		return zero, faultErr(f, op)
	}
	return out, err
}

// clients serves the gated fakes as every client of the engine.
type clients struct{ w *world }

func (c clients) RDS(context.Context, route.Route, string, string) (dispatch.RDS, error) {
	return &rdsClient{c.w}, nil
}
func (c clients) Scheduler() dispatch.Scheduler { return &schedClient{c.w} }
func (c clients) Identity(context.Context) (string, string, error) {
	return c.w.aws.Account, "aws", nil
}
func (c clients) SecurityHub(context.Context, route.Route, string, string) (hub.API, error) {
	return nil, errors.New("sim: Security Hub is not simulated")
}

// rdsClient is the fake RDS, each call a scheduling point. Listings come
// back sorted (the fake ranges over maps), so a seed replays exactly.
type rdsClient struct{ w *world }

func (c *rdsClient) DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, _ ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	return call(c.w, ctx, "DescribeDBInstances", aws.ToString(in.DBInstanceIdentifier), false, func() (*rds.DescribeDBInstancesOutput, error) {
		return c.w.aws.DescribeDBInstances(ctx, in)
	}, func(out *rds.DescribeDBInstancesOutput) {
		slices.SortFunc(out.DBInstances, func(a, b rdstypes.DBInstance) int {
			return cmp.Compare(aws.ToString(a.DBInstanceIdentifier), aws.ToString(b.DBInstanceIdentifier))
		})
		if p := procOf(ctx); p != nil {
			for _, db := range out.DBInstances {
				p.lastRead[aws.ToString(db.DbiResourceId)] = c.w.s.now
			}
		}
	})
}

func (c *rdsClient) DescribeDBParameters(ctx context.Context, in *rds.DescribeDBParametersInput, _ ...func(*rds.Options)) (*rds.DescribeDBParametersOutput, error) {
	return call(c.w, ctx, "DescribeDBParameters", aws.ToString(in.DBParameterGroupName), false, func() (*rds.DescribeDBParametersOutput, error) {
		return c.w.aws.DescribeDBParameters(ctx, in)
	}, func(out *rds.DescribeDBParametersOutput) { sortParams(out.Parameters) })
}

func sortParams(ps []rdstypes.Parameter) {
	slices.SortFunc(ps, func(a, b rdstypes.Parameter) int {
		return cmp.Compare(aws.ToString(a.ParameterName), aws.ToString(b.ParameterName))
	})
}

func (c *rdsClient) DescribeDBParameterGroups(ctx context.Context, in *rds.DescribeDBParameterGroupsInput, _ ...func(*rds.Options)) (*rds.DescribeDBParameterGroupsOutput, error) {
	return call(c.w, ctx, "DescribeDBParameterGroups", aws.ToString(in.DBParameterGroupName), false, func() (*rds.DescribeDBParameterGroupsOutput, error) {
		return c.w.aws.DescribeDBParameterGroups(ctx, in)
	}, nil)
}

func (c *rdsClient) DescribeDBClusters(ctx context.Context, in *rds.DescribeDBClustersInput, _ ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error) {
	return call(c.w, ctx, "DescribeDBClusters", aws.ToString(in.DBClusterIdentifier), false, func() (*rds.DescribeDBClustersOutput, error) {
		return c.w.aws.DescribeDBClusters(ctx, in)
	}, func(out *rds.DescribeDBClustersOutput) {
		slices.SortFunc(out.DBClusters, func(a, b rdstypes.DBCluster) int {
			return cmp.Compare(aws.ToString(a.DBClusterIdentifier), aws.ToString(b.DBClusterIdentifier))
		})
		if p := procOf(ctx); p != nil {
			for _, db := range out.DBClusters {
				p.lastRead[aws.ToString(db.DbClusterResourceId)] = c.w.s.now
			}
		}
	})
}

func (c *rdsClient) DescribeDBClusterParameters(ctx context.Context, in *rds.DescribeDBClusterParametersInput, _ ...func(*rds.Options)) (*rds.DescribeDBClusterParametersOutput, error) {
	return call(c.w, ctx, "DescribeDBClusterParameters", aws.ToString(in.DBClusterParameterGroupName), false, func() (*rds.DescribeDBClusterParametersOutput, error) {
		return c.w.aws.DescribeDBClusterParameters(ctx, in)
	}, func(out *rds.DescribeDBClusterParametersOutput) { sortParams(out.Parameters) })
}

func (c *rdsClient) DescribeDBClusterParameterGroups(ctx context.Context, in *rds.DescribeDBClusterParameterGroupsInput, _ ...func(*rds.Options)) (*rds.DescribeDBClusterParameterGroupsOutput, error) {
	return call(c.w, ctx, "DescribeDBClusterParameterGroups", aws.ToString(in.DBClusterParameterGroupName), false, func() (*rds.DescribeDBClusterParameterGroupsOutput, error) {
		return c.w.aws.DescribeDBClusterParameterGroups(ctx, in)
	}, nil)
}

func (c *rdsClient) DescribeGlobalClusters(ctx context.Context, in *rds.DescribeGlobalClustersInput, _ ...func(*rds.Options)) (*rds.DescribeGlobalClustersOutput, error) {
	return call(c.w, ctx, "DescribeGlobalClusters", aws.ToString(in.GlobalClusterIdentifier), false, func() (*rds.DescribeGlobalClustersOutput, error) {
		return c.w.aws.DescribeGlobalClusters(ctx, in)
	}, nil)
}

func (c *rdsClient) DescribeEvents(ctx context.Context, in *rds.DescribeEventsInput, _ ...func(*rds.Options)) (*rds.DescribeEventsOutput, error) {
	return call(c.w, ctx, "DescribeEvents", aws.ToString(in.SourceIdentifier), false, func() (*rds.DescribeEventsOutput, error) {
		return c.w.aws.DescribeEvents(ctx, in)
	}, nil)
}

func (c *rdsClient) ListTagsForResource(ctx context.Context, in *rds.ListTagsForResourceInput, _ ...func(*rds.Options)) (*rds.ListTagsForResourceOutput, error) {
	return call(c.w, ctx, "ListTagsForResource", aws.ToString(in.ResourceName), false, func() (*rds.ListTagsForResourceOutput, error) {
		return c.w.aws.ListTagsForResource(ctx, in)
	}, func(out *rds.ListTagsForResourceOutput) {
		slices.SortFunc(out.TagList, func(a, b rdstypes.Tag) int { return cmp.Compare(aws.ToString(a.Key), aws.ToString(b.Key)) })
	})
}

func (c *rdsClient) DescribeCertificates(ctx context.Context, in *rds.DescribeCertificatesInput, _ ...func(*rds.Options)) (*rds.DescribeCertificatesOutput, error) {
	return call(c.w, ctx, "DescribeCertificates", "", false, func() (*rds.DescribeCertificatesOutput, error) {
		return c.w.aws.DescribeCertificates(ctx, in)
	}, func(out *rds.DescribeCertificatesOutput) {
		slices.SortFunc(out.Certificates, func(a, b rdstypes.Certificate) int {
			return cmp.Compare(aws.ToString(a.CertificateIdentifier), aws.ToString(b.CertificateIdentifier))
		})
	})
}

func (c *rdsClient) CreateDBParameterGroup(ctx context.Context, in *rds.CreateDBParameterGroupInput, _ ...func(*rds.Options)) (*rds.CreateDBParameterGroupOutput, error) {
	return call(c.w, ctx, "CreateDBParameterGroup", aws.ToString(in.DBParameterGroupName), true, func() (*rds.CreateDBParameterGroupOutput, error) {
		return c.w.aws.CreateDBParameterGroup(ctx, in)
	}, nil)
}

func (c *rdsClient) CopyDBParameterGroup(ctx context.Context, in *rds.CopyDBParameterGroupInput, _ ...func(*rds.Options)) (*rds.CopyDBParameterGroupOutput, error) {
	return call(c.w, ctx, "CopyDBParameterGroup", aws.ToString(in.TargetDBParameterGroupIdentifier), true, func() (*rds.CopyDBParameterGroupOutput, error) {
		return c.w.aws.CopyDBParameterGroup(ctx, in)
	}, nil)
}

func (c *rdsClient) ModifyDBParameterGroup(ctx context.Context, in *rds.ModifyDBParameterGroupInput, _ ...func(*rds.Options)) (*rds.ModifyDBParameterGroupOutput, error) {
	name := aws.ToString(in.DBParameterGroupName)
	return call(c.w, ctx, "ModifyDBParameterGroup", name, true, func() (*rds.ModifyDBParameterGroupOutput, error) {
		c.w.checkOwnsGroup(name, false)
		return c.w.aws.ModifyDBParameterGroup(ctx, in)
	}, func(*rds.ModifyDBParameterGroupOutput) { c.w.groupChanged(name, in.Parameters, true) })
}

func (c *rdsClient) ModifyDBInstance(ctx context.Context, in *rds.ModifyDBInstanceInput, _ ...func(*rds.Options)) (*rds.ModifyDBInstanceOutput, error) {
	id := aws.ToString(in.DBInstanceIdentifier)
	return call(c.w, ctx, "ModifyDBInstance", id, true, func() (*rds.ModifyDBInstanceOutput, error) {
		return c.w.aws.ModifyDBInstance(ctx, in)
	}, func(*rds.ModifyDBInstanceOutput) { c.w.attached(id, aws.ToString(in.DBParameterGroupName)) })
}

func (c *rdsClient) RebootDBInstance(ctx context.Context, in *rds.RebootDBInstanceInput, _ ...func(*rds.Options)) (*rds.RebootDBInstanceOutput, error) {
	id := aws.ToString(in.DBInstanceIdentifier)
	var before instanceView
	return call(c.w, ctx, "RebootDBInstance", id, true, func() (*rds.RebootDBInstanceOutput, error) {
		before = c.w.view(id)
		return c.w.aws.RebootDBInstance(ctx, in)
	}, func(*rds.RebootDBInstanceOutput) { c.w.rebooted(procOf(ctx), id, before) })
}

func (c *rdsClient) CreateDBClusterParameterGroup(ctx context.Context, in *rds.CreateDBClusterParameterGroupInput, _ ...func(*rds.Options)) (*rds.CreateDBClusterParameterGroupOutput, error) {
	return call(c.w, ctx, "CreateDBClusterParameterGroup", aws.ToString(in.DBClusterParameterGroupName), true, func() (*rds.CreateDBClusterParameterGroupOutput, error) {
		return c.w.aws.CreateDBClusterParameterGroup(ctx, in)
	}, nil)
}

func (c *rdsClient) CopyDBClusterParameterGroup(ctx context.Context, in *rds.CopyDBClusterParameterGroupInput, _ ...func(*rds.Options)) (*rds.CopyDBClusterParameterGroupOutput, error) {
	return call(c.w, ctx, "CopyDBClusterParameterGroup", aws.ToString(in.TargetDBClusterParameterGroupIdentifier), true, func() (*rds.CopyDBClusterParameterGroupOutput, error) {
		return c.w.aws.CopyDBClusterParameterGroup(ctx, in)
	}, nil)
}

func (c *rdsClient) ModifyDBClusterParameterGroup(ctx context.Context, in *rds.ModifyDBClusterParameterGroupInput, _ ...func(*rds.Options)) (*rds.ModifyDBClusterParameterGroupOutput, error) {
	name := aws.ToString(in.DBClusterParameterGroupName)
	return call(c.w, ctx, "ModifyDBClusterParameterGroup", name, true, func() (*rds.ModifyDBClusterParameterGroupOutput, error) {
		c.w.checkOwnsGroup(name, true)
		return c.w.aws.ModifyDBClusterParameterGroup(ctx, in)
	}, func(*rds.ModifyDBClusterParameterGroupOutput) { c.w.clusterGroupChanged(name, in.Parameters, true) })
}

func (c *rdsClient) ModifyDBCluster(ctx context.Context, in *rds.ModifyDBClusterInput, _ ...func(*rds.Options)) (*rds.ModifyDBClusterOutput, error) {
	id := aws.ToString(in.DBClusterIdentifier)
	return call(c.w, ctx, "ModifyDBCluster", id, true, func() (*rds.ModifyDBClusterOutput, error) {
		return c.w.aws.ModifyDBCluster(ctx, in)
	}, func(*rds.ModifyDBClusterOutput) {
		c.w.clusterAttached(id, aws.ToString(in.DBClusterParameterGroupName))
	})
}

func (c *rdsClient) RebootDBCluster(ctx context.Context, in *rds.RebootDBClusterInput, _ ...func(*rds.Options)) (*rds.RebootDBClusterOutput, error) {
	id := aws.ToString(in.DBClusterIdentifier)
	var before map[string]instanceView
	return call(c.w, ctx, "RebootDBCluster", id, true, func() (*rds.RebootDBClusterOutput, error) {
		before = c.w.clusterViews(id)
		return c.w.aws.RebootDBCluster(ctx, in)
	}, func(*rds.RebootDBClusterOutput) { c.w.clusterRebooted(procOf(ctx), id, before) })
}

// schedClient is the fake EventBridge Scheduler, each call a scheduling
// point.
type schedClient struct{ w *world }

func (c *schedClient) ListSchedules(ctx context.Context, in *scheduler.ListSchedulesInput, _ ...func(*scheduler.Options)) (*scheduler.ListSchedulesOutput, error) {
	return call(c.w, ctx, "ListSchedules", aws.ToString(in.NamePrefix), false, func() (*scheduler.ListSchedulesOutput, error) {
		return c.w.aws.ListSchedules(ctx, in)
	}, nil)
}

func (c *schedClient) GetSchedule(ctx context.Context, in *scheduler.GetScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error) {
	return call(c.w, ctx, "GetSchedule", aws.ToString(in.Name), false, func() (*scheduler.GetScheduleOutput, error) {
		return c.w.aws.GetSchedule(ctx, in)
	}, nil)
}

func (c *schedClient) CreateSchedule(ctx context.Context, in *scheduler.CreateScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error) {
	return call(c.w, ctx, "CreateSchedule", aws.ToString(in.Name), true, func() (*scheduler.CreateScheduleOutput, error) {
		return c.w.aws.CreateSchedule(ctx, in)
	}, func(*scheduler.CreateScheduleOutput) { c.w.scheduleCreated(in) })
}

func (c *schedClient) DeleteSchedule(ctx context.Context, in *scheduler.DeleteScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error) {
	return call(c.w, ctx, "DeleteSchedule", aws.ToString(in.Name), true, func() (*scheduler.DeleteScheduleOutput, error) {
		return c.w.aws.DeleteSchedule(ctx, in)
	}, nil)
}
