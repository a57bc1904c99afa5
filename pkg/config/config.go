// Package config loads and validates the remediator's settings from the
// environment once, at start, so a misconfigured deployment fails fast
// instead of half-working.
package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Environment variables: the public interface ops script against and the
// CDK app sets. Keep the names stable; extend rather than rename.
const (
	EnvMode             = "FORCESSL_MODE"               // enforce | report (default report)
	EnvReboot           = "FORCESSL_REBOOT"             // maintenance-window (default) | immediate | never
	EnvMinLead          = "FORCESSL_MIN_LEAD"           // Go duration, default 15m
	EnvFunctionARN      = "FORCESSL_FUNCTION_ARN"       // schedule target; default: the invoked function ARN
	EnvSchedulerRoleARN = "FORCESSL_SCHEDULER_ROLE_ARN" // role EventBridge Scheduler assumes to invoke the function
	EnvScheduleGroup    = "FORCESSL_SCHEDULE_GROUP"     // schedule group (default "forcessl")
	EnvExemptTag        = "FORCESSL_EXEMPT_TAG"         // tag key; value "true" exempts (default forcessl:exempt)
	EnvEngines          = "FORCESSL_ENGINES"            // comma list of engines in scope
	EnvTopicARN         = "FORCESSL_TOPIC_ARN"          // SNS topic for notifications; empty disables
	EnvLogLevel         = "FORCESSL_LOG_LEVEL"          // debug | info (default) | warn | error
	EnvMemberRoleName   = "FORCESSL_MEMBER_ROLE_NAME"   // role assumed in member accounts (organization mode)
	EnvAccounts         = "FORCESSL_ACCOUNTS"           // optional allow-list of account IDs
	EnvRegions          = "FORCESSL_REGIONS"            // regions a sweep covers (default: the function's region)
	EnvSweepQueueURL    = "FORCESSL_SWEEP_QUEUE_URL"    // SQS queue for sweep work items; empty sweeps inline
	EnvSweepParallelism = "FORCESSL_SWEEP_PARALLELISM"  // instances reconciled at once per work item (default 4)
	EnvScheduleDLQARN   = "FORCESSL_SCHEDULE_DLQ_ARN"   // optional SQS dead-letter queue for schedule invocations
)

// Mode says whether the engine may write.
type Mode string

const (
	ModeReport  Mode = "report"
	ModeEnforce Mode = "enforce"
)

// RebootPolicy says when a pending parameter change is made effective.
type RebootPolicy string

const (
	RebootWindow    RebootPolicy = "maintenance-window"
	RebootImmediate RebootPolicy = "immediate"
	RebootNever     RebootPolicy = "never"
)

// DefaultEngines are the engines whose TLS switch lives in a DB (instance)
// parameter group.
var DefaultEngines = []string{
	"sqlserver-ee", "sqlserver-se", "sqlserver-ex", "sqlserver-web",
	"postgres", "mysql", "mariadb",
}

// DefaultScheduleGroup is the Scheduler group used when none is configured.
const DefaultScheduleGroup = "forcessl"

// DefaultExemptTag is the instance tag key that, set to "true", exempts it.
const DefaultExemptTag = "forcessl:exempt"

// Config is everything the engine needs to know that is not AWS state.
type Config struct {
	Mode             Mode
	Reboot           RebootPolicy
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
}

