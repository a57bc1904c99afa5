package plan

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
)

// Thursday 2026-11-26 10:00 UTC; the default window below is Sunday 05:00.
var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

const window = "sun:05:00-sun:05:30"

var sunday0500 = time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC)

func settings() Settings {
	return Settings{Reboot: policy.RebootWindow, MinLead: 15 * time.Minute,
		ExemptTag: "forcessl:exempt", Engines: policy.Engines}
}

// sqlServer is an available SQL Server instance on a default group with
// rds.force_ssl=0.
func sqlServer(mod ...func(*Observed)) Observed {
	o := Observed{Account: "111122223333", Region: "eu-west-1", Trigger: request.TriggerChange, Found: true,
		Resource: Resource{Kind: KindInstance, ID: "orders", Engine: "sqlserver-se", Status: "available",
			Group: "default.sqlserver-se-15.0", ApplyStatus: InSync, MaintenanceWindow: window, Tags: map[string]string{}},
		Params: map[string]Parameter{"rds.force_ssl": {Found: true, Value: "0", ApplyType: "static"}}}
	for _, m := range mod {
		m(&o)
	}
	return o
}

var (
	sched = ScheduleName("111122223333", "eu-west-1", "orders")
	ref   = Ref{Kind: KindInstance, ID: "orders"}
)

// setTLS sets the TLS parameter of the instance's engine in its group.
func setTLS(o *Observed, p Parameter) {
	req, _ := policy.For(o.Resource.Engine)
	o.Params = map[string]Parameter{req.Parameter: p}
}

func setTLSValue(o *Observed, v string) {
	req, _ := policy.For(o.Resource.Engine)
	p := o.Params[req.Parameter]
	p.Value = v
	o.Params[req.Parameter] = p
}

