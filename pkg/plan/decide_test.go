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

const (
	window  = "sun:05:00-sun:05:30"
	account = "111122223333"
	region  = "eu-west-1"
	rid     = "db-ORDERSRESOURCEID0000001"
)

var (
	sunday0500 = time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC)
	ref        = Ref{Kind: KindInstance, ID: "orders", ResourceID: rid}
	defGroup   = "default.sqlserver-se-15.0"
	defTarget  = paramgroup.CompliantName(defGroup)
)

func settings() Settings {
	return Settings{Reboot: policy.RebootWindow, MinLead: 15 * time.Minute, ExemptTag: "forcessl:exempt", Engines: policy.Engines}
}

// sqlServer is an available SQL Server instance on a default group with
// rds.force_ssl=0, its parameters and (no) schedules observed, no memory.
func sqlServer(mod ...func(*Observed)) Observed {
	o := Observed{Account: account, Region: region, Trigger: request.TriggerChange, Found: true,
		Resource: Resource{Kind: KindInstance, ID: "orders", ResourceID: rid, Engine: "sqlserver-se", Status: "available",
			Group: defGroup, ApplyStatus: InSync, MaintenanceWindow: window, Tags: map[string]string{}},
		Params:    map[string]Parameter{"rds.force_ssl": {Found: true, Value: "0", ApplyType: "static"}},
		Schedules: []ScheduledAction{}}
	for _, m := range mod {
		m(&o)
	}
	return o
}

// schedule is the step that schedules action at at.
func schedule(at time.Time, action request.Trigger) CreateSchedule {
	return CreateSchedule{Name: ScheduleName(account, region, rid, at, action), Target: ref, At: at, Action: action}
}

// existing is a schedule already there.
func existing(at time.Time, action request.Trigger) func(*Observed) {
	return func(o *Observed) {
		o.Schedules = append(o.Schedules, ScheduledAction{Name: ScheduleName(account, region, rid, at, action), At: at, Action: action})
	}
}

func deleted(at time.Time, action request.Trigger) DeleteSchedule {
	return DeleteSchedule{Name: ScheduleName(account, region, rid, at, action)}
}

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

func group(g Group) func(*Observed) {
	return func(o *Observed) {
		if o.Groups == nil {
			o.Groups = map[string]*Group{}
		}
		o.Groups[g.Name] = &g
	}
}

func users(group string, rs ...Resource) func(*Observed) {
	return func(o *Observed) {
		if o.Users == nil {
			o.Users = map[string][]Resource{}
		}
		o.Users[group] = rs
	}
}

func remembers(m Memory) func(*Observed) { return func(o *Observed) { o.Memory = &m } }

var (
	onCustom         = func(o *Observed) { o.Resource.Group = "app-params" }
	compliantPending = func(o *Observed) {
		o.Resource.Group = "forcessl-app-params"
		setTLSValue(o, "1")
		o.Resource.ApplyStatus = PendingReboot
	}
	scheduledReboot = func(o *Observed) { o.Trigger = request.TriggerReboot }
	copyApp         = CopyGroup{Kind: KindInstance, Name: "forcessl-app-params", Source: "app-params"}
	setApp          = SetParameter{Kind: KindInstance, Group: "forcessl-app-params", Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"}
	attachApp       = AttachGroup{Target: ref, Group: "forcessl-app-params", ApplyImmediately: true}
	ourTags         = map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue}
)

type decideCase struct {
	name     string
	obs      Observed
	settings func(*Settings)
	now      time.Time
	state    State
	outcome  Outcome
	steps    []Step // nil: not checked, except that none/failed plans have none
	reason   string // substring
	rebootAt time.Time
	intent   func(t *testing.T, ic IntentChange)
}

func runDecide(t *testing.T, tests []decideCase) {
	t.Helper()
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
			if !need.Zero() {
				t.Fatalf("Decide asks for %s", need)
			}
			if p.State != tt.state || p.Outcome != tt.outcome {
				t.Fatalf("Decide = %s/%s (%s), want %s/%s", p.State, p.Outcome, p.Reason, tt.state, tt.outcome)
			}
			if tt.steps != nil && (len(tt.steps) > 0 || len(p.Steps) > 0) && !reflect.DeepEqual(p.Steps, tt.steps) {
				t.Errorf("steps:\n got  %s\n want %s", p.Describe(), Plan{Steps: tt.steps}.Describe())
			}
			if tt.steps == nil && (tt.outcome == OutcomeNone || tt.outcome == OutcomeFailed || tt.outcome == OutcomeRefused ||
				tt.outcome == OutcomeOwnerPending) && len(p.Steps) > 0 {
				t.Errorf("unexpected steps: %s", p.Describe())
			}
			if !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("reason %q does not mention %q", p.Reason, tt.reason)
			}
			if !tt.rebootAt.IsZero() && !p.RebootAt.Equal(tt.rebootAt) {
				t.Errorf("reboot at %s, want %s", p.RebootAt, tt.rebootAt)
			}
			if tt.intent != nil {
				tt.intent(t, p.Intent)
			}
			// Idempotence of the decision itself.
			if again, _ := Decide(tt.obs, s, at); !reflect.DeepEqual(again, p) {
				t.Error("Decide is not deterministic")
			}
		})
	}
}

