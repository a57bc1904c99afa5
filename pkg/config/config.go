// Package config is forcessl's configuration contract, read both ways:
// FromEnv loads and validates the function's environment once, at start, so
// a misconfigured deployment fails fast instead of half-working; Env is its
// inverse, the environment the CDK app sets on the function. One table of
// variables serves both, so the two cannot drift.
package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/policy"
)

// Environment variables: the public interface ops script against and the
// CDK app sets. Keep the names stable; extend rather than rename.
const (
	EnvMode             = "FORCESSL_MODE"                   // enforce | report (default report)
	EnvReboot           = "FORCESSL_REBOOT"                 // maintenance-window (default) | immediate | never
	EnvMinLead          = "FORCESSL_MIN_LEAD"               // Go duration, default 15m
	EnvFunctionARN      = "FORCESSL_FUNCTION_ARN"           // schedule target; default: the invoked function ARN
	EnvSchedulerRoleARN = "FORCESSL_SCHEDULER_ROLE_ARN"     // role EventBridge Scheduler assumes to invoke the function
	EnvScheduleGroup    = "FORCESSL_SCHEDULE_GROUP"         // schedule group (default "forcessl")
	EnvExemptTag        = "FORCESSL_EXEMPT_TAG"             // tag key; value "true" exempts (default forcessl:exempt)
	EnvEngines          = "FORCESSL_ENGINES"                // comma list of engines in scope
	EnvTopicARN         = "FORCESSL_TOPIC_ARN"              // SNS topic for notifications; empty disables
	EnvLogLevel         = "FORCESSL_LOG_LEVEL"              // debug | info (default) | warn | error
	EnvMemberRoleName   = "FORCESSL_MEMBER_ROLE_NAME"       // role assumed in member accounts (organization mode)
	EnvAccounts         = "FORCESSL_ACCOUNTS"               // optional allow-list of account IDs
	EnvRegions          = "FORCESSL_REGIONS"                // regions a sweep covers (default: the function's region)
	EnvSweepQueueURL    = "FORCESSL_SWEEP_QUEUE_URL"        // SQS queue for sweep work items; empty sweeps inline
	EnvSweepParallelism = "FORCESSL_SWEEP_PARALLELISM"      // instances reconciled at once per work item (default 4)
	EnvScheduleDLQARN   = "FORCESSL_SCHEDULE_DLQ_ARN"       // optional SQS dead-letter queue for schedule invocations
	EnvStateTable       = "FORCESSL_STATE_TABLE"            // DynamoDB state table; empty: no memory (local replays)
	EnvHistoryDays      = "FORCESSL_HISTORY_DAYS"           // days history entries are kept (default 400)
	EnvTargetOUs        = "FORCESSL_TARGET_OUS"             // organization mode: the OUs (or root) whose accounts a sweep covers
	EnvSweepItemPar     = "FORCESSL_SWEEP_ITEM_PARALLELISM" // account-regions an in-process sweep works on at once (default 16)
	EnvSweepMaxReceives = "FORCESSL_SWEEP_MAX_RECEIVES"     // deliveries of a work item before SQS dead-letters it (default 3)
	EnvSweepDeadline    = "FORCESSL_SWEEP_DEADLINE"         // when a fanned-out sweep's digest goes out at the latest (default 3h)
	EnvTLSProfile       = "FORCESSL_TLS_PROFILE"            // force (default: the switch only) | modern (old protocols and ciphers off too)
	EnvCAWarn           = "FORCESSL_CA_WARN"                // server certificates expiring within this are findings (default 90d)
	EnvCA               = "FORCESSL_CA"                     // opt-in: the CA forcessl sets at its reboot (e.g. rds-ca-rsa2048-g1)
	EnvNoticeLead       = "FORCESSL_NOTICE_LEAD"            // heads-up notice this long before a scheduled reboot (default 24h; 0 off)
	EnvSecurityHub      = "FORCESSL_SECURITY_HUB"           // off (default) | on: findings in AWS Security Hub
)

// Defaults of the variables that have one.
const (
	DefaultMode             = policy.ModeReport
	DefaultReboot           = policy.RebootWindow
	DefaultMinLead          = 15 * time.Minute
	DefaultScheduleGroup    = "forcessl"
	DefaultExemptTag        = "forcessl:exempt"
	DefaultLogLevel         = "info"
	DefaultSweepParallelism = 4
	MaxSweepParallelism     = 64
	DefaultHistoryDays      = 400
	// DefaultSweepItemParallelism bounds the account-regions an in-process
	// sweep (the CLI's) works on at once.
	DefaultSweepItemParallelism = 16
	MaxSweepItemParallelism     = 256
	DefaultSweepMaxReceives     = 3
	DefaultSweepDeadline        = 3 * time.Hour
	DefaultTLSProfile           = policy.ProfileForce
	DefaultCAWarn               = 90 * 24 * time.Hour
	DefaultNoticeLead           = 24 * time.Hour
	DefaultSecurityHub          = policy.SecurityHubOff
)

