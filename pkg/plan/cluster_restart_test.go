package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
)

// Restarts forcessl must not make on its own: a global database primary's
// (which restarts other Regions' instances) and one that takes an exempt
// member down with it. Attaching still happens; the restart is refused
// once, with what a person should do.

const euSecondary = "arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu"

// globalPrimary makes the cluster the primary of global database
// orders-global, engine and version as given, with one secondary.
func globalPrimary(engine, version string) func(*Observed) {
	return func(o *Observed) {
		o.Resource.Engine, o.Resource.Cluster.Engine, o.Resource.EngineVersion = engine, engine, version
		o.Resource.GlobalCluster = "orders-global"
		o.Global = &GlobalDB{ID: "orders-global", Read: true, Primary: true, Secondaries: []string{euSecondary}, EngineVersion: version}
		if engine == "aurora-mysql" {
			o.Params = map[string]Parameter{"require_secure_transport": {Found: true, Value: "ON", ApplyType: "dynamic", AllowedValues: "ON,OFF"}}
		}
	}
}

func cexisting(at time.Time, action request.Trigger) func(*Observed) {
	return func(o *Observed) {
		o.Schedules = append(o.Schedules, ScheduledAction{Name: ScheduleName(account, region, crid, at, action), At: at, Action: action})
	}
}

func TestDecideGlobalDatabasePrimary(t *testing.T) {
	pending := clusterPending("orders-w", "orders-r1", "orders-r2")
	runDecide(t, []decideCase{
		{name: "Aurora MySQL 3.05 primary at its window: no member restarts, refused, naming the secondary and what to do",
			obs: aurora(pending, scheduledReboot, globalPrimary("aurora-mysql", "8.0.mysql_aurora.3.05.2")), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRefused, reason: "orders-eu in eu-west-1"},
		{name: "Aurora MySQL 3.05 primary: the refusal says to restart at a time that suits the secondaries, or upgrade",
			obs: aurora(pending, scheduledReboot, globalPrimary("aurora-mysql", "8.0.mysql_aurora.3.05.2")), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRefused, reason: "upgrade the global database to Aurora MySQL 3.06 or later"},
		{name: "Aurora MySQL 2.11 primary (read availability on the primary, not the secondaries): refused",
			obs: aurora(pending, scheduledReboot, globalPrimary("aurora-mysql", "5.7.mysql_aurora.2.11.2")), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRefused, reason: "below 3.06"},
		{name: "Aurora MySQL 3.06 primary: restarted in its window as any cluster, readers first",
			obs: aurora(pending, scheduledReboot, globalPrimary("aurora-mysql", "8.0.mysql_aurora.3.06.0")), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRebooted,
			steps: []Step{Reboot{Target: Ref{Kind: KindInstance, ID: "orders-r1", ResourceID: "db-ORDERS-R1"}},
				cschedule(sunday0500.Add(MemberSettle), request.TriggerRecheck)}},
		{name: "the cluster reads 3.08 but the global database 3.05 (mid-upgrade): refused",
			obs: aurora(pending, scheduledReboot, globalPrimary("aurora-mysql", "8.0.mysql_aurora.3.08.0"),
				func(o *Observed) { o.Global.EngineVersion = "8.0.mysql_aurora.3.05.2" }), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRefused, reason: "secondaries orders-eu in eu-west-1"},
		{name: "every Aurora PostgreSQL primary, even 15.4 (\"a limited version\" of read availability): refused",
			obs: aurora(pending, scheduledReboot, globalPrimary("aurora-postgresql", "15.4")), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRefused, reason: "a limited version"},
		{name: "a global database forcessl could not read: refused, saying what to grant",
			obs: aurora(pending, scheduledReboot, globalPrimary("aurora-mysql", "8.0.mysql_aurora.3.08.0"), func(o *Observed) {
				o.Global = &GlobalDB{ID: "orders-global", Why: "AccessDenied"}
			}), now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeRefused, reason: "rds:DescribeGlobalClusters"},
		{name: "a member of a global database that is not its writer: this rule does not hold it back",
			obs: aurora(pending, scheduledReboot, globalPrimary("aurora-postgresql", "15.4"), func(o *Observed) { o.Global.Primary = false }),
			now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeRebooted},
		{name: "before the window the reboot scheduled at the attach is kept, and nobody is told yet",
			obs:   aurora(pending, globalPrimary("aurora-postgresql", "15.4"), cexisting(sunday0500, request.TriggerReboot)),
			state: CompliantPendingReboot, outcome: OutcomeNone, rebootAt: sunday0500},
		{name: "at the heads-up the refusal is told (no restart is coming)",
			obs: aurora(pending, globalPrimary("aurora-postgresql", "15.4"), cexisting(sunday0500, request.TriggerReboot),
				func(o *Observed) { o.Trigger = request.TriggerNotice }),
			settings: func(s *Settings) { s.NoticeLead = 24 * time.Hour }, now: sunday0500.Add(-24 * time.Hour),
			state: CompliantPendingReboot, outcome: OutcomeRefused, reason: "restarts none of its members"},
		{name: "reboot policy never: the owner reboots anyway, nothing to read",
			obs: aurora(pending, func(o *Observed) {
				o.Resource.GlobalCluster = "orders-global"
				o.Resource.Tags[RebootTag] = "never"
			}), state: CompliantPendingReboot, outcome: OutcomeNone, reason: "reboot policy is never"},
	})
}

