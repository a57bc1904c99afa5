package main

import (
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
)

// Context keys (`npx cdk deploy -c key=value`). They are the deploy-time
// interface ops use; keep the names stable and documented in infra/README.md.
const (
	CtxMode             = "mode"
	CtxReboot           = "reboot"
	CtxMinLead          = "minLead"
	CtxEngines          = "engines"
	CtxExemptTag        = "exemptTag"
	CtxNotifyEmails     = "notifyEmails"
	CtxSlackWorkspaceID = "slackWorkspaceId"
	CtxSlackChannelID   = "slackChannelId"
	CtxLogRetentionDays = "logRetentionDays"
	CtxLogLevel         = "logLevel"

	// Reconciliation sweep.
	CtxSweepSchedule    = "sweepSchedule"
	CtxSweepConcurrency = "sweepConcurrency"
	CtxSweepParallelism = "sweepParallelism"
	CtxSweepRegions     = "sweepRegions"

	// Organization mode: all three of orgId, targetOus and regions, or none.
	CtxOrgID          = "orgId"
	CtxTargetOUs      = "targetOus"
	CtxRegions        = "regions"
	CtxMemberRoleName = "memberRoleName"
	CtxAccounts       = "accounts"
	CtxStackSetCallAs = "stackSetCallAs"
)

// Defaults for every context key that has one. Those the engine also
// defaults come from pkg/config so the two never drift.
const (
	DefaultMinLead          = "15m"
	DefaultLogRetentionDays = 30
	DefaultLogLevel         = "info"
	DefaultMemberRoleName   = "forcessl-remediation"
	DefaultStackSetCallAs   = "SELF"
	DefaultSweepSchedule    = "rate(1 day)"
	// DefaultSweepConcurrency is the SQS event source's maximum concurrency:
	// 2 is the least SQS event source mappings accept, and keeps a sweep's
	// RDS API calls (and their throttling) well below what events need.
	DefaultSweepConcurrency = 2
	DefaultSweepParallelism = 4
	// MaxSweepConcurrency bounds the work items reconciled at once. Each one
	// reserves a concurrent execution (see Settings.ReservedConcurrency),
	// taken from the account's Lambda concurrency quota.
	MaxSweepConcurrency = 100
)

// Settings is the validated deploy-time configuration of the stack.
type Settings struct {
	Mode             policy.Mode
	Reboot           policy.RebootPolicy
	MinLead          string // Go duration, validated by config.FromEnv
	Engines          []string
	ExemptTag        string
	NotifyEmails     []string
	SlackWorkspaceID string
	SlackChannelID   string
	LogRetentionDays int
	LogLevel         string

	// Sweep: a scheduled rule starts it; the function enqueues one work item
	// per account × region and consumes them at most SweepConcurrency at a
	// time, each reconciling SweepParallelism parameter groups at once.
	SweepSchedule    string   // EventBridge schedule expression, rate(…) or cron(…)
	SweepConcurrency int      // SQS event source maximum concurrency (2..MaxSweepConcurrency)
	SweepParallelism int      // FORCESSL_SWEEP_PARALLELISM (1..64, checked by pkg/config)
	SweepRegions     []string // explicit FORCESSL_REGIONS; see Settings.SweptRegions

	// Organization mode (OrgID != ""): member accounts forward their RDS
	// events to a central bus; a StackSet deploys the forwarding rules and
	// the remediation role to TargetOUs × Regions.
	OrgID          string
	TargetOUs      []string
	Regions        []string // Regions[0] holds the member accounts' IAM role
	MemberRoleName string
	Accounts       []string // optional allow-list of account IDs (FORCESSL_ACCOUNTS)
	StackSetCallAs string   // SELF (management account) or DELEGATED_ADMIN
}

// DefaultSettings are the settings of a deploy with no context at all.
func DefaultSettings() Settings {
	return Settings{
		Mode:             policy.ModeReport,
		Reboot:           policy.RebootWindow,
		MinLead:          DefaultMinLead,
		Engines:          slices.Clone(policy.Engines),
		ExemptTag:        config.DefaultExemptTag,
		LogRetentionDays: DefaultLogRetentionDays,
		LogLevel:         DefaultLogLevel,
		SweepSchedule:    DefaultSweepSchedule,
		SweepConcurrency: DefaultSweepConcurrency,
		SweepParallelism: DefaultSweepParallelism,
		MemberRoleName:   DefaultMemberRoleName,
		StackSetCallAs:   DefaultStackSetCallAs,
	}
}

