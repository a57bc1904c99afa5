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
// only when every member is.
func lessSettled(a, b string) string {
	rank := map[string]int{plan.InSync: 0, plan.Applying: 1, plan.PendingReboot: 2, plan.FailedToApply: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// pendingCluster reports whether the owner has cluster changes queued
// for the window (as pendingModified does for instances).
func pendingCluster(p *types.ClusterPendingModifiedValues) bool {
	return p != nil && !reflect.ValueOf(*p).IsZero()
}
