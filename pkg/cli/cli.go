// Package cli is forcessl's command line, shared by the `forcessl` command
// (cmd/forcessl) and the Lambda binary's local flags (-event, -sweep), so
// each command has one implementation. Every command runs the engine the
// function runs; audit and explain force report mode and write nothing.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/forcessl/forcessl/pkg/apicount"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/dispatch"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/setup"
)

// Exit codes, the same for every command.
const (
	ExitOK           = 0 // done, nothing needs attention
	ExitFindings     = 1 // something is not compliant, pending a reboot, failed or not covered (or a retryable error)
	ExitUsage        = 2 // bad flags or configuration
	ExitInconclusive = 3 // probe: could not tell
)

// Env is what a command gets from its process.
type Env struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// Terminal says stderr is a terminal: progress is shown only then.
	Terminal bool
	// LoadAWS loads the SDK configuration (setup.LoadAWS in production).
	LoadAWS func(context.Context) (aws.Config, error)
	Now     func() time.Time
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// usageError is a mistake in how the command was called.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// engine is the wiring one command runs with.
type engine struct {
	cfg   config.Config
	aws   func() (aws.Config, error) // loaded on first need, once
	calls *apicount.Counter
	d     *dispatch.Dispatcher
}

// loadEngine reads the configuration with the command's overrides applied
// first (flags win over the environment). readOnly forces report mode and
// switches off every write of forcessl's own (notifications, the sweep
// queue) before the configuration is validated: an audit must never write,
// whatever FORCESSL_MODE says. logLevel is the default when
// FORCESSL_LOG_LEVEL is unset ("" keeps the engine's).
func loadEngine(ctx context.Context, env Env, overrides map[string]string, readOnly bool, logLevel string) (*engine, error) {
	over := maps.Clone(overrides)
	if over == nil {
		over = map[string]string{}
	}
	if readOnly {
		over[config.EnvMode] = string(policy.ModeReport)
		over[config.EnvTopicARN] = ""
		over[config.EnvSweepQueueURL] = ""
	}
	cfg, err := config.FromEnv(func(k string) string {
		if v, ok := over[k]; ok {
			return v
		}
		return env.Getenv(k)
	})
	if err != nil {
		return nil, usageError{"configuration: " + err.Error()}
	}
	if env.Getenv(config.EnvLogLevel) == "" && logLevel != "" {
		cfg.LogLevel = logLevel
	}
	e := &engine{cfg: cfg, calls: apicount.New()}
	// Loaded lazily, like in Lambda: a replayed event that is ignored costs
	// no SDK configuration at all.
	e.aws = sync.OnceValues(func() (aws.Config, error) {
		c, err := env.LoadAWS(ctx)
		c.APIOptions = append(c.APIOptions, e.calls.Middleware())
		return c, err
	})
	e.d = setup.New(cfg, setup.Logger(env.Stderr, cfg.LogLevel), setup.Options{AWS: e.aws, Now: env.Now, ReadOnly: readOnly})
	return e, nil
}

// Main runs the forcessl command with args (without the program name) and
// returns its exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, mainUsage)
		return ExitUsage
	}
	cmds := map[string]func(context.Context, []string, Env) int{
		"audit": audit, "sweep": sweepCmd, "replay": replay, "explain": explain, "history": history,
		"probe": probeCmd, "scp": scpCmd, "pause": pauseCmd, "resume": resumeCmd, "status": statusCmd, "upcoming": upcomingCmd,
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(env.Stdout, mainUsage)
		return ExitOK
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "forcessl: unknown command %q\n\n%s", name, mainUsage)
		return ExitUsage
	}
	return cmd(ctx, rest, env)
}

const mainUsage = `forcessl: enforce TLS on Amazon RDS, and prove it.

Usage:
  forcessl audit   [--accounts A,B] [--regions R1,R2] [--format table|json|csv|html|ocsf] [--output FILE] [--parallel N]
  forcessl sweep   --mode report|enforce [--accounts A,B] [--regions R1,R2] [--format table|json|csv|html|ocsf] [--output FILE] [--parallel N]
  forcessl replay  [--allow-scheduled] FILE
  forcessl explain [--account A] [--region R] [--format text|json] [--cluster] ID
  forcessl history [--account A] [--region R] [--format text|json] [--cluster] ID
  forcessl probe   [--engine sqlserver|postgres|mysql|mariadb] [--user U] [--timeout D] [--format text|json] HOST:PORT
  forcessl probe   --instance ID | --cluster ID [--account A] [--region R] [--user U]
  forcessl scp     [--member-role-name NAME] [--partition P]
  forcessl pause    [--account A] [--region R] [--reason TEXT]
  forcessl resume   [--account A] [--region R] [--reason TEXT]
  forcessl status   [--days 7]
  forcessl upcoming [--days 14] [--format table|json|csv|ics]

Every command uses the standard AWS credential chain and the FORCESSL_*
environment (see README). "forcessl COMMAND --help" describes one command.

Exit codes: 0 ok; 1 findings (non-compliant, pending reboot, failed, not
covered, a failed check such as an expiring server certificate) or a
retryable error; 2 usage or configuration error (explain: no such
resource); 3 inconclusive.
probe: 0 TLS enforced, 1 not enforced, 2 usage, 3 inconclusive.
`

// flags is a command's flag set, printing its usage to stderr.
func flags(name, usage string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "%s\nFlags:\n", strings.TrimSpace(usage))
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; it returns the exit code to stop with, or -1 to go on.
func parse(fs *flag.FlagSet, args []string) int {
	switch err := fs.Parse(args); {
	case err == flag.ErrHelp:
		return ExitOK
	case err != nil:
		return ExitUsage
	}
	return -1
}

// fail reports an error and returns its exit code.
func fail(env Env, err error) int {
	fmt.Fprintln(env.Stderr, "forcessl:", err)
	if _, ok := err.(usageError); ok {
		return ExitUsage
	}
	return ExitFindings
}
