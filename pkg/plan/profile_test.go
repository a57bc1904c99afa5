package plan

import (
	"testing"

	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
)

func modern(s *Settings) { s.Profile = policy.ProfileModern }

// sqlModern gives the instance's group the SQL Server profile parameters:
// tls10 at default, the rest disabled, with the documented allowed values.
func sqlModern(values map[string]string) func(*Observed) {
	return func(o *Observed) {
		for _, p := range []string{"rds.tls10", "rds.tls11", "rds.rc4", "rds.3des168"} {
			v, ok := values[p]
			if !ok {
				v = "disabled"
			}
			if v == "absent" {
				continue
			}
			o.Params[p] = Parameter{Found: true, Value: v, ApplyType: "static", AllowedValues: "default, enabled, disabled"}
		}
	}
}

func set(group, name, value string) SetParameter {
	return SetParameter{Kind: KindInstance, Group: group, Name: name, Value: value, ApplyMethod: "pending-reboot"}
}

func TestDecideTLSProfile(t *testing.T) {
	runDecide(t, []decideCase{
		{name: "modern: the switch off and tls10 at default: both set in the copy, one reboot",
			obs:      sqlServer(onCustom, sqlModern(map[string]string{"rds.tls10": "default"})),
			settings: modern, state: NonCompliant, outcome: OutcomeRemediated, rebootAt: sunday0500,
			reason: "in parameter group app-params: rds.force_ssl is 0; TLS profile modern: rds.tls10 is default (want disabled)",
			steps: []Step{copyApp, setApp, set("forcessl-app-params", "rds.tls10", "disabled"), attachApp,
				schedule(sunday0500, request.TriggerReboot)}},
		{name: "modern: the switch on, rc4 enabled in the owner's group: not compliant, a copy fixes it",
			obs:      sqlServer(onCustom, func(o *Observed) { setTLSValue(o, "1") }, sqlModern(map[string]string{"rds.rc4": "enabled"})),
			settings: modern, state: NonCompliant, outcome: OutcomeRemediated,
			reason: "TLS profile modern: rds.rc4 is enabled (want disabled)",
			steps: []Step{copyApp, set("forcessl-app-params", "rds.rc4", "disabled"), attachApp,
				schedule(sunday0500, request.TriggerReboot)}},
		{name: "modern: every profile parameter disabled and the switch on: compliant",
			obs:      sqlServer(func(o *Observed) { setTLSValue(o, "1") }, sqlModern(nil)),
			settings: modern, state: Compliant, outcome: OutcomeNone},
		{name: "modern: a parameter the family does not list is skipped and named; the rest complies",
			obs:      sqlServer(func(o *Observed) { setTLSValue(o, "1") }, sqlModern(map[string]string{"rds.3des168": "absent"})),
			settings: modern, state: Compliant, outcome: OutcomeNone, reason: "skipped rds.3des168 (not in the family)"},
		{name: "force: the same group is compliant (the profile is not asked for)",
			obs:   sqlServer(func(o *Observed) { setTLSValue(o, "1") }, sqlModern(map[string]string{"rds.tls10": "enabled"})),
			state: Compliant, outcome: OutcomeNone},
		{name: "modern on forcessl's own group: the profile parameters set in place, the reboot scheduled",
			obs: sqlServer(func(o *Observed) {
				o.Resource.Group = "forcessl-app-params"
				setTLSValue(o, "1")
			}, sqlModern(map[string]string{"rds.tls11": "default"}),
				group(Group{Name: "forcessl-app-params", Exists: true, Family: "sqlserver-se-15.0",
					Tags: map[string]string{"forcessl:managed-by": "forcessl", "forcessl:source-group": "app-params"}}),
				users("forcessl-app-params")),
			settings: modern, state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{set("forcessl-app-params", "rds.tls11", "disabled"), schedule(sunday0500, request.TriggerReboot)}},
		{name: "modern PostgreSQL 12: an unset minimum means TLSv1: set TLSv1.2; a maximum below it raised",
			obs: sqlServer(func(o *Observed) {
				o.Resource.Engine, o.Resource.EngineVersion, o.Resource.Group = "postgres", "12.19", "app-params"
				o.Params = map[string]Parameter{"rds.force_ssl": {Found: true, Value: "1", ApplyType: "dynamic"},
					"ssl_min_protocol_version": {Found: true, ApplyType: "dynamic", AllowedValues: "TLSv1,TLSv1.1,TLSv1.2,TLSv1.3"},
					"ssl_max_protocol_version": {Found: true, Value: "TLSv1.1", ApplyType: "dynamic", AllowedValues: "TLSv1,TLSv1.1,TLSv1.2,TLSv1.3"}}
			}), settings: modern, state: NonCompliant, outcome: OutcomeRemediated,
			reason: "ssl_min_protocol_version is unset (want TLSv1.2), ssl_max_protocol_version is TLSv1.1 (want TLSv1.3)",
			steps: []Step{copyApp,
				SetParameter{Kind: KindInstance, Group: "forcessl-app-params", Name: "ssl_min_protocol_version", Value: "TLSv1.2", ApplyMethod: "immediate"},
				SetParameter{Kind: KindInstance, Group: "forcessl-app-params", Name: "ssl_max_protocol_version", Value: "TLSv1.3", ApplyMethod: "immediate"},
				attachApp, schedule(sunday0500, request.TriggerReboot)}},
		{name: "modern PostgreSQL 16: unset minimum (TLSv1.2 by default) and maximum comply",
			obs: sqlServer(func(o *Observed) {
				o.Resource.Engine, o.Resource.EngineVersion = "postgres", "16.4"
				o.Params = map[string]Parameter{"rds.force_ssl": {Found: true, Value: "1"},
					"ssl_min_protocol_version": {Found: true}, "ssl_max_protocol_version": {Found: true}}
			}), settings: modern, state: Compliant, outcome: OutcomeNone},
		{name: "modern MySQL: tls_version written from AllowedValues",
			obs: sqlServer(func(o *Observed) {
				o.Resource.Engine, o.Resource.Group = "mysql", "app-params"
				o.Params = map[string]Parameter{"require_secure_transport": {Found: true, Value: "1", ApplyType: "dynamic"},
					"tls_version": {Found: true, Value: "TLSv1.1,TLSv1.2", ApplyType: "static", AllowedValues: "TLSv1,TLSv1.1,TLSv1.2,TLSv1.3"}}
			}), settings: modern, state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{copyApp, set("forcessl-app-params", "tls_version", "TLSv1.2,TLSv1.3"), attachApp,
				schedule(sunday0500, request.TriggerReboot)}},
	})
}

