// Package cli is forcessl's command line, shared by the `forcessl` command
// (cmd/forcessl) and the Lambda binary's local flags (-event, -sweep), so
// each command has one implementation. Every command runs the engine the
// function runs; audit and explain force report mode and write nothing.
package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
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
	// Version, when set, is the version "forcessl --version" prints
	// instead of the module version Go recorded in the binary (a release
	// built without its VCS information sets it with -ldflags -X).
	Version string
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

// fail reports an error and returns its exit code.
func fail(env Env, err error) int {
	fmt.Fprintln(env.Stderr, "forcessl:", err)
	if _, ok := err.(usageError); ok {
		return ExitUsage
	}
	return ExitFindings
}
