// Command forcessl is the ops command line of forcessl: audit, sweep,
// replay, explain, history and probe, on the same engine as the Lambda
// function.
//
//	go install ./cmd/forcessl
//	forcessl audit --regions eu-west-1,us-east-1 --format csv --output tls.csv
//
// Run "forcessl help" for every command and the exit codes.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/mattn/go-isatty"

	"github.com/forcessl/forcessl/pkg/cli"
	"github.com/forcessl/forcessl/pkg/setup"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Env{
		Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr,
		Terminal: isatty.IsTerminal(os.Stderr.Fd()),
		LoadAWS:  func(ctx context.Context) (aws.Config, error) { return setup.LoadAWS(ctx) },
	}))
}
