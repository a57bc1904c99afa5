package stack

import (
	"cmp"
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
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
)

// Context keys (`npx cdk deploy -c key=value`). They are the deploy-time
// interface ops use; keep the names stable and documented in docs/reference/cdk-context.md.
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

	// TLS posture (engine: FORCESSL_TLS_PROFILE, FORCESSL_CA_WARN,
	// FORCESSL_CA, FORCESSL_NOTICE_LEAD) and Security Hub
	// (FORCESSL_SECURITY_HUB).
	CtxTLSProfile  = "tlsProfile"
	CtxCAWarn      = "caWarn"
	CtxCA          = "ca"
	CtxNoticeLead  = "noticeLead"
	CtxSecurityHub = "securityHub"

	// Blast-radius controls (engine: FORCESSL_REBOOT_BUDGET,
	// FORCESSL_ENFORCE_ACCOUNTS, FORCESSL_ENFORCE_OUS,
	// FORCESSL_RESTART_TIMEOUT; docs/blast-radius.md).
	CtxRebootBudget    = "rebootBudget"
	CtxEnforceAccounts = "enforceAccounts"
	CtxEnforceOUs      = "enforceOus"
	CtxRestartTimeout  = "restartTimeout"

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

// contextKeys is every key SettingsFromContext reads.
var contextKeys = []string{
	CtxMode, CtxReboot, CtxMinLead, CtxEngines, CtxExemptTag, CtxNotifyEmails, CtxSlackWorkspaceID,
	CtxSlackChannelID, CtxLogRetentionDays, CtxLogLevel,
	CtxTLSProfile, CtxCAWarn, CtxCA, CtxNoticeLead, CtxSecurityHub,
	CtxRebootBudget, CtxEnforceAccounts, CtxEnforceOUs, CtxRestartTimeout,
	CtxSweepSchedule, CtxSweepConcurrency, CtxSweepParallelism, CtxSweepRegions,
	CtxOrgID, CtxTargetOUs, CtxRegions, CtxMemberRoleName, CtxAccounts, CtxStackSetCallAs,
}

// functionKeys are the context keys that set one of the function's
// variables as typed; lists are normalised first (functionConfig), and the
// rest of the function's configuration names the stack's own resources
// (DeployTime).
var functionKeys = []struct{ key, variable string }{
	{CtxMode, config.EnvMode},
	{CtxReboot, config.EnvReboot},
	{CtxMinLead, config.EnvMinLead},
	{CtxExemptTag, config.EnvExemptTag},
	{CtxLogLevel, config.EnvLogLevel},
	{CtxSweepParallelism, config.EnvSweepParallelism},
	{CtxTLSProfile, config.EnvTLSProfile},
	{CtxCAWarn, config.EnvCAWarn},
	{CtxCA, config.EnvCA},
	{CtxNoticeLead, config.EnvNoticeLead},
	{CtxRebootBudget, config.EnvRebootBudget},
	{CtxRestartTimeout, config.EnvRestartTimeout},
}

// securityHubValues spell the context key securityHub (true/false, as a
// switch is written in cdk.json) as FORCESSL_SECURITY_HUB's values. Any
// other value reaches the engine's loader as it is: on and off are
// accepted, the rest refused with the engine's own message.
var securityHubValues = map[string]policy.SecurityHub{
	"true": policy.SecurityHubOn, "false": policy.SecurityHubOff,
}

// Defaults of the context keys that are the CDK app's own. The function's
// defaults are the engine's (config.Defaults).
const (
	DefaultLogRetentionDays = 30
	// DefaultMemberRoleName is the member accounts' remediation role
	// (organization mode only: the engine has no default, a single account
	// needs no role).
	DefaultMemberRoleName = "forcessl-remediation"
	DefaultStackSetCallAs = "SELF"
	DefaultSweepSchedule  = "rate(1 day)"
	// DefaultSweepConcurrency is the SQS event source's maximum concurrency:
	// 2 is the least SQS event source mappings accept, and keeps a sweep's
	// RDS API calls (and their throttling) well below what events need.
	DefaultSweepConcurrency = 2
	// MaxSweepConcurrency bounds the work items reconciled at once. Each one
	// reserves a concurrent execution (see Settings.ReservedConcurrency),
	// taken from the account's Lambda concurrency quota.
	MaxSweepConcurrency = 100
)

