package setup

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/dispatch"
	"github.com/forcessl/forcessl/pkg/hub"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/publish"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/route"
)

// maxClients bounds the RDS client cache of a long-lived process.
const maxClients = 512

// CredentialsExpiryWindow is how long before they expire assumed-role
// credentials are refreshed (aws.CredentialsCacheOptions.ExpiryWindow).
const CredentialsExpiryWindow = time.Minute

// clients builds every SDK client on first use and keeps it for the life
// of the process (warm Lambda invocations reuse them): an event that is
// ignored, or a compliant instance in the function's own account, builds
// only what it touches. A member account's client carries its own
// credentials cache, so its role is assumed once and refreshed before it
// expires, not on every call.
type clients struct {
	aws       func() (aws.Config, error)
	sts       func() (*sts.Client, error)
	scheduler func() (*scheduler.Client, error)
	sns       func() (*sns.Client, error)
	sqs       func() (*sqs.Client, error)
	org       func() (*organizations.Client, error)
	dynamodb  func() (*dynamodb.Client, error)

	mu          sync.Mutex
	rds         map[string]*rds.Client
	securityHub map[string]*securityhub.Client
	creds       map[string]*aws.CredentialsCache // role ARN + session

	idMu      sync.Mutex // held across STS's answer, apart from mu, so clients are built meanwhile
	account   string     // the function's own account, once STS said it
	partition string

	claimOnce sync.Once
	claimed   string // the account the credentials name (ClaimedAccount), when one was claimed
}

func newClients(load func() (aws.Config, error)) *clients {
	c := &clients{aws: sync.OnceValues(load), rds: map[string]*rds.Client{}, securityHub: map[string]*securityhub.Client{},
		creds: map[string]*aws.CredentialsCache{}}
	c.sts = lazy(c.aws, func(cfg aws.Config) *sts.Client { return sts.NewFromConfig(cfg) })
	c.scheduler = lazy(c.aws, func(cfg aws.Config) *scheduler.Client { return scheduler.NewFromConfig(cfg) })
	c.sns = lazy(c.aws, func(cfg aws.Config) *sns.Client { return sns.NewFromConfig(cfg) })
	c.sqs = lazy(c.aws, func(cfg aws.Config) *sqs.Client { return sqs.NewFromConfig(cfg) })
	c.org = lazy(c.aws, func(cfg aws.Config) *organizations.Client { return organizations.NewFromConfig(cfg) })
	c.dynamodb = lazy(c.aws, func(cfg aws.Config) *dynamodb.Client { return dynamodb.NewFromConfig(cfg) })
	return c
}

// lazy builds a client from the SDK configuration once, on first call.
func lazy[T any](load func() (aws.Config, error), build func(aws.Config) T) func() (T, error) {
	return sync.OnceValues(func() (T, error) {
		cfg, err := load()
		if err != nil {
			var zero T
			return zero, err
		}
		return build(cfg), nil
	})
}

// Region is the SDK configuration's region: the function's own.
func (c *clients) Region() string {
	cfg, err := c.aws()
	if err != nil {
		return ""
	}
	return cfg.Region
}

// RDS returns the client for a route. The member session is named after
// what is being reconciled, so the member account's CloudTrail shows what
// forcessl was doing; clients are therefore cached per account, region and
// session.
func (c *clients) RDS(_ context.Context, rt route.Route, region, session string) (dispatch.RDS, error) {
	return cached(c, c.rds, rt, region, session, func(cfg aws.Config) *rds.Client {
		return rds.NewFromConfig(cfg, func(o *rds.Options) { o.Region = region })
	})
}

// Warm makes sure a member route's credentials for the session are
// assumed, so a request that follows finds them ready: the same cached
// credentials the route's clients use (one AssumeRole, however many ask).
func (c *clients) Warm(ctx context.Context, rt route.Route, region, session string) error {
	if rt.Kind != route.Member {
		return nil
	}
	if _, err := c.RDS(ctx, rt, region, session); err != nil {
		return err
	}
	c.mu.Lock()
	cc := c.creds[rt.RoleARN+"\x00"+session]
	c.mu.Unlock()
	if cc == nil {
		return nil
	}
	_, err := cc.Retrieve(ctx)
	return err
}

