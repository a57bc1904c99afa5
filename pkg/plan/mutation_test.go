package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
)

// Behaviours no test pinned before mutation testing (issue 18), each as
// the decision a person would expect.

func tag(k, v string) func(*Observed) { return func(o *Observed) { o.Resource.Tags[k] = v } }

func TestDecideTagSpelling(t *testing.T) {
	runDecide(t, []decideCase{
		{name: "forcessl:reboot=Never in mixed case: never", obs: sqlServer(compliantPending, tag(RebootTag, "Never")),
			state: CompliantPendingReboot, outcome: OutcomeNone, reason: "reboot policy is never"},
		{name: "forcessl:reboot= IMMEDIATE with spaces: immediate", obs: sqlServer(compliantPending, tag(RebootTag, " IMMEDIATE ")),
			state: CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(now.Add(SettleDelay), request.TriggerReboot)}},
		{name: "forcessl:reboot=Maintenance-Window over policy immediate", obs: sqlServer(compliantPending, tag(RebootTag, "Maintenance-Window")),
			settings: func(s *Settings) { s.Reboot = policy.RebootImmediate },
			state:    CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(sunday0500, request.TriggerReboot)}},
		{name: "forcessl:reboot=window over policy never", obs: sqlServer(compliantPending, tag(RebootTag, "window")),
			settings: func(s *Settings) { s.Reboot = policy.RebootNever },
			state:    CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(sunday0500, request.TriggerReboot)}},
		{name: "an unknown reboot tag value: the configured policy", obs: sqlServer(compliantPending, tag(RebootTag, "later")),
			state: CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(sunday0500, request.TriggerReboot)}},
		{name: `exempt tag " true": exempt`, obs: sqlServer(tag("forcessl:exempt", " true")), state: Exempt, outcome: OutcomeNone},
		{name: "exempt tag TRUE: exempt", obs: sqlServer(tag("forcessl:exempt", "TRUE")), state: Exempt, outcome: OutcomeNone},
		{name: "exempt tag yes: not exempt", obs: sqlServer(tag("forcessl:exempt", "yes")), state: NonCompliant, outcome: OutcomeRemediated},
	})
}

// The reboot is scheduled at the first window start at least MinLead
// ahead: a window that starts sooner is skipped.
func TestDecideMinLead(t *testing.T) {
	nextWeek := sunday0500.AddDate(0, 0, 7)
	runDecide(t, []decideCase{
		{name: "window starts in 10 minutes, within FORCESSL_MIN_LEAD: the next one", obs: sqlServer(compliantPending),
			now: sunday0500.Add(-10 * time.Minute), state: CompliantPendingReboot, outcome: OutcomeRebootPlanned,
			steps: []Step{schedule(nextWeek, request.TriggerReboot)}, rebootAt: nextWeek},
		{name: "window starts exactly FORCESSL_MIN_LEAD ahead: this one", obs: sqlServer(compliantPending),
			now: sunday0500.Add(-15 * time.Minute), state: CompliantPendingReboot, outcome: OutcomeRebootPlanned,
			steps: []Step{schedule(sunday0500, request.TriggerReboot)}, rebootAt: sunday0500},
		{name: "remediation within FORCESSL_MIN_LEAD of the window: the next one", obs: sqlServer(onCustom),
			now: sunday0500.Add(-time.Minute), state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{copyApp, setApp, attachApp, schedule(nextWeek, request.TriggerReboot)}, rebootAt: nextWeek},
	})
}