// Settings is the validated deploy-time configuration of the stack.
type Settings struct {
	// Function is the function's configuration, read from context by the
	// engine's own loader. The variables that name the stack's own resources
	// (DeployTime) are empty here: the stack sets them.
	Function config.Config

	NotifyEmails     []string
	SlackWorkspaceID string
	SlackChannelID   string
	LogRetentionDays int

	// Sweep: a scheduled rule starts it; the function enqueues one work item
	// per account × region (Function.Regions) and consumes them at most
	// SweepConcurrency at a time, each reconciling Function.SweepParallelism
	// parameter groups at once.
	SweepSchedule    string // EventBridge schedule expression, rate(…) or cron(…)
	SweepConcurrency int    // SQS event source maximum concurrency (2..MaxSweepConcurrency)

	// Organization mode (OrgID != ""): member accounts forward their RDS
	// events to a central bus; a StackSet deploys the forwarding rules and
	// the remediation role (Function.MemberRoleName) to TargetOUs × Regions.
	OrgID          string
	TargetOUs      []string
	Regions        []string // Regions[0] holds the member accounts' IAM role
	StackSetCallAs string   // SELF (management account) or DELEGATED_ADMIN
}

// DefaultSettings are the settings of a deploy with no context at all.
func DefaultSettings() Settings {
	return Settings{
		Function:         config.Defaults(),
		LogRetentionDays: DefaultLogRetentionDays,
		SweepSchedule:    DefaultSweepSchedule,
		SweepConcurrency: DefaultSweepConcurrency,
		StackSetCallAs:   DefaultStackSetCallAs,
	}
}

// Org reports whether the organization-wide deployment is configured.
func (s Settings) Org() bool { return s.OrgID != "" }

// Enforcing reports whether the function is allowed to change RDS.
func (s Settings) Enforcing() bool { return s.Function.Mode == policy.ModeEnforce }

// SecurityHub reports whether the engine reports into AWS Security Hub
// (context securityHub=true, FORCESSL_SECURITY_HUB=on).
func (s Settings) SecurityHub() bool { return s.Function.SecurityHub == policy.SecurityHubOn }

// AppliesCA reports whether forcessl itself changes server certificate CAs
// (ModifyDBInstance CACertificateIdentifier; never a cluster's): only when
// enforcing with a CA chosen (context ca, FORCESSL_CA). Without a CA, or in
// report mode, it only reports them.
func (s Settings) AppliesCA() bool { return s.Enforcing() && s.Function.CA != "" }

// SlackEnabled reports whether a Chatbot Slack channel is configured.
func (s Settings) SlackEnabled() bool { return s.SlackWorkspaceID != "" }

// DeployTime are the function's variables that name the stack's own
// resources, known only as tokens when the stack is built.
type DeployTime struct {
	SchedulerRoleARN string
	TopicARN         string
	SweepQueueURL    string
	ScheduleDLQARN   string
	StateTable       string
	// Regions are the regions forcessl covers (FORCESSL_REGIONS): the
	// listed ones and always the stack's own (see CoveredRegions); nil
	// keeps Function.Regions.
	Regions []string
}

// FunctionConfig is the function's whole configuration: the settings from
// context with the deploy-time references set. FunctionARN stays empty: the
// function falls back to its invoked ARN, and setting it from the
// function's own Arn attribute would be a circular reference.
//
// FORCESSL_SWEEP_MAX_RECEIVES is the sweep queue's redrive count
// (sweepMaxReceiveCount), so the engine knows which delivery of a work item
// is its last.
func (s Settings) FunctionConfig(refs DeployTime) config.Config {
	c := s.Function
	c.SchedulerRoleARN = refs.SchedulerRoleARN
	c.TopicARN = refs.TopicARN
	c.SweepQueueURL = refs.SweepQueueURL
	c.ScheduleDLQARN = refs.ScheduleDLQARN
	c.StateTable = refs.StateTable
	c.SweepMaxReceives = sweepMaxReceiveCount
	if refs.Regions != nil {
		c.Regions = refs.Regions
	}
	return c
}

