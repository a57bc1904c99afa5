package apply

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/plan"
)

// cluster carries out a step on a DB cluster: its DB cluster parameter
// group through the cluster APIs, the group attached with ModifyDBCluster,
// a Multi-AZ DB cluster rebooted with RebootDBCluster. (An Aurora member's
// reboot is an instance step.)
func (e *Executor) cluster(ctx context.Context, step plan.Step) (bool, error) {
	switch s := step.(type) {
	case plan.CreateGroup:
		_, err := e.RDS.CreateDBClusterParameterGroup(ctx, &rds.CreateDBClusterParameterGroupInput{
			DBClusterParameterGroupName: aws.String(s.Name), DBParameterGroupFamily: aws.String(s.Family),
			Description: aws.String(createdFrom(s)), Tags: tags(s.Source)})
		return true, groupExists(s.Name, err)
	case plan.CopyGroup:
		_, err := e.RDS.CopyDBClusterParameterGroup(ctx, &rds.CopyDBClusterParameterGroupInput{
			SourceDBClusterParameterGroupIdentifier: aws.String(s.Source), TargetDBClusterParameterGroupIdentifier: aws.String(s.Name),
			TargetDBClusterParameterGroupDescription: aws.String(copiedFrom(s)), Tags: tags(s.Source)})
		return true, groupExists(s.Name, err)
	case plan.SetParameter:
		_, err := e.RDS.ModifyDBClusterParameterGroup(ctx, &rds.ModifyDBClusterParameterGroupInput{
			DBClusterParameterGroupName: aws.String(s.Group), Parameters: parameter(s)})
		return true, err
	case plan.AttachGroup:
		return true, e.attachCluster(ctx, s)
	case plan.RebootCluster:
		_, err := e.RDS.RebootDBCluster(ctx, &rds.RebootDBClusterInput{DBClusterIdentifier: aws.String(s.Target.ID)}, OneAttempt)
		return true, err
	}
	return false, fmt.Errorf("%s: not a cluster step", step.Describe())
}

// attachCluster attaches a cluster parameter group. The ModifyDBCluster
// reference says a disabled ApplyImmediately defers changes to the
// maintenance window and an enabled one also applies whatever else is
// queued; the Multi-AZ DB cluster settings table says a parameter group
// change occurs immediately, the Aurora one says nothing. So, as for
// instances, immediately only when nothing else is queued, and the cluster
// is read again: with ApplyImmediately the group must be attached now.
func (e *Executor) attachCluster(ctx context.Context, s plan.AttachGroup) error {
	if _, err := e.RDS.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String(s.Target.ID),
		DBClusterParameterGroupName: aws.String(s.Group), ApplyImmediately: aws.Bool(s.ApplyImmediately)}); err != nil {
		return err
	}
	out, err := e.RDS.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(s.Target.ID)})
	if err != nil {
		return fmt.Errorf("read cluster %s again: %w", s.Target.ID, err)
	}
	if len(out.DBClusters) == 1 && s.ApplyImmediately && aws.ToString(out.DBClusters[0].DBClusterParameterGroup) != s.Group {
		return awserr.Terminal(fmt.Errorf("ModifyDBCluster was accepted but cluster %s still uses %s, not %s",
			s.Target.ID, aws.ToString(out.DBClusters[0].DBClusterParameterGroup), s.Group))
	}
	return nil
}