// The remediation attaches as for any cluster, and asks nothing of the
// global database: only the restart is held back.
func TestGlobalPrimaryIsAttachedAsAnyCluster(t *testing.T) {
	o := aurora(func(o *Observed) { o.Resource.GlobalCluster = "orders-global" })
	p, need := Decide(o, settings(), now)
	if !need.Zero() || p.Outcome != OutcomeRemediated || !p.RebootAt.Equal(sunday0500) {
		t.Fatalf("need %s, %s (reboot at %v): %s", need, p.Outcome, p.RebootAt, p.Reason)
	}
}

// At the restart Decide asks for the global database, once, and the
// refusal is the same words whether it comes at the window or at any later
// look with nothing scheduled, so the memory tells it once and nothing
// schedules it again.
func TestGlobalPrimaryRefusalIsAskedForAndStable(t *testing.T) {
	o := aurora(clusterPending("orders-w", "orders-r1"), scheduledReboot, func(o *Observed) {
		o.Resource.Engine, o.Resource.Cluster.Engine, o.Resource.EngineVersion = "aurora-mysql", "aurora-mysql", "8.0.mysql_aurora.3.04.1"
		o.Resource.GlobalCluster = "orders-global"
		o.Params = map[string]Parameter{"require_secure_transport": {Found: true, Value: "ON", ApplyType: "dynamic"}}
	})
	_, need := Decide(o, settings(), sunday0500)
	if !need.Global || need.String() != "the global database" {
		t.Fatalf("need %+v (%s), want the global database", need, need)
	}
	if !need.Missing(o).Global {
		t.Errorf("missing %+v", need.Missing(o))
	}
	o.Global = &GlobalDB{ID: "orders-global", Read: true, Primary: true, Secondaries: []string{euSecondary,
		"arn:aws:rds:ap-south-1:111122223333:cluster:orders-ap"}}
	if m := need.Missing(o); !m.Zero() {
		t.Errorf("still missing %+v", m)
	}
	atWindow, need := Decide(o, settings(), sunday0500)
	if !need.Zero() || atWindow.Outcome != OutcomeRefused || atWindow.Writes() {
		t.Fatalf("at the window: %s, %s: %s", need, atWindow.Outcome, atWindow.Describe())
	}
	if !strings.Contains(atWindow.Reason, "secondaries orders-ap in ap-south-1, orders-eu in eu-west-1") {
		t.Errorf("secondaries not named: %s", atWindow.Reason)
	}
	o.Trigger = request.TriggerSweep
	later, _ := Decide(o, settings(), sunday0500.Add(48*time.Hour))
	if later.Outcome != OutcomeRefused || later.Writes() || later.Reason != atWindow.Reason {
		t.Errorf("a later sweep: %s %s\n%q\nwant the same reason as\n%q", later.Outcome, later.Describe(), later.Reason, atWindow.Reason)
	}
}