// The window's edges: a reboot starts only with RebootMargin left (exactly
// 5 minutes is enough), a look again only if it leaves RebootMargin too,
// and the window's end is outside it.
func TestDecideWindowEdges(t *testing.T) {
	nextWeek := sunday0500.AddDate(0, 0, 7)
	busy := func(o *Observed) { o.Resource.Status = "backing-up" }
	runDecide(t, []decideCase{
		{name: "exactly RebootMargin left: reboot (and look after it)", obs: sqlServer(compliantPending, scheduledReboot), now: sunday0500.Add(25 * time.Minute),
			state: CompliantPendingReboot, outcome: OutcomeRebooted,
			steps: []Step{Reboot{Target: ref}, schedule(sunday0500.Add(25*time.Minute+RecheckDelay), request.TriggerRecheck)}},
		{name: "a second under RebootMargin left: next window", obs: sqlServer(compliantPending, scheduledReboot), now: sunday0500.Add(25*time.Minute + time.Second),
			state: CompliantPendingReboot, outcome: OutcomePostponed, steps: []Step{schedule(nextWeek, request.TriggerReboot)}},
		{name: "the window's exclusive end: outside, next window", obs: sqlServer(compliantPending, scheduledReboot), now: sunday0500.Add(30 * time.Minute),
			state: CompliantPendingReboot, outcome: OutcomePostponed, steps: []Step{schedule(nextWeek, request.TriggerReboot)}},
		{name: "busy, the look again leaves exactly RebootMargin: look again", obs: sqlServer(compliantPending, scheduledReboot, busy),
			now: sunday0500.Add(15 * time.Minute), state: CompliantPendingReboot, outcome: OutcomeWaiting,
			steps: []Step{schedule(sunday0500.Add(25*time.Minute), request.TriggerRecheck)}},
		{name: "busy, the look again would leave less: next window", obs: sqlServer(compliantPending, scheduledReboot, busy),
			now: sunday0500.Add(15*time.Minute + time.Second), state: CompliantPendingReboot, outcome: OutcomePostponed,
			steps: []Step{schedule(nextWeek, request.TriggerReboot)}},
		{name: "a re-check inside the window that cannot reboot: postponed", obs: sqlServer(compliantPending, busy,
			func(o *Observed) { o.Trigger = request.TriggerRecheck }), now: sunday0500.Add(26 * time.Minute),
			state: CompliantPendingReboot, outcome: OutcomePostponed, steps: []Step{schedule(nextWeek, request.TriggerReboot)}},
		{name: "a re-check outside the window: a reboot newly planned, not postponed", obs: sqlServer(compliantPending,
			func(o *Observed) { o.Trigger = request.TriggerRecheck }), now: sunday0500.Add(-time.Hour),
			state: CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(sunday0500, request.TriggerReboot)}},
	})
}

// Scheduler takes whole minutes: every time forcessl schedules is rounded
// up to one, never down (a look before RDS is done, a reboot before
// SettleDelay).
func TestDecideScheduleTimesOffTheMinute(t *testing.T) {
	offMinute := now.Add(30 * time.Second)
	immediate := func(s *Settings) { s.Reboot = policy.RebootImmediate }
	runDecide(t, []decideCase{
		{name: "busy at 10:00:30: look again at 10:11", obs: sqlServer(func(o *Observed) { o.Resource.Status = "modifying" }), now: offMinute,
			state: NotReady, outcome: OutcomeWaiting, steps: []Step{schedule(now.Add(11*time.Minute), request.TriggerRecheck)}},
		{name: "busy on the minute: look again exactly RecheckDelay later", obs: sqlServer(func(o *Observed) { o.Resource.Status = "modifying" }),
			state: NotReady, outcome: OutcomeWaiting, steps: []Step{schedule(now.Add(RecheckDelay), request.TriggerRecheck)}},
		{name: "stopped at 10:00:30: look again a day and a minute on", obs: sqlServer(func(o *Observed) { o.Resource.Status = "stopped" }), now: offMinute,
			state: NotReady, outcome: OutcomeWaiting, steps: []Step{schedule(now.Add(IdleRecheckDelay+time.Minute), request.TriggerRecheck)}},
		{name: "policy immediate at 10:00:30: reboot at 10:06", obs: sqlServer(compliantPending), settings: immediate, now: offMinute,
			state: CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(now.Add(6*time.Minute), request.TriggerReboot)}},
		{name: "policy immediate, forcessl's change at 09:58:30: reboot at 10:04 (SettleDelay after it)",
			obs:      sqlServer(compliantPending, remembers(Memory{Known: true, Intent: &Intent{RecordedAt: now.Add(-90 * time.Second), Group: "forcessl-app-params"}})),
			settings: immediate, state: CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(now.Add(4*time.Minute), request.TriggerReboot)}},
		{name: "policy immediate, forcessl's change exactly SettleDelay ago: reboot a SettleDelay from now",
			obs:      sqlServer(compliantPending, remembers(Memory{Known: true, Intent: &Intent{RecordedAt: now.Add(-SettleDelay), Group: "forcessl-app-params"}})),
			settings: immediate, state: CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(now.Add(SettleDelay), request.TriggerReboot)}},
	})
}