func records(group string) func(*testing.T, IntentChange) {
	return func(t *testing.T, ic IntentChange) {
		if ic.Record == nil || ic.Record.Group != group || !ic.Record.RecordedAt.Equal(now) || len(ic.Record.Changes) == 0 || ic.Close != "" {
			t.Errorf("want an intent for %s recorded now, got %+v", group, ic)
		}
	}
}

func noIntentChange(t *testing.T, ic IntentChange) {
	if ic.Record != nil || ic.Close != "" {
		t.Errorf("want no intent change, got %+v", ic)
	}
}

func TestDecideRemediation(t *testing.T) {
	runDecide(t, []decideCase{
		{
			name: "default group: create in family, set static param pending-reboot, attach now, reboot at next window",
			obs:  sqlServer(), state: NonCompliant, outcome: OutcomeRemediated, rebootAt: sunday0500, intent: records(defTarget),
			steps: []Step{
				CreateGroup{Kind: KindInstance, Name: defTarget, Family: "sqlserver-se-15.0", Source: defGroup},
				SetParameter{Kind: KindInstance, Group: defTarget, Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				AttachGroup{Target: ref, Group: defTarget, ApplyImmediately: true},
				schedule(sunday0500, request.TriggerReboot),
			},
		},
		{
			name: "custom group: copy it so custom parameters are kept",
			obs:  sqlServer(onCustom), state: NonCompliant, outcome: OutcomeRemediated, intent: records("forcessl-app-params"),
			steps: []Step{copyApp, setApp, attachApp, schedule(sunday0500, request.TriggerReboot)},
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
			reason: "no reboot scheduled", steps: []Step{copyApp, setApp, attachApp},
		},
		{
			name: "dynamic parameter (MySQL) is set immediate; the attach still needs the reboot",
			obs: sqlServer(onCustom, func(o *Observed) {
				o.Resource.Engine = "mysql"
				setTLS(o, Parameter{Found: true, Value: "0", ApplyType: "dynamic"})
			}),
			state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{copyApp, SetParameter{Kind: KindInstance, Group: "forcessl-app-params", Name: "require_secure_transport", Value: "1", ApplyMethod: "immediate"},
				attachApp, schedule(sunday0500, request.TriggerReboot)},
		},
		{
			name:  "pending modifications: attach with them in the window, not now",
			obs:   sqlServer(onCustom, func(o *Observed) { o.Resource.PendingModified = true }),
			state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{copyApp, setApp, AttachGroup{Target: ref, Group: "forcessl-app-params", ApplyImmediately: false}, schedule(sunday0500, request.TriggerReboot)},
		},
		{
			name:  "window starting within the lead time is skipped",
			obs:   sqlServer(onCustom, func(o *Observed) { o.Resource.MaintenanceWindow = "thu:10:10-thu:10:40" }),
			state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{copyApp, setApp, attachApp, schedule(time.Date(2026, 12, 3, 10, 10, 0, 0, time.UTC), request.TriggerReboot)},
		},
		{
			name: "reboot immediate: a schedule at least SettleDelay after the change, never a reboot in the same run",
			obs:  sqlServer(onCustom), settings: func(s *Settings) { s.Reboot = policy.RebootImmediate },
			state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{copyApp, setApp, attachApp, schedule(now.Add(5*time.Minute), request.TriggerReboot)},
		},
		{
			name:  "tag forcessl:reboot=never overrides the default: fix, no schedule",
			obs:   sqlServer(onCustom, func(o *Observed) { o.Resource.Tags[RebootTag] = "never" }),
			state: NonCompliant, outcome: OutcomeRemediated, steps: []Step{copyApp, setApp, attachApp}, reason: "the owner reboots",
		},
		{
			name:  "storage optimization keeps serving: remediate (it can last more than a day)",
			obs:   sqlServer(onCustom, func(o *Observed) { o.Resource.Status = "storage-optimization" }),
			state: NonCompliant, outcome: OutcomeRemediated, steps: []Step{copyApp, setApp, attachApp, schedule(sunday0500, request.TriggerReboot)},
		},
		{
			name:  "a pending re-check does not stop the remediation's reboot from being scheduled",
			obs:   sqlServer(onCustom, existing(now.Add(3*time.Minute), request.TriggerRecheck)),
			state: NonCompliant, outcome: OutcomeRemediated, steps: []Step{copyApp, setApp, attachApp, schedule(sunday0500, request.TriggerReboot)},
		},
		{
			name:  "a reboot already scheduled is kept by an ordinary event (never moved), and reported",
			obs:   sqlServer(onCustom, existing(sunday0500.AddDate(0, 0, 7), request.TriggerReboot)),
			state: NonCompliant, outcome: OutcomeRemediated, steps: []Step{copyApp, setApp, attachApp}, rebootAt: sunday0500.AddDate(0, 0, 7),
		},
	})
}

func TestDecideScopeAndReadiness(t *testing.T) {
	runDecide(t, []decideCase{
		{name: "exempt instance is never touched", obs: sqlServer(func(o *Observed) { o.Resource.Tags["forcessl:exempt"] = "TRUE" }), state: Exempt, outcome: OutcomeNone},
		{name: "exempt tag with another value does not exempt", obs: sqlServer(func(o *Observed) { o.Resource.Tags["forcessl:exempt"] = "no" }), state: NonCompliant, outcome: OutcomeRemediated},
		{name: "custom exempt tag key", obs: sqlServer(func(o *Observed) { o.Resource.Tags["security:skip-tls"] = "true" }),
			settings: func(s *Settings) { s.ExemptTag = "security:skip-tls" }, state: Exempt, outcome: OutcomeNone},
		{name: "Aurora member is out of scope", obs: sqlServer(func(o *Observed) { o.Resource.Engine = "aurora-postgresql"; o.Resource.ClusterID = "c1" }), state: OutOfScope, outcome: OutcomeNone},
		{name: "Oracle is out of scope", obs: sqlServer(func(o *Observed) { o.Resource.Engine = "oracle-ee" }), state: OutOfScope, outcome: OutcomeNone},
		{name: "engine not configured is out of scope", obs: sqlServer(), settings: func(s *Settings) { s.Engines = []string{"postgres"} }, state: OutOfScope, outcome: OutcomeNone},
		{name: "deleted instance", obs: Observed{Found: false}, state: NotFound, outcome: OutcomeNone},
		{name: "being deleted", obs: sqlServer(func(o *Observed) { o.Resource.Status = "deleting" }), state: NotFound, outcome: OutcomeNone, reason: "being deleted"},
		{name: "creating: re-check later, never dropped", obs: sqlServer(func(o *Observed) { o.Resource.Status = "creating" }), state: NotReady, outcome: OutcomeWaiting,
			steps: []Step{schedule(now.Add(RecheckDelay), request.TriggerRecheck)}},
		{name: "stopped: re-check in a day", obs: sqlServer(func(o *Observed) { o.Resource.Status = "stopped" }), state: NotReady, outcome: OutcomeWaiting,
			steps: []Step{schedule(now.Add(IdleRecheckDelay), request.TriggerRecheck)}},
		{name: "RDS refused an available instance as busy: re-check, not a failure",
			obs: sqlServer(func(o *Observed) { o.Refused = RefusedBusy }), state: NotReady, outcome: OutcomeWaiting, reason: "InvalidDBInstanceState",
			steps: []Step{schedule(now.Add(RecheckDelay), request.TriggerRecheck)}},
		{name: "busy with a re-check already scheduled: an ordinary event keeps it",
			obs:   sqlServer(func(o *Observed) { o.Resource.Status = "modifying" }, existing(now.Add(4*time.Minute), request.TriggerRecheck)),
			state: NotReady, outcome: OutcomeWaiting, steps: []Step{}},
		{name: "compliant custom group in sync: nothing to do", obs: sqlServer(onCustom, func(o *Observed) { setTLSValue(o, "1") }), state: Compliant, outcome: OutcomeNone},
		{name: "PostgreSQL 15 default group is already on", obs: sqlServer(func(o *Observed) {
			o.Resource.Engine = "postgres"
			o.Resource.Group = "default.postgres15"
			setTLS(o, Parameter{Found: true, Value: "1"})
		}), state: Compliant, outcome: OutcomeNone},
		{name: "parameter group failed to apply", obs: sqlServer(compliantPending, func(o *Observed) { o.Resource.ApplyStatus = FailedToApply }),
			state: CompliantPendingReboot, outcome: OutcomeFailed},
		{name: "bad maintenance window is a failure, not a guess", obs: sqlServer(compliantPending, func(o *Observed) { o.Resource.MaintenanceWindow = "someday" }),
			state: CompliantPendingReboot, outcome: OutcomeFailed, reason: "someday"},
		{name: "restarted on our group and in sync (no memory): verified", obs: sqlServer(compliantPending, func(o *Observed) {
			o.Trigger = request.TriggerRestarted
			o.Resource.ApplyStatus = InSync
		}), state: Compliant, outcome: OutcomeVerified},
		{name: "restarted on the owner's own compliant group: nothing to say", obs: sqlServer(onCustom, func(o *Observed) {
			o.Trigger = request.TriggerRestarted
			setTLSValue(o, "1")
		}), state: Compliant, outcome: OutcomeNone},
	})
}

func TestDecidePendingReboot(t *testing.T) {
	nextWeek := sunday0500.AddDate(0, 0, 7)
	immediate := func(s *Settings) { s.Reboot = policy.RebootImmediate }
	runDecide(t, []decideCase{
		{name: "compliant but not yet in effect: schedule the reboot", obs: sqlServer(compliantPending),
			state: CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(sunday0500, request.TriggerReboot)}, rebootAt: sunday0500},
		{name: "an event just before the window keeps the existing schedule (never moves it)",
			obs: sqlServer(compliantPending, existing(sunday0500, request.TriggerReboot)), now: sunday0500.Add(-10 * time.Minute),
			state: CompliantPendingReboot, outcome: OutcomeNone, rebootAt: sunday0500},
		{name: "owner's own group pending reboot: not ours to reboot, even with policy immediate",
			obs: sqlServer(onCustom, func(o *Observed) {
				setTLSValue(o, "1")
				o.Resource.ApplyStatus = PendingReboot
			}), settings: immediate, state: CompliantPendingReboot, outcome: OutcomeNone, reason: "the owner reboots"},
		{name: "owner's own group pending reboot, scheduled trigger in the window: still not ours",
			obs: sqlServer(onCustom, scheduledReboot, func(o *Observed) {
				setTLSValue(o, "1")
				o.Resource.ApplyStatus = PendingReboot
			}), now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeNone},
		{name: "pending reboot with policy never: only report", obs: sqlServer(compliantPending), settings: func(s *Settings) { s.Reboot = policy.RebootNever },
			state: CompliantPendingReboot, outcome: OutcomeNone},
		{name: "policy immediate, ordinary event: schedule the reboot SettleDelay ahead, never reboot in the event's run",
			obs: sqlServer(compliantPending), settings: immediate, state: CompliantPendingReboot, outcome: OutcomeRebootPlanned,
			steps: []Step{schedule(now.Add(SettleDelay), request.TriggerReboot)}},
		{name: "policy immediate, a sweep: the same, never a reboot",
			obs: sqlServer(compliantPending, func(o *Observed) { o.Trigger = request.TriggerSweep }), settings: immediate,
			state: CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(now.Add(SettleDelay), request.TriggerReboot)}},
		{name: "policy immediate, forcessl's change 2 minutes ago: the reboot waits SettleDelay after that change",
			obs:      sqlServer(compliantPending, remembers(Memory{Known: true, Intent: &Intent{RecordedAt: now.Add(-2 * time.Minute), Group: "forcessl-app-params"}})),
			settings: immediate, state: CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(now.Add(3*time.Minute), request.TriggerReboot)}},
		{name: "policy immediate, the scheduled action: reboot", obs: sqlServer(compliantPending, scheduledReboot), settings: immediate,
			state: CompliantPendingReboot, outcome: OutcomeRebooted, steps: []Step{Reboot{Target: ref}, schedule(now.Add(RecheckDelay), request.TriggerRecheck)}},
		{name: "policy immediate, the scheduled action finds it busy: look again", obs: sqlServer(compliantPending, scheduledReboot,
			func(o *Observed) { o.Resource.Status = "backing-up" }), settings: immediate,
			state: CompliantPendingReboot, outcome: OutcomeWaiting, steps: []Step{schedule(now.Add(RecheckDelay), request.TriggerRecheck)}},
		{name: "an ordinary event inside the window does not reboot", obs: sqlServer(compliantPending), now: sunday0500.Add(time.Minute),
			state: CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(nextWeek, request.TriggerReboot)}},
		{name: "scheduled reboot in the window: reboot", obs: sqlServer(compliantPending, scheduledReboot, existing(sunday0500, request.TriggerReboot)), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRebooted, steps: []Step{Reboot{Target: ref}, schedule(sunday0500.Add(RecheckDelay), request.TriggerRecheck), deleted(sunday0500, request.TriggerReboot)}},
		{name: "scheduled reboot in the window during storage optimization (it serves): reboot",
			obs: sqlServer(compliantPending, scheduledReboot, func(o *Observed) { o.Resource.Status = "storage-optimization" }), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRebooted, steps: []Step{Reboot{Target: ref}, schedule(sunday0500.Add(RecheckDelay), request.TriggerRecheck)}},
		{name: "scheduled reboot refused (InvalidDBInstanceState): look again inside the same window, not next week",
			obs: sqlServer(compliantPending, scheduledReboot, existing(sunday0500, request.TriggerReboot), func(o *Observed) {
				o.Resource.Status = "storage-optimization"
				o.Refused = RefusedBusy
			}), now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeWaiting,
			steps: []Step{schedule(sunday0500.Add(RecheckDelay), request.TriggerRecheck), deleted(sunday0500, request.TriggerReboot)}},
		{name: "scheduled reboot but instance busy early in the window: look again inside it, under a new name",
			obs: sqlServer(compliantPending, scheduledReboot, existing(sunday0500, request.TriggerReboot), func(o *Observed) { o.Resource.Status = "modifying" }),
			now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeWaiting,
			steps: []Step{schedule(sunday0500.Add(RecheckDelay), request.TriggerRecheck), deleted(sunday0500, request.TriggerReboot)}},
		{name: "scheduled reboot with modifications still pending: wait for RDS to apply them",
			obs: sqlServer(compliantPending, scheduledReboot, func(o *Observed) { o.Resource.PendingModified = true }), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeWaiting, steps: []Step{schedule(sunday0500.Add(RecheckDelay), request.TriggerRecheck)}},
		{name: "queued modifications still pending on the in-window re-check: reboot anyway",
			obs: sqlServer(compliantPending, func(o *Observed) {
				o.Trigger = request.TriggerRecheck
				o.Resource.PendingModified = true
			}), now: sunday0500.Add(RecheckDelay), state: CompliantPendingReboot, outcome: OutcomeRebooted, steps: []Step{Reboot{Target: ref}, schedule(sunday0500.Add(2*RecheckDelay), request.TriggerRecheck)}},
		{name: "scheduled reboot, busy, too late in the window: next window",
			obs: sqlServer(compliantPending, scheduledReboot, func(o *Observed) { o.Resource.Status = "backing-up" }), now: sunday0500.Add(20 * time.Minute),
			state: CompliantPendingReboot, outcome: OutcomePostponed, steps: []Step{schedule(nextWeek, request.TriggerReboot)},
			reason: "rds.force_ssl=1 in forcessl-app-params, pending reboot; could not reboot in this window (instance backing-up)"},
		{name: "scheduled reboot with under RebootMargin left: next window", obs: sqlServer(compliantPending, scheduledReboot), now: sunday0500.Add(26 * time.Minute),
			state: CompliantPendingReboot, outcome: OutcomePostponed, steps: []Step{schedule(nextWeek, request.TriggerReboot)}},
		{name: "scheduled reboot delivered late, outside the window: never reboots, moves to the next",
			obs: sqlServer(compliantPending, scheduledReboot), now: sunday0500.Add(2 * time.Hour),
			state: CompliantPendingReboot, outcome: OutcomePostponed, steps: []Step{schedule(nextWeek, request.TriggerReboot)}},
		{name: "scheduled reboot, already in sync (someone rebooted): nothing", obs: sqlServer(compliantPending, scheduledReboot, func(o *Observed) {
			o.Resource.ApplyStatus = InSync
		}), now: sunday0500, state: Compliant, outcome: OutcomeNone},
		{name: "scheduled reboot, exempted since: nothing", obs: sqlServer(compliantPending, scheduledReboot, func(o *Observed) {
			o.Resource.Tags["forcessl:exempt"] = "true"
		}), now: sunday0500, state: Exempt, outcome: OutcomeNone},
		{name: "scheduled reboot, TLS turned off again since: remediate instead of rebooting", obs: sqlServer(onCustom, scheduledReboot, func(o *Observed) {
			o.Resource.ApplyStatus = PendingReboot
		}), now: sunday0500, state: NonCompliant, outcome: OutcomeRemediated},
	})
}

