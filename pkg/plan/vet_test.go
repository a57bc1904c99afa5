package plan

import (
	"strings"
	"testing"

	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/policy"
)

// Vet: a forcessl-* group is trusted only if it differs from its source in
// the engine's own parameters alone, each then holding a value forcessl
// writes.
func TestVet(t *testing.T) {
	src := func(user map[string]string) Group {
		return Group{Name: "app-pg", Exists: true, Family: "postgres16", UserParams: user}
	}
	cp := func(user map[string]string) Group {
		return Group{Name: "forcessl-app-pg", Exists: true, Family: "postgres16", UserParams: user}
	}
	for _, tt := range []struct {
		name           string
		copied, source Group
		engine, ver    string
		want           []string // substrings, one per problem; none: trusted
	}{
		{"forcessl's copy: the switch on, custom parameters kept", cp(map[string]string{"work_mem": "64MB", "rds.force_ssl": "1"}),
			src(map[string]string{"work_mem": "64MB"}), "postgres", "16.4", nil},
		{"untouched copy of a source that had the switch on", cp(map[string]string{"rds.force_ssl": "1"}),
			src(map[string]string{"rds.force_ssl": "1"}), "postgres", "16.4", nil},
		{"the modern profile's fixes: stricter than the source", cp(map[string]string{"rds.force_ssl": "1",
			"ssl_min_protocol_version": "TLSv1.2", "ssl_max_protocol_version": "TLSv1.3"}),
			src(map[string]string{"ssl_min_protocol_version": "TLSv1", "ssl_max_protocol_version": "TLSv1.1"}), "postgres", "16.4", nil},
		{"switch on but the minimum lowered to TLSv1", cp(map[string]string{"rds.force_ssl": "1", "ssl_min_protocol_version": "TLSv1"}),
			src(nil), "postgres", "16.4", []string{"ssl_min_protocol_version is TLSv1 where its source has the default"}},
		{"minimum lowered below the source's, still compliant", cp(map[string]string{"rds.force_ssl": "1", "ssl_min_protocol_version": "TLSv1.2"}),
			src(map[string]string{"ssl_min_protocol_version": "TLSv1.3"}), "postgres", "16.4", []string{"ssl_min_protocol_version is TLSv1.2"}},
		{"a maximum capped where the source had none", cp(map[string]string{"rds.force_ssl": "1", "ssl_max_protocol_version": "TLSv1.2"}),
			src(nil), "postgres", "16.4", []string{"ssl_max_protocol_version"}},
		{"the switch reset where the source has it on", cp(map[string]string{}), src(map[string]string{"rds.force_ssl": "1"}),
			"postgres", "16.4", []string{"rds.force_ssl is the default"}},
		{"the switch turned off", cp(map[string]string{"rds.force_ssl": "0"}), src(nil), "postgres", "16.4",
			[]string{"rds.force_ssl is 0"}},
		{"audit logging switched off: not an own parameter", cp(map[string]string{"rds.force_ssl": "1", "log_connections": "0"}),
			src(map[string]string{"log_connections": "1"}), "postgres", "16.4", []string{"differs from its source in log_connections"}},
		{"a parameter added", cp(map[string]string{"rds.force_ssl": "1", "pgaudit.log": "none"}), src(nil), "postgres", "16.4",
			[]string{"differs from its source in pgaudit.log"}},
		{"a custom parameter reset", cp(map[string]string{"rds.force_ssl": "1"}), src(map[string]string{"pgaudit.log": "all"}),
			"postgres", "16.4", []string{"pgaudit.log"}},
		{"another family", Group{Family: "postgres15", UserParams: map[string]string{"rds.force_ssl": "1"}}, src(nil), "postgres", "16.4",
			[]string{"family postgres15"}},
		{"MySQL: tls_version opened to TLSv1.1", cp(map[string]string{"require_secure_transport": "1", "tls_version": "TLSv1.1,TLSv1.2"}),
			Group{}, "mysql", "8.0.39", []string{"tls_version"}},
		{"MySQL: the modern profile's tls_version", cp(map[string]string{"require_secure_transport": "1", "tls_version": "TLSv1.2,TLSv1.3"}),
			Group{}, "mysql", "8.0.39", nil},
		{"SQL Server: TLS 1.0 enabled again", cp(map[string]string{"rds.force_ssl": "1", "rds.tls10": "enabled"}),
			src(map[string]string{"rds.tls10": "disabled"}), "sqlserver-se", "15.00", []string{"rds.tls10 is enabled"}},
		{"SQL Server: TLS 1.0 disabled by the profile", cp(map[string]string{"rds.force_ssl": "1", "rds.tls10": "disabled"}),
			src(nil), "sqlserver-se", "15.00", nil},
		{"Aurora MySQL spells the switch ON", cp(map[string]string{"require_secure_transport": "ON"}), src(nil), "aurora-mysql", "8.0", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Vet(tt.copied, tt.source, tt.engine, tt.ver)
			if len(got) != len(tt.want) {
				t.Fatalf("Vet = %q, want %d problem(s) like %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to mention %q", i, got[i], w)
				}
			}
		})
	}
}