// The heads-up goes out NoticeLead before a reboot that is more than
// NoticeLead ahead; at the heads-up, a reboot up to NoticeLead plus
// NoticeTolerance ahead is announced.
func TestDecideHeadsUpEdges(t *testing.T) {
	noticeTrigger := func(o *Observed) { o.Trigger = request.TriggerNotice }
	runDecide(t, []decideCase{
		{name: "a reboot exactly FORCESSL_NOTICE_LEAD ahead: no heads-up", obs: sqlServer(compliantPending), settings: lead,
			now: saturday0500, state: CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(sunday0500, request.TriggerReboot)}},
		{name: "a reboot a minute more than FORCESSL_NOTICE_LEAD ahead: heads-up", obs: sqlServer(compliantPending), settings: lead,
			now: saturday0500.Add(-time.Minute), state: CompliantPendingReboot, outcome: OutcomeRebootPlanned,
			steps: []Step{schedule(sunday0500, request.TriggerReboot), schedule(saturday0500, request.TriggerNotice)}},
		{name: "no lead set: no heads-up", obs: sqlServer(compliantPending),
			state: CompliantPendingReboot, outcome: OutcomeRebootPlanned, steps: []Step{schedule(sunday0500, request.TriggerReboot)}},
		{name: "heads-up fired late, the reboot exactly lead plus tolerance ahead: still announced",
			obs: sqlServer(compliantPending, existing(sunday0500, request.TriggerReboot), noticeTrigger), settings: lead,
			now: saturday0500.Add(-NoticeTolerance), state: CompliantPendingReboot, outcome: OutcomeHeadsUp, rebootAt: sunday0500, steps: []Step{}},
		{name: "heads-up with the reboot a second beyond lead plus tolerance: not announced",
			obs: sqlServer(compliantPending, existing(sunday0500, request.TriggerReboot), noticeTrigger), settings: lead,
			now: saturday0500.Add(-NoticeTolerance - time.Second), state: CompliantPendingReboot, outcome: OutcomeNone},
		{name: "heads-up at the reboot's own time: nothing to announce",
			obs: sqlServer(compliantPending, existing(sunday0500, request.TriggerReboot), noticeTrigger), settings: lead,
			now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeNone},
		{name: "the earliest of two scheduled reboots is announced",
			obs:      sqlServer(compliantPending, existing(sunday0500.AddDate(0, 0, 7), request.TriggerReboot), existing(sunday0500, request.TriggerReboot), noticeTrigger),
			settings: lead, now: saturday0500, state: CompliantPendingReboot, outcome: OutcomeHeadsUp, rebootAt: sunday0500,
			reason: "rds.force_ssl=1 in forcessl-app-params, pending reboot; restarts at Sun 2026-11-29 05:00 UTC, after which clients that do not use TLS are refused"},
	})
}

// Checks are passed only when in effect; a reboot pending makes them
// pending, never passed.
func TestDecideChecksWhilePending(t *testing.T) {
	tests := []struct {
		name                  string
		obs                   Observed
		settings              func(*Settings)
		tlsPassed, tlsPending bool
		profile               string // "": no profile check; else passed|pending|failed
	}{
		{"in effect", sqlServer(compliantInSync), nil, true, false, ""},
		{"pending reboot", sqlServer(compliantPending), nil, false, true, ""},
		{"off", sqlServer(), nil, false, false, ""},
		{"modern, in effect", sqlServer(compliantInSync, sqlModern(nil)), modern, true, false, "passed"},
		{"modern, pending reboot", sqlServer(compliantPending, sqlModern(nil)), modern, false, true, "pending"},
		{"modern, a profile parameter off", sqlServer(compliantInSync, sqlModern(map[string]string{"rds.rc4": "enabled"})), modern, true, false, "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := settings()
			if tt.settings != nil {
				tt.settings(&s)
			}
			p, need := Decide(tt.obs, s, now)
			if !need.Zero() {
				t.Fatalf("asks for %s", need)
			}
			byName := map[string]Check{}
			for _, c := range p.Checks {
				byName[c.Name] = c
			}
			if c := byName[CheckTLS]; c.Passed != tt.tlsPassed || c.Pending != tt.tlsPending {
				t.Errorf("TLS check %+v, want passed %v pending %v", c, tt.tlsPassed, tt.tlsPending)
			}
			c, ok := byName[CheckProfile]
			if ok != (tt.profile != "") {
				t.Fatalf("profile check %+v present %v, want %q", c, ok, tt.profile)
			}
			got := "failed"
			if c.Passed {
				got = "passed"
			} else if c.Pending {
				got = "pending"
			}
			if ok && got != tt.profile {
				t.Errorf("profile check %+v is %s, want %s", c, got, tt.profile)
			}
			if ok && c.Passed && c.Pending {
				t.Errorf("profile check both passed and pending: %+v", c)
			}
		})
	}
}

