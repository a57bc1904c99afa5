// Command remediator is the forcessl Lambda function.
//
// Outside Lambda, with the standard AWS config chain (the forcessl command,
// cmd/forcessl, runs the same implementations):
//
//	remediator -event FILE      process one event, print the outcome as JSON (forcessl replay)
//	remediator -sweep [-mode report] [-accounts …] [-regions …] [-format table|json|csv|html|ocsf]
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
	ctx := context.Background()
	env := cli.Env{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr,
		LoadAWS: func(ctx context.Context) (aws.Config, error) { return setup.LoadAWS(ctx) }}
	if code, local := runLocal(ctx, os.Args[1:], env); local {
		os.Exit(code)
	}
	if err := serve(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "remediator:", err)
		os.Exit(1)
	}
}

// runLocal runs what the flags ask for outside Lambda and returns its exit
// code; local is false when they ask for nothing (the Lambda handler
// runs). The flags are Go's flag package's, as they always were: -event,
// -sweep, -mode, -accounts, -regions, -format, with one dash or two.
func runLocal(ctx context.Context, args []string, env cli.Env) (code int, local bool) {
	fs := flag.NewFlagSet("remediator", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	event := fs.String("event", "", "process the event in this JSON file, print the outcome and exit")
	sweep := fs.Bool("sweep", false, "reconcile every instance in scope, print the report and exit")
	var o cli.SweepOptions
	fs.StringVar(&o.Mode, "mode", "", "override "+config.EnvMode+" (enforce|report)")
	fs.StringVar(&o.Accounts, "accounts", "", "override "+config.EnvAccounts+" (comma list)")
	fs.StringVar(&o.Regions, "regions", "", "override "+config.EnvRegions+" (comma list)")
	fs.StringVar(&o.Format, "format", "table", "sweep report format: table, json, csv, html or ocsf")
	switch err := fs.Parse(args); {
	case err == flag.ErrHelp:
		return cli.ExitOK, true
	case err != nil:
		return cli.ExitUsage, true // the flag package printed the error and the usage
	}
	switch {
	case *event != "":
		over := map[string]string{config.EnvMode: o.Mode, config.EnvAccounts: o.Accounts, config.EnvRegions: o.Regions}
		getenv := env.Getenv
		env.Getenv = func(k string) string {
			if v := over[k]; v != "" {
				return v
			}
			return getenv(k)
		}
		return cli.Replay(ctx, env, *event), true
	case *sweep:
		return cli.Sweep(ctx, env, o), true
	}
	return 0, false
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
