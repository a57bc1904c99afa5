package mototest_test

// The parameter apply states moto_server.py adds (its header, item 6),
// through the real SDK clients: each transition RDS documents, for a DB
// instance, an Aurora cluster member and a Multi-AZ DB cluster member.

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/awserr"
)

var moto *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, &moto) }

const (
	inSync        = "in-sync"
	pendingReboot = "pending-reboot"
	applying      = "applying"
)

func client(t *testing.T) *rds.Client {
	moto.Reset(t)
	return rds.NewFromConfig(moto.Config(t))
}

// status is an instance's ParameterApplyStatus, one DescribeDBInstances.
func status(t *testing.T, c *rds.Client, id string) string {
	t.Helper()
	out, err := c.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.DBInstances[0].DBParameterGroups[0].ParameterApplyStatus)
}

// members is each member's DBClusterParameterGroupStatus, one DescribeDBClusters.
func members(t *testing.T, c *rds.Client, id string) map[string]string {
	t.Helper()
	out, err := c.DescribeDBClusters(context.Background(), &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, mb := range out.DBClusters[0].DBClusterMembers {
		m[aws.ToString(mb.DBInstanceIdentifier)] = aws.ToString(mb.DBClusterParameterGroupStatus)
	}
	return m
}

func want(t *testing.T, step, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: ParameterApplyStatus %q, want %q", step, got, want)
	}
}

func wantMembers(t *testing.T, step string, got map[string]string, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: members %v, want %v", step, got, want)
	}
	for id, st := range want {
		if got[id] != st {
			t.Fatalf("%s: members %v, want %v", step, got, want)
		}
	}
}

