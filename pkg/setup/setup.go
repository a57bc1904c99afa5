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
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/reconcile"
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

// Engine wires the engine. RDS clients are made per region on first use and
// kept for the life of the process (warm Lambda invocations reuse them).
func Engine(cfg config.Config, awsCfg aws.Config, log *slog.Logger) *reconcile.Engine {
	e := &reconcile.Engine{
		Config:    cfg,
		RDS:       rdsPerRegion(awsCfg),
		Scheduler: scheduler.NewFromConfig(awsCfg),
		Now:       time.Now,
		Log:       log,
	}
	if cfg.TopicARN != "" {
		e.Notifier = notify.Publisher{SNS: sns.NewFromConfig(awsCfg), TopicARN: cfg.TopicARN}
	}
	return e
}

func rdsPerRegion(awsCfg aws.Config) func(context.Context, string, string) (reconcile.RDS, error) {
	var mu sync.Mutex
	clients := map[string]*rds.Client{}
	return func(_ context.Context, _, region string) (reconcile.RDS, error) {
		mu.Lock()
		defer mu.Unlock()
		c, ok := clients[region]
		if !ok {
			c = rds.NewFromConfig(awsCfg, func(o *rds.Options) { o.Region = region })
			clients[region] = c
		}
		return c, nil
	}
}