// placeholders stand for the deploy-time references while the context is
// validated (enforce mode requires the scheduler role, for instance).
var placeholders = DeployTime{
	SchedulerRoleARN: "arn:aws:iam::000000000000:role/validation-placeholder",
	TopicARN:         "arn:aws:sns:us-east-1:000000000000:validation-placeholder",
	SweepQueueURL:    "https://sqs.us-east-1.amazonaws.com/000000000000/validation-placeholder",
	ScheduleDLQARN:   "arn:aws:sqs:us-east-1:000000000000:validation-placeholder",
}

// SettingsFromContext reads every context key once, fills defaults and
// validates. All errors are reported together, each naming the key.
func SettingsFromContext(node constructs.Node) (Settings, error) {
	s := DefaultSettings()
	var errs []error
	ctx := map[string]string{}
	for _, key := range contextKeys {
		v, err := contextString(node.TryGetContext(jsii.String(key)))
		if err != nil {
			errs = append(errs, fmt.Errorf("context %s: %w", key, err))
			continue
		}
		ctx[key] = v
	}

	s.NotifyEmails = splitList(ctx[CtxNotifyEmails])
	s.SlackWorkspaceID, s.SlackChannelID = ctx[CtxSlackWorkspaceID], ctx[CtxSlackChannelID]
	if v := ctx[CtxSweepSchedule]; v != "" {
		s.SweepSchedule = v
	}
	for _, n := range []struct {
		key, want string
		dst       *int
	}{
		{CtxLogRetentionDays, "a number of days", &s.LogRetentionDays},
		{CtxSweepConcurrency, "a number", &s.SweepConcurrency},
	} {
		if v := ctx[n.key]; v != "" {
			if i, err := strconv.Atoi(v); err != nil {
				errs = append(errs, fmt.Errorf("context %s=%q: not %s", n.key, v, n.want))
			} else {
				*n.dst = i
			}
		}
	}

	// Organization keys: all three or none; the optional ones only with them.
	s.OrgID, s.TargetOUs, s.Regions = ctx[CtxOrgID], splitList(ctx[CtxTargetOUs]), uniq(splitList(ctx[CtxRegions]))
	given := map[string]bool{CtxOrgID: s.OrgID != "", CtxTargetOUs: len(s.TargetOUs) > 0, CtxRegions: len(s.Regions) > 0}
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
		for _, k := range []string{CtxMemberRoleName, CtxAccounts, CtxStackSetCallAs} {
			if ctx[k] != "" {
				errs = append(errs, fmt.Errorf("context %s only applies to an organization deployment (with %s, %s and %s)",
					k, CtxOrgID, CtxTargetOUs, CtxRegions))
			}
		}
	}
	if s.Org() && ctx[CtxStackSetCallAs] != "" {
		s.StackSetCallAs = ctx[CtxStackSetCallAs]
	}

	fn, sources, err := s.functionConfig(ctx)
	s.Function = fn
	errs = append(errs, contextErrors(err, sources)...)
	errs = append(errs, s.validate(sources)...)
	if s.Org() {
		// Organization mode covers regions, whatever sweepRegions said
		// (validateOrgRegions refused anything else).
		s.Function.Regions = slices.Clone(s.Regions)
	}
	return s, errors.Join(errs...)
}

