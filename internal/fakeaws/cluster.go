package fakeaws

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/pkg/plan"
)

// Cluster is a DB cluster: Aurora, or a Multi-AZ DB cluster (MultiAZ).
// Its members are Instances whose Cluster names it.
type Cluster struct {
	ResourceID                                         string // DbClusterResourceId
	Engine, EngineVersion, Status, Group, Window, Mode string
	MultiAZ, PendingMods                               bool
	Tags                                               map[string]string
	// GlobalID makes it a member of that Aurora global database: its
	// primary, or a secondary when ReplicationSource is set too.
	// GlobalReaders are the ARNs of the primary's secondaries in other
	// Regions (the fake holds one Region).
	GlobalID, ReplicationSource string
	GlobalReaders               []string
	// WriterRestartsReaders models the Aurora versions on which rebooting
	// the writer restarts every reader too.
	WriterRestartsReaders bool
}

// The default DB cluster parameter groups every new fake knows, named as
// AWS names them (moto does not).
const (
	DefaultAuroraPostgresGroup  = "default.aurora-postgresql15"
	DefaultAuroraMySQLGroup     = "default.aurora-mysql8.0"
	DefaultMultiAZPostgresGroup = "default.postgres16"
)

// AuroraPostgresDefaults are the parameters a new Aurora PostgreSQL
// cluster group starts with. The apply type of rds.force_ssl there is not
// settled in AWS's documentation; the fake says static, the case that needs
// the reboot. Each default is held to its source in
// TestFakeDefaultsHaveASource.
func AuroraPostgresDefaults() map[string]Param {
	return map[string]Param{"rds.force_ssl": {"0", "static", "engine-default", "0,1"}, "log_statement": {"", "dynamic", "engine-default", ""}}
}

// MultiAZPostgresDefaults are the parameters a new Multi-AZ DB cluster
// group of RDS for PostgreSQL 16 starts with: rds.force_ssl is on by
// default from PostgreSQL 15.
func MultiAZPostgresDefaults() map[string]Param {
	return map[string]Param{"rds.force_ssl": {"1", "static", "engine-default", "0,1"}, "log_statement": {"", "dynamic", "engine-default", ""}}
}

// AuroraMySQLDefaults are the parameters a new Aurora MySQL cluster group
// starts with: require_secure_transport is OFF, spelled ON/OFF, and
// dynamic (no reboot needed).
func AuroraMySQLDefaults() map[string]Param {
	return map[string]Param{"require_secure_transport": {"OFF", "dynamic", "engine-default", "ON,OFF"}, "time_zone": {"", "dynamic", "engine-default", ""}}
}

// ClusterResourceID is the DbClusterResourceId the fake gives a cluster
// created under id.
func ClusterResourceID(id string) string { return "cluster-" + ResourceID(id)[3:] }

// AddCluster adds a cluster and its members (the first is the writer),
// every member available and in sync.
func (f *AWS) AddCluster(id string, c *Cluster, members ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.ResourceID == "" {
		c.ResourceID = ClusterResourceID(id)
	}
	if c.Tags == nil {
		c.Tags = map[string]string{}
	}
	f.Clusters[id] = c
	for n, m := range members {
		f.Instances[m] = &Instance{ResourceID: ResourceID(m), Engine: c.Engine, Status: "available", Group: "default." + c.Engine,
			ApplyStatus: plan.InSync, Window: c.Window, Tags: map[string]string{}, Cluster: id, ClusterApplyStatus: plan.InSync, Writer: n == 0,
			CA: "rds-ca-rsa2048-g1", CertValidTill: DefaultCertValidTill}
	}
}

// SetCluster changes a cluster under the lock.
func (f *AWS) SetCluster(id string, mod func(*Cluster)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	mod(f.Clusters[id])
}

// GetCluster returns a copy of a cluster.
func (f *AWS) GetCluster(id string) Cluster {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.Clusters[id]
}