// Org reports whether the organization-wide deployment is configured.
func (s Settings) Org() bool { return s.OrgID != "" }

// Enforcing reports whether the function is allowed to change RDS.
func (s Settings) Enforcing() bool { return s.Mode == policy.ModeEnforce }

// SlackEnabled reports whether a Chatbot Slack channel is configured.
func (s Settings) SlackEnabled() bool { return s.SlackWorkspaceID != "" }

// SettingsFromContext reads every context key once, fills defaults and
// validates. All errors are reported together.
func SettingsFromContext(node constructs.Node) (Settings, error) {
	get := func(key string) (string, error) {
		return contextString(node.TryGetContext(&key))
	}
	s := DefaultSettings()
	var errs []error
	str := func(key string, dst *string) {
		v, err := get(key)
		if err != nil {
			errs = append(errs, fmt.Errorf("context %s: %w", key, err))
			return
		}
		if v != "" {
			*dst = v
		}
	}
	var mode, reboot, engines, emails, retention string
	var sweepConcurrency, sweepParallelism, sweepRegions string
	var orgID, ous, regions, roleName, accounts, callAs string
	str(CtxMode, &mode)
	str(CtxReboot, &reboot)
	str(CtxMinLead, &s.MinLead)
	str(CtxEngines, &engines)
	str(CtxExemptTag, &s.ExemptTag)
	str(CtxNotifyEmails, &emails)
	str(CtxSlackWorkspaceID, &s.SlackWorkspaceID)
	str(CtxSlackChannelID, &s.SlackChannelID)
	str(CtxLogRetentionDays, &retention)
	str(CtxLogLevel, &s.LogLevel)
	str(CtxSweepSchedule, &s.SweepSchedule)
	str(CtxSweepConcurrency, &sweepConcurrency)
	str(CtxSweepParallelism, &sweepParallelism)
	str(CtxSweepRegions, &sweepRegions)
	str(CtxOrgID, &orgID)
	str(CtxTargetOUs, &ous)
	str(CtxRegions, &regions)
	str(CtxMemberRoleName, &roleName)
	str(CtxAccounts, &accounts)
	str(CtxStackSetCallAs, &callAs)
	if mode != "" {
		s.Mode = policy.Mode(mode)
	}
	if reboot != "" {
		s.Reboot = policy.RebootPolicy(reboot)
	}
	if l := splitList(engines); len(l) > 0 {
		s.Engines = l
	}
	s.NotifyEmails = splitList(emails)
	for _, n := range []struct {
		key, v, want string
		dst          *int
	}{
		{CtxLogRetentionDays, retention, "a number of days", &s.LogRetentionDays},
		{CtxSweepConcurrency, sweepConcurrency, "a number", &s.SweepConcurrency},
		{CtxSweepParallelism, sweepParallelism, "a number", &s.SweepParallelism},
	} {
		if n.v == "" {
			continue
		}
		if v, err := strconv.Atoi(n.v); err != nil {
			errs = append(errs, fmt.Errorf("context %s=%q: not %s", n.key, n.v, n.want))
		} else {
			*n.dst = v
		}
	}
	s.SweepRegions = uniq(splitList(sweepRegions))
	// Organization keys: all three or none; the optional ones only with them.
	s.OrgID, s.TargetOUs, s.Regions = orgID, splitList(ous), uniq(splitList(regions))
	given := map[string]bool{CtxOrgID: orgID != "", CtxTargetOUs: len(s.TargetOUs) > 0, CtxRegions: len(s.Regions) > 0}
	if given[CtxOrgID] || given[CtxTargetOUs] || given[CtxRegions] {
		var missing []string
		for _, k := range []string{CtxOrgID, CtxTargetOUs, CtxRegions} {
			if !given[k] {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			errs = append(errs, fmt.Errorf("context %s, %s and %s must be given together (missing: %s)",
				CtxOrgID, CtxTargetOUs, CtxRegions, strings.Join(missing, ", ")))
			s.OrgID = "" // report only this, not follow-on errors
		}
	} else {
		for _, kv := range [][2]string{{CtxMemberRoleName, roleName}, {CtxAccounts, accounts}, {CtxStackSetCallAs, callAs}} {
			if kv[1] != "" {
				errs = append(errs, fmt.Errorf("context %s only applies to an organization deployment (with %s, %s and %s)",
					kv[0], CtxOrgID, CtxTargetOUs, CtxRegions))
			}
		}
	}
	if s.Org() {
		if roleName != "" {
			s.MemberRoleName = roleName
		}
		if callAs != "" {
			s.StackSetCallAs = callAs
		}
		s.Accounts = uniq(splitList(accounts))
	}
	if err := s.Validate(); err != nil {
		errs = append(errs, err)
	}
	return s, errors.Join(errs...)
}

// retentionDays maps the day counts CloudWatch Logs accepts (and CDK
// models) to the CDK enum.
var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS,
	5: awslogs.RetentionDays_FIVE_DAYS, 7: awslogs.RetentionDays_ONE_WEEK,
	14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS,
	120: awslogs.RetentionDays_FOUR_MONTHS, 150: awslogs.RetentionDays_FIVE_MONTHS,
	180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS,
	731: awslogs.RetentionDays_TWO_YEARS, 1096: awslogs.RetentionDays_THREE_YEARS,
	1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS,
	3288: awslogs.RetentionDays_NINE_YEARS, 3653: awslogs.RetentionDays_TEN_YEARS,
}