// functionConfig reads the function's part of the context the way the
// function reads its environment: each value goes, under the variable it
// sets, through config.FromMap, the engine's own loader and rules, together
// with placeholders for the deploy-time references. sources maps each
// variable set from context to the key it came from.
func (s Settings) functionConfig(ctx map[string]string) (c config.Config, sources map[string]string, err error) {
	env := map[string]string{}
	sources = map[string]string{}
	set := func(key, variable, value string) {
		if value != "" {
			env[variable], sources[variable] = value, key
		}
	}
	for _, k := range functionKeys {
		set(k.key, k.variable, ctx[k.key])
	}
	set(CtxEngines, config.EnvEngines, strings.Join(splitList(ctx[CtxEngines]), ","))
	set(CtxEnforceAccounts, config.EnvEnforceAccounts, strings.Join(uniq(splitList(ctx[CtxEnforceAccounts])), ","))
	set(CtxEnforceOUs, config.EnvEnforceOUs, strings.Join(uniq(splitList(ctx[CtxEnforceOUs])), ","))
	sh := ctx[CtxSecurityHub]
	if v, ok := securityHubValues[strings.ToLower(sh)]; ok {
		sh = string(v)
	}
	set(CtxSecurityHub, config.EnvSecurityHub, sh)
	// FORCESSL_REGIONS: the regions forcessl covers, for events and sweeps
	// alike. Here the listed ones, checked by the engine: sweepRegions if
	// given (validateOrgRegions holds it to regions in organization mode),
	// else in organization mode the StackSet's regions. The stack adds its
	// own region (CoveredRegions), known only at deploy time.
	set(CtxSweepRegions, config.EnvRegions, strings.Join(uniq(splitList(ctx[CtxSweepRegions])), ","))
	if s.Org() {
		if env[config.EnvRegions] == "" {
			set(CtxRegions, config.EnvRegions, strings.Join(s.Regions, ","))
		}
		set(CtxMemberRoleName, config.EnvMemberRoleName, cmp.Or(ctx[CtxMemberRoleName], DefaultMemberRoleName))
		set(CtxAccounts, config.EnvAccounts, strings.Join(uniq(splitList(ctx[CtxAccounts])), ","))
		// Without an accounts allow-list the sweep covers the active
		// accounts under these OUs, recursively.
		set(CtxTargetOUs, config.EnvTargetOUs, strings.Join(s.TargetOUs, ","))
	}
	env[config.EnvSchedulerRoleARN] = placeholders.SchedulerRoleARN
	env[config.EnvTopicARN] = placeholders.TopicARN
	env[config.EnvSweepQueueURL] = placeholders.SweepQueueURL
	env[config.EnvScheduleDLQARN] = placeholders.ScheduleDLQARN
	c, err = config.FromMap(env)
	// The stack sets the real references.
	c.SchedulerRoleARN, c.TopicARN, c.SweepQueueURL, c.ScheduleDLQARN = "", "", "", ""
	return c, sources, err
}

// contextErrors speaks in context keys: the operator typed -c mode=…, not
// FORCESSL_MODE. Each of the engine's *config.FieldError is wrapped, its
// text unchanged, with the key its value came from.
func contextErrors(err error, sources map[string]string) []error {
	if err == nil {
		return nil
	}
	all := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		all = j.Unwrap()
	}
	var out []error
	for _, e := range all {
		var fe *config.FieldError
		if errors.As(e, &fe) && sources[fe.Var] != "" {
			out = append(out, fmt.Errorf("context %s: %w", sources[fe.Var], fe))
		} else {
			// Not from context: a deploy-time reference (a bug of this app).
			out = append(out, fmt.Errorf("function environment: %w", e))
		}
	}
	return out
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
	orgIDRe          = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)                 // AWS Organizations API pattern
	roleNameRe       = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)                  // IAM RoleName
)