// FromEnv reads the configuration through getenv (os.Getenv in production)
// and validates it.
func FromEnv(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var errs []error
	c := Config{
		Mode:             Mode(orDefault(getenv(EnvMode), string(ModeReport))),
		Reboot:           RebootPolicy(orDefault(getenv(EnvReboot), string(RebootWindow))),
		FunctionARN:      strings.TrimSpace(getenv(EnvFunctionARN)),
		SchedulerRoleARN: strings.TrimSpace(getenv(EnvSchedulerRoleARN)),
		ScheduleGroup:    orDefault(getenv(EnvScheduleGroup), DefaultScheduleGroup),
		ExemptTag:        orDefault(getenv(EnvExemptTag), DefaultExemptTag),
		Engines:          splitList(getenv(EnvEngines)),
		TopicARN:         strings.TrimSpace(getenv(EnvTopicARN)),
		LogLevel:         orDefault(getenv(EnvLogLevel), "info"),
		MemberRoleName:   strings.TrimSpace(getenv(EnvMemberRoleName)),
		Accounts:         splitList(getenv(EnvAccounts)),
	}
	c.Regions = splitList(getenv(EnvRegions))
	c.ScheduleDLQARN = strings.TrimSpace(getenv(EnvScheduleDLQARN))
	c.SweepQueueURL = strings.TrimSpace(getenv(EnvSweepQueueURL))
	par := orDefault(getenv(EnvSweepParallelism), "4")
	if n, err := strconv.Atoi(par); err != nil || n < 1 || n > 64 {
		errs = append(errs, fmt.Errorf("%s=%q: want a number from 1 to 64", EnvSweepParallelism, par))
	} else {
		c.SweepParallelism = n
	}
	if len(c.Engines) == 0 {
		c.Engines = slices.Clone(DefaultEngines)
	}
	lead := orDefault(getenv(EnvMinLead), "15m")
	d, err := time.ParseDuration(lead)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("%s=%q: %w", EnvMinLead, lead, err))
	case d < 0:
		errs = append(errs, fmt.Errorf("%s=%q: must not be negative", EnvMinLead, lead))
	}
	c.MinLead = d
	switch c.Mode {
	case ModeReport, ModeEnforce:
	default:
		errs = append(errs, fmt.Errorf("%s=%q: want enforce or report", EnvMode, c.Mode))
	}
	switch c.Reboot {
	case RebootWindow, RebootImmediate, RebootNever:
	default:
		errs = append(errs, fmt.Errorf("%s=%q: want maintenance-window, immediate or never", EnvReboot, c.Reboot))
	}
	for _, e := range c.Engines {
		if !slices.Contains(DefaultEngines, e) {
			errs = append(errs, fmt.Errorf("%s: engine %q is not supported (supported: %s)", EnvEngines, e, strings.Join(DefaultEngines, ",")))
		}
	}
	// Enforce mode schedules re-checks of busy instances whatever the reboot
	// policy, and the forcessl:reboot tag can override "never".
	if c.Mode == ModeEnforce && c.SchedulerRoleARN == "" {
		errs = append(errs, fmt.Errorf("%s is required when %s=enforce", EnvSchedulerRoleARN, EnvMode))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("%s=%q: want debug, info, warn or error", EnvLogLevel, c.LogLevel))
	}
	for _, a := range c.Accounts {
		if !accountRe.MatchString(a) {
			errs = append(errs, fmt.Errorf("%s: %q is not a 12-digit account ID", EnvAccounts, a))
		}
	}
	for _, r := range c.Regions {
		if !regionRe.MatchString(r) {
			errs = append(errs, fmt.Errorf("%s: %q is not a region name", EnvRegions, r))
		}
	}
	if !scheduleGroupRe.MatchString(c.ScheduleGroup) {
		errs = append(errs, fmt.Errorf("%s=%q: want 1-64 of [0-9a-zA-Z-_.]", EnvScheduleGroup, c.ScheduleGroup))
	}
	return c, errors.Join(errs...)
}

var (
	accountRe       = regexp.MustCompile(`^\d{12}$`)
	regionRe        = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	scheduleGroupRe = regexp.MustCompile(`^[0-9a-zA-Z\-_.]{1,64}$`)
)

// ValidAccount reports whether s is a 12-digit AWS account ID.
func ValidAccount(s string) bool { return accountRe.MatchString(s) }

// ValidRegion reports whether s looks like an AWS region name.
func ValidRegion(s string) bool { return regionRe.MatchString(s) }

func orDefault(v, def string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}

func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
