// Command forcessl is the ops command line of forcessl: audit, sweep,
// replay, explain, history and probe, on the same engine as the Lambda
// function.
//
//	go install ./cmd/forcessl
//	forcessl audit --regions eu-west-1,us-east-1 --format csv --output tls.csv
//
// Run "forcessl help" for every command and the exit codes, "forcessl help
// COMMAND" for one, "forcessl completion bash|zsh|fish" for a completion
// script.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/mattn/go-isatty"

	"github.com/forcessl/forcessl/pkg/cli"
	"github.com/forcessl/forcessl/pkg/setup"
)

// version, when set at link time, is what "forcessl --version" prints in
// place of the module version Go records (the VCS tag, or a
// pseudo-version). A release built where Go cannot read the VCS (a source
// tarball, -buildvcs=false) sets it:
//
//	go build -ldflags "-X main.version=v1.4.0" ./cmd/forcessl
var version string

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Env{
		Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr,
		Terminal: isatty.IsTerminal(os.Stderr.Fd()),
		LoadAWS:  func(ctx context.Context) (aws.Config, error) { return setup.LoadAWS(ctx) },
		Version:  version,
	}))
}