// With a state table, forcessl reboots only for its own change.
func TestDecideMemory(t *testing.T) {
	intent := &Intent{RecordedAt: now.Add(-time.Hour), Group: "forcessl-app-params"}
	runDecide(t, []decideCase{
		{name: "our group pending, our change recorded: schedule the reboot",
			obs:   sqlServer(compliantPending, remembers(Memory{Known: true, Intent: intent})),
			state: CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(sunday0500, request.TriggerReboot)}, intent: noIntentChange},
		{name: "our group pending but our change already in effect: the owner's change waits; never reboot for it",
			obs: sqlServer(compliantPending, scheduledReboot, remembers(Memory{Known: true})), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeOwnerPending, reason: "your change to forcessl-app-params waits for a reboot; forcessl will not reboot for it"},
		{name: "first met after an upgrade, a reboot schedule left pending by the earlier version: that is our intent, recorded",
			obs: sqlServer(compliantPending, remembers(Memory{}), func(o *Observed) {
				o.Schedules = []ScheduledAction{{Name: LegacyScheduleName(account, region, "orders"), At: sunday0500, Action: request.TriggerReboot, Legacy: true}}
			}),
			state: CompliantPendingReboot, outcome: OutcomeNone, rebootAt: sunday0500,
			intent: func(t *testing.T, ic IntentChange) {
				if ic.Record == nil || !strings.Contains(ic.Record.Cause, "earlier version") {
					t.Errorf("the pending schedule must seed the intent, got %+v", ic)
				}
			}},
		{name: "first met, pending and nothing scheduled: cannot prove it is ours, so not rebooted",
			obs:   sqlServer(compliantPending, remembers(Memory{})),
			state: CompliantPendingReboot, outcome: OutcomeOwnerPending},
		{name: "in sync with our change open: verified, and the intent closed",
			obs:   sqlServer(compliantPending, remembers(Memory{Known: true, Intent: intent}), func(o *Observed) { o.Resource.ApplyStatus = InSync }),
			state: Compliant, outcome: OutcomeVerified,
			intent: func(t *testing.T, ic IntentChange) {
				if ic.Close == "" || ic.Record != nil {
					t.Errorf("want the intent closed, got %+v", ic)
				}
			}},
		{name: "restarted after our change while the owner's change is also pending: ours is in effect, closed",
			obs: sqlServer(compliantPending, remembers(Memory{Known: true, Intent: intent}), func(o *Observed) {
				o.Trigger = request.TriggerRestarted
				o.EventTime = now.Add(-time.Minute)
			}), state: CompliantPendingReboot, outcome: OutcomeVerified,
			intent: func(t *testing.T, ic IntentChange) {
				if ic.Close == "" {
					t.Errorf("a restart after the intent must close it, got %+v", ic)
				}
			}},
		{name: "a restart from before our change closes nothing",
			obs: sqlServer(compliantPending, remembers(Memory{Known: true, Intent: intent}), func(o *Observed) {
				o.Trigger = request.TriggerRestarted
				o.EventTime = now.Add(-2 * time.Hour)
			}), state: CompliantPendingReboot, outcome: OutcomeRebootPlanned, intent: noIntentChange},
		{name: "restarted and in sync with nothing open: verified once already, nothing to say",
			obs: sqlServer(compliantPending, remembers(Memory{Known: true}), func(o *Observed) {
				o.Resource.ApplyStatus = InSync
				o.Trigger = request.TriggerRestarted
			}), state: Compliant, outcome: OutcomeNone, intent: noIntentChange},
	})
}