// Vet names a customer parameter, never its value.
func TestVetNamesNoCustomerValues(t *testing.T) {
	got := strings.Join(Vet(Group{UserParams: map[string]string{"rds.force_ssl": "1", "app.secret": "hunter2"}},
		Group{UserParams: map[string]string{"app.secret": "swordfish"}}, "postgres", "16.4"), " ")
	if !strings.Contains(got, "app.secret") || strings.Contains(got, "hunter2") || strings.Contains(got, "swordfish") {
		t.Errorf("Vet = %q: want the name, not the values", got)
	}
}

// onOurs is a postgres instance on forcessl's copy of app-pg, compliant
// and in sync, asked to vet its group.
func onOurs(copyUser, srcUser map[string]string, mod ...func(*Observed)) Observed {
	o := Observed{Account: account, Region: region, Trigger: VetTrigger, Found: true, VetGroup: true,
		Resource: Resource{Kind: KindInstance, ID: "orders", ResourceID: rid, Engine: "postgres", EngineVersion: "16.4", Status: "available",
			Group: "forcessl-app-pg", ApplyStatus: InSync, MaintenanceWindow: window, Tags: map[string]string{}},
		Params:    map[string]Parameter{"rds.force_ssl": {Found: true, Value: "1", ApplyType: "dynamic"}},
		Schedules: []ScheduledAction{}}
	group(Group{Name: "forcessl-app-pg", Exists: true, Family: "postgres16", UserParams: copyUser,
		Tags: map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue, paramgroup.TagSourceGroup: "app-pg"}})(&o)
	group(Group{Name: "app-pg", Exists: true, Family: "postgres16", UserParams: srcUser})(&o)
	for _, m := range mod {
		m(&o)
	}
	return o
}

// VetTrigger is any trigger: vetting follows Observed.VetGroup.
const VetTrigger = "sweep"

func TestDecideVetsTheGroupItIsOn(t *testing.T) {
	weak := map[string]string{"rds.force_ssl": "1", "ssl_min_protocol_version": "TLSv1"}
	clean := map[string]string{"rds.force_ssl": "1", "work_mem": "64MB"}
	runDecide(t, []decideCase{
		{name: "a clean copy is trusted: compliant, nothing to do", obs: onOurs(clean, map[string]string{"work_mem": "64MB"}),
			state: Compliant, outcome: OutcomeNone},
		{name: "a weakened copy: untrusted, nothing changed", obs: onOurs(weak, nil), state: NonCompliant, outcome: OutcomeUntrusted,
			steps: []Step{}, reason: "ssl_min_protocol_version is TLSv1"},
		{name: "a weakened copy under the modern profile: untrusted, not fixed in place", obs: onOurs(weak, nil),
			settings: func(s *Settings) { s.Profile = policy.ProfileModern }, state: NonCompliant, outcome: OutcomeUntrusted, steps: []Step{}},
		{name: "without VetGroup the group is not read", obs: onOurs(weak, nil, func(o *Observed) { o.VetGroup = false; o.Groups = nil }),
			state: Compliant, outcome: OutcomeNone},
		{name: "a copy without its source tag", obs: onOurs(clean, nil, func(o *Observed) {
			delete(o.Groups["forcessl-app-pg"].Tags, paramgroup.TagSourceGroup)
		}), state: NonCompliant, outcome: OutcomeUntrusted, steps: []Step{}, reason: "source is unknown"},
		{name: "a copy whose source was deleted", obs: onOurs(clean, nil, func(o *Observed) { o.Groups["app-pg"] = &Group{Name: "app-pg"} }),
			state: NonCompliant, outcome: OutcomeUntrusted, steps: []Step{}, reason: "no longer exists"},
		{name: "an untagged forcessl-* group", obs: onOurs(clean, nil, func(o *Observed) { o.Groups["forcessl-app-pg"].Tags = map[string]string{} }),
			state: NonCompliant, outcome: OutcomeUntrusted, steps: []Step{}, reason: "not tagged"},
		{name: "exempt: never read, never told", obs: onOurs(weak, nil, func(o *Observed) { o.Resource.Tags["forcessl:exempt"] = "true" }),
			state: Exempt, outcome: OutcomeNone},
	})
	// No check passes on an untrusted group.
	p, _ := Decide(onOurs(weak, nil), settings(), now)
	for _, c := range p.Checks {
		if c.Passed || c.Pending || !strings.Contains(c.Detail, string(OutcomeUntrusted)) {
			t.Errorf("check %+v on an untrusted group", c)
		}
	}
}