// The owner's settings, not the profile's, decide whether an existing
// forcessl group may be reused.
func TestReuseComparesTheOwnersSettingsNotTheProfiles(t *testing.T) {
	p, need := Decide(sqlServer(onCustom, sqlModern(map[string]string{"rds.tls10": "default"}),
		group(Group{Name: "app-params", Exists: true, Family: "sqlserver-se-15.0", UserParams: map[string]string{"max degree of parallelism": "4"}}),
		group(Group{Name: "forcessl-app-params", Exists: true, Family: "sqlserver-se-15.0",
			Tags:       map[string]string{"forcessl:managed-by": "forcessl", "forcessl:source-group": "app-params"},
			UserParams: map[string]string{"max degree of parallelism": "4", "rds.force_ssl": "1", "rds.tls10": "disabled"},
			Params: map[string]Parameter{"rds.force_ssl": {Found: true, Value: "1"}, "rds.tls10": {Found: true, Value: "disabled"},
				"rds.tls11": {Found: true, Value: "disabled"}, "rds.rc4": {Found: true, Value: "disabled"}, "rds.3des168": {Found: true, Value: "disabled"}}})),
		func() Settings { s := settings(); modern(&s); return s }(), now)
	if !need.Zero() || p.Outcome != OutcomeRemediated {
		t.Fatalf("%s/%s %s (need %s)", p.State, p.Outcome, p.Reason, need)
	}
	if len(p.Steps) != 2 || p.Steps[0] != (AttachGroup{Target: ref, Group: "forcessl-app-params", ApplyImmediately: true}) {
		t.Errorf("want the existing group attached as is: %s", p.Describe())
	}
}