func TestDecideExemptMemberRestartedIndirectly(t *testing.T) {
	exemptR1 := func(o *Observed) { o.Resource.Members[2].Tags["forcessl:exempt"] = "true" }
	multiAZ := func(o *Observed) {
		o.Resource.Engine, o.Resource.Cluster.Engine, o.Resource.MultiAZ = "postgres", "postgres", true
	}
	runDecide(t, []decideCase{
		{name: "Aurora PostgreSQL 13.9, exempt reader: no writer reboot, refused naming the member",
			obs: aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), scheduledReboot, exemptR1,
				func(o *Observed) { o.Resource.EngineVersion = "13.9" }),
			now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeRefused,
			reason: "rebooting the writer orders-w restarts every reader with it, member(s) orders-r1 too"},
		{name: "Aurora PostgreSQL 13.9, the exempt reader is in sync but the writer's reboot would still restart it: refused",
			obs: aurora(clusterPending("orders-w", "orders-r2"), scheduledReboot, exemptR1, func(o *Observed) { o.Resource.EngineVersion = "13.9" }),
			now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeRefused, reason: "orders-r1"},
		{name: "Multi-AZ DB cluster with an exempt member: no RebootDBCluster, refused naming the member",
			obs: aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), scheduledReboot, exemptR1, multiAZ),
			now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeRefused, reason: "would restart member(s) orders-r1"},
		{name: "Multi-AZ DB cluster whose writer is exempt: refused too",
			obs: aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), scheduledReboot, multiAZ,
				func(o *Observed) { o.Resource.Members[0].Tags["forcessl:exempt"] = " TRUE" }),
			now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeRefused, reason: "orders-w"},
		{name: "Aurora PostgreSQL 15.4 (read availability): the exempt reader is skipped, the others restart",
			obs: aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), scheduledReboot, exemptR1),
			now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeRebooted,
			steps: []Step{Reboot{Target: Ref{Kind: KindInstance, ID: "orders-r2", ResourceID: "db-ORDERS-R2"}}, cschedule(sunday0500.Add(MemberSettle), request.TriggerRecheck)}},
		{name: "a refused restart is not scheduled again after the window: the same refusal, no steps",
			obs: aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), exemptR1, multiAZ,
				func(o *Observed) { o.Trigger = request.TriggerSweep }),
			now: sunday0500.Add(24 * time.Hour), state: CompliantPendingReboot, outcome: OutcomeRefused, reason: "tagged forcessl:exempt=true"},
	})
}

func TestDecideDynamicClusterParameterInPlace(t *testing.T) {
	const g = "forcessl-app-cluster"
	mysql := func(o *Observed) {
		o.Resource.Engine, o.Resource.Cluster.Engine, o.Resource.EngineVersion = "aurora-mysql", "aurora-mysql", "8.0.mysql_aurora.3.08.0"
		o.Resource.Group = g // forcessl's group, attached long ago; someone turned the switch off
		o.Params = map[string]Parameter{"require_secure_transport": {Found: true, Value: "OFF", ApplyType: "dynamic", AllowedValues: "ON,OFF"}}
	}
	ours := group(Group{Name: g, Exists: true, Family: "aurora-mysql8.0",
		Tags: map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue, paramgroup.TagSourceGroup: "app-cluster"}})
	alone := users(g, Resource{Kind: KindCluster, ID: "orders", ResourceID: crid, Engine: "aurora-mysql", Group: g, Tags: map[string]string{},
		Cluster: policy.ClusterFacts{Engine: "aurora-mysql", EngineMode: "provisioned"}})
	runDecide(t, []decideCase{
		{name: "a dynamic parameter set again in the group already attached: no reboot, a verifying look after SettleDelay",
			obs: aurora(mysql, ours, alone), state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{SetParameter{Kind: KindCluster, Group: g, Name: "require_secure_transport", Value: "ON", ApplyMethod: "immediate"},
				cschedule(now.Add(SettleDelay), request.TriggerRecheck)},
			reason: "require_secure_transport is dynamic: no reboot is needed", intent: noIntentChange},
		{name: "a static parameter set again in the group already attached: the reboot in the window",
			obs: aurora(ours, alone, func(o *Observed) { o.Resource.Group = g }), state: NonCompliant, outcome: OutcomeRemediated,
			rebootAt: sunday0500, intent: records(g)},
	})
}

// A cluster group shared with a cluster forcessl must not change (a global
// secondary, judged by the cluster rule) is not changed: the cluster gets
// a group of its own.
func TestDecideClusterGroupSharedWithOutOfScopeCluster(t *testing.T) {
	const g = "forcessl-app-cluster"
	secondary := Resource{Kind: KindCluster, ID: "orders-eu", Engine: "aurora-postgresql", Group: g, Tags: map[string]string{},
		Cluster: policy.ClusterFacts{Engine: "aurora-postgresql", EngineMode: "provisioned", GlobalSecondary: true}}
	o := aurora(func(o *Observed) { o.Resource.Group = g },
		group(Group{Name: g, Exists: true, Family: "aurora-postgresql15",
			Tags: map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue, paramgroup.TagSourceGroup: "app-cluster"}}),
		users(g, secondary), group(Group{Name: paramgroup.OwnName(g, crid)}))
	p, need := Decide(o, settings(), now)
	if !need.Zero() {
		t.Fatalf("need %s", need)
	}
	if !strings.Contains(p.Reason, "orders-eu, which is out of scope (secondary cluster of an Aurora global database") {
		t.Errorf("reason: %s", p.Reason)
	}
	for _, s := range p.Steps {
		if set, ok := s.(SetParameter); ok && set.Group == g {
			t.Errorf("changed %s, shared with a global secondary: %s", g, p.Describe())
		}
	}
}