// A profile parameter whose family lists no compliant value is skipped and
// named; forcessl never writes an empty value, and the checks after it are
// still made.
func TestDecideProfileWithNoCompliantValue(t *testing.T) {
	noDisabled := func(o *Observed) {
		p := o.Params["rds.tls10"]
		p.AllowedValues = "default, enabled"
		o.Params["rds.tls10"] = p
	}
	p, need := Decide(sqlServer(onCustom, func(o *Observed) { setTLSValue(o, "1") },
		sqlModern(map[string]string{"rds.tls10": "enabled", "rds.3des168": "default"}), noDisabled), func() Settings { s := settings(); modern(&s); return s }(), now)
	if !need.Zero() {
		t.Fatalf("asks for %s", need)
	}
	var sets []string
	for _, st := range p.Steps {
		if sp, ok := st.(SetParameter); ok {
			if sp.Value == "" {
				t.Errorf("writes an empty value: %+v", sp)
			}
			sets = append(sets, sp.Name+"="+sp.Value)
		}
	}
	if strings.Join(sets, ",") != "rds.3des168=disabled" {
		t.Errorf("sets %v, want only rds.3des168=disabled (the check after the skipped one still made)", sets)
	}
	if !strings.Contains(p.Reason, "rds.tls10 (no allowed value is disabled)") {
		t.Errorf("reason %q does not name the skipped parameter", p.Reason)
	}
}

// One member's restart is not the cluster's: while other members still
// wait, forcessl's change is not verified.
func TestDecideClusterRestartEventWhileMembersWait(t *testing.T) {
	intent := &Intent{RecordedAt: now.Add(-time.Hour), Group: "forcessl-orders-cluster"}
	restarted := func(o *Observed) { o.Trigger, o.EventTime = request.TriggerRestarted, now.Add(-time.Minute) }
	p, need := Decide(aurora(clusterPending("orders-r1", "orders-w"), remembers(Memory{Known: true, Intent: intent}), restarted), settings(), now)
	if !need.Zero() {
		t.Fatalf("asks for %s", need)
	}
	if p.Outcome == OutcomeVerified || p.Intent.Close != "" || p.State != CompliantPendingReboot {
		t.Errorf("one member restarted, others wait: %s/%s (%s), intent %+v", p.State, p.Outcome, p.Reason, p.Intent)
	}
}

// An instance's restart event proves forcessl's change in effect only when
// it comes after the change.
func TestDecideRestartEventTime(t *testing.T) {
	intent := &Intent{RecordedAt: now.Add(-time.Hour), Group: "forcessl-app-params"}
	for _, tt := range []struct {
		name     string
		at       time.Time
		verified bool
	}{
		{"after the change", intent.RecordedAt.Add(time.Second), true},
		{"at the very time of the change", intent.RecordedAt, false},
		{"before the change", intent.RecordedAt.Add(-time.Second), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := sqlServer(compliantPending, remembers(Memory{Known: true, Intent: intent}),
				func(o *Observed) { o.Trigger, o.EventTime = request.TriggerRestarted, tt.at })
			p, _ := Decide(o, settings(), now)
			if (p.Outcome == OutcomeVerified) != tt.verified {
				t.Errorf("%s/%s (%s), want verified %v", p.State, p.Outcome, p.Reason, tt.verified)
			}
		})
	}
}