// SecurityHub returns the Security Hub client for a route, cached like the
// RDS clients and sharing their credentials: findings are imported in the
// resource's own account, whose role a member's reads already assumed.
func (c *clients) SecurityHub(_ context.Context, rt route.Route, region, session string) (hub.API, error) {
	return cached(c, c.securityHub, rt, region, session, func(cfg aws.Config) *securityhub.Client {
		return securityhub.NewFromConfig(cfg, func(o *securityhub.Options) { o.Region = region })
	})
}

// cached returns the client of a route, region and session from cache,
// building it on first use with the route's credentials.
func cached[C any](c *clients, cache map[string]C, rt route.Route, region, session string, build func(aws.Config) C) (C, error) {
	var zero C
	key := region
	if rt.Kind == route.Member {
		key = rt.Account + "/" + region + "/" + session
	}
	base, err := c.aws()
	if err != nil {
		return zero, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := cache[key]; ok {
		return cl, nil
	}
	cfg := base.Copy()
	switch rt.Kind {
	case route.Own:
	case route.Member:
		stsc, err := c.sts()
		if err != nil {
			return zero, err
		}
		// One session per role and session name, shared by the clients of
		// every region (a sweep assumes a member's role once, not once per
		// region), refreshed a minute before it expires, so a call made
		// just before expiry never fails with ExpiredTokenException. The
		// SDK's STS client calls the regional endpoint, whose tokens are
		// valid in opt-in regions too.
		ck := rt.RoleARN + "\x00" + session
		if c.creds[ck] == nil {
			c.creds[ck] = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsc, rt.RoleARN,
				func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = session }),
				func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = CredentialsExpiryWindow })
		}
		cfg.Credentials = c.creds[ck]
	default:
		return zero, fmt.Errorf("no AWS access for a %s route", rt.Kind)
	}
	if len(c.rds)+len(c.securityHub) >= maxClients {
		clear(c.rds)
		clear(c.securityHub)
		clear(c.creds)
	}
	cl := build(cfg)
	cache[key] = cl
	return cl, nil
}

// Identity asks STS once which account and partition the function runs in
// (a failure is retried on the next call).
func (c *clients) Identity(ctx context.Context) (string, string, error) {
	c.idMu.Lock()
	defer c.idMu.Unlock()
	if c.account != "" {
		return c.account, c.partition, nil
	}
	stsc, err := c.sts()
	if err != nil {
		return "", "", err
	}
	out, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", fmt.Errorf("get caller identity: %w", err)
	}
	c.account, c.partition = aws.ToString(out.Account), "aws"
	if parts := strings.SplitN(aws.ToString(out.Arn), ":", 3); len(parts) == 3 {
		c.partition = parts[1]
	}
	return c.account, c.partition, nil
}

// ClaimedAccount is the account the credentials name, without a call:
// aws.Credentials.AccountID, which the SDK's providers set from what AWS
// issued them for (IAM Identity Center's account, an assumed role's ARN,
// web identity) or from the configuration (AWS_ACCOUNT_ID, aws_account_id,
// credential_process). ok is false when they name none, or when the
// configured region is outside the aws partition (whose name forcessl
// would otherwise have to guess). It starts STS's answer in the
// background, once, so VerifyIdentity finds it read: a read-only process
// can route its first reads on the claim instead of waiting a round trip
// for STS, and must VerifyIdentity before it reports anything.
func (c *clients) ClaimedAccount(ctx context.Context) (account, partition string, ok bool) {
	c.claimOnce.Do(func() {
		cfg, err := c.aws()
		if err != nil || cfg.Credentials == nil || !inAWSPartition(cfg.Region) {
			return
		}
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil || !request.ValidAccount(creds.AccountID) {
			return
		}
		c.claimed = creds.AccountID
		bg := context.WithoutCancel(ctx)
		go func() { _, _, _ = c.Identity(bg) }() // the error, if any, is VerifyIdentity's to report
	})
	return c.claimed, "aws", c.claimed != ""
}

// VerifyIdentity checks a claimed account against STS's answer (the one
// ClaimedAccount started): nil when nothing was claimed or STS agrees; an
// error a retry cannot fix when the credentials belong elsewhere.
func (c *clients) VerifyIdentity(ctx context.Context) error {
	c.claimOnce.Do(func() {}) // nothing claimed from here on
	if c.claimed == "" {
		return nil
	}
	account, partition, err := c.Identity(ctx)
	if err != nil {
		return fmt.Errorf("verify the account the credentials name (%s): %w", c.claimed, err)
	}
	if account != c.claimed || partition != "aws" {
		return awserr.Terminal(fmt.Errorf("the credentials name account %s (aws.Credentials.AccountID: AWS_ACCOUNT_ID, the profile or "+
			"its provider) but STS says they are account %s's (partition %s): nothing read with them is reported", c.claimed, account,
			partition))
	}
	return nil
}

