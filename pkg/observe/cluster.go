package observe

import (
	"context"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
)

// cluster reads one DB cluster and its members' instance statuses: by
// identifier first, by immutable resource ID when the name now belongs to
// another cluster or to none.
func (o *Observer) cluster(ctx context.Context, ref plan.Ref) (plan.Resource, bool, error) {
	if ref.ID != "" {
		r, found, err := o.describeCluster(ctx, ref.ID, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(ref.ID)})
		if err != nil || ref.ResourceID == "" || found && r.ResourceID == ref.ResourceID {
			return r, found, err
		}
	}
	return o.describeCluster(ctx, ref.ResourceID, &rds.DescribeDBClustersInput{
		Filters: []types.Filter{{Name: aws.String("db-cluster-resource-id"), Values: []string{ref.ResourceID}}}})
}

func (o *Observer) describeCluster(ctx context.Context, what string, in *rds.DescribeDBClustersInput) (plan.Resource, bool, error) {
	out, err := o.RDS.DescribeDBClusters(ctx, in)
	if awserr.Is(err, "DBClusterNotFoundFault", "DBClusterNotFound") {
		return plan.Resource{}, false, nil
	}
	if err != nil {
		return plan.Resource{}, false, awserr.Classify(fmt.Errorf("describe cluster %s: %w", what, err))
	}
	if len(out.DBClusters) != 1 {
		return plan.Resource{}, false, nil
	}
	c := toCluster(out.DBClusters[0])
	return c, true, o.memberStatuses(ctx, &c)
}

// memberStatuses reads the members' own statuses and tags (DBClusterMembers
// carries neither): one listing filtered by the cluster.
func (o *Observer) memberStatuses(ctx context.Context, c *plan.Resource) error {
	if len(c.Members) == 0 {
		return nil
	}
	out, err := o.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{
		Filters: []types.Filter{{Name: aws.String("db-cluster-id"), Values: []string{c.ID}}}})
	if err != nil {
		return awserr.Classify(fmt.Errorf("describe the members of cluster %s: %w", c.ID, err))
	}
	byID := map[string]plan.Resource{}
	for _, db := range out.DBInstances {
		r := toResource(db)
		byID[r.ID] = r
	}
	JoinMembers(c, byID)
	return nil
}

// JoinMembers fills a cluster's members' statuses, resource IDs and tags
// from instances read already (by identifier): a listing of the region's
// instances serves every cluster in it.
func JoinMembers(c *plan.Resource, instances map[string]plan.Resource) {
	for i, m := range c.Members {
		if r, ok := instances[m.ID]; ok {
			c.Members[i].Status, c.Members[i].ResourceID, c.Members[i].Tags = r.Status, r.ResourceID, r.Tags
			c.Members[i].CA, c.Members[i].CertValidTill = r.CA, r.CertValidTill
		}
	}
}

// Clusters pages through every DB cluster in the region and keeps those
// keep accepts. It reads no member statuses: JoinMembers fills them from
// the region's instance listing.
func (o *Observer) Clusters(ctx context.Context, keep func(plan.Resource) bool) ([]plan.Resource, error) {
	p := rds.NewDescribeDBClustersPaginator(o.RDS, &rds.DescribeDBClustersInput{MaxRecords: aws.Int32(100)})
	return list(ctx, p, func(out *rds.DescribeDBClustersOutput) []types.DBCluster { return out.DBClusters }, toCluster, keep, "clusters")
}