// A certificate of the very CA FORCESSL_CA names, expiring: setting the
// same CA changes nothing, so forcessl reports and sets nothing.
func TestDecideCAAlreadyTheConfiguredOne(t *testing.T) {
	runDecide(t, []decideCase{
		{name: "expiring under the CA FORCESSL_CA names: a finding, no CA change",
			obs:      sqlServer(compliantInSync, withCA("rds-ca-rsa2048-g1", now.AddDate(0, 0, 30))),
			settings: caSettings("rds-ca-rsa2048-g1"), state: Compliant, outcome: OutcomeCAFinding, reason: "expires on 2026-12-26"},
		{name: "expiring exactly now: expired", obs: sqlServer(compliantInSync, withCA("rds-ca-rsa2048-g1", now)),
			settings: caSettings(""), state: Compliant, outcome: OutcomeCAFinding, reason: "expired on 2026-11-26"},
		{name: "expiring exactly at the end of FORCESSL_CA_WARN: no finding", obs: sqlServer(compliantInSync, withCA("rds-ca-rsa2048-g1", now.Add(90*24*time.Hour))),
			settings: caSettings(""), state: Compliant, outcome: OutcomeNone},
		{name: "expiring a second within FORCESSL_CA_WARN: a finding", obs: sqlServer(compliantInSync, withCA("rds-ca-rsa2048-g1", now.Add(90*24*time.Hour-time.Second))),
			settings: caSettings(""), state: Compliant, outcome: OutcomeCAFinding, reason: "within 90d"},
		{name: "a warning that is not whole days is written as a duration", obs: sqlServer(compliantInSync, withCA("rds-ca-rsa2048-g1", now.Add(time.Hour))),
			settings: func(s *Settings) { s.CAWarn = 36 * time.Hour }, state: Compliant, outcome: OutcomeCAFinding, reason: "within 36h0m0s"},
	})
}

// A group of its own that exists but is not forcessl's copy, or is ours
// in another family: refused, never attached.
func TestDecideOwnGroupRefusals(t *testing.T) {
	const shared = "forcessl-app-params"
	own := paramgroup.OwnName(shared, rid)
	onShared := func(o *Observed) { o.Resource.Group = shared }
	ours := Group{Name: shared, Exists: true, Family: "sqlserver-se-15.0", Tags: map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue,
		paramgroup.TagSourceGroup: "app-params"}, Params: map[string]Parameter{"rds.force_ssl": {Found: true, Value: "0"}}}
	me := Resource{Kind: KindInstance, ID: "orders", ResourceID: rid, Engine: "sqlserver-se", Tags: map[string]string{}}
	exemptNeighbour := Resource{Kind: KindInstance, ID: "shop", ResourceID: "db-SHOP", Engine: "sqlserver-se", Tags: map[string]string{"forcessl:exempt": "true"}}
	runDecide(t, []decideCase{
		{name: "own group exists, not forcessl's", obs: sqlServer(onShared, group(ours), users(shared, me, exemptNeighbour),
			group(Group{Name: own, Exists: true, Family: "sqlserver-se-15.0", Tags: map[string]string{}})),
			state: NonCompliant, outcome: OutcomeRefused, reason: own + " exists and is not forcessl's copy of " + shared},
		{name: "own group ours but in another family", obs: sqlServer(onShared, group(ours), users(shared, me, exemptNeighbour),
			group(Group{Name: own, Exists: true, Family: "sqlserver-se-14.0",
				Tags: map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue, paramgroup.TagSourceGroup: shared}})),
			state: NonCompliant, outcome: OutcomeRefused, reason: "already exists in family sqlserver-se-14.0"},
	})
}

func TestDecideOddGroupStates(t *testing.T) {
	runDecide(t, []decideCase{
		{name: "a default group whose family cannot be told", obs: sqlServer(func(o *Observed) { o.Resource.Group = "default." }),
			state: NonCompliant, outcome: OutcomeFailed, reason: "cannot tell the family of default group default."},
		{name: "RDS still applying the group: look again", obs: sqlServer(compliantPending, func(o *Observed) { o.Resource.ApplyStatus = "applying" }),
			state: CompliantPendingReboot, outcome: OutcomeWaiting, reason: "parameter group forcessl-app-params is applying",
			steps: []Step{schedule(now.Add(RecheckDelay), request.TriggerRecheck)}},
	})
}

func TestNeedAndStepWords(t *testing.T) {
	all := Need{Params: true, Schedules: true, Groups: []string{"a", "b"}, Users: "g", CAs: true, Global: true}
	if got := all.String(); got != "parameters and schedules and groups a, b and users of g and CA certificates and the global database" {
		t.Errorf("Need.String = %q", got)
	}
	if got := (Need{}).String(); got != "nothing" {
		t.Errorf("empty Need.String = %q", got)
	}
	if got := (DeleteSchedule{Name: "forcessl-x"}).Describe(); got != "delete superseded schedule forcessl-x" {
		t.Errorf("DeleteSchedule.Describe = %q", got)
	}
}

