// Package setup builds the engine from the configuration and an AWS SDK
// config: SDK clients with adaptive retry, the notifier, the logger. It is
// the only place that knows which SDK clients exist, so main stays thin and
// tests build exactly what production builds.
package setup

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/reconcile"
	"github.com/forcessl/forcessl/pkg/sweep"
)

// LoadAWS loads the standard AWS config chain (environment, profile,
// AWS_ENDPOINT_URL*, instance or Lambda role) with adaptive retry, so
// throttling slows forcessl down instead of failing it.
func LoadAWS(ctx context.Context, opts ...func(*awsconfig.LoadOptions) error) (aws.Config, error) {
	opts = append([]func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryMode(aws.RetryModeAdaptive),
		awsconfig.WithRetryMaxAttempts(5),
	}, opts...)
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	return cfg, nil
}

// Logger returns the JSON logger at the configured level.
func Logger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Engine wires the engine.
func Engine(cfg config.Config, awsCfg aws.Config, log *slog.Logger) *reconcile.Engine {
	cl := newClients(awsCfg)
	e := &reconcile.Engine{
		Config:    cfg,
		RDS:       cl.RDS,
		Scheduler: scheduler.NewFromConfig(awsCfg),
		Now:       time.Now,
		Log:       log,
	}
	// The engine must know its own account to tell it from others (Lambda
	// gives it away in the function ARN; elsewhere STS is asked once).
	e.Identity = (&identity{sts: cl.sts}).Get
	if cfg.TopicARN != "" {
		e.Notifier = notify.Publisher{SNS: sns.NewFromConfig(awsCfg), TopicARN: cfg.TopicARN}
	}
	return e
}

// Sweeper wires the sweep over the same engine. Accounts in scope are
// FORCESSL_ACCOUNTS when set, else the organization's active accounts in
// organization mode, else the function's own account; regions are
// FORCESSL_REGIONS, else the function's region.
func Sweeper(cfg config.Config, awsCfg aws.Config, e *reconcile.Engine, metrics io.Writer) *sweep.Sweeper {
	s := &sweep.Sweeper{Engine: e, Regions: cfg.Regions, Metrics: metrics}
	if len(s.Regions) == 0 {
		s.Regions = []string{awsCfg.Region}
	}
	switch {
	case len(cfg.Accounts) > 0:
		accounts := cfg.Accounts
		s.Accounts = func(context.Context) ([]string, error) { return accounts, nil }
	case cfg.MemberRoleName != "":
		org := organizations.NewFromConfig(awsCfg)
		s.Accounts = func(ctx context.Context) ([]string, error) { return activeAccounts(ctx, org) }
	default:
		s.Accounts = func(ctx context.Context) ([]string, error) {
			acct, _, err := e.Identity(ctx)
			return []string{acct}, err
		}
	}
	if cfg.SweepQueueURL != "" {
		s.Queue, s.QueueURL = sqs.NewFromConfig(awsCfg), cfg.SweepQueueURL
	}
	if p, ok := e.Notifier.(notify.Publisher); ok {
		s.Digests = p
	}
	return s
}

func activeAccounts(ctx context.Context, org *organizations.Client) ([]string, error) {
	var ids []string
	p := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list organization accounts: %w", err)
		}
		for _, a := range page.Accounts {
			if a.Status == orgtypes.AccountStatusActive {
				ids = append(ids, aws.ToString(a.Id))
			}
		}
	}
	return ids, nil
}
