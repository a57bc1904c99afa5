package stack

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/policy"
)

// parseContext reads settings from ctx as the app does (no cdk.json).
func parseContext(ctx map[string]any) (Settings, error) {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	return SettingsFromContext(app.Node())
}

// contextErrorCase is a context and a text its error must contain.
type contextErrorCase struct {
	ctx  map[string]any
	want string
}

func assertContextErrors(t *testing.T, cases []contextErrorCase) {
	t.Helper()
	for _, tc := range cases {
		// WHEN the settings are read
		_, err := parseContext(tc.ctx)
		// THEN the synth would fail with an error naming the key
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("context %v: error %v, want it to mention %q", tc.ctx, err, tc.want)
		}
	}
}

// orgCtx is a minimal organization context plus extra.
func orgCtx(regions string, extra map[string]any) map[string]any {
	c := map[string]any{CtxOrgID: "o-abc123def4", CtxTargetOUs: "ou-ab12-cdef3456", CtxRegions: regions}
	maps.Copy(c, extra)
	return c
}

func TestSettingsFromContext(t *testing.T) {
	// GIVEN no context WHEN read THEN the defaults, the function's from the engine
	s, err := parseContext(map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if d := DefaultSettings(); !jsonEq(s, d) {
		t.Errorf("no context = %+v, want defaults %+v", s, d)
	}
	if !jsonEq(s.Function, config.Defaults()) {
		t.Errorf("function settings = %+v, want the engine's defaults %+v", s.Function, config.Defaults())
	}
	// GIVEN cdk.json lists and numbers WHEN read THEN accepted
	s, err = parseContext(map[string]any{CtxNotifyEmails: []any{"a@x.com", " b@y.com "}, CtxLogRetentionDays: 365})
	if err != nil || !slices.Equal(s.NotifyEmails, []string{"a@x.com", "b@y.com"}) || s.LogRetentionDays != 365 {
		t.Errorf("got %+v, %v", s, err)
	}
	// GIVEN the function's keys WHEN read THEN the engine's typed config
	s, err = parseContext(map[string]any{CtxMode: "enforce", CtxReboot: "never", CtxMinLead: "1h30m",
		CtxEngines: "postgres, mysql", CtxExemptTag: "team:x", CtxLogLevel: "warn", CtxSweepParallelism: 9})
	if err != nil || s.Function.Mode != "enforce" || s.Function.Reboot != "never" || s.Function.MinLead != 90*time.Minute ||
		!slices.Equal(s.Function.Engines, []string{"postgres", "mysql"}) || s.Function.ExemptTag != "team:x" ||
		s.Function.LogLevel != "warn" || s.Function.SweepParallelism != 9 {
		t.Errorf("got %+v, %v", s.Function, err)
	}
	// Deploy-time references are the stack's to set, never the placeholders.
	if s.Function.SchedulerRoleARN != "" || s.Function.TopicARN != "" || s.Function.SweepQueueURL != "" ||
		s.Function.ScheduleDLQARN != "" || s.Function.FunctionARN != "" {
		t.Errorf("function settings carry references: %+v", s.Function)
	}
	assertContextErrors(t, []contextErrorCase{
		{map[string]any{CtxMode: "fix"}, `context mode: FORCESSL_MODE="fix": want enforce or report`},
		{map[string]any{CtxReboot: "now"}, "context reboot: FORCESSL_REBOOT="},
		{map[string]any{CtxMinLead: "soon"}, "context minLead: FORCESSL_MIN_LEAD="},
		{map[string]any{CtxEngines: "oracle-ee"}, "context engines: FORCESSL_ENGINES="},
		{map[string]any{CtxLogRetentionDays: "31"}, "context logRetentionDays"},
		{map[string]any{CtxLogRetentionDays: "month"}, "context logRetentionDays"},
		{map[string]any{CtxLogLevel: "trace"}, "context logLevel: FORCESSL_LOG_LEVEL="},
		{map[string]any{CtxExemptTag: "aws:exempt"}, "context exemptTag"},
		{map[string]any{CtxNotifyEmails: "ops"}, "context notifyEmails"},
		{map[string]any{CtxNotifyEmails: "Ops <ops@example.com>"}, "context notifyEmails"},
		{map[string]any{CtxSlackWorkspaceID: "T0123ABCD"}, "must be given together"},
		{map[string]any{CtxSlackWorkspaceID: "T0123ABCD", CtxSlackChannelID: "#ops"}, "context slackChannelId"},
	})
}

// TestContextErrorsKeepEngineText: a value the engine's loader refuses
// comes back as its own *config.FieldError, text unchanged, wrapped with
// the context key the operator typed; every problem is reported.
func TestContextErrorsKeepEngineText(t *testing.T) {
	// GIVEN three values the engine refuses
	_, err := parseContext(map[string]any{CtxMode: "fix", CtxMinLead: "-5m", CtxSweepParallelism: "65"})
	if err == nil {
		t.Fatal("no error")
	}
	// WHEN read THEN each is the engine's FieldError under its key
	for key, variable := range map[string]string{
		CtxMode: config.EnvMode, CtxMinLead: config.EnvMinLead, CtxSweepParallelism: config.EnvSweepParallelism,
	} {
		found := false
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var fe *config.FieldError
			if errors.As(e, &fe) && fe.Var == variable {
				found = true
				if want := "context " + key + ": " + fe.Error(); e.Error() != want {
					t.Errorf("%s: error %q, want %q", key, e, want)
				}
			}
		}
		if !found {
			t.Errorf("no *config.FieldError for %s in %v", variable, err)
		}
	}
}

