package mototest

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
)

// SeedClusterParameter sets a parameter of a DB cluster parameter group
// with the metadata DescribeDBClusterParameters reports on AWS (moto
// keeps what it is given, and knows no engine defaults).
func SeedClusterParameter(t TB, c *rds.Client, group, name, value, applyType, allowed string) {
	t.Helper()
	method := rdstypes.ApplyMethodPendingReboot
	if applyType == "dynamic" {
		method = rdstypes.ApplyMethodImmediate
	}
	_, err := c.ModifyDBClusterParameterGroup(context.Background(), &rds.ModifyDBClusterParameterGroupInput{
		DBClusterParameterGroupName: aws.String(group),
		Parameters: []rdstypes.Parameter{{ParameterName: aws.String(name), ParameterValue: aws.String(value), ApplyMethod: method,
			ApplyType: aws.String(applyType), Source: aws.String("engine-default"), AllowedValues: aws.String(allowed),
			IsModifiable: aws.Bool(true)}},
	})
	if err != nil {
		t.Fatalf("seed %s in %s: %v", name, group, err)
	}
}

// EnsureClusterGroup creates a DB cluster parameter group unless it exists:
// moto has no default cluster groups of AWS's names, so a test creates
// the one AWS would have (default.aurora-postgresql15).
func EnsureClusterGroup(t TB, c *rds.Client, name, family string) {
	t.Helper()
	_, err := c.CreateDBClusterParameterGroup(context.Background(), &rds.CreateDBClusterParameterGroupInput{
		DBClusterParameterGroupName: aws.String(name), DBParameterGroupFamily: aws.String(family), Description: aws.String(name)})
	var api smithy.APIError
	if err != nil && !(errors.As(err, &api) && api.ErrorCode() == "DBParameterGroupAlreadyExists") {
		t.Fatalf("create cluster parameter group %s: %v", name, err)
	}
}

// CreateCluster creates a DB cluster on group (window Sunday 05:00-05:30
// UTC) and members instances in it, the first the writer; it returns the
// members' identifiers.
func CreateCluster(t TB, c *rds.Client, id, engine, version, group string, members int, tags map[string]string) []string {
	t.Helper()
	ctx := context.Background()
	in := &rds.CreateDBClusterInput{DBClusterIdentifier: aws.String(id), Engine: aws.String(engine), EngineVersion: aws.String(version),
		MasterUsername: aws.String("admin"), MasterUserPassword: aws.String("not-a-secret-123"),
		DBClusterParameterGroupName: aws.String(group), PreferredMaintenanceWindow: aws.String("sun:05:00-sun:05:30")}
	for k, v := range tags {
		in.Tags = append(in.Tags, rdstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := c.CreateDBCluster(ctx, in); err != nil {
		t.Fatalf("create cluster %s: %v", id, err)
	}
	var ids []string
	for i := range members {
		m := fmt.Sprintf("%s-%d", id, i+1)
		if _, err := c.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(m), Engine: aws.String(engine),
			DBInstanceClass: aws.String("db.r6g.large"), DBClusterIdentifier: aws.String(id)}); err != nil {
			t.Fatalf("create member %s: %v", m, err)
		}
		ids = append(ids, m)
	}
	return ids
}