// A cluster's certificates: a Multi-AZ DB cluster's own, and every member's,
// a member RDS says nothing about skipped without ending the judgement.
func TestDecideClusterCertificates(t *testing.T) {
	expired := now.AddDate(-1, 0, 0)
	year := now.AddDate(1, 0, 0)
	runDecide(t, []decideCase{
		{name: "a Multi-AZ DB cluster's own certificate is judged",
			obs: aurora(func(o *Observed) {
				setTLSValue(o, "1")
				o.Resource.Engine, o.Resource.Cluster.Engine, o.Resource.MultiAZ = "postgres", "postgres", true
				o.Resource.CA, o.Resource.CertValidTill = "rds-ca-rsa2048-g1", expired
			}), settings: caSettings(""), state: Compliant, outcome: OutcomeCAFinding, reason: "orders: certificate (rds-ca-rsa2048-g1) expired"},
		{name: "a member without a CA reported, then one expired: the expired one found",
			obs: aurora(func(o *Observed) {
				setTLSValue(o, "1")
				o.Resource.Members[1].CA, o.Resource.Members[1].CertValidTill = "rds-ca-rsa2048-g1", expired
				o.Resource.Members[2].CA, o.Resource.Members[2].CertValidTill = "rds-ca-rsa2048-g1", year
			}), settings: caSettings(""), state: Compliant, outcome: OutcomeCAFinding, reason: "orders-r2: certificate (rds-ca-rsa2048-g1) expired"},
		{name: "no certificate reported at all: no CA check", obs: aurora(func(o *Observed) { setTLSValue(o, "1") }),
			settings: caSettings(""), state: Compliant, outcome: OutcomeNone},
	})
	p, _ := Decide(aurora(func(o *Observed) { setTLSValue(o, "1") }), settings(), now)
	for _, c := range p.Checks {
		if c.Name == CheckCA {
			t.Errorf("a CA check with no certificate reported: %+v", c)
		}
	}
}

func TestWriterRestartsReadersUnknownVersions(t *testing.T) {
	for _, tt := range []struct {
		engine, version string
		want            bool
	}{
		{"aurora-mysql", "8.0.mysql_aurora.3.x", true},     // a minor that does not parse: taken to restart them
		{"aurora-mysql", "5.7.mysql_aurora.1.23.0", true},  // below 2
		{"aurora-mysql", "5.7.12", true},                   // no Aurora version in it
		{"aurora-mysql", "8.0.mysql_aurora.2.12.0", false}, // 2.10 and later
		{"aurora-postgresql", "12.x", true},
		{"aurora-postgresql", "11.9", true},
		{"aurora-postgresql", "16.1", false},
		{"postgres", "11.9", false}, // a Multi-AZ DB cluster restarts whole, never by its writer
	} {
		if got := writerRestartsReaders(tt.engine, tt.version); got != tt.want {
			t.Errorf("writerRestartsReaders(%s, %s) = %v, want %v", tt.engine, tt.version, got, tt.want)
		}
	}
}

// A member restarted with too little of the window left for the next one:
// the rest restart in the next window, and the plan says how many.
func TestDecideClusterRestartRunsOutOfWindow(t *testing.T) {
	p, need := Decide(aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), scheduledReboot), settings(), sunday0500.Add(24*time.Minute))
	if !need.Zero() {
		t.Fatalf("asks for %s", need)
	}
	if p.Outcome != OutcomePostponed || !strings.Contains(p.Reason, "rds.force_ssl=1 in forcessl-orders-cluster") ||
		!strings.Contains(p.Reason, "; postponed: the 2 member(s) left restart in the next window") ||
		!p.RebootAt.Equal(sunday0500.AddDate(0, 0, 7)) {
		t.Errorf("%s (%s) reboot at %s: %s", p.Outcome, p.Reason, p.RebootAt, p.Describe())
	}
}