// members lists a cluster's members, the writer first. Locked by caller.
func (f *AWS) members(id string) []string {
	var ids []string
	for name, i := range f.Instances {
		if i.Cluster == id {
			ids = append(ids, name)
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		if f.Instances[a].Writer != f.Instances[b].Writer {
			if f.Instances[a].Writer {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return ids
}

func (f *AWS) DescribeDBClusters(_ context.Context, in *rds.DescribeDBClustersInput, _ ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("DescribeDBClusters"); err != nil {
		return nil, err
	}
	out := &rds.DescribeDBClustersOutput{}
	for id, c := range f.Clusters {
		if in.DBClusterIdentifier != nil && *in.DBClusterIdentifier != id || !clusterMatches(in.Filters, c) {
			continue
		}
		db := rdstypes.DBCluster{DBClusterIdentifier: aws.String(id), DbClusterResourceId: aws.String(c.ResourceID),
			DBClusterArn: aws.String(f.arn("cluster", id)), Engine: aws.String(c.Engine), EngineVersion: aws.String(c.EngineVersion),
			EngineMode: aws.String(c.Mode), Status: aws.String(c.Status), DBClusterParameterGroup: aws.String(c.Group),
			PreferredMaintenanceWindow: aws.String(c.Window)}
		if c.MultiAZ {
			db.DBClusterInstanceClass = aws.String("db.m6gd.large")
		}
		if c.PendingMods {
			db.PendingModifiedValues = &rdstypes.ClusterPendingModifiedValues{EngineVersion: aws.String("16.4")}
		}
		if c.GlobalID != "" {
			db.GlobalClusterIdentifier, db.ReplicationSourceIdentifier = aws.String(c.GlobalID), aws.String(c.ReplicationSource)
		}
		for k, v := range c.Tags {
			db.TagList = append(db.TagList, rdstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		for _, m := range f.members(id) {
			i := f.Instances[m]
			db.DBClusterMembers = append(db.DBClusterMembers, rdstypes.DBClusterMember{DBInstanceIdentifier: aws.String(m),
				IsClusterWriter: aws.Bool(i.Writer), DBClusterParameterGroupStatus: aws.String(i.ClusterApplyStatus)})
		}
		out.DBClusters = append(out.DBClusters, db)
	}
	if in.DBClusterIdentifier != nil && len(out.DBClusters) == 0 {
		return nil, APIError("DBClusterNotFoundFault")
	}
	return out, nil
}

// DescribeGlobalClusters reports a global database as the API reference
// shapes it: a GlobalClusterMember per cluster, IsWriter on the primary,
// whose Readers are the secondaries' ARNs; GlobalClusterNotFoundFault for
// an unknown identifier.
func (f *AWS) DescribeGlobalClusters(_ context.Context, in *rds.DescribeGlobalClustersInput, _ ...func(*rds.Options)) (*rds.DescribeGlobalClustersOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("DescribeGlobalClusters"); err != nil {
		return nil, err
	}
	id := aws.ToString(in.GlobalClusterIdentifier)
	gc := rdstypes.GlobalCluster{GlobalClusterIdentifier: aws.String(id), Status: aws.String("available")}
	var writer *rdstypes.GlobalClusterMember
	var secondaries []string
	ids := slices.Sorted(maps.Keys(f.Clusters))
	for _, cid := range ids {
		c := f.Clusters[cid]
		if c.GlobalID != id {
			continue
		}
		m := rdstypes.GlobalClusterMember{DBClusterArn: aws.String(f.arn("cluster", cid)), IsWriter: aws.Bool(c.ReplicationSource == "")}
		if c.ReplicationSource == "" {
			gc.Engine, gc.EngineVersion = aws.String(c.Engine), aws.String(c.EngineVersion)
			secondaries = append(secondaries, c.GlobalReaders...)
		} else {
			secondaries = append(secondaries, f.arn("cluster", cid))
		}
		gc.GlobalClusterMembers = append(gc.GlobalClusterMembers, m)
	}
	if len(gc.GlobalClusterMembers) == 0 {
		return nil, APIError("GlobalClusterNotFoundFault")
	}
	for i := range gc.GlobalClusterMembers {
		if m := &gc.GlobalClusterMembers[i]; aws.ToBool(m.IsWriter) {
			writer = m
		}
	}
	if writer != nil {
		writer.Readers = secondaries
	}
	return &rds.DescribeGlobalClustersOutput{GlobalClusters: []rdstypes.GlobalCluster{gc}}, nil
}

func clusterMatches(filters []rdstypes.Filter, c *Cluster) bool {
	for _, fl := range filters {
		if aws.ToString(fl.Name) == "db-cluster-resource-id" && !slices.Contains(fl.Values, c.ResourceID) {
			return false
		}
	}
	return true
}

func (f *AWS) DescribeDBClusterParameters(_ context.Context, in *rds.DescribeDBClusterParametersInput, _ ...func(*rds.Options)) (*rds.DescribeDBClusterParametersOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("DescribeDBClusterParameters"); err != nil {
		return nil, err
	}
	ps, err := parameters(f.ClusterGroups, aws.ToString(in.DBClusterParameterGroupName), in.Source, in.Filters)
	return &rds.DescribeDBClusterParametersOutput{Parameters: ps}, err
}

func (f *AWS) DescribeDBClusterParameterGroups(_ context.Context, in *rds.DescribeDBClusterParameterGroupsInput, _ ...func(*rds.Options)) (*rds.DescribeDBClusterParameterGroupsOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("DescribeDBClusterParameterGroups"); err != nil {
		return nil, err
	}
	name := aws.ToString(in.DBClusterParameterGroupName)
	g, ok := f.ClusterGroups[name]
	if !ok {
		return nil, APIError("DBParameterGroupNotFound")
	}
	return &rds.DescribeDBClusterParameterGroupsOutput{DBClusterParameterGroups: []rdstypes.DBClusterParameterGroup{{
		DBClusterParameterGroupName: aws.String(name), DBParameterGroupFamily: aws.String(g.Family),
		DBClusterParameterGroupArn: aws.String(f.arn("cluster-pg", name))}}}, nil
}

func (f *AWS) CreateDBClusterParameterGroup(_ context.Context, in *rds.CreateDBClusterParameterGroupInput, _ ...func(*rds.Options)) (*rds.CreateDBClusterParameterGroupOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("CreateDBClusterParameterGroup"); err != nil {
		return nil, err
	}
	family := aws.ToString(in.DBParameterGroupFamily)
	defaults := AuroraPostgresDefaults()
	switch {
	case strings.HasPrefix(family, "aurora-mysql"):
		defaults = AuroraMySQLDefaults()
	case strings.HasPrefix(family, "postgres"):
		defaults = MultiAZPostgresDefaults()
	}
	err := createGroup(f.ClusterGroups, aws.ToString(in.DBClusterParameterGroupName), family, defaults, in.Tags)
	return &rds.CreateDBClusterParameterGroupOutput{}, err
}

func (f *AWS) CopyDBClusterParameterGroup(_ context.Context, in *rds.CopyDBClusterParameterGroupInput, _ ...func(*rds.Options)) (*rds.CopyDBClusterParameterGroupOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("CopyDBClusterParameterGroup"); err != nil {
		return nil, err
	}
	err := copyGroup(f.ClusterGroups, aws.ToString(in.SourceDBClusterParameterGroupIdentifier),
		aws.ToString(in.TargetDBClusterParameterGroupIdentifier), in.Tags)
	return &rds.CopyDBClusterParameterGroupOutput{}, err
}

// ModifyDBClusterParameterGroup: a static parameter waits for each
// member's reboot (its DBClusterParameterGroupStatus turns pending-reboot).
func (f *AWS) ModifyDBClusterParameterGroup(_ context.Context, in *rds.ModifyDBClusterParameterGroupInput, _ ...func(*rds.Options)) (*rds.ModifyDBClusterParameterGroupOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("ModifyDBClusterParameterGroup"); err != nil {
		return nil, err
	}
	name := aws.ToString(in.DBClusterParameterGroupName)
	pending, err := modifyGroup(f.ClusterGroups, name, in.Parameters)
	if err != nil {
		return nil, err
	}
	for id, c := range f.Clusters {
		if pending && c.Group == name {
			f.setMembers(id, plan.PendingReboot)
		}
	}
	return &rds.ModifyDBClusterParameterGroupOutput{}, nil
}

// setMembers sets every member's DBClusterParameterGroupStatus. Locked by
// caller.
func (f *AWS) setMembers(cluster, status string) {
	for _, i := range f.Instances {
		if i.Cluster == cluster {
			i.ClusterApplyStatus = status
		}
	}
}

// ModifyDBCluster attaches a cluster parameter group: every member waits
// for its reboot to take the new group's static parameters.
func (f *AWS) ModifyDBCluster(_ context.Context, in *rds.ModifyDBClusterInput, _ ...func(*rds.Options)) (*rds.ModifyDBClusterOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("ModifyDBCluster"); err != nil {
		return nil, err
	}
	id := aws.ToString(in.DBClusterIdentifier)
	c, ok := f.Clusters[id]
	if !ok {
		return nil, APIError("DBClusterNotFoundFault")
	}
	if c.Status != "available" {
		return nil, APIError("InvalidDBClusterStateFault")
	}
	if in.DBClusterParameterGroupName != nil {
		c.Group = *in.DBClusterParameterGroupName
		f.setMembers(id, plan.PendingReboot)
	}
	if aws.ToBool(in.ApplyImmediately) {
		c.PendingMods = false
	}
	return &rds.ModifyDBClusterOutput{}, nil
}

// RebootDBCluster restarts a Multi-AZ DB cluster; Aurora refuses it
// ("Use this operation only for a non-Aurora Multi-AZ DB cluster").
func (f *AWS) RebootDBCluster(_ context.Context, in *rds.RebootDBClusterInput, _ ...func(*rds.Options)) (*rds.RebootDBClusterOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("RebootDBCluster"); err != nil {
		return nil, err
	}
	f.ClusterReboots = append(f.ClusterReboots, in)
	id := aws.ToString(in.DBClusterIdentifier)
	c, ok := f.Clusters[id]
	switch {
	case !ok:
		return nil, APIError("DBClusterNotFoundFault")
	case !c.MultiAZ:
		return nil, APIError("InvalidParameterCombination")
	case c.Status != "available":
		return nil, APIError("InvalidDBClusterStateFault")
	}
	f.setMembers(id, plan.InSync)
	for _, m := range f.members(id) {
		f.restarted(m)
	}
	return &rds.RebootDBClusterOutput{}, nil
}

// rebootMember puts a rebooted member's cluster parameters in effect (and,
// on versions where the writer's reboot restarts the readers, theirs).
// Locked by caller.
func (f *AWS) rebootMember(i *Instance) {
	if i.Cluster == "" {
		return
	}
	i.ClusterApplyStatus = plan.InSync
	if c := f.Clusters[i.Cluster]; c != nil && c.WriterRestartsReaders && i.Writer {
		f.setMembers(i.Cluster, plan.InSync)
		for _, m := range f.members(i.Cluster) {
			if f.Instances[m] != i {
				f.restarted(m)
			}
		}
	}
}