// inAWSPartition says whether a region is in the aws partition: not China,
// GovCloud or an isolated partition, whose regions are named apart.
func inAWSPartition(region string) bool {
	if region == "" {
		return false
	}
	for _, p := range []string{"cn-", "us-gov-", "us-iso", "eu-iso"} {
		if strings.HasPrefix(region, p) {
			return false
		}
	}
	return true
}

// Accounts lists the active accounts a sweep covers in organization mode:
// those under the target OUs (or roots), recursively, or with none given
// the whole organization; never the management account, which is covered
// only when FORCESSL_ACCOUNTS lists it.
func (c *clients) Accounts(ctx context.Context, ous []string) ([]string, error) {
	org, err := c.org()
	if err != nil {
		return nil, err
	}
	return Accounts(ctx, org, ous)
}

// Placed is Accounts with, for each account, the root or OU the walk
// started from and each OU below it down to the account's parent: the
// organization listing forcessl caches for the intake and the rings by
// OU, in one walk of the OU tree.
func (c *clients) Placed(ctx context.Context, ous []string) ([]string, map[string][]string, error) {
	org, err := c.org()
	if err != nil {
		return nil, nil, err
	}
	return AccountsPlaced(ctx, org, ous)
}

// AccountsPlaced is Accounts, walking the tree even for the whole
// organization, with the OUs above each account.
func AccountsPlaced(ctx context.Context, org *organizations.Client, ous []string) ([]string, map[string][]string, error) {
	above := map[string][]string{}
	ids, err := accounts(ctx, org, ous, func(id string, path []string) error {
		above[id] = slices.Clone(path)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return ids, above, nil
}

// Accounts lists, through org, the active accounts under the OUs or roots
// ous, recursively (the whole organization when ous is empty), without the
// management account.
func Accounts(ctx context.Context, org *organizations.Client, ous []string) ([]string, error) {
	return accounts(ctx, org, ous, nil)
}

// placed is an account with the path the walk found it under: the root or
// OU the walk started from, then each OU below it.
type placed struct {
	account orgtypes.Account
	above   []string
}

// accounts is Accounts; visit, when not nil, is told each account kept and
// its path, which needs a walk of the tree even for the whole organization.
func accounts(ctx context.Context, org *organizations.Client, ous []string, visit func(id string, above []string) error) ([]string, error) {
	desc, err := org.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return nil, fmt.Errorf("describe the organization: %w", err)
	}
	management := aws.ToString(desc.Organization.MasterAccountId)
	var found []placed
	switch {
	case len(ous) == 0 && visit == nil:
		p := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list organization accounts: %w", err)
			}
			for _, a := range page.Accounts {
				found = append(found, placed{account: a})
			}
		}
	default:
		if len(ous) == 0 {
			out, err := org.ListRoots(ctx, &organizations.ListRootsInput{})
			if err != nil {
				return nil, fmt.Errorf("list the organization's roots: %w", err)
			}
			for _, r := range out.Roots {
				ous = append(ous, aws.ToString(r.Id))
			}
		}
		if found, err = accountsUnder(ctx, org, ous); err != nil {
			return nil, err
		}
	}
	var ids []string
	for _, f := range found {
		id := aws.ToString(f.account.Id)
		if f.account.Status != orgtypes.AccountStatusActive || id == management || slices.Contains(ids, id) {
			continue
		}
		ids = append(ids, id)
		if visit != nil {
			if err := visit(id, f.above); err != nil {
				return nil, err
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// accountsUnder walks the OU tree below each parent (breadth first).
func accountsUnder(ctx context.Context, org *organizations.Client, parents []string) ([]placed, error) {
	var found []placed
	queue := make([][]string, 0, len(parents)) // each entry: the path to a node, the node last
	for _, p := range parents {
		queue = append(queue, []string{p})
	}
	for ; len(queue) > 0; queue = queue[1:] {
		above := queue[0]
		parent := above[len(above)-1]
		accounts := organizations.NewListAccountsForParentPaginator(org, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		for accounts.HasMorePages() {
			page, err := accounts.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list the accounts of %s: %w", parent, err)
			}
			for _, a := range page.Accounts {
				found = append(found, placed{account: a, above: above})
			}
		}
		ous := organizations.NewListOrganizationalUnitsForParentPaginator(org, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
		for ous.HasMorePages() {
			page, err := ous.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list the organizational units of %s: %w", parent, err)
			}
			for _, ou := range page.OrganizationalUnits {
				queue = append(queue, append(slices.Clone(above), aws.ToString(ou.Id)))
			}
		}
	}
	return found, nil
}

// Scheduler returns the Scheduler client, built on first call.
func (c *clients) Scheduler() dispatch.Scheduler { return schedulerClient{c} }

// schedulerClient defers building the client to its first call.
type schedulerClient struct{ c *clients }

func (s schedulerClient) CreateSchedule(ctx context.Context, in *scheduler.CreateScheduleInput, o ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error) {
	return with(s.c.scheduler, func(cl *scheduler.Client) (*scheduler.CreateScheduleOutput, error) {
		return cl.CreateSchedule(ctx, in, o...)
	})
}

func (s schedulerClient) DeleteSchedule(ctx context.Context, in *scheduler.DeleteScheduleInput, o ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error) {
	return with(s.c.scheduler, func(cl *scheduler.Client) (*scheduler.DeleteScheduleOutput, error) {
		return cl.DeleteSchedule(ctx, in, o...)
	})
}

func (s schedulerClient) GetSchedule(ctx context.Context, in *scheduler.GetScheduleInput, o ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error) {
	return with(s.c.scheduler, func(cl *scheduler.Client) (*scheduler.GetScheduleOutput, error) { return cl.GetSchedule(ctx, in, o...) })
}

func (s schedulerClient) ListSchedules(ctx context.Context, in *scheduler.ListSchedulesInput, o ...func(*scheduler.Options)) (*scheduler.ListSchedulesOutput, error) {
	return with(s.c.scheduler, func(cl *scheduler.Client) (*scheduler.ListSchedulesOutput, error) {
		return cl.ListSchedules(ctx, in, o...)
	})
}

// publisher sends notices and digests to the topic, building the SNS
// client on first use.
type publisher struct {
	clients *clients
	topic   string
}

func (p *publisher) get() (publish.Publisher, error) {
	cl, err := p.clients.sns()
	return publish.Publisher{SNS: cl, TopicARN: p.topic}, err
}

func (p *publisher) Publish(ctx context.Context, n notify.Notice) error {
	pub, err := p.get()
	if err != nil {
		return err
	}
	return pub.Publish(ctx, n)
}

func (p *publisher) Send(ctx context.Context, m notify.Message) error {
	pub, err := p.get()
	if err != nil {
		return err
	}
	return pub.Send(ctx, m)
}

// queue is the sweep's work queue, building the SQS client on first use.
type queue struct{ c *clients }

func (q queue) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, o ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	return with(q.c.sqs, func(cl *sqs.Client) (*sqs.SendMessageBatchOutput, error) { return cl.SendMessageBatch(ctx, in, o...) })
}

// table is the state table's client, built on first use.
type table struct{ c *clients }

func (t table) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return with(t.c.dynamodb, func(cl *dynamodb.Client) (*dynamodb.GetItemOutput, error) { return cl.GetItem(ctx, in, o...) })
}

func (t table) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return with(t.c.dynamodb, func(cl *dynamodb.Client) (*dynamodb.PutItemOutput, error) { return cl.PutItem(ctx, in, o...) })
}

func (t table) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return with(t.c.dynamodb, func(cl *dynamodb.Client) (*dynamodb.UpdateItemOutput, error) { return cl.UpdateItem(ctx, in, o...) })
}

func (t table) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return with(t.c.dynamodb, func(cl *dynamodb.Client) (*dynamodb.DeleteItemOutput, error) { return cl.DeleteItem(ctx, in, o...) })
}

func (t table) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return with(t.c.dynamodb, func(cl *dynamodb.Client) (*dynamodb.TransactWriteItemsOutput, error) {
		return cl.TransactWriteItems(ctx, in, o...)
	})
}

func (t table) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return with(t.c.dynamodb, func(cl *dynamodb.Client) (*dynamodb.QueryOutput, error) { return cl.Query(ctx, in, o...) })
}

// with calls f on a lazily built client, or returns why it could not be
// built.
func with[C any, O any](client func() (C, error), f func(C) (*O, error)) (*O, error) {
	cl, err := client()
	if err != nil {
		return nil, err
	}
	return f(cl)
}