// A group forcessl would change is shared: never change it under an exempt
// or out-of-scope neighbour (IAM cannot stop it); give the resource a
// group of its own instead.
func TestDecideSharedGroups(t *testing.T) {
	const shared = "forcessl-app-params"
	own := paramgroup.OwnName(shared, rid)
	onShared := func(o *Observed) { o.Resource.Group = shared }
	ours := Group{Name: shared, Exists: true, Family: "sqlserver-se-15.0", Tags: map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue,
		paramgroup.TagSourceGroup: "app-params"}, Params: map[string]Parameter{"rds.force_ssl": {Found: true, Value: "0"}}}
	me := Resource{Kind: KindInstance, ID: "orders", ResourceID: rid, Engine: "sqlserver-se", Tags: map[string]string{}}
	neighbour := Resource{Kind: KindInstance, ID: "shop", ResourceID: "db-SHOP", Engine: "sqlserver-se", Tags: map[string]string{}}
	exemptNeighbour := neighbour
	exemptNeighbour.Tags = map[string]string{"forcessl:exempt": "true"}
	oracle := Resource{Kind: KindInstance, ID: "erp", Engine: "sqlserver-se", ClusterID: "c9", Tags: map[string]string{}}
	copyOwn := CopyGroup{Kind: KindInstance, Name: own, Source: shared}
	setOwn := SetParameter{Kind: KindInstance, Group: own, Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"}
	attachOwn := AttachGroup{Target: ref, Group: own, ApplyImmediately: true}
	runDecide(t, []decideCase{
		{name: "fix in place, every sharer in scope: set it once, record the owed reboot for every sharer",
			obs:   sqlServer(onShared, group(ours), users(shared, me, neighbour)),
			state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{SetParameter{Kind: KindInstance, Group: shared, Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				schedule(sunday0500, request.TriggerReboot)},
			intent: func(t *testing.T, ic IntentChange) {
				if ic.Record == nil || len(ic.Also) != 1 || ic.Also[0].ID != "shop" {
					t.Errorf("the neighbour's pending reboot is forcessl's too: %+v", ic)
				}
			}},
		{name: "fix in place with an exempt sharer: a group of its own, the shared group untouched",
			obs:   sqlServer(onShared, group(ours), users(shared, me, exemptNeighbour), group(Group{Name: own})),
			state: NonCompliant, outcome: OutcomeRemediated, reason: "rds.force_ssl is 0 in parameter group forcessl-app-params; forcessl-app-params is shared with shop, which is exempt, so forcessl gives orders a group of its own",
			steps: []Step{copyOwn, setOwn, attachOwn, schedule(sunday0500, request.TriggerReboot)}},
		{name: "fix in place with an out-of-scope sharer: the same",
			obs:   sqlServer(onShared, group(ours), users(shared, me, oracle), group(Group{Name: own})),
			state: NonCompliant, outcome: OutcomeRemediated, reason: "out of scope",
			steps: []Step{copyOwn, setOwn, attachOwn, schedule(sunday0500, request.TriggerReboot)}},
		{name: "a group of its own already made (a retry): attach it",
			obs: sqlServer(onShared, group(ours), users(shared, me, exemptNeighbour), group(Group{Name: own, Exists: true, Family: "sqlserver-se-15.0",
				Tags:   map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue, paramgroup.TagSourceGroup: shared},
				Params: map[string]Parameter{"rds.force_ssl": {Found: true, Value: "1"}}})),
			state: NonCompliant, outcome: OutcomeRemediated, steps: []Step{attachOwn, schedule(sunday0500, request.TriggerReboot)}},
		{name: "no room for a group of its own (quota): refuse, say how to fix it",
			obs:   sqlServer(onShared, group(ours), users(shared, me, exemptNeighbour), group(Group{Name: own}), func(o *Observed) { o.Refused = RefusedQuota }),
			state: NonCompliant, outcome: OutcomeRefused, reason: "quota"},
		{name: "reusing our compliant-named group that has TLS off and an exempt user: a group of its own",
			obs: sqlServer(onCustom, group(Group{Name: "app-params", Exists: true, Family: "sqlserver-se-15.0"}), group(ours),
				users(shared, exemptNeighbour), group(Group{Name: paramgroup.OwnName("app-params", rid)})),
			state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{CopyGroup{Kind: KindInstance, Name: paramgroup.OwnName("app-params", rid), Source: "app-params"},
				SetParameter{Kind: KindInstance, Group: paramgroup.OwnName("app-params", rid), Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				AttachGroup{Target: ref, Group: paramgroup.OwnName("app-params", rid), ApplyImmediately: true}, schedule(sunday0500, request.TriggerReboot)}},
		{name: "an untagged lookalike is never modified",
			obs:   sqlServer(onShared, group(Group{Name: shared, Exists: true})),
			state: NonCompliant, outcome: OutcomeRefused, reason: "not tagged"},
	})
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
		c.Name, c.Exists = target, true
		return sqlServer(onCustom, group(Group{Name: "app-params", Exists: true, Family: "sqlserver-se-15.0", UserParams: custom}), group(c), users(target))
	}
	reboot := schedule(sunday0500, request.TriggerReboot)
	var tests []decideCase
	for _, tt := range []struct {
		name    string
		group   Group
		outcome Outcome
		steps   []Step
		reason  string
	}{
		{"ours and compliant: just attach", Group{Family: "sqlserver-se-15.0", Tags: ours, Params: on,
			UserParams: map[string]string{"max_degree_of_parallelism": "4", "rds.force_ssl": "1"}}, OutcomeRemediated,
			[]Step{attachApp, reboot}, ""},
		{"ours but TLS off (crash before set): fix and attach", Group{Family: "sqlserver-se-15.0", Tags: ours, Params: off,
			UserParams: custom}, OutcomeRemediated, []Step{setApp, attachApp, reboot}, ""},
		{"someone else's but compliant and identical: reuse", Group{Family: "sqlserver-se-15.0", Params: on,
			UserParams: custom}, OutcomeRemediated, []Step{attachApp, reboot}, ""},
		{"someone else's and not compliant: refuse", Group{Family: "sqlserver-se-15.0", Params: off,
			UserParams: custom}, OutcomeRefused, nil, "not forcessl's"},
		{"other family: refuse", Group{Family: "sqlserver-se-16.0", Tags: ours, Params: on, UserParams: custom},
			OutcomeRefused, nil, "family"},
		{"our stale copy (source changed since): refuse rather than drop a custom parameter", Group{Family: "sqlserver-se-15.0", Tags: ours,
			Params: on, UserParams: map[string]string{"max_degree_of_parallelism": "2"}},
			OutcomeRefused, nil, "max_degree_of_parallelism"},
	} {
		tests = append(tests, decideCase{name: tt.name, obs: base(tt.group), state: NonCompliant, outcome: tt.outcome, steps: tt.steps, reason: tt.reason})
	}
	runDecide(t, tests)
}