// LogRetention is the log group retention as the CDK enum.
func (s Settings) LogRetention() awslogs.RetentionDays { return retentionDays[s.LogRetentionDays] }

var (
	slackWorkspaceRe = regexp.MustCompile(`^[0-9A-Z]{1,255}$`) // CFN AWS::Chatbot::SlackChannelConfiguration
	slackChannelRe   = regexp.MustCompile(`^[A-Za-z0-9]{1,256}$`)
	tagKeyRe         = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`) // RDS/IAM tag key charset
	orgIDRe          = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)                 // AWS Organizations API patterns
	ouIDRe           = regexp.MustCompile(`^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$`)
	roleNameRe       = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`) // IAM RoleName
)

// Validate checks every setting. The engine's own rules (mode, reboot,
// minimum lead, engines) are applied by running pkg/config.FromEnv on the
// exact environment the function will receive, so a value the function
// would reject at start-up fails the synth instead.
func (s Settings) Validate() error {
	var errs []error
	env := s.FunctionEnv(FunctionEnvRefs{
		SchedulerRoleARN: "arn:aws:iam::000000000000:role/validation-placeholder",
		TopicARN:         "arn:aws:sns:us-east-1:000000000000:validation-placeholder",
		SweepQueueURL:    "https://sqs.us-east-1.amazonaws.com/000000000000/validation-placeholder",
		ScheduleDLQARN:   "arn:aws:sqs:us-east-1:000000000000:validation-placeholder",
	})
	// The regions are checked below under the key the operator typed
	// (sweepRegions or, in organization mode, regions).
	delete(env, config.EnvRegions)
	if _, err := config.FromEnv(func(k string) string { return env[k] }); err != nil {
		// Speak in context keys: the operator typed -c mode=…, not FORCESSL_MODE.
		errs = append(errs, errors.New(envToContext.Replace(err.Error())))
	}
	if _, ok := retentionDays[s.LogRetentionDays]; !ok {
		errs = append(errs, fmt.Errorf("context %s=%d: want one of %v", CtxLogRetentionDays, s.LogRetentionDays, slices.Sorted(maps.Keys(retentionDays))))
	}
	switch s.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("context %s=%q: want debug, info, warn or error", CtxLogLevel, s.LogLevel))
	}
	if !tagKeyRe.MatchString(s.ExemptTag) || strings.HasPrefix(strings.ToLower(s.ExemptTag), "aws:") {
		errs = append(errs, fmt.Errorf("context %s=%q: not a valid tag key", CtxExemptTag, s.ExemptTag))
	}
	for _, e := range s.NotifyEmails {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			errs = append(errs, fmt.Errorf("context %s: %q is not a bare email address", CtxNotifyEmails, e))
		}
	}
	errs = append(errs, s.validateSweep()...)
	if s.Org() {
		errs = append(errs, s.validateOrg()...)
	}
	switch {
	case (s.SlackWorkspaceID == "") != (s.SlackChannelID == ""):
		errs = append(errs, fmt.Errorf("context %s and %s must be given together", CtxSlackWorkspaceID, CtxSlackChannelID))
	case s.SlackWorkspaceID != "" && !slackWorkspaceRe.MatchString(s.SlackWorkspaceID):
		errs = append(errs, fmt.Errorf("context %s=%q: want the workspace ID shown in the Chatbot console (e.g. T0123ABCD)", CtxSlackWorkspaceID, s.SlackWorkspaceID))
	case s.SlackChannelID != "" && !slackChannelRe.MatchString(s.SlackChannelID):
		errs = append(errs, fmt.Errorf("context %s=%q: want the channel ID (e.g. C0123ABCD), not its name", CtxSlackChannelID, s.SlackChannelID))
	}
	return errors.Join(errs...)
}