// validate checks what the engine's loader does not: settings of the stack
// itself, and function settings the engine accepts as free text but AWS
// does not (tag key, role name). sources says which keys the engine
// already checked.
func (s Settings) validate(sources map[string]string) []error {
	var errs []error
	if _, ok := retentionDays[s.LogRetentionDays]; !ok {
		errs = append(errs, fmt.Errorf("context %s=%d: want one of %v", CtxLogRetentionDays, s.LogRetentionDays, slices.Sorted(maps.Keys(retentionDays))))
	}
	if t := s.Function.ExemptTag; !tagKeyRe.MatchString(t) || strings.HasPrefix(strings.ToLower(t), "aws:") {
		errs = append(errs, fmt.Errorf("context %s=%q: not a valid tag key", CtxExemptTag, t))
	}
	for _, e := range s.NotifyEmails {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			errs = append(errs, fmt.Errorf("context %s: %q is not a bare email address", CtxNotifyEmails, e))
		}
	}
	errs = append(errs, s.validateSweep()...)
	if s.Org() {
		errs = append(errs, s.validateOrg(sources[config.EnvRegions] == CtxRegions)...)
		errs = append(errs, s.validateOrgRegions(sources)...)
	}
	switch {
	case (s.SlackWorkspaceID == "") != (s.SlackChannelID == ""):
		errs = append(errs, fmt.Errorf("context %s and %s must be given together", CtxSlackWorkspaceID, CtxSlackChannelID))
	case s.SlackWorkspaceID != "" && !slackWorkspaceRe.MatchString(s.SlackWorkspaceID):
		errs = append(errs, fmt.Errorf("context %s=%q: want the workspace ID shown in the Chatbot console (e.g. T0123ABCD)", CtxSlackWorkspaceID, s.SlackWorkspaceID))
	case s.SlackChannelID != "" && !slackChannelRe.MatchString(s.SlackChannelID):
		errs = append(errs, fmt.Errorf("context %s=%q: want the channel ID (e.g. C0123ABCD), not its name", CtxSlackChannelID, s.SlackChannelID))
	}
	return errs
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
	return errs
}

// validateOrgRegions holds sweepRegions to regions in organization mode,
// where FORCESSL_REGIONS is regions (and the stack's own region): events
// and sweeps share one allow-list, and a region whose events the StackSet
// forwards must also be swept, or an event missed there is never caught.
// So sweepRegions may not name a region outside regions (the member role
// reaches RDS only there), nor leave one of them out (a narrower set would
// refuse the forwarded events of the others); the same set is accepted, as
// a no-op, so a deploy command that always passed both keeps working.
func (s Settings) validateOrgRegions(sources map[string]string) []error {
	if sources[config.EnvRegions] != CtxSweepRegions {
		return nil
	}
	var errs, missing []error
	for _, r := range s.Function.Regions {
		// (Region names: the engine's rule, already reported.)
		if request.ValidRegion(r) && !slices.Contains(s.Regions, r) {
			errs = append(errs, fmt.Errorf("context %s: %q is not one of context %s (member accounts are covered only there)",
				CtxSweepRegions, r, CtxRegions))
		}
	}
	for _, r := range s.Regions {
		if !slices.Contains(s.Function.Regions, r) {
			missing = append(missing, fmt.Errorf("context %s leaves out %q of context %s: in organization mode forcessl "+
				"covers every region of %s, for events and sweeps alike; leave %s out (or shorten %s)",
				CtxSweepRegions, r, CtxRegions, CtxRegions, CtxSweepRegions, CtxRegions))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return missing
}

// validateOrg checks the organization keys. regionsChecked: the engine
// already checked regions as the function's FORCESSL_REGIONS.
func (s Settings) validateOrg(regionsChecked bool) []error {
	var errs []error
	if !orgIDRe.MatchString(s.OrgID) {
		errs = append(errs, fmt.Errorf("context %s=%q: want an organization ID (o-…)", CtxOrgID, s.OrgID))
	}
	if !regionsChecked {
		for _, r := range s.Regions {
			if !request.ValidRegion(r) {
				errs = append(errs, fmt.Errorf("context %s: %q is not a region code (e.g. eu-west-1)", CtxRegions, r))
			}
		}
	}
	if !roleNameRe.MatchString(s.Function.MemberRoleName) {
		errs = append(errs, fmt.Errorf("context %s=%q: not a valid IAM role name", CtxMemberRoleName, s.Function.MemberRoleName))
	}
	switch s.StackSetCallAs {
	case "SELF", "DELEGATED_ADMIN":
	default:
		errs = append(errs, fmt.Errorf("context %s=%q: want SELF (management account) or DELEGATED_ADMIN", CtxStackSetCallAs, s.StackSetCallAs))
	}
	return errs
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