// The protocol: Decide asks only for what it lacks, never again for what it
// was given, and the questions run out.
func TestDecideAsksOnlyForWhatItLacks(t *testing.T) {
	unread := func(o *Observed) { o.Params, o.Schedules = nil, nil }
	if p, need := Decide(sqlServer(unread), settings(), now); !need.Params || p.Writes() {
		t.Errorf("in scope: want the parameters, got %s %+v", need, p)
	}
	exempt := sqlServer(unread, func(o *Observed) { o.Resource.Tags["forcessl:exempt"] = "true" })
	if p, need := Decide(exempt, settings(), now); !need.Zero() || p.State != Exempt {
		t.Errorf("exempt: want no read, got %s %+v", need, p)
	}
	oracle := sqlServer(unread, func(o *Observed) { o.Resource.Engine = "oracle-se2" })
	if p, need := Decide(oracle, settings(), now); !need.Zero() || p.State != OutOfScope {
		t.Errorf("out of scope: want no read, got %s %+v", need, p)
	}
	compliant := sqlServer(onCustom, func(o *Observed) { setTLSValue(o, "1"); o.Schedules = nil })
	if _, need := Decide(compliant, settings(), now); !need.Zero() {
		t.Errorf("a compliant instance needs nothing beyond its parameters, asked for %s", need)
	}
	// Fill every need the way the observer would, and count the rounds.
	for name, o := range map[string]Observed{
		"remediation":  sqlServer(unread),
		"fix in place": sqlServer(unread, func(o *Observed) { o.Resource.Group = "forcessl-app-params" }),
	} {
		for round := 0; ; round++ {
			_, need := Decide(o, settings(), now)
			if need.Zero() {
				break
			}
			if round == 5 {
				t.Fatalf("%s: still asking after 5 rounds: %s", name, need)
			}
			if m := need.Missing(o); !reflect.DeepEqual(m, need) {
				t.Fatalf("%s: asks for %s, of which only %s is missing", name, need, m)
			}
			fill(&o, need)
		}
	}
}