func TestDecide(t *testing.T) {
	onCustom := func(o *Observed) { o.Resource.Group = "app-params" }
	compliantPending := func(o *Observed) {
		o.Resource.Group = "forcessl-app-params"
		setTLSValue(o, "1")
		o.Resource.ApplyStatus = PendingReboot
	}
	tests := []struct {
		name     string
		obs      Observed
		settings func(*Settings)
		now      time.Time
		state    State
		outcome  Outcome
		steps    []Step
		reason   string // substring
	}{
		{
			name: "default group: create in family, set static param pending-reboot, attach now, reboot at next window",
			obs:  sqlServer(), state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{
				CreateGroup{Kind: KindInstance, Name: "forcessl-default-sqlserver-se-15-0-" + hashOf("default.sqlserver-se-15.0"), Family: "sqlserver-se-15.0", Source: "default.sqlserver-se-15.0"},
				SetParameter{Kind: KindInstance, Group: "forcessl-default-sqlserver-se-15-0-" + hashOf("default.sqlserver-se-15.0"), Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				AttachGroup{Target: ref, Group: "forcessl-default-sqlserver-se-15-0-" + hashOf("default.sqlserver-se-15.0"), ApplyImmediately: true},
				Schedule{Name: sched, Target: ref, At: sunday0500, Action: request.TriggerReboot},
			},
		},
		{
			name: "custom group: copy it so custom parameters are kept",
			obs:  sqlServer(onCustom), state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{
				CopyGroup{Kind: KindInstance, Name: "forcessl-app-params", Source: "app-params"},
				SetParameter{Kind: KindInstance, Group: "forcessl-app-params", Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				AttachGroup{Target: ref, Group: "forcessl-app-params", ApplyImmediately: true},
				Schedule{Name: sched, Target: ref, At: sunday0500, Action: request.TriggerReboot},
			},
		},
		{
			name: "parameter listed without a value counts as off",
			obs:  sqlServer(onCustom, func(o *Observed) { setTLS(o, Parameter{Found: true, ApplyType: "static"}) }), state: NonCompliant, outcome: OutcomeRemediated,
			reason: "unset (off)",
		},
		{
			name: "parameter not in the family at all (old engine): refuse before any write",
			obs:  sqlServer(onCustom, func(o *Observed) { setTLS(o, Parameter{}) }), state: NonCompliant, outcome: OutcomeRefused,
			reason: "has no rds.force_ssl parameter",
		},
		{
			name: "bad window during remediation: fixed, and the message says no reboot is scheduled",
			obs:  sqlServer(onCustom, func(o *Observed) { o.Resource.MaintenanceWindow = "" }), state: NonCompliant, outcome: OutcomeRemediated,
			reason: "no reboot scheduled",
			steps: []Step{
				CopyGroup{Kind: KindInstance, Name: "forcessl-app-params", Source: "app-params"},
				SetParameter{Kind: KindInstance, Group: "forcessl-app-params", Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				AttachGroup{Target: ref, Group: "forcessl-app-params", ApplyImmediately: true},
			},
		},
		{
			name: "an event just before the window keeps the existing schedule (never moves it)",
			obs:  sqlServer(compliantPending), now: sunday0500.Add(-10 * time.Minute),
			state: CompliantPendingReboot, outcome: OutcomeRebootPlanned,
			steps: []Step{Schedule{Name: sched, Target: ref, At: sunday0500.AddDate(0, 0, 7), Action: request.TriggerReboot, Move: false}},
		},
		{
			name: "owner's own group pending reboot: not ours to reboot, even with policy immediate",
			obs: sqlServer(onCustom, func(o *Observed) {
				setTLSValue(o, "1")
				o.Resource.ApplyStatus = PendingReboot
			}), settings: func(s *Settings) { s.Reboot = policy.RebootImmediate },
			state: CompliantPendingReboot, outcome: OutcomeNone, reason: "the owner reboots",
		},
		{
			name: "owner's own group pending reboot, scheduled trigger in the window: still not ours",
			obs: sqlServer(onCustom, func(o *Observed) {
				setTLSValue(o, "1")
				o.Resource.ApplyStatus = PendingReboot
				o.Trigger = request.TriggerReboot
			}), now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeNone,
		},
		{
			name: "queued modifications still pending on the in-window re-check: reboot anyway",
			obs: sqlServer(compliantPending, func(o *Observed) {
				o.Trigger = request.TriggerRecheck
				o.Resource.PendingModified = true
			}), now: sunday0500.Add(RecheckDelay),
			state: CompliantPendingReboot, outcome: OutcomeRebooted, steps: []Step{Reboot{Target: ref}},
		},
		{
			name: "dynamic parameter (MySQL) is set immediate",
			obs: sqlServer(onCustom, func(o *Observed) {
				o.Resource.Engine = "mysql"
				setTLS(o, Parameter{Found: true, Value: "0", ApplyType: "dynamic"})
			}),
			state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{
				CopyGroup{Kind: KindInstance, Name: "forcessl-app-params", Source: "app-params"},
				SetParameter{Kind: KindInstance, Group: "forcessl-app-params", Name: "require_secure_transport", Value: "1", ApplyMethod: "immediate"},
				AttachGroup{Target: ref, Group: "forcessl-app-params", ApplyImmediately: true},
				Schedule{Name: sched, Target: ref, At: sunday0500, Action: request.TriggerReboot},
			},
		},
		{
			name:  "pending modifications: attach with them in the window, not now",
			obs:   sqlServer(onCustom, func(o *Observed) { o.Resource.PendingModified = true }),
			state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{
				CopyGroup{Kind: KindInstance, Name: "forcessl-app-params", Source: "app-params"},
				SetParameter{Kind: KindInstance, Group: "forcessl-app-params", Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				AttachGroup{Target: ref, Group: "forcessl-app-params", ApplyImmediately: false},
				Schedule{Name: sched, Target: ref, At: sunday0500, Action: request.TriggerReboot},
			},
		},
		{
			name:  "window starting within the lead time is skipped",
			obs:   sqlServer(onCustom, func(o *Observed) { o.Resource.MaintenanceWindow = "thu:10:10-thu:10:40" }),
			state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{
				CopyGroup{Kind: KindInstance, Name: "forcessl-app-params", Source: "app-params"},
				SetParameter{Kind: KindInstance, Group: "forcessl-app-params", Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				AttachGroup{Target: ref, Group: "forcessl-app-params", ApplyImmediately: true},
				Schedule{Name: sched, Target: ref, At: time.Date(2026, 12, 3, 10, 10, 0, 0, time.UTC), Action: request.TriggerReboot},
			},
		},
		{
			name: "reboot immediate: short settle schedule instead of a window",
			obs:  sqlServer(onCustom), settings: func(s *Settings) { s.Reboot = policy.RebootImmediate },
			state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{
				CopyGroup{Kind: KindInstance, Name: "forcessl-app-params", Source: "app-params"},
				SetParameter{Kind: KindInstance, Group: "forcessl-app-params", Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				AttachGroup{Target: ref, Group: "forcessl-app-params", ApplyImmediately: true},
				Schedule{Name: sched, Target: ref, At: now.Add(SettleDelay), Action: request.TriggerReboot},
			},
		},
		{
			name:  "tag forcessl:reboot=never overrides the default: fix, no schedule",
			obs:   sqlServer(onCustom, func(o *Observed) { o.Resource.Tags[RebootTag] = "never" }),
			state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{
				CopyGroup{Kind: KindInstance, Name: "forcessl-app-params", Source: "app-params"},
				SetParameter{Kind: KindInstance, Group: "forcessl-app-params", Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				AttachGroup{Target: ref, Group: "forcessl-app-params", ApplyImmediately: true},
			},
		},
		{
			name: "exempt instance is never touched",
			obs:  sqlServer(func(o *Observed) { o.Resource.Tags["forcessl:exempt"] = "TRUE" }), state: Exempt, outcome: OutcomeNone,
		},
		{
			name: "exempt tag with another value does not exempt",
			obs:  sqlServer(func(o *Observed) { o.Resource.Tags["forcessl:exempt"] = "no" }), state: NonCompliant, outcome: OutcomeRemediated,
		},
		{
			name:     "custom exempt tag key",
			obs:      sqlServer(func(o *Observed) { o.Resource.Tags["security:skip-tls"] = "true" }),
			settings: func(s *Settings) { s.ExemptTag = "security:skip-tls" }, state: Exempt, outcome: OutcomeNone,
		},
		{
			name: "Aurora member is out of scope",
			obs:  sqlServer(func(o *Observed) { o.Resource.Engine = "aurora-postgresql"; o.Resource.ClusterID = "c1" }), state: OutOfScope, outcome: OutcomeNone,
		},
		{
			name: "Oracle is out of scope",
			obs:  sqlServer(func(o *Observed) { o.Resource.Engine = "oracle-ee" }), state: OutOfScope, outcome: OutcomeNone,
		},
		{
			name: "engine not configured is out of scope",
			obs:  sqlServer(), settings: func(s *Settings) { s.Engines = []string{"postgres"} }, state: OutOfScope, outcome: OutcomeNone,
		},
		{
			name: "deleted instance",
			obs:  Observed{Found: false}, state: NotFound, outcome: OutcomeNone,
		},
		{
			name: "creating: re-check later, never dropped",
			obs:  sqlServer(func(o *Observed) { o.Resource.Status = "creating" }), state: NotReady, outcome: OutcomeWaiting,
			steps: []Step{Schedule{Name: sched, Target: ref, At: now.Add(RecheckDelay), Action: request.TriggerRecheck}},
		},
		{
			name: "stopped: re-check in a day",
			obs:  sqlServer(func(o *Observed) { o.Resource.Status = "stopped" }), state: NotReady, outcome: OutcomeWaiting,
			steps: []Step{Schedule{Name: sched, Target: ref, At: now.Add(IdleRecheckDelay), Action: request.TriggerRecheck}},
		},
		{
			name: "compliant custom group in sync: nothing to do",
			obs:  sqlServer(onCustom, func(o *Observed) { setTLSValue(o, "1") }), state: Compliant, outcome: OutcomeNone,
		},
		{
			name: "PostgreSQL 15 default group is already on",
			obs: sqlServer(func(o *Observed) {
				o.Resource.Engine = "postgres"
				o.Resource.Group = "default.postgres15"
				setTLSValue(o, "1")
			}), state: Compliant, outcome: OutcomeNone,
		},
		{
			name: "compliant but not yet in effect: schedule the reboot",
			obs:  sqlServer(compliantPending), state: CompliantPendingReboot, outcome: OutcomeRebootPlanned,
			steps: []Step{Schedule{Name: sched, Target: ref, At: sunday0500, Action: request.TriggerReboot}},
		},
		{
			name: "pending reboot with policy never: only report",
			obs:  sqlServer(compliantPending), settings: func(s *Settings) { s.Reboot = policy.RebootNever },
			state: CompliantPendingReboot, outcome: OutcomeNone,
		},
		{
			name: "pending reboot with policy immediate: reboot now",
			obs:  sqlServer(compliantPending), settings: func(s *Settings) { s.Reboot = policy.RebootImmediate },
			state: CompliantPendingReboot, outcome: OutcomeRebooted, steps: []Step{Reboot{Target: ref}},
		},
		{
			name: "an ordinary event inside the window does not reboot",
			obs:  sqlServer(compliantPending), now: sunday0500.Add(time.Minute),
			state: CompliantPendingReboot, outcome: OutcomeRebootPlanned,
			steps: []Step{Schedule{Name: sched, Target: ref, At: sunday0500.AddDate(0, 0, 7), Action: request.TriggerReboot}},
		},
		{
			name: "scheduled reboot in the window: reboot",
			obs:  sqlServer(compliantPending, func(o *Observed) { o.Trigger = request.TriggerReboot }), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRebooted, steps: []Step{Reboot{Target: ref}},
		},
		{
			name: "scheduled reboot but instance busy early in the window: look again inside it",
			obs: sqlServer(compliantPending, func(o *Observed) {
				o.Trigger = request.TriggerReboot
				o.Resource.Status = "modifying"
			}), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeWaiting,
			steps: []Step{Schedule{Name: sched, Target: ref, At: sunday0500.Add(RecheckDelay), Action: request.TriggerRecheck, Move: true}},
		},
		{
			name: "scheduled reboot with modifications still pending: wait for RDS to apply them",
			obs: sqlServer(compliantPending, func(o *Observed) {
				o.Trigger = request.TriggerReboot
				o.Resource.PendingModified = true
			}), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeWaiting,
			steps: []Step{Schedule{Name: sched, Target: ref, At: sunday0500.Add(RecheckDelay), Action: request.TriggerRecheck, Move: true}},
		},
		{
			name: "scheduled reboot, busy, too late in the window: next window",
			obs: sqlServer(compliantPending, func(o *Observed) {
				o.Trigger = request.TriggerReboot
				o.Resource.Status = "backing-up"
			}), now: sunday0500.Add(20 * time.Minute),
			state: CompliantPendingReboot, outcome: OutcomePostponed,
			steps: []Step{Schedule{Name: sched, Target: ref, At: sunday0500.AddDate(0, 0, 7), Action: request.TriggerReboot, Move: true}},
		},
		{
			name: "scheduled reboot with under RebootMargin left: next window",
			obs:  sqlServer(compliantPending, func(o *Observed) { o.Trigger = request.TriggerReboot }), now: sunday0500.Add(26 * time.Minute),
			state: CompliantPendingReboot, outcome: OutcomePostponed,
			steps: []Step{Schedule{Name: sched, Target: ref, At: sunday0500.AddDate(0, 0, 7), Action: request.TriggerReboot, Move: true}},
		},
		{
			name: "scheduled reboot delivered late, outside the window: never reboots, moves to the next",
			obs:  sqlServer(compliantPending, func(o *Observed) { o.Trigger = request.TriggerReboot }), now: sunday0500.Add(2 * time.Hour),
			state: CompliantPendingReboot, outcome: OutcomePostponed,
			steps: []Step{Schedule{Name: sched, Target: ref, At: sunday0500.AddDate(0, 0, 7), Action: request.TriggerReboot, Move: true}},
		},
		{
			name: "scheduled reboot, already in sync (someone rebooted): nothing",
			obs: sqlServer(compliantPending, func(o *Observed) {
				o.Trigger = request.TriggerReboot
				o.Resource.ApplyStatus = InSync
			}), now: sunday0500, state: Compliant, outcome: OutcomeNone,
		},
		{
			name: "scheduled reboot, exempted since: nothing",
			obs: sqlServer(compliantPending, func(o *Observed) {
				o.Trigger = request.TriggerReboot
				o.Resource.Tags["forcessl:exempt"] = "true"
			}), now: sunday0500, state: Exempt, outcome: OutcomeNone,
		},
		{
			name: "scheduled reboot, TLS turned off again since: remediate instead of rebooting",
			obs: sqlServer(onCustom, func(o *Observed) {
				o.Trigger = request.TriggerReboot
				o.Resource.ApplyStatus = PendingReboot
			}), now: sunday0500, state: NonCompliant, outcome: OutcomeRemediated,
		},
		{
			name: "restarted on our group and in sync: verified",
			obs: sqlServer(compliantPending, func(o *Observed) {
				o.Trigger = request.TriggerRestarted
				o.Resource.ApplyStatus = InSync
			}), state: Compliant, outcome: OutcomeVerified,
		},
		{
			name: "restarted on the owner's own compliant group: nothing to say",
			obs: sqlServer(onCustom, func(o *Observed) {
				o.Trigger = request.TriggerRestarted
				setTLSValue(o, "1")
			}), state: Compliant, outcome: OutcomeNone,
		},
		{
			name:  "parameter group failed to apply",
			obs:   sqlServer(compliantPending, func(o *Observed) { o.Resource.ApplyStatus = FailedToApply }),
			state: CompliantPendingReboot, outcome: OutcomeFailed,
		},
		{
			name:  "bad maintenance window is a failure, not a guess",
			obs:   sqlServer(compliantPending, func(o *Observed) { o.Resource.MaintenanceWindow = "someday" }),
			state: CompliantPendingReboot, outcome: OutcomeFailed, reason: "someday",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := settings()
			if tt.settings != nil {
				tt.settings(&s)
			}
			at := now
			if !tt.now.IsZero() {
				at = tt.now
			}
			p, need := Decide(tt.obs, s, at)
			if need != 0 {
				t.Fatalf("Decide asks for %s", need)
			}
			if p.State != tt.state || p.Outcome != tt.outcome {
				t.Fatalf("Decide = %s/%s (%s), want %s/%s", p.State, p.Outcome, p.Reason, tt.state, tt.outcome)
			}
			if tt.steps != nil && !reflect.DeepEqual(p.Steps, tt.steps) {
				t.Errorf("steps:\n got  %s\n want %s", p.Describe(), Plan{Steps: tt.steps}.Describe())
			}
			if tt.steps == nil && (tt.outcome == OutcomeNone || tt.outcome == OutcomeFailed) && len(p.Steps) > 0 {
				t.Errorf("unexpected steps: %s", p.Describe())
			}
			if !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("reason %q does not mention %q", p.Reason, tt.reason)
			}
			// Idempotence of the decision itself.
			if again, _ := Decide(tt.obs, s, at); !reflect.DeepEqual(again, p) {
				t.Error("Decide is not deterministic")
			}
		})
	}
}

func hashOf(s string) string {
	n := paramgroup.CompliantName(s)
	return n[strings.LastIndex(n, "-")+1:]
}

// When the compliant name is taken, the reconciler observes the groups and
// Decide reuses the existing one only if that is safe.
func TestDecideExistingCompliantGroup(t *testing.T) {
	const target = "forcessl-app-params"
	ours := map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue, paramgroup.TagSourceGroup: "app-params"}
	custom := map[string]string{"max_degree_of_parallelism": "4"}
	on := map[string]Parameter{"rds.force_ssl": {Found: true, Value: "1"}}
	off := map[string]Parameter{"rds.force_ssl": {Found: true, Value: "0"}}
	base := func(c Group) Observed {
		return sqlServer(func(o *Observed) {
			o.Resource.Group = "app-params"
			o.Source = &Group{Name: "app-params", Exists: true, Family: "sqlserver-se-15.0", UserParams: custom}
			c.Name, c.Exists = target, true
			o.Candidate = &c
		})
	}
	tests := []struct {
		name    string
		group   Group
		outcome Outcome
		steps   []Step
		reason  string
	}{
		{"ours and compliant: just attach", Group{Family: "sqlserver-se-15.0", Tags: ours, Params: on,
			UserParams: map[string]string{"max_degree_of_parallelism": "4", "rds.force_ssl": "1"}}, OutcomeRemediated,
			[]Step{AttachGroup{Target: ref, Group: target, ApplyImmediately: true}, Schedule{Name: sched, Target: ref, At: sunday0500, Action: request.TriggerReboot}}, ""},
		{"ours but TLS off (crash before set): fix and attach", Group{Family: "sqlserver-se-15.0", Tags: ours, Params: off,
			UserParams: custom}, OutcomeRemediated,
			[]Step{SetParameter{Kind: KindInstance, Group: target, Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				AttachGroup{Target: ref, Group: target, ApplyImmediately: true}, Schedule{Name: sched, Target: ref, At: sunday0500, Action: request.TriggerReboot}}, ""},
		{"someone else's but compliant and identical: reuse", Group{Family: "sqlserver-se-15.0", Params: on,
			UserParams: custom}, OutcomeRemediated, nil, ""},
		{"someone else's and not compliant: refuse", Group{Family: "sqlserver-se-15.0", Params: off,
			UserParams: custom}, OutcomeRefused, nil, "not forcessl's"},
		{"other family: refuse", Group{Family: "sqlserver-se-16.0", Tags: ours, Params: on, UserParams: custom},
			OutcomeRefused, nil, "family"},
		{"our stale copy (source changed since): refuse rather than drop a custom parameter", Group{Family: "sqlserver-se-15.0", Tags: ours,
			Params: on, UserParams: map[string]string{"max_degree_of_parallelism": "2"}},
			OutcomeRefused, nil, "max_degree_of_parallelism"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, need := Decide(base(tt.group), settings(), now)
			if need != 0 {
				t.Fatalf("asks for %s with every group observed", need)
			}
			if p.Outcome != tt.outcome {
				t.Fatalf("outcome %s (%s), want %s", p.Outcome, p.Reason, tt.outcome)
			}
			if tt.steps != nil && !reflect.DeepEqual(p.Steps, tt.steps) {
				t.Errorf("steps:\n got  %s\n want %s", p.Describe(), Plan{Steps: tt.steps}.Describe())
			}
			if tt.outcome == OutcomeRefused && len(p.Steps) != 0 {
				t.Errorf("refusal with steps: %s", p.Describe())
			}
			if !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("reason %q does not mention %q", p.Reason, tt.reason)
			}
		})
	}
}

// The protocol: Decide asks only for what it lacks, and never again for
// what it was given.
func TestDecideAsksOnlyForWhatItLacks(t *testing.T) {
	unread := func(o *Observed) { o.Params = nil }
	if p, need := Decide(sqlServer(unread), settings(), now); need != NeedParams || p.Writes() {
		t.Errorf("in scope: want NeedParams, got %s %+v", need, p)
	}
	exempt := sqlServer(unread, func(o *Observed) { o.Resource.Tags["forcessl:exempt"] = "true" })
	if p, need := Decide(exempt, settings(), now); need != 0 || p.State != Exempt {
		t.Errorf("exempt: want no read, got %s %+v", need, p)
	}
	oracle := sqlServer(unread, func(o *Observed) { o.Resource.Engine = "oracle-se2" })
	if p, need := Decide(oracle, settings(), now); need != 0 || p.State != OutOfScope {
		t.Errorf("out of scope: want no read, got %s %+v", need, p)
	}
	for name, o := range map[string]Observed{
		"unread":             sqlServer(unread),
		"fix in place":       sqlServer(func(o *Observed) { o.Resource.Group = "forcessl-app-params" }),
		"remediate, default": sqlServer(),
	} {
		_, need := Decide(o, settings(), now)
		if need != 0 && need.Missing(o) != need {
			t.Errorf("%s: asks for %s, of which %s is already observed", name, need, need&^need.Missing(o))
		}
	}
}

func TestDecideFixInPlace(t *testing.T) {
	onOurs := func(o *Observed) { o.Resource.Group = "forcessl-app-params" }
	if p, need := Decide(sqlServer(onOurs), settings(), now); need != NeedGroups || p.Writes() {
		t.Fatalf("want a request to observe the group first, got %s %+v", need, p)
	}
	observed := func(g Group) func(*Observed) {
		return func(o *Observed) { o.Source, o.Candidate = &g, &g }
	}
	tagged := sqlServer(onOurs, observed(Group{Name: "forcessl-app-params", Exists: true,
		Tags: map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue}}))
	p, _ := Decide(tagged, settings(), now)
	want := []Step{SetParameter{Kind: KindInstance, Group: "forcessl-app-params", Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
		Schedule{Name: sched, Target: ref, At: sunday0500, Action: request.TriggerReboot}}
	if p.Outcome != OutcomeRemediated || !reflect.DeepEqual(p.Steps, want) {
		t.Errorf("got %s %s", p.Outcome, p.Describe())
	}
	untagged := sqlServer(onOurs, observed(Group{Name: "forcessl-app-params", Exists: true}))
	if p, _ := Decide(untagged, settings(), now); p.Outcome != OutcomeRefused || p.Writes() {
		t.Errorf("an untagged lookalike must be refused, got %s %s", p.Outcome, p.Describe())
	}
}

func TestScheduleName(t *testing.T) {
	long := strings.Repeat("x", 63)
	for _, id := range []string{"a", "orders", long} {
		n := ScheduleName("111122223333", "eu-west-1", id)
		if len(n) > 64 || strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			t.Errorf("ScheduleName(%q) = %q", id, n)
		}
	}
	if ScheduleName("111122223333", "eu-west-1", "a") == ScheduleName("444455556666", "eu-west-1", "a") {
		t.Error("the same instance name in two accounts must not share a schedule")
	}
}