// TestPostureSettings: the TLS posture and Security Hub keys are the
// engine's variables, read by its loader; securityHub is a switch.
func TestPostureSettings(t *testing.T) {
	// GIVEN no posture key WHEN read THEN the engine's defaults
	s, err := parseContext(map[string]any{})
	if err != nil || s.Function.TLSProfile != policy.ProfileForce || s.Function.CAWarn != config.DefaultCAWarn ||
		s.Function.CA != "" || s.Function.NoticeLead != config.DefaultNoticeLead || s.SecurityHub() {
		t.Errorf("defaults: %+v, %v", s.Function, err)
	}
	// GIVEN every key WHEN read THEN typed by the engine
	s, err = parseContext(map[string]any{CtxTLSProfile: "modern", CtxCAWarn: "30d", CtxCA: "rds-ca-ecc384-g1",
		CtxNoticeLead: "0", CtxSecurityHub: "true"})
	if err != nil || s.Function.TLSProfile != policy.ProfileModern || s.Function.CAWarn != 30*24*time.Hour ||
		s.Function.CA != "rds-ca-ecc384-g1" || s.Function.NoticeLead != 0 || s.Function.SecurityHub != policy.SecurityHubOn {
		t.Errorf("got %+v, %v", s.Function, err)
	}
	// securityHub: true/false as cdk.json or -c writes a switch, and the
	// engine's own on/off.
	for v, want := range map[any]bool{true: true, false: false, "true": true, "TRUE": true, "false": false, "on": true, "off": false} {
		if s, err := parseContext(map[string]any{CtxSecurityHub: v}); err != nil || s.SecurityHub() != want {
			t.Errorf("securityHub=%v: on = %v, %v; want %v", v, s.SecurityHub(), err, want)
		}
	}
	// noticeLead as a number in cdk.json (0: no heads-up) and in hours.
	for v, want := range map[any]time.Duration{0: 0, "12h": 12 * time.Hour, "2d": 48 * time.Hour} {
		if s, err := parseContext(map[string]any{CtxNoticeLead: v}); err != nil || s.Function.NoticeLead != want {
			t.Errorf("noticeLead=%v: %v, %v", v, s.Function.NoticeLead, err)
		}
	}
	assertContextErrors(t, []contextErrorCase{
		{map[string]any{CtxTLSProfile: "strict"}, `context tlsProfile: FORCESSL_TLS_PROFILE="strict": want force or modern`},
		{map[string]any{CtxCAWarn: "soon"}, `context caWarn: FORCESSL_CA_WARN="soon": want a duration such as 90d or 720h`},
		{map[string]any{CtxCAWarn: "-1d"}, `context caWarn: FORCESSL_CA_WARN="-1d"`},
		{map[string]any{CtxCA: "rds-ca-2019"}, `context ca: FORCESSL_CA="rds-ca-2019": want one of the current RDS CAs: ` +
			strings.Join(policy.CurrentCAs, ", ")},
		{map[string]any{CtxNoticeLead: "tomorrow"}, `context noticeLead: FORCESSL_NOTICE_LEAD="tomorrow": want a duration such as 24h or 2d`},
		{map[string]any{CtxSecurityHub: "yes"}, `context securityHub: FORCESSL_SECURITY_HUB="yes": want off or on`},
	})
	// Each refusal is the engine's FieldError, under its key.
	_, err = parseContext(map[string]any{CtxTLSProfile: "x", CtxCAWarn: "x", CtxCA: "x", CtxNoticeLead: "x", CtxSecurityHub: "x"})
	for key, variable := range map[string]string{CtxTLSProfile: config.EnvTLSProfile, CtxCAWarn: config.EnvCAWarn, CtxCA: config.EnvCA,
		CtxNoticeLead: config.EnvNoticeLead, CtxSecurityHub: config.EnvSecurityHub} {
		found := false
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var fe *config.FieldError
			if errors.As(e, &fe) && fe.Var == variable && e.Error() == "context "+key+": "+fe.Error() {
				found = true
			}
		}
		if !found {
			t.Errorf("no *config.FieldError for %s under context %s in %v", variable, key, err)
		}
	}
}