// fill answers a need as the observer would, with nothing special found.
func fill(o *Observed, n Need) {
	if n.Params {
		o.Params = map[string]Parameter{"rds.force_ssl": {Found: true, Value: "0", ApplyType: "static"}}
	}
	if n.Schedules {
		o.Schedules = []ScheduledAction{}
	}
	for _, g := range n.Groups {
		group(Group{Name: g, Exists: true, Tags: ourTags, Params: map[string]Parameter{"rds.force_ssl": {Found: true, Value: "0"}}})(o)
	}
	if n.Users != "" {
		users(n.Users, o.Resource)(o)
	}
}

func TestScheduleNames(t *testing.T) {
	for _, id := range []string{"db-ABCDEFGHIJKLMNOPQRSTUVWXYZ", "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ", "a", strings.Repeat("x", 63)} {
		n := ScheduleName(account, region, id, sunday0500, request.TriggerRecheck)
		if len(n) > 64 || strings.Trim(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" {
			t.Errorf("ScheduleName(%q) = %q", id, n)
		}
		if !strings.HasPrefix(n, SchedulePrefixFor(account, region, id)) {
			t.Errorf("%q does not start with the resource's prefix", n)
		}
		at, action, ok := ParseScheduleName(n)
		if !ok || !at.Equal(sunday0500) || action != request.TriggerRecheck {
			t.Errorf("ParseScheduleName(%q) = %s %s %v", n, at, action, ok)
		}
	}
	if ScheduleName(account, region, rid, sunday0500, "reboot") == ScheduleName("444455556666", region, rid, sunday0500, "reboot") {
		t.Error("the same resource ID in two accounts must not share a schedule")
	}
	if ScheduleName(account, region, rid, sunday0500, "reboot") == ScheduleName(account, region, rid, sunday0500.Add(time.Minute), "reboot") {
		t.Error("each fire time gets its own name")
	}
	if strings.HasPrefix(LegacyScheduleName(account, region, "orders"), SchedulePrefixFor(account, region, rid)) {
		t.Error("legacy and new names must not collide")
	}
}
