// Command remediator is the forcessl Lambda function.
//
// Outside Lambda, with the standard AWS config chain:
//
//	remediator -event FILE      process one event, print the outcome as JSON
//	remediator -sweep [-mode report] [-accounts …] [-regions …] [-format table|json]
//	                            reconcile every instance in scope and print the report
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

	"github.com/forcessl/forcessl/pkg/apicount"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/dispatch"
	"github.com/forcessl/forcessl/pkg/reconcile"
	"github.com/forcessl/forcessl/pkg/report"
	"github.com/forcessl/forcessl/pkg/setup"
)

type options struct {
	event    string
	sweep    bool
	mode     string
	accounts string
	regions  string
	format   string
}

func main() {
	var o options
	flag.StringVar(&o.event, "event", "", "process the event in this JSON file, print the outcome and exit")
	flag.BoolVar(&o.sweep, "sweep", false, "reconcile every instance in scope, print the report and exit")
	flag.StringVar(&o.mode, "mode", "", "override "+config.EnvMode+" (enforce|report)")
	flag.StringVar(&o.accounts, "accounts", "", "override "+config.EnvAccounts+" (comma list)")
	flag.StringVar(&o.regions, "regions", "", "override "+config.EnvRegions+" (comma list)")
	flag.StringVar(&o.format, "format", "table", "sweep report format: table or json")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "remediator:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx := context.Background()
	overrides := map[string]string{config.EnvMode: o.mode, config.EnvAccounts: o.accounts, config.EnvRegions: o.regions}
	cfg, err := config.FromEnv(func(k string) string {
		if v := overrides[k]; v != "" {
			return v
		}
		return os.Getenv(k)
	})
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if o.format != "table" && o.format != "json" {
		return fmt.Errorf("-format %q: want table or json", o.format)
	}
	if o.sweep && os.Getenv(config.EnvLogLevel) == "" {
		cfg.LogLevel = "warn" // a person is reading the progress lines
	}
	log := setup.Logger(os.Stderr, cfg.LogLevel)
	awsCfg, err := setup.LoadAWS(ctx)
	if err != nil {
		return err
	}
	calls := apicount.New()
	awsCfg.APIOptions = append(awsCfg.APIOptions, calls.Middleware())
	engine := setup.Engine(cfg, awsCfg, log)

	switch {
	case o.event != "":
		// Metrics go to stderr so stdout stays one JSON document.
		return replay(ctx, dispatch.Handler{Engine: engine, Sweeper: setup.Sweeper(cfg, awsCfg, engine, os.Stderr)}, o.event, calls)
	case o.sweep:
		return sweep(ctx, cfg, awsCfg, engine, o.format, calls)
	}
	// In Lambda, embedded-metric-format lines go to stdout for CloudWatch.
	h := dispatch.Handler{Engine: engine, Sweeper: setup.Sweeper(cfg, awsCfg, engine, os.Stdout)}
	lambda.Start(func(ctx context.Context, payload json.RawMessage) (any, error) {
		var arn string
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			arn = lc.InvokedFunctionArn
		}
		return h.Invoke(ctx, payload, arn)
	})
	return nil
}

// replay processes one event file as Lambda would and prints the outcome
// with the API calls it cost.
func replay(ctx context.Context, h dispatch.Handler, file string, calls *apicount.Counter) error {
	payload, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	res, herr := h.Invoke(ctx, payload, "")
	out, err := json.MarshalIndent(struct {
		Result        any            `json:"result"`
		APICalls      map[string]int `json:"apiCalls"`
		APICallsTotal int            `json:"apiCallsTotal"`
	}{res, calls.Snapshot(), calls.Total()}, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	if herr != nil {
		return fmt.Errorf("retryable error (Lambda would retry this event): %w", herr)
	}
	return nil
}

// sweep runs a whole sweep here (no queue round trip), with progress on
// stderr, and prints the report.
func sweep(ctx context.Context, cfg config.Config, awsCfg aws.Config, engine *reconcile.Engine, format string, calls *apicount.Counter) error {
	cfg.SweepQueueURL = ""
	s := setup.Sweeper(cfg, awsCfg, engine, nil)
	s.Progress = func(done, total int, it report.Item) {
		fmt.Fprintf(os.Stderr, "swept %s/%s (%d/%d): %d findings\n", it.Account, it.Region, done, total, len(it.Findings))
	}
	rep, _, err := s.Start(ctx, cfg.FunctionARN)
	if format == "json" {
		out, jerr := report.JSON(rep)
		if jerr != nil {
			return jerr
		}
		fmt.Println(string(out))
	} else if terr := report.Table(os.Stdout, rep); terr != nil {
		return terr
	}
	if b, jerr := json.Marshal(calls.Snapshot()); jerr == nil {
		fmt.Fprintf(os.Stderr, "api calls: %s\n", b)
	}
	return err
}