var (
	// EventBridge schedule expressions: rate(value unit), singular unit
	// for 1 and plural otherwise, or cron() with its six fields.
	rateRe = regexp.MustCompile(`^rate\(([1-9][0-9]*) (minute|hour|day)(s?)\)$`)
	cronRe = regexp.MustCompile(`^cron\([^ ()]+( [^ ()]+){5}\)$`)
)

// SweepInterval is the time between two sweeps for a rate() schedule, and
// one day for a cron() one (its interval is not a single number). The
// dashboard aggregates the sweep's metrics over it.
func (s Settings) SweepInterval() time.Duration {
	m := rateRe.FindStringSubmatch(s.SweepSchedule)
	if m == nil {
		return 24 * time.Hour
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[m[2]]
	return time.Duration(n) * unit
}

// SweptRegions are the regions a sweep covers (FORCESSL_REGIONS): sweepRegions
// if given, else in organization mode the StackSet's regions (where member
// accounts have the remediation role), else none, i.e. the engine's default,
// the function's own region (a token here, so it is not written out).
func (s Settings) SweptRegions() []string {
	switch {
	case len(s.SweepRegions) > 0:
		return s.SweepRegions
	case s.Org():
		return s.Regions
	}
	return nil
}

// ReservedConcurrency is the function's reserved concurrency: the sweep's
// maximum concurrency plus eventConcurrency for events and scheduled
// reboots. The event source must never be throttled by the function's own
// limit: a throttled work item goes back to the queue only after the
// visibility timeout, counts as a receive, and could be dead-lettered
// without ever having run.
func (s Settings) ReservedConcurrency() int { return eventConcurrency + s.SweepConcurrency }

func (s Settings) validateSweep() []error {
	var errs []error
	switch m := rateRe.FindStringSubmatch(s.SweepSchedule); {
	case m != nil && (m[1] == "1") != (m[3] == ""):
		errs = append(errs, fmt.Errorf("context %s=%q: EventBridge wants a singular unit for 1 and a plural one otherwise (rate(1 day), rate(12 hours))",
			CtxSweepSchedule, s.SweepSchedule))
	case m == nil && !cronRe.MatchString(s.SweepSchedule):
		errs = append(errs, fmt.Errorf("context %s=%q: want an EventBridge schedule expression, rate(1 day), rate(12 hours) or cron(0 3 * * ? *)",
			CtxSweepSchedule, s.SweepSchedule))
	}
	if s.SweepConcurrency < 2 || s.SweepConcurrency > MaxSweepConcurrency {
		errs = append(errs, fmt.Errorf("context %s=%d: want 2 to %d (SQS event sources accept no less than 2)",
			CtxSweepConcurrency, s.SweepConcurrency, MaxSweepConcurrency))
	}
	for _, r := range s.SweepRegions {
		switch {
		case !request.ValidRegion(r):
			errs = append(errs, fmt.Errorf("context %s: %q is not a region code (e.g. eu-west-1)", CtxSweepRegions, r))
		case s.Org() && !slices.Contains(s.Regions, r):
			// The member accounts' remediation role may read RDS only in
			// the StackSet's regions: an item elsewhere would fail and end
			// in the dead-letter queue.
			errs = append(errs, fmt.Errorf("context %s: %q is not one of context %s (member accounts are covered only there)",
				CtxSweepRegions, r, CtxRegions))
		}
	}
	return errs
}

func (s Settings) validateOrg() []error {
	var errs []error
	if !orgIDRe.MatchString(s.OrgID) {
		errs = append(errs, fmt.Errorf("context %s=%q: want an organization ID (o-…)", CtxOrgID, s.OrgID))
	}
	for _, ou := range s.TargetOUs {
		if !ouIDRe.MatchString(ou) {
			errs = append(errs, fmt.Errorf("context %s: %q is not an organizational unit ID (ou-…-…) or root ID (r-…)", CtxTargetOUs, ou))
		}
	}
	for _, r := range s.Regions {
		if !request.ValidRegion(r) {
			errs = append(errs, fmt.Errorf("context %s: %q is not a region code (e.g. eu-west-1)", CtxRegions, r))
		}
	}
	if !roleNameRe.MatchString(s.MemberRoleName) {
		errs = append(errs, fmt.Errorf("context %s=%q: not a valid IAM role name", CtxMemberRoleName, s.MemberRoleName))
	}
	// accounts is checked by the engine's own rules (Validate runs
	// pkg/config on the function's environment).
	switch s.StackSetCallAs {
	case "SELF", "DELEGATED_ADMIN":
	default:
		errs = append(errs, fmt.Errorf("context %s=%q: want SELF (management account) or DELEGATED_ADMIN", CtxStackSetCallAs, s.StackSetCallAs))
	}
	return errs
}

var envToContext = strings.NewReplacer(
	config.EnvMode, "context "+CtxMode,
	config.EnvReboot, "context "+CtxReboot,
	config.EnvMinLead, "context "+CtxMinLead,
	config.EnvEngines, "context "+CtxEngines,
	config.EnvExemptTag, "context "+CtxExemptTag,
	config.EnvLogLevel, "context "+CtxLogLevel,
	config.EnvMemberRoleName, "context "+CtxMemberRoleName,
	config.EnvAccounts, "context "+CtxAccounts,
	config.EnvSweepParallelism, "context "+CtxSweepParallelism,
)

// FunctionEnvRefs are the deploy-time values (tokens) the environment needs.
type FunctionEnvRefs struct {
	SchedulerRoleARN string
	TopicARN         string
	SweepQueueURL    string
	ScheduleDLQARN   string
}

// FunctionEnv is the remediator's environment. FORCESSL_FUNCTION_ARN is left
// unset on purpose: the function falls back to its invoked ARN, and setting
// it from the function's own Arn attribute would be a circular reference.
//
// The sweep always goes through the work queue in Lambda (the in-process
// sweep is for local runs). FORCESSL_REGIONS is set only when the sweep
// covers more than the function's own region (SweptRegions).
//
// In organization mode it also names the member accounts' remediation role
// and, if given, the account allow-list.
func (s Settings) FunctionEnv(refs FunctionEnvRefs) map[string]string {
	env := map[string]string{
		config.EnvMode:             string(s.Mode),
		config.EnvReboot:           string(s.Reboot),
		config.EnvMinLead:          s.MinLead,
		config.EnvSchedulerRoleARN: refs.SchedulerRoleARN,
		config.EnvScheduleGroup:    config.DefaultScheduleGroup,
		config.EnvExemptTag:        s.ExemptTag,
		config.EnvEngines:          strings.Join(s.Engines, ","),
		config.EnvTopicARN:         refs.TopicARN,
		config.EnvLogLevel:         s.LogLevel,
		config.EnvSweepQueueURL:    refs.SweepQueueURL,
		config.EnvSweepParallelism: strconv.Itoa(s.SweepParallelism),
		config.EnvScheduleDLQARN:   refs.ScheduleDLQARN,
	}
	if r := s.SweptRegions(); len(r) > 0 {
		env[config.EnvRegions] = strings.Join(r, ",")
	}
	if s.Org() {
		env[config.EnvMemberRoleName] = s.MemberRoleName
		if len(s.Accounts) > 0 {
			env[config.EnvAccounts] = strings.Join(s.Accounts, ",")
		}
	}
	return env
}

// contextString accepts what context can hold: a string from -c, or a
// string, number or list in cdk.json / cdk.context.json.
func contextString(v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimSpace(t), nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(t), nil
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			s, err := contextString(e)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	default:
		return "", fmt.Errorf("unsupported value %v (%T)", v, v)
	}
}

// uniq drops repeated entries, keeping the first occurrence (order matters
// for regions: the first one holds the member role).
func uniq(l []string) []string {
	var out []string
	for _, v := range l {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
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
