package setup

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/forcessl/forcessl/pkg/reconcile"
	"github.com/forcessl/forcessl/pkg/route"
)

// maxClients bounds the client cache of a long-lived process.
const maxClients = 512

// clients makes RDS clients per route and region and keeps them for the
// life of the process (warm Lambda invocations reuse them). A member
// account's client carries its own credentials cache, so its role is assumed
// once and refreshed before it expires, not on every call.
type clients struct {
	awsCfg aws.Config
	sts    *sts.Client

	mu    sync.Mutex
	cache map[string]*rds.Client
}

func newClients(awsCfg aws.Config) *clients {
	return &clients{awsCfg: awsCfg, sts: sts.NewFromConfig(awsCfg), cache: map[string]*rds.Client{}}
}

// RDS returns the client for a route. The member session is named after the
// instance being reconciled, so the member account's CloudTrail shows what
// forcessl was doing; clients are therefore cached per account, region and
// session.
func (c *clients) RDS(_ context.Context, rt route.Route, region, session string) (reconcile.RDS, error) {
	key := region
	if rt.Kind == route.Member {
		key = rt.Account + "/" + region + "/" + session
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.cache[key]; ok {
		return cl, nil
	}
	cfg := c.awsCfg.Copy()
	switch rt.Kind {
	case route.Own:
	case route.Member:
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(c.sts, rt.RoleARN,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = session }))
	default:
		return nil, fmt.Errorf("no RDS access for a %s route", rt.Kind)
	}
	if len(c.cache) >= maxClients {
		clear(c.cache)
	}
	cl := rds.NewFromConfig(cfg, func(o *rds.Options) { o.Region = region })
	c.cache[key] = cl
	return cl, nil
}

// identity asks STS once which account and partition the function runs in
// (organization mode only; a failure is retried on the next call).
type identity struct {
	sts *sts.Client

	mu                 sync.Mutex
	account, partition string
}

func (i *identity) Get(ctx context.Context) (string, string, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.account != "" {
		return i.account, i.partition, nil
	}
	out, err := i.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", fmt.Errorf("get caller identity: %w", err)
	}
	i.account = aws.ToString(out.Account)
	i.partition = "aws"
	if parts := strings.SplitN(aws.ToString(out.Arn), ":", 3); len(parts) == 3 {
		i.partition = parts[1]
	}
	return i.account, i.partition, nil
}
