package observe

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"

	"github.com/forcessl/forcessl/pkg/plan"
)

// globalClusters answers DescribeGlobalClusters with one global database
// (out) or an error.
type globalClusters struct {
	RDS
	out   types.GlobalCluster
	err   error
	asked []string
}

func (g *globalClusters) DescribeGlobalClusters(_ context.Context, in *rds.DescribeGlobalClustersInput, _ ...func(*rds.Options)) (*rds.DescribeGlobalClustersOutput, error) {
	g.asked = append(g.asked, aws.ToString(in.GlobalClusterIdentifier))
	if g.err != nil {
		return nil, g.err
	}
	return &rds.DescribeGlobalClustersOutput{GlobalClusters: []types.GlobalCluster{g.out}}, nil
}

const (
	primaryARN   = "arn:aws:rds:us-east-1:111122223333:cluster:orders"
	secondaryARN = "arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu"
)

var ordersGlobal = types.GlobalCluster{GlobalClusterIdentifier: aws.String("orders-global"), EngineVersion: aws.String("8.0.mysql_aurora.3.05.2"),
	GlobalClusterMembers: []types.GlobalClusterMember{
		{DBClusterArn: aws.String(secondaryARN), IsWriter: aws.Bool(false)},
		{DBClusterArn: aws.String(primaryARN), IsWriter: aws.Bool(true), Readers: []string{secondaryARN}},
	}}

// The cluster's role is the member whose DBClusterArn is its own: IsWriter
// makes it the primary, whose Readers are the secondaries.
func TestGlobalDatabaseRole(t *testing.T) {
	for _, tt := range []struct {
		name, arn string
		api       *globalClusters
		want      plan.GlobalDB
		err       bool
	}{
		{"the primary", primaryARN, &globalClusters{out: ordersGlobal},
			plan.GlobalDB{ID: "orders-global", Read: true, Primary: true, Secondaries: []string{secondaryARN}, EngineVersion: "8.0.mysql_aurora.3.05.2"}, false},
		{"a secondary", secondaryARN, &globalClusters{out: ordersGlobal},
			plan.GlobalDB{ID: "orders-global", Read: true, EngineVersion: "8.0.mysql_aurora.3.05.2"}, false},
		{"not among the members", "arn:aws:rds:us-east-1:111122223333:cluster:other", &globalClusters{out: ordersGlobal},
			plan.GlobalDB{ID: "orders-global", Why: "the cluster is not among its members", EngineVersion: "8.0.mysql_aurora.3.05.2"}, false},
		{"access denied: unread, not an error", primaryARN, &globalClusters{err: &smithy.GenericAPIError{Code: "AccessDenied"}},
			plan.GlobalDB{ID: "orders-global", Why: "AccessDenied"}, false},
		{"gone: unread", primaryARN, &globalClusters{err: &smithy.GenericAPIError{Code: "GlobalClusterNotFoundFault"}},
			plan.GlobalDB{ID: "orders-global", Why: "GlobalClusterNotFoundFault"}, false},
		{"throttled: an error, retried", primaryARN, &globalClusters{err: &smithy.GenericAPIError{Code: "Throttling"}}, plan.GlobalDB{}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ob := New(tt.api, nil, "111122223333", "us-east-1", "forcessl")
			c := plan.Resource{Kind: plan.KindCluster, ID: "orders", ARN: tt.arn, GlobalCluster: "orders-global"}
			o := plan.Observed{Resource: c}
			err := ob.Fill(context.Background(), &o, plan.Need{Global: true})
			if tt.err {
				var api smithy.APIError
				if err == nil || !errors.As(err, &api) {
					t.Fatalf("want the error, got %v", err)
				}
				return
			}
			if err != nil || o.Global == nil {
				t.Fatalf("%v, %+v", err, o.Global)
			}
			g := *o.Global
			if g.ID != tt.want.ID || g.Read != tt.want.Read || g.Primary != tt.want.Primary || g.Why != tt.want.Why ||
				g.EngineVersion != tt.want.EngineVersion || !slices.Equal(g.Secondaries, tt.want.Secondaries) {
				t.Errorf("got %+v, want %+v", g, tt.want)
			}
			if !slices.Equal(tt.api.asked, []string{"orders-global"}) {
				t.Errorf("asked %v", tt.api.asked)
			}
		})
	}
}

// DBCluster.GlobalClusterIdentifier is carried, so Decide knows to ask.
func TestClusterCarriesItsGlobalDatabase(t *testing.T) {
	c := toCluster(types.DBCluster{DBClusterIdentifier: aws.String("orders"), GlobalClusterIdentifier: aws.String("orders-global")})
	if c.GlobalCluster != "orders-global" {
		t.Errorf("GlobalCluster %q", c.GlobalCluster)
	}
}

// A member with no status at all is not taken as in sync either; a
// pending-reboot member still outranks an unknown one (it restarts first).
func TestMemberApplyStatusRanks(t *testing.T) {
	for _, tt := range []struct{ a, b, want string }{
		{plan.InSync, "", ""},
		{plan.Applying, "pending-database-upgrade", "pending-database-upgrade"},
		{"pending-database-upgrade", plan.PendingReboot, plan.PendingReboot},
		{plan.PendingReboot, "pending-database-upgrade", plan.PendingReboot},
		{plan.FailedToApply, plan.PendingReboot, plan.FailedToApply},
		{plan.InSync, plan.Applying, plan.Applying},
	} {
		if got := lessSettled(lessSettled(plan.InSync, tt.a), tt.b); got != tt.want {
			t.Errorf("%q then %q: %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}
