// Command remediator is the forcessl Lambda function. With -event FILE it
// processes one event outside Lambda with the standard AWS config chain and
// prints the outcome as JSON: how ops replay an event.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/forcessl/forcessl/pkg/apicount"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/reconcile"
	"github.com/forcessl/forcessl/pkg/setup"
)

func main() {
	eventFile := flag.String("event", "", "process the event in this JSON file locally, print the outcome and exit")
	flag.Parse()
	if err := run(*eventFile); err != nil {
		fmt.Fprintln(os.Stderr, "remediator:", err)
		os.Exit(1)
	}
}

func run(eventFile string) error {
	ctx := context.Background()
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := setup.Logger(os.Stderr, cfg.LogLevel)
	awsCfg, err := setup.LoadAWS(ctx)
	if err != nil {
		return err
	}
	calls := apicount.New()
	awsCfg.APIOptions = append(awsCfg.APIOptions, calls.Middleware())
	engine := setup.Engine(cfg, awsCfg, log)

	if eventFile == "" {
		lambda.Start(func(ctx context.Context, payload json.RawMessage) (reconcile.Result, error) {
			var arn string
			if lc, ok := lambdacontext.FromContext(ctx); ok {
				arn = lc.InvokedFunctionArn
			}
			calls.Reset()
			res, err := engine.Handle(ctx, payload, arn)
			log.DebugContext(ctx, "api calls", "calls", calls.Snapshot())
			return res, err
		})
		return nil
	}

	payload, err := os.ReadFile(eventFile)
	if err != nil {
		return err
	}
	res, herr := engine.Handle(ctx, payload, "")
	out, err := json.MarshalIndent(struct {
		reconcile.Result
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