// The reads: the group the resource is on, then its source; a resource
// on a group of its owner's is never vetted.
func TestDecideVetAsksForTheGroupThenItsSource(t *testing.T) {
	o := onOurs(nil, nil, func(o *Observed) { o.Groups = nil })
	_, need := Decide(o, settings(), now)
	if len(need.Groups) != 1 || need.Groups[0] != "forcessl-app-pg" {
		t.Fatalf("first need = %s, want the forcessl group", need)
	}
	group(Group{Name: "forcessl-app-pg", Exists: true, Family: "postgres16",
		Tags: map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue, paramgroup.TagSourceGroup: "app-pg"}})(&o)
	if _, need = Decide(o, settings(), now); len(need.Groups) != 1 || need.Groups[0] != "app-pg" {
		t.Fatalf("second need = %s, want the source", need)
	}
	owners := onOurs(nil, nil, func(o *Observed) { o.Groups, o.Resource.Group = nil, "app-pg" })
	if _, need := Decide(owners, settings(), now); !need.Zero() {
		t.Errorf("a resource on its owner's group asks for %s", need)
	}
}

// (a) Before attaching an existing forcessl-* group, forcessl vets it
// against the resource's current group: a weakened one is never attached.
func TestDecideNeverAttachesAnUntrustedGroup(t *testing.T) {
	const target = "forcessl-app-params"
	ours := map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue, paramgroup.TagSourceGroup: "app-params"}
	base := func(user map[string]string) Observed {
		return sqlServer(onCustom, group(Group{Name: "app-params", Exists: true, Family: "sqlserver-se-15.0",
			UserParams: map[string]string{"rds.tls10": "disabled"}}),
			group(Group{Name: target, Exists: true, Family: "sqlserver-se-15.0", Tags: ours, UserParams: user,
				Params: map[string]Parameter{"rds.force_ssl": {Found: true, Value: "1"}}}), users(target))
	}
	runDecide(t, []decideCase{
		{name: "forcessl's copy: attached", obs: base(map[string]string{"rds.force_ssl": "1", "rds.tls10": "disabled"}),
			state: NonCompliant, outcome: OutcomeRemediated, steps: []Step{attachApp, schedule(sunday0500, "reboot")}},
		{name: "TLS 1.0 enabled in the copy: refused", obs: base(map[string]string{"rds.force_ssl": "1", "rds.tls10": "enabled"}),
			state: NonCompliant, outcome: OutcomeRefused, reason: "differs from app-params in rds.tls10"},
		// The modern profile leaves its own parameters out of the
		// comparison of the owner's settings: Vet still holds them.
		{name: "modern profile, TLS 1.0 enabled in the copy: refused", obs: base(map[string]string{"rds.force_ssl": "1", "rds.tls10": "enabled"}),
			settings: func(s *Settings) { s.Profile = policy.ProfileModern }, state: NonCompliant, outcome: OutcomeRefused,
			reason: "rds.tls10 is enabled"},
	})
}
