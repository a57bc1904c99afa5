// Command remediator is the forcessl Lambda function.
//
// Outside Lambda, with the standard AWS config chain (the forcessl command,
// cmd/forcessl, runs the same implementations):
//
//	remediator -event FILE      process one event, print the outcome as JSON (forcessl replay)
//	remediator -sweep [-mode report] [-accounts …] [-regions …] [-format table|json|csv]
//	                            reconcile every instance in scope and print the report (forcessl sweep)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/forcessl/forcessl/pkg/cli"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/setup"
)

func main() {
	event := flag.String("event", "", "process the event in this JSON file, print the outcome and exit")
	sweep := flag.Bool("sweep", false, "reconcile every instance in scope, print the report and exit")
	var o cli.SweepOptions
	flag.StringVar(&o.Mode, "mode", "", "override "+config.EnvMode+" (enforce|report)")
	flag.StringVar(&o.Accounts, "accounts", "", "override "+config.EnvAccounts+" (comma list)")
	flag.StringVar(&o.Regions, "regions", "", "override "+config.EnvRegions+" (comma list)")
	flag.StringVar(&o.Format, "format", "table", "sweep report format: table, json or csv")
	flag.Parse()

	ctx := context.Background()
	env := cli.Env{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr,
		LoadAWS: func(ctx context.Context) (aws.Config, error) { return setup.LoadAWS(ctx) }}
	switch {
	case *event != "":
		over := map[string]string{config.EnvMode: o.Mode, config.EnvAccounts: o.Accounts, config.EnvRegions: o.Regions}
		env.Getenv = func(k string) string {
			if v := over[k]; v != "" {
				return v
			}
			return os.Getenv(k)
		}
		os.Exit(cli.Replay(ctx, env, *event))
	case *sweep:
		os.Exit(cli.Sweep(ctx, env, o))
	}
	if err := serve(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "remediator:", err)
		os.Exit(1)
	}
}

// serve runs the Lambda handler. Configuration is validated at start (a
// misconfigured function fails its first invocation loudly); SDK clients
// are built on first need.
func serve(ctx context.Context) error {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	// In Lambda, embedded-metric-format lines go to stdout for CloudWatch.
	d := setup.New(cfg, setup.Logger(os.Stderr, cfg.LogLevel), setup.Options{
		AWS: func() (aws.Config, error) { return setup.LoadAWS(ctx) }, Metrics: os.Stdout})
	lambda.StartWithOptions(func(ctx context.Context, payload json.RawMessage) (any, error) {
		var arn string
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			arn = lc.InvokedFunctionArn
		}
		return d.Invoke(ctx, payload, arn)
	}, lambda.WithContext(ctx))
	return nil
}