// A DB cluster with no members left (all deleted) never restarts anything:
// forcessl looks again; a Multi-AZ DB cluster restarts as a whole.
func TestDecideClusterWithoutMembers(t *testing.T) {
	noMembers := func(o *Observed) { o.Resource.Members = nil }
	runDecide(t, []decideCase{
		{name: "Aurora without members at the window: look again", obs: aurora(clusterPending(), noMembers, scheduledReboot), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeWaiting, steps: []Step{cschedule(sunday0500.Add(RecheckDelay), request.TriggerRecheck)}},
		{name: "Multi-AZ without members listed at the window: the cluster reboots", obs: aurora(clusterPending(), noMembers, scheduledReboot,
			func(o *Observed) {
				o.Resource.MultiAZ, o.Resource.Engine, o.Resource.Cluster.Engine = true, "postgres", "postgres"
				o.Resource.ApplyStatus = PendingReboot
			}), now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeRebooted},
	})
}

func TestSecondaryNames(t *testing.T) {
	got := secondaryNames([]string{"arn:aws:rds:eu-west-1:1:cluster:orders-eu", "arn:aws:rds:us-east-1:1:db:x", "cluster:y", "garbage"})
	if want := "secondaries arn:aws:rds:us-east-1:1:db:x, cluster:y, garbage, orders-eu in eu-west-1"; got != want {
		t.Errorf("secondaryNames = %q, want %q", got, want)
	}
	if got := secondaryNames(nil); got != "none listed" {
		t.Errorf("no secondaries: %q", got)
	}
}

// The CA change's reason keeps what came before it: the switch, the
// certificate, then the change.
func TestDecideCAUpdateReason(t *testing.T) {
	p, _ := Decide(sqlServer(compliantInSync, withCA("rds-ca-2019", now.AddDate(-1, 0, 0))), func() Settings {
		s := settings()
		caSettings("rds-ca-rsa2048-g1")(&s)
		return s
	}(), now)
	want := "rds.force_ssl=1 in default.sqlserver-se-15.0 and in effect; server certificate: orders: certificate (rds-ca-2019) expired on 2025-11-26" +
		"; forcessl sets CA rds-ca-rsa2048-g1, applied by RDS in the maintenance window sun:05:00-sun:05:30"
	if p.Outcome != OutcomeCAUpdate || p.Reason != want {
		t.Errorf("%s: %q\nwant %q", p.Outcome, p.Reason, want)
	}
}

func TestDecideCAFindingReasonWithChangesQueued(t *testing.T) {
	s := settings()
	caSettings("rds-ca-rsa2048-g1")(&s)
	p, _ := Decide(sqlServer(compliantInSync, withCA("rds-ca-2019", now.AddDate(-1, 0, 0)), func(o *Observed) { o.Resource.PendingModified = true }), s, now)
	want := "rds.force_ssl=1 in default.sqlserver-se-15.0 and in effect; server certificate: orders: certificate (rds-ca-2019) expired on 2025-11-26" +
		"; forcessl sets CA rds-ca-rsa2048-g1 at the reboot it makes"
	if p.Outcome != OutcomeCAFinding || p.Reason != want || len(p.Steps) != 0 {
		t.Errorf("%s: %q %s\nwant %q", p.Outcome, p.Reason, p.Describe(), want)
	}
}

// A plan that schedules only a look (a dynamic parameter set in place)
// reports no reboot time.
func TestDecideLookIsNotAReboot(t *testing.T) {
	const g = "forcessl-app-cluster"
	p, need := Decide(aurora(func(o *Observed) {
		o.Resource.Engine, o.Resource.Cluster.Engine, o.Resource.EngineVersion = "aurora-mysql", "aurora-mysql", "8.0.mysql_aurora.3.08.0"
		o.Resource.Group = g
		o.Params = map[string]Parameter{"require_secure_transport": {Found: true, Value: "OFF", ApplyType: "dynamic", AllowedValues: "ON,OFF"}}
	}, group(Group{Name: g, Exists: true, Family: "aurora-mysql8.0",
		Tags: map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue, paramgroup.TagSourceGroup: "app-cluster"}}),
		users(g, Resource{Kind: KindCluster, ID: "orders", ResourceID: crid, Engine: "aurora-mysql", Group: g, Tags: map[string]string{},
			Cluster: policy.ClusterFacts{Engine: "aurora-mysql", EngineMode: "provisioned"}})), settings(), now)
	if !need.Zero() {
		t.Fatalf("asks for %s", need)
	}
	if p.Outcome != OutcomeRemediated || !p.RebootAt.IsZero() {
		t.Errorf("%s, reboot at %s: %s", p.Outcome, p.RebootAt, p.Describe())
	}
}