func toCluster(c types.DBCluster) plan.Resource {
	r := plan.Resource{
		Kind:              plan.KindCluster,
		ID:                aws.ToString(c.DBClusterIdentifier),
		ResourceID:        aws.ToString(c.DbClusterResourceId),
		ARN:               aws.ToString(c.DBClusterArn),
		Engine:            aws.ToString(c.Engine),
		EngineVersion:     aws.ToString(c.EngineVersion),
		Status:            aws.ToString(c.Status),
		Group:             aws.ToString(c.DBClusterParameterGroup),
		MaintenanceWindow: aws.ToString(c.PreferredMaintenanceWindow),
		PendingModified:   pendingCluster(c.PendingModifiedValues),
		// A Multi-AZ DB cluster has a DB cluster instance class; an Aurora
		// cluster's members carry theirs (DescribeDBClusters reference).
		MultiAZ: aws.ToString(c.DBClusterInstanceClass) != "",
		Tags:    map[string]string{},
		Cluster: policy.ClusterFacts{Engine: aws.ToString(c.Engine), EngineMode: aws.ToString(c.EngineMode),
			Scalability: string(c.ClusterScalabilityType),
			// A member of a global database that replicates from another
			// cluster is a secondary (an inference from the field
			// descriptions; not verified against a live global database).
			GlobalSecondary: aws.ToString(c.GlobalClusterIdentifier) != "" && aws.ToString(c.ReplicationSourceIdentifier) != ""},
		GlobalCluster: aws.ToString(c.GlobalClusterIdentifier),
	}
	for _, t := range c.TagList {
		r.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if cd := c.CertificateDetails; cd != nil && r.MultiAZ { // Aurora's certificates are its members'
		r.CA, r.CertValidTill = aws.ToString(cd.CAIdentifier), aws.ToTime(cd.ValidTill)
	}
	r.ApplyStatus = plan.InSync
	for _, m := range c.DBClusterMembers {
		st := aws.ToString(m.DBClusterParameterGroupStatus)
		r.Members = append(r.Members, plan.Member{ID: aws.ToString(m.DBInstanceIdentifier), Writer: aws.ToBool(m.IsClusterWriter),
			ApplyStatus: st, Tags: map[string]string{}})
		r.ApplyStatus = lessSettled(r.ApplyStatus, st)
	}
	return r
}

// lessSettled keeps the status furthest from in-sync: a cluster is in sync
// only when every member is. DBClusterMember documents no value list; a
// value forcessl does not know (the DB instance's ParameterApplyStatus
// also has "pending-database-upgrade", DBParameterGroupStatus API
// reference), or none, means RDS is still at work on that member: it ranks
// above applying, so the cluster is judged busy and looked at again, as an
// instance is; the members pending a reboot still restart first.
func lessSettled(a, b string) string {
	rank := func(st string) int {
		switch st {
		case plan.InSync:
			return 0
		case plan.Applying:
			return 1
		case plan.PendingReboot:
			return 3
		case plan.FailedToApply:
			return 4
		}
		return 2
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// Global reads the Aurora global database a cluster belongs to
// (DescribeGlobalClusters by GlobalClusterIdentifier, API reference): the
// member whose DBClusterArn is the cluster's says whether it is the writer
// (IsWriter: "the primary cluster (that is, has read-write capability)"),
// and the writer's Readers are the secondary clusters' ARNs. A global
// database that is gone or that forcessl may not read (a stack without
// rds:DescribeGlobalClusters) is reported unread, not an error: Decide
// then leaves the restart to a person.
func (o *Observer) Global(ctx context.Context, c plan.Resource) (plan.GlobalDB, error) {
	g := plan.GlobalDB{ID: c.GlobalCluster}
	out, err := o.RDS.DescribeGlobalClusters(ctx, &rds.DescribeGlobalClustersInput{GlobalClusterIdentifier: aws.String(c.GlobalCluster)})
	switch {
	case awserr.Is(err, "GlobalClusterNotFoundFault", "AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
		g.Why = awserr.Code(err)
		return g, nil
	case err != nil:
		return g, awserr.Classify(fmt.Errorf("describe global database %s of cluster %s: %w", c.GlobalCluster, c.ID, err))
	case len(out.GlobalClusters) != 1:
		g.Why = fmt.Sprintf("%d global databases listed under that name", len(out.GlobalClusters))
		return g, nil
	}
	gc := out.GlobalClusters[0]
	g.EngineVersion = aws.ToString(gc.EngineVersion)
	var member *types.GlobalClusterMember
	for i, m := range gc.GlobalClusterMembers {
		if aws.ToString(m.DBClusterArn) == c.ARN {
			member = &gc.GlobalClusterMembers[i]
		}
	}
	if member == nil {
		g.Why = "the cluster is not among its members"
		return g, nil
	}
	g.Read, g.Primary = true, aws.ToBool(member.IsWriter)
	if g.Primary {
		g.Secondaries = member.Readers
	}
	return g, nil
}

// pendingCluster reports whether the owner has cluster changes queued
// for the window (as pendingModified does for instances).
func pendingCluster(p *types.ClusterPendingModifiedValues) bool {
	return p != nil && !reflect.ValueOf(*p).IsZero()
}