// Config is everything the engine needs to know that is not AWS state.
type Config struct {
	Mode             policy.Mode
	Reboot           policy.RebootPolicy
	MinLead          time.Duration
	FunctionARN      string
	SchedulerRoleARN string
	ScheduleGroup    string
	ExemptTag        string
	Engines          []string
	TopicARN         string
	LogLevel         string
	MemberRoleName   string
	Accounts         []string
	Regions          []string
	SweepQueueURL    string
	SweepParallelism int
	ScheduleDLQARN   string
	StateTable       string
	HistoryDays      int
	TargetOUs        []string
	// SweepItemParallelism: account-regions swept at once in-process.
	SweepItemParallelism int
	SweepMaxReceives     int
	SweepDeadline        time.Duration
	TLSProfile           policy.TLSProfile
	CAWarn               time.Duration
	CA                   string // "" : CA findings are reported, never fixed
	NoticeLead           time.Duration
	SecurityHub          policy.SecurityHub
	// Blast-radius controls (blastradius.go).
	RebootBudget    RebootBudget
	EnforceAccounts []string
	EnforceOUs      []string
	ModeTag         string
	RestartTimeout  time.Duration
}

// Defaults is the configuration of an empty environment.
func Defaults() Config {
	return Config{
		Mode:             DefaultMode,
		Reboot:           DefaultReboot,
		MinLead:          DefaultMinLead,
		ScheduleGroup:    DefaultScheduleGroup,
		ExemptTag:        DefaultExemptTag,
		Engines:          slices.Clone(policy.Engines),
		LogLevel:         DefaultLogLevel,
		SweepParallelism: DefaultSweepParallelism,
		HistoryDays:      DefaultHistoryDays,

		SweepItemParallelism: DefaultSweepItemParallelism,
		SweepMaxReceives:     DefaultSweepMaxReceives,
		SweepDeadline:        DefaultSweepDeadline,
		TLSProfile:           DefaultTLSProfile,
		CAWarn:               DefaultCAWarn,
		NoticeLead:           DefaultNoticeLead,
		SecurityHub:          DefaultSecurityHub,
		RebootBudget:         RebootBudget{Account: DefaultBudgetAccount, Org: DefaultBudgetOrg},
		ModeTag:              DefaultModeTag,
		RestartTimeout:       DefaultRestartTimeout,
	}
}

// FieldError is a setting that was refused: which variable, the value
// given, and what is wrong with it. The CDK app maps Var back to the
// context key the operator typed, keeping this text as it is.
type FieldError struct {
	Var     string
	Value   string
	Problem string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s=%q: %s", e.Var, e.Value, e.Problem) }

// FromEnv reads the configuration through getenv (os.Getenv when nil) and
// validates it. Every problem is reported, each as a *FieldError, joined.
func FromEnv(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Defaults()
	var errs []error
	for _, v := range variables {
		raw := strings.TrimSpace(getenv(v.name))
		if raw == "" {
			continue
		}
		if problem := v.set(&c, raw); problem != "" {
			errs = append(errs, &FieldError{Var: v.name, Value: raw, Problem: problem})
		}
	}
	// Enforce mode schedules re-checks of busy instances whatever the reboot
	// policy, and the forcessl:reboot tag can override "never".
	if c.Mode == policy.ModeEnforce && c.SchedulerRoleARN == "" {
		errs = append(errs, &FieldError{Var: EnvSchedulerRoleARN, Problem: "required when " + EnvMode + "=enforce"})
	}
	return c, errors.Join(errs...)
}

// FromMap is FromEnv over a map.
func FromMap(env map[string]string) (Config, error) {
	return FromEnv(func(k string) string { return env[k] })
}

// Env is the environment that FromEnv reads back as c: every setting that
// is not empty, defaults included, so a deployment says what it runs with.
func (c Config) Env() map[string]string {
	env := map[string]string{}
	for _, v := range variables {
		if s := v.get(c); s != "" {
			env[v.name] = s
		}
	}
	return env
}

// Variables lists every environment variable FromEnv reads, in the
// documented order.
func Variables() []string {
	names := make([]string, len(variables))
	for i, v := range variables {
		names[i] = v.name
	}
	return names
}