func TestOrgSettings(t *testing.T) {
	// GIVEN the organization keys WHEN read THEN regions deduplicated in
	// order, the default role name, SELF, and the allow-list for the function
	s, err := parseContext(map[string]any{
		CtxOrgID: "o-abc123def4", CtxTargetOUs: []any{"ou-ab12-cdef3456"},
		CtxRegions: "eu-west-1, us-east-1,eu-west-1", CtxAccounts: "111111111111",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Org() || !slices.Equal(s.Regions, []string{"eu-west-1", "us-east-1"}) || s.Function.MemberRoleName != DefaultMemberRoleName ||
		s.StackSetCallAs != "SELF" || !slices.Equal(s.Function.Accounts, []string{"111111111111"}) ||
		!slices.Equal(s.Function.TargetOUs, []string{"ou-ab12-cdef3456"}) {
		t.Errorf("got %+v", s)
	}
	org := func(extra map[string]any) map[string]any { return orgCtx("us-east-1", extra) }
	assertContextErrors(t, []contextErrorCase{
		{map[string]any{CtxOrgID: "o-abc123def4"}, "(missing: targetOus, regions)"},
		{map[string]any{CtxTargetOUs: "ou-ab12-cdef3456", CtxRegions: "us-east-1"}, "(missing: orgId)"},
		{map[string]any{CtxOrgID: "o-abc123def4", CtxTargetOUs: "ou-ab12-cdef3456"}, "(missing: regions)"},
		{map[string]any{CtxAccounts: "111111111111"}, "context accounts only applies to an organization deployment"},
		{map[string]any{CtxMemberRoleName: "x"}, "context memberRoleName only applies"},
		{map[string]any{CtxStackSetCallAs: "SELF"}, "context stackSetCallAs only applies"},
		{org(map[string]any{CtxOrgID: "org-1"}), "context orgId"},
		// targetOus are the function's FORCESSL_TARGET_OUS: the engine's rule.
		{org(map[string]any{CtxTargetOUs: "ou-ab12-cdef3456,OpsOU"}),
			`context targetOus: FORCESSL_TARGET_OUS="ou-ab12-cdef3456,OpsOU": "OpsOU" is not an organizational unit ID`},
		// regions are the function's FORCESSL_REGIONS here: the engine's rule.
		{org(map[string]any{CtxRegions: "us-east-1,Frankfurt"}), `context regions: FORCESSL_REGIONS="us-east-1,Frankfurt": "Frankfurt" is not a region name`},
		// With sweepRegions they are not: checked here, with the same rule.
		{org(map[string]any{CtxRegions: "us-east-1,Frankfurt", CtxSweepRegions: "us-east-1"}), `context regions: "Frankfurt" is not a region code`},
		{org(map[string]any{CtxAccounts: "1234"}), `context accounts: FORCESSL_ACCOUNTS="1234": "1234" is not a 12-digit account ID`},
		{org(map[string]any{CtxMemberRoleName: "bad name"}), "context memberRoleName"},
		{org(map[string]any{CtxStackSetCallAs: "ADMIN"}), "context stackSetCallAs"},
	})
}

func TestSweepSettings(t *testing.T) {
	// GIVEN a schedule WHEN read THEN kept, and its interval known
	for _, tc := range []struct {
		schedule string
		interval time.Duration
	}{
		{"rate(1 day)", 24 * time.Hour}, {"rate(12 hours)", 12 * time.Hour}, {"rate(1 hour)", time.Hour},
		{"rate(90 minutes)", 90 * time.Minute}, {"cron(0 3 * * ? *)", 24 * time.Hour}, {"cron(0/30 8-17 ? * MON-FRI *)", 24 * time.Hour},
	} {
		s, err := parseContext(map[string]any{CtxSweepSchedule: tc.schedule})
		if err != nil || s.SweepSchedule != tc.schedule || s.SweepInterval() != tc.interval {
			t.Errorf("%s: %v, interval %v, want %v", tc.schedule, err, s.SweepInterval(), tc.interval)
		}
	}
	// GIVEN every sweep key WHEN read THEN the regions deduplicated, the
	// reserved concurrency 3 above the event source's
	s, err := parseContext(map[string]any{CtxSweepConcurrency: "10", CtxSweepParallelism: 64, CtxSweepRegions: "eu-west-1, eu-west-1,us-east-1"})
	if err != nil || s.SweepConcurrency != 10 || s.Function.SweepParallelism != 64 || !slices.Equal(s.Function.Regions, []string{"eu-west-1", "us-east-1"}) ||
		s.ReservedConcurrency() != 13 {
		t.Errorf("got %+v, %v", s, err)
	}
	// GIVEN organization mode WHEN sweepRegions is left out, or names the
	// same regions THEN forcessl covers regions, for events and sweeps alike
	for _, extra := range []map[string]any{nil, {CtxSweepRegions: "eu-west-1,us-east-1"}} {
		if s, err := parseContext(orgCtx("us-east-1,eu-west-1", extra)); err != nil || !slices.Equal(s.Function.Regions, []string{"us-east-1", "eu-west-1"}) {
			t.Errorf("org with %v: %+v, %v", extra, s.Function.Regions, err)
		}
	}
	assertContextErrors(t, []contextErrorCase{
		{map[string]any{CtxSweepSchedule: "daily"}, "context sweepSchedule"},
		{map[string]any{CtxSweepSchedule: "rate(1 days)"}, "singular unit for 1"},
		{map[string]any{CtxSweepSchedule: "rate(2 day)"}, "singular unit for 1"},
		{map[string]any{CtxSweepSchedule: "rate(0 days)"}, "context sweepSchedule"},
		{map[string]any{CtxSweepSchedule: "cron(0 3 * * ?)"}, "context sweepSchedule"},
		{map[string]any{CtxSweepConcurrency: "1"}, "context sweepConcurrency=1: want 2 to 100"},
		{map[string]any{CtxSweepConcurrency: "101"}, "context sweepConcurrency"},
		{map[string]any{CtxSweepConcurrency: "many"}, `context sweepConcurrency="many": not a number`},
		{map[string]any{CtxSweepParallelism: "0"}, "context sweepParallelism: FORCESSL_SWEEP_PARALLELISM="},
		{map[string]any{CtxSweepParallelism: "65"}, "context sweepParallelism"},
		{map[string]any{CtxSweepParallelism: "x"}, "context sweepParallelism"},
		{map[string]any{CtxSweepRegions: "Frankfurt"}, `context sweepRegions: FORCESSL_REGIONS="Frankfurt": "Frankfurt" is not a region name`},
		{orgCtx("us-east-1,eu-west-1", map[string]any{CtxSweepRegions: "ap-south-1"}), `context sweepRegions: "ap-south-1" is not one of context regions`},
		// A narrower set would refuse the events forwarded from the others.
		{orgCtx("us-east-1,eu-west-1", map[string]any{CtxSweepRegions: "eu-west-1"}),
			`context sweepRegions leaves out "us-east-1" of context regions: in organization mode forcessl covers every region of regions`},
	})
}