func createGroup(t *testing.T, c *rds.Client, name, family string) {
	t.Helper()
	if _, err := c.CreateDBParameterGroup(context.Background(), &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String(name),
		DBParameterGroupFamily: aws.String(family), Description: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

// set changes parameters as a customer or forcessl does: name, value and
// apply method only.
func set(c *rds.Client, group, name, value string, method rdstypes.ApplyMethod) error {
	_, err := c.ModifyDBParameterGroup(context.Background(), &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(group),
		Parameters: []rdstypes.Parameter{{ParameterName: aws.String(name), ParameterValue: aws.String(value), ApplyMethod: method}}})
	return err
}

func setCluster(c *rds.Client, group, name, value string, method rdstypes.ApplyMethod) error {
	_, err := c.ModifyDBClusterParameterGroup(context.Background(), &rds.ModifyDBClusterParameterGroupInput{DBClusterParameterGroupName: aws.String(group),
		Parameters: []rdstypes.Parameter{{ParameterName: aws.String(name), ParameterValue: aws.String(value), ApplyMethod: method}}})
	return err
}

func reboot(t *testing.T, c *rds.Client, id string) {
	t.Helper()
	if _, err := c.RebootDBInstance(context.Background(), &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
}

// pgInstance is a PostgreSQL instance on its own group, seeded with a
// static and a dynamic parameter, next to a bystander on another group.
func pgInstance(t *testing.T, c *rds.Client) {
	createGroup(t, c, "app-pg", "postgres16")
	mototest.SeedTLSParameter(t, c, "app-pg", "shared_preload_libraries", "pg_stat_statements", "static")
	mototest.SeedTLSParameter(t, c, "app-pg", "rds.force_ssl", "0", "dynamic")
	mototest.CreateInstance(t, c, "ledger", "postgres", "app-pg", nil)
	mototest.CreateInstance(t, c, "bystander", "postgres", "", nil)
	want(t, "new instance", status(t, c, "ledger"), inSync)
}

func TestInstanceStaticParameterWaitsForReboot(t *testing.T) {
	c := client(t)
	pgInstance(t, c)
	if err := set(c, "app-pg", "shared_preload_libraries", "pg_stat_statements,auto_explain", rdstypes.ApplyMethodPendingReboot); err != nil {
		t.Fatal(err)
	}
	for range 3 { // however often it is looked at
		want(t, "static parameter changed", status(t, c, "ledger"), pendingReboot)
	}
	want(t, "an instance on another group", status(t, c, "bystander"), inSync)
	// A dynamic change meanwhile does not undo the reboot still owed.
	if err := set(c, "app-pg", "rds.force_ssl", "1", rdstypes.ApplyMethodImmediate); err != nil {
		t.Fatal(err)
	}
	want(t, "dynamic change while pending", status(t, c, "ledger"), pendingReboot)
	want(t, "dynamic change while pending", status(t, c, "ledger"), pendingReboot)
	reboot(t, c, "ledger")
	want(t, "rebooted", status(t, c, "ledger"), inSync)
}

func TestInstanceDynamicParameterAppliesWithoutReboot(t *testing.T) {
	c := client(t)
	pgInstance(t, c)
	if err := set(c, "app-pg", "rds.force_ssl", "1", rdstypes.ApplyMethodImmediate); err != nil {
		t.Fatal(err)
	}
	want(t, "first look after a dynamic change", status(t, c, "ledger"), applying)
	want(t, "second look", status(t, c, "ledger"), inSync)
	want(t, "third look", status(t, c, "ledger"), inSync)

	// A dynamic parameter deferred with pending-reboot waits like a static one.
	if err := set(c, "app-pg", "rds.force_ssl", "0", rdstypes.ApplyMethodPendingReboot); err != nil {
		t.Fatal(err)
	}
	want(t, "dynamic parameter deferred", status(t, c, "ledger"), pendingReboot)
	reboot(t, c, "ledger")
	want(t, "rebooted", status(t, c, "ledger"), inSync)
}

// "immediate" is for dynamic parameters only (ModifyDBParameterGroup API
// reference): RDS refuses it for a static one, and nothing changes.
func TestImmediateStaticParameterIsRefused(t *testing.T) {
	c := client(t)
	pgInstance(t, c)
	err := set(c, "app-pg", "shared_preload_libraries", "auto_explain", rdstypes.ApplyMethodImmediate)
	if !awserr.Is(err, "InvalidParameterCombination") {
		t.Fatalf("immediate on a static parameter: %v, want InvalidParameterCombination", err)
	}
	want(t, "refused change", status(t, c, "ledger"), inSync)
}

// "The parameter group name itself is changed immediately, but the actual
// parameter changes are not applied until you reboot" (ModifyDBInstance),
// with or without ApplyImmediately.
func TestInstanceAttachedGroupWaitsForReboot(t *testing.T) {
	for _, now := range []bool{false, true} {
		c := client(t)
		pgInstance(t, c)
		createGroup(t, c, "forcessl-app-pg", "postgres16")
		modify := func(group string) {
			t.Helper()
			if _, err := c.ModifyDBInstance(context.Background(), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("ledger"),
				DBParameterGroupName: aws.String(group), ApplyImmediately: aws.Bool(now)}); err != nil {
				t.Fatal(err)
			}
		}
		modify("app-pg")
		want(t, "the same group again", status(t, c, "ledger"), inSync)
		modify("forcessl-app-pg")
		want(t, "group attached", status(t, c, "ledger"), pendingReboot)
		want(t, "group attached", status(t, c, "ledger"), pendingReboot)
		reboot(t, c, "ledger")
		want(t, "rebooted", status(t, c, "ledger"), inSync)
	}
}

// Seeding what RDS would already report (Source system or engine-default)
// is no change to apply.
func TestSeedingChangesNoStatus(t *testing.T) {
	c := client(t)
	def := mototest.CreateInstance(t, c, "orders", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, c, def, "rds.force_ssl", "0", "static")
	want(t, "seeded", status(t, c, "orders"), inSync)
}

func aurora(t *testing.T, c *rds.Client) []string {
	mototest.EnsureClusterGroup(t, c, "app-aurora", "aurora-postgresql15")
	mototest.SeedClusterParameter(t, c, "app-aurora", "rds.force_ssl", "0", "static", "0,1")
	mototest.SeedClusterParameter(t, c, "app-aurora", "log_min_duration_statement", "-1", "dynamic", "-1-2147483647")
	ids := mototest.CreateCluster(t, c, "orders-aurora", "aurora-postgresql", "15.4", "app-aurora", 2, nil)
	wantMembers(t, "new cluster", members(t, c, "orders-aurora"), map[string]string{ids[0]: inSync, ids[1]: inSync})
	return ids
}

func TestAuroraMemberStaticParameterWaitsForItsReboot(t *testing.T) {
	c := client(t)
	ids := aurora(t, c)
	if err := setCluster(c, "app-aurora", "rds.force_ssl", "1", rdstypes.ApplyMethodPendingReboot); err != nil {
		t.Fatal(err)
	}
	both := map[string]string{ids[0]: pendingReboot, ids[1]: pendingReboot}
	wantMembers(t, "static cluster parameter changed", members(t, c, "orders-aurora"), both)
	wantMembers(t, "looked at again", members(t, c, "orders-aurora"), both)
	// Each member takes the change at its own reboot.
	reboot(t, c, ids[1])
	wantMembers(t, "reader rebooted", members(t, c, "orders-aurora"), map[string]string{ids[0]: pendingReboot, ids[1]: inSync})
	reboot(t, c, ids[0])
	wantMembers(t, "writer rebooted", members(t, c, "orders-aurora"), map[string]string{ids[0]: inSync, ids[1]: inSync})
}

func TestAuroraMemberDynamicParameterAppliesWithoutReboot(t *testing.T) {
	c := client(t)
	ids := aurora(t, c)
	if err := setCluster(c, "app-aurora", "log_min_duration_statement", "250", rdstypes.ApplyMethodImmediate); err != nil {
		t.Fatal(err)
	}
	wantMembers(t, "first look", members(t, c, "orders-aurora"), map[string]string{ids[0]: applying, ids[1]: applying})
	wantMembers(t, "second look", members(t, c, "orders-aurora"), map[string]string{ids[0]: inSync, ids[1]: inSync})
	if err := setCluster(c, "app-aurora", "rds.force_ssl", "1", rdstypes.ApplyMethodImmediate); !awserr.Is(err, "InvalidParameterCombination") {
		t.Fatalf("immediate on a static cluster parameter: %v", err)
	}
}

func TestAuroraAttachedClusterGroupWaitsForEachMember(t *testing.T) {
	c := client(t)
	ids := aurora(t, c)
	mototest.EnsureClusterGroup(t, c, "forcessl-app-aurora", "aurora-postgresql15")
	if _, err := c.ModifyDBCluster(context.Background(), &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("orders-aurora"),
		DBClusterParameterGroupName: aws.String("forcessl-app-aurora"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	wantMembers(t, "cluster group attached", members(t, c, "orders-aurora"), map[string]string{ids[0]: pendingReboot, ids[1]: pendingReboot})
	// "Use this operation only for a non-Aurora Multi-AZ DB cluster."
	if _, err := c.RebootDBCluster(context.Background(), &rds.RebootDBClusterInput{DBClusterIdentifier: aws.String("orders-aurora")}); err == nil {
		t.Fatal("RebootDBCluster accepted for an Aurora cluster")
	}
	wantMembers(t, "refused cluster reboot", members(t, c, "orders-aurora"), map[string]string{ids[0]: pendingReboot, ids[1]: pendingReboot})
	reboot(t, c, ids[0])
	reboot(t, c, ids[1])
	wantMembers(t, "members rebooted", members(t, c, "orders-aurora"), map[string]string{ids[0]: inSync, ids[1]: inSync})
}

// A Multi-AZ DB cluster restarts as a whole: RebootDBCluster.
func TestMultiAZClusterRebootsAsAWhole(t *testing.T) {
	c := client(t)
	ctx := context.Background()
	mototest.EnsureClusterGroup(t, c, "app-pg-cluster", "postgres16")
	mototest.SeedClusterParameter(t, c, "app-pg-cluster", "rds.force_ssl", "0", "dynamic", "0,1")
	mototest.EnsureClusterGroup(t, c, "forcessl-app-pg-cluster", "postgres16")
	if _, err := c.CreateDBCluster(ctx, &rds.CreateDBClusterInput{DBClusterIdentifier: aws.String("ledger"), Engine: aws.String("postgres"),
		EngineVersion: aws.String("16.4"), MasterUsername: aws.String("admin"), MasterUserPassword: aws.String("not-a-secret-123"),
		DBClusterInstanceClass: aws.String("db.m6gd.large"), AllocatedStorage: aws.Int32(100), StorageType: aws.String("io1"), Iops: aws.Int32(1000),
		DBClusterParameterGroupName: aws.String("app-pg-cluster")}); err != nil {
		t.Fatal(err)
	}
	ids := []string{"ledger-1", "ledger-2", "ledger-3"}
	for _, id := range ids { // RDS creates them with the cluster; moto needs telling
		if _, err := c.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(id), Engine: aws.String("postgres"),
			DBInstanceClass: aws.String("db.m6gd.large"), DBClusterIdentifier: aws.String("ledger")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ledger"),
		DBClusterParameterGroupName: aws.String("forcessl-app-pg-cluster")}); err != nil {
		t.Fatal(err)
	}
	all := func(st string) map[string]string { return map[string]string{ids[0]: st, ids[1]: st, ids[2]: st} }
	wantMembers(t, "cluster group attached", members(t, c, "ledger"), all(pendingReboot))
	if _, err := c.RebootDBCluster(ctx, &rds.RebootDBClusterInput{DBClusterIdentifier: aws.String("ledger")}); err != nil {
		t.Fatal(err)
	}
	wantMembers(t, "cluster rebooted", members(t, c, "ledger"), all(inSync))
	if _, err := c.RebootDBCluster(ctx, &rds.RebootDBClusterInput{DBClusterIdentifier: aws.String("gone")}); !awserr.Is(err, "DBClusterNotFoundFault") {
		t.Errorf("reboot of a missing cluster: %v", err)
	}
}

// A copy is a new group no instance uses yet: copying changes no status,
// and the copy keeps its parameters (moto copies through the modify path).
func TestCopyingAGroupChangesNoStatus(t *testing.T) {
	c := client(t)
	pgInstance(t, c)
	if _, err := c.CopyDBParameterGroup(context.Background(), &rds.CopyDBParameterGroupInput{SourceDBParameterGroupIdentifier: aws.String("app-pg"),
		TargetDBParameterGroupIdentifier: aws.String("forcessl-app-pg"), TargetDBParameterGroupDescription: aws.String("copy")}); err != nil {
		t.Fatal(err)
	}
	want(t, "group copied", status(t, c, "ledger"), inSync)
	out, err := c.DescribeDBParameters(context.Background(), &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String("forcessl-app-pg")})
	if err != nil || len(out.Parameters) != 2 {
		t.Fatalf("copy's parameters %+v %v", out, err)
	}
	mototest.EnsureClusterGroup(t, c, "app-aurora", "aurora-postgresql15")
	mototest.SeedClusterParameter(t, c, "app-aurora", "rds.force_ssl", "0", "static", "0,1")
	if _, err := c.CopyDBClusterParameterGroup(context.Background(), &rds.CopyDBClusterParameterGroupInput{
		SourceDBClusterParameterGroupIdentifier: aws.String("app-aurora"), TargetDBClusterParameterGroupIdentifier: aws.String("forcessl-app-aurora"),
		TargetDBClusterParameterGroupDescription: aws.String("copy")}); err != nil {
		t.Fatal(err)
	}
}
