package cli

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/dispatch"
	"github.com/forcessl/forcessl/pkg/probe"
	"github.com/forcessl/forcessl/pkg/route"
)

// endpoint is what the RDS API says about the resource to probe.
type endpoint struct {
	Kind    string `json:"kind"` // instance or cluster
	ID      string `json:"id"`
	Account string `json:"account"`
	Region  string `json:"region"`
	// Engine (the RDS engine name, e.g. sqlserver-se, aurora-postgresql)
	// and Address (endpoint address:port) are empty when the resource
	// could not be read.
	Engine  string `json:"engine,omitempty"`
	Address string `json:"address,omitempty"`
	// MasterUsername is the user the PostgreSQL probe names: a name, never
	// a credential.
	MasterUsername string `json:"masterUsername,omitempty"`

	engine probe.Engine
}

func (ep endpoint) noun() string {
	if ep.Kind == "cluster" {
		return "DB cluster"
	}
	return "DB instance"
}

// resolve finds the endpoint of f.instance or f.cluster through the same
// clients the other commands use, so --account reaches a member account
// through its remediation role. Only Describe calls are made.
func (e *engine) resolve(ctx context.Context, f probeFlags) (endpoint, error) {
	ep := endpoint{Kind: "instance", ID: f.instance}
	if f.cluster != "" {
		ep.Kind, ep.ID = "cluster", f.cluster
	}
	var err error
	if ep.Account, ep.Region, err = e.where(ctx, f.account, f.region); err != nil {
		return ep, err
	}
	client, err := e.rdsFor(ctx, ep.Account, ep.Region, ep.ID)
	if err != nil {
		return ep, err
	}
	if ep.Kind == "cluster" {
		err = describeCluster(ctx, client, &ep)
	} else {
		err = describeInstance(ctx, client, &ep)
	}
	if err != nil {
		return ep, err
	}
	var ok bool
	if ep.engine, ok = probe.ParseEngine(ep.Engine); !ok {
		return ep, fmt.Errorf("%s %s runs %s, which has no wire probe (sqlserver, postgres, mysql and mariadb have)", ep.noun(), ep.ID, ep.Engine)
	}
	return ep, nil
}

// rdsFor returns an RDS client for account and region, routed as the
// dispatcher routes a request: the credentials' own account directly,
// another through FORCESSL_MEMBER_ROLE_NAME, and an account outside
// FORCESSL_ACCOUNTS not at all.
func (e *engine) rdsFor(ctx context.Context, account, region, id string) (dispatch.RDS, error) {
	own, partition, err := e.d.Clients.Identity(ctx)
	if err != nil {
		return nil, fmt.Errorf("own identity: %w", err)
	}
	rt := route.Decide(account, route.Settings{OwnAccount: own, Partition: partition,
		MemberRole: e.cfg.MemberRoleName, Allow: e.cfg.Accounts})
	if rt.Kind == route.Refused {
		return nil, usagef("cannot read %s/%s: %s", account, region, rt.Reason)
	}
	client, err := e.d.Clients.RDS(ctx, rt, region, route.SessionName("probe-"+id))
	if err != nil {
		return nil, fmt.Errorf("RDS client for %s/%s: %w", account, region, err)
	}
	return client, nil
}

func describeInstance(ctx context.Context, client dispatch.RDS, ep *endpoint) error {
	out, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(ep.ID)})
	if awserr.Is(err, "DBInstanceNotFound", "DBInstanceNotFoundFault") || err == nil && len(out.DBInstances) != 1 {
		return fmt.Errorf("no DB instance %s in %s/%s", ep.ID, ep.Account, ep.Region)
	}
	if err != nil {
		return fmt.Errorf("describe DB instance %s: %w", ep.ID, err)
	}
	db := out.DBInstances[0]
	ep.Engine, ep.MasterUsername = aws.ToString(db.Engine), aws.ToString(db.MasterUsername)
	if db.Endpoint == nil || aws.ToString(db.Endpoint.Address) == "" {
		return fmt.Errorf("DB instance %s has no endpoint yet (status %s)", ep.ID, aws.ToString(db.DBInstanceStatus))
	}
	ep.Address = hostPort(aws.ToString(db.Endpoint.Address), aws.ToInt32(db.Endpoint.Port), ep.Engine)
	// An Aurora member may leave the master user name to its cluster.
	if cluster := aws.ToString(db.DBClusterIdentifier); ep.MasterUsername == "" && cluster != "" {
		c := endpoint{ID: cluster, Account: ep.Account, Region: ep.Region}
		if err := describeCluster(ctx, client, &c); err != nil {
			return fmt.Errorf("master user name of DB instance %s: %w", ep.ID, err)
		}
		ep.MasterUsername = c.MasterUsername
	}
	return nil
}

func describeCluster(ctx context.Context, client dispatch.RDS, ep *endpoint) error {
	out, err := client.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(ep.ID)})
	if awserr.Is(err, "DBClusterNotFoundFault", "DBClusterNotFound") || err == nil && len(out.DBClusters) != 1 {
		return fmt.Errorf("no DB cluster %s in %s/%s", ep.ID, ep.Account, ep.Region)
	}
	if err != nil {
		return fmt.Errorf("describe DB cluster %s: %w", ep.ID, err)
	}
	c := out.DBClusters[0]
	ep.Engine, ep.MasterUsername = aws.ToString(c.Engine), aws.ToString(c.MasterUsername)
	if aws.ToString(c.Endpoint) == "" {
		return fmt.Errorf("DB cluster %s has no endpoint yet (status %s)", ep.ID, aws.ToString(c.Status))
	}
	ep.Address = hostPort(aws.ToString(c.Endpoint), aws.ToInt32(c.Port), ep.Engine)
	return nil
}

// hostPort joins an endpoint's address and port; a port the API left out
// is the engine's default.
func hostPort(host string, port int32, rdsEngine string) string {
	if port == 0 {
		e, _ := probe.ParseEngine(rdsEngine)
		port = int32(probe.DefaultPort(e))
	}
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}
