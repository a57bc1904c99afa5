package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
)

const crid = "cluster-ORDERSCLUSTER000000001"

var cref = Ref{Kind: KindCluster, ID: "orders", ResourceID: crid}

func member(id string, writer bool, apply string) Member {
	return Member{ID: id, ResourceID: "db-" + strings.ToUpper(id), Writer: writer, Status: "available", ApplyStatus: apply, Tags: map[string]string{}}
}

// aurora is an available Aurora PostgreSQL 15.4 cluster (a writer, two
// readers) on its default cluster group with rds.force_ssl=0.
func aurora(mod ...func(*Observed)) Observed {
	o := Observed{Account: account, Region: region, Trigger: request.TriggerChange, Found: true,
		Resource: Resource{Kind: KindCluster, ID: "orders", ResourceID: crid, Engine: "aurora-postgresql", EngineVersion: "15.4",
			Status: "available", Group: "default.aurora-postgresql15", ApplyStatus: InSync, MaintenanceWindow: window, Tags: map[string]string{},
			Cluster: policy.ClusterFacts{Engine: "aurora-postgresql", EngineMode: "provisioned"},
			Members: []Member{member("orders-w", true, InSync), member("orders-r2", false, InSync), member("orders-r1", false, InSync)}},
		Params:    map[string]Parameter{"rds.force_ssl": {Found: true, Value: "0", ApplyType: "static"}},
		Schedules: []ScheduledAction{}}
	for _, m := range mod {
		m(&o)
	}
	return o
}

func cschedule(at time.Time, action request.Trigger) CreateSchedule {
	return CreateSchedule{Name: ScheduleName(account, region, crid, at, action), Target: cref, At: at, Action: action}
}

// clusterPending: the compliant cluster group attached, members pending.
func clusterPending(pending ...string) func(*Observed) {
	return func(o *Observed) {
		o.Resource.Group = "forcessl-orders-cluster"
		setTLSValue(o, "1")
		o.Resource.ApplyStatus = PendingReboot
		for i := range o.Resource.Members {
			for _, p := range pending {
				if o.Resource.Members[i].ID == p {
					o.Resource.Members[i].ApplyStatus = PendingReboot
				}
			}
		}
	}
}

func TestDecideClusters(t *testing.T) {
	target := paramgroup.CompliantName("default.aurora-postgresql15")
	runDecide(t, []decideCase{
		{name: "Aurora PostgreSQL on its default cluster group: a cluster group made in the family, attached, reboot in the cluster's window",
			obs: aurora(), state: NonCompliant, outcome: OutcomeRemediated, rebootAt: sunday0500, reason: "cluster parameter group default.aurora-postgresql15",
			steps: []Step{
				CreateGroup{Kind: KindCluster, Name: target, Family: "aurora-postgresql15", Source: "default.aurora-postgresql15"},
				SetParameter{Kind: KindCluster, Group: target, Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				AttachGroup{Target: cref, Group: target, ApplyImmediately: true},
				cschedule(sunday0500, request.TriggerReboot),
			}},
		{name: "the owner has cluster changes queued: the group attached without ApplyImmediately (it would apply them now)",
			obs: aurora(func(o *Observed) { o.Resource.PendingModified = true }), state: NonCompliant, outcome: OutcomeRemediated,
			steps: []Step{
				CreateGroup{Kind: KindCluster, Name: target, Family: "aurora-postgresql15", Source: "default.aurora-postgresql15"},
				SetParameter{Kind: KindCluster, Group: target, Name: "rds.force_ssl", Value: "1", ApplyMethod: "pending-reboot"},
				AttachGroup{Target: cref, Group: target, ApplyImmediately: false},
				cschedule(sunday0500, request.TriggerReboot),
			}},
		{name: "Aurora MySQL: require_secure_transport spelled ON, dynamic, but a newly attached group needs the reboot: in the window",
			obs: aurora(func(o *Observed) {
				o.Resource.Engine, o.Resource.Cluster.Engine, o.Resource.Group = "aurora-mysql", "aurora-mysql", "app-cluster"
				o.Params = map[string]Parameter{"require_secure_transport": {Found: true, Value: "OFF", ApplyType: "dynamic", AllowedValues: "ON,OFF"}}
			}), state: NonCompliant, outcome: OutcomeRemediated, rebootAt: sunday0500,
			steps: []Step{CopyGroup{Kind: KindCluster, Name: "forcessl-app-cluster", Source: "app-cluster"},
				SetParameter{Kind: KindCluster, Group: "forcessl-app-cluster", Name: "require_secure_transport", Value: "ON", ApplyMethod: "immediate"},
				AttachGroup{Target: cref, Group: "forcessl-app-cluster", ApplyImmediately: true},
				cschedule(sunday0500, request.TriggerReboot)},
			intent: records("forcessl-app-cluster")},
		{name: "Aurora MySQL 5.6 (v1): no such cluster parameter: refused",
			obs: aurora(func(o *Observed) {
				o.Resource.Engine, o.Resource.Cluster.Engine, o.Resource.EngineVersion = "aurora-mysql", "aurora-mysql", "5.6.10a"
				o.Params = map[string]Parameter{"require_secure_transport": {}}
			}), state: NonCompliant, outcome: OutcomeRefused, reason: "has no require_secure_transport"},
		{name: "Aurora Serverless v1: out of scope", obs: aurora(func(o *Observed) { o.Resource.Cluster.EngineMode = "serverless" }),
			state: OutOfScope, outcome: OutcomeNone, reason: "Serverless v1"},
		{name: "the cluster's exempt tag exempts it", obs: aurora(func(o *Observed) { o.Resource.Tags["forcessl:exempt"] = "true" }),
			state: Exempt, outcome: OutcomeNone},
		{name: "a member's exempt tag does not exempt the cluster, and the message says so",
			obs:   aurora(func(o *Observed) { o.Resource.Members[1].Tags["forcessl:exempt"] = "true" }),
			state: NonCompliant, outcome: OutcomeRemediated, reason: "member(s) orders-r2 are tagged forcessl:exempt=true, which does not exempt the cluster"},
		{name: "cluster creating: re-check", obs: aurora(func(o *Observed) { o.Resource.Status = "creating" }),
			state: NotReady, outcome: OutcomeWaiting, steps: []Step{cschedule(now.Add(RecheckDelay), request.TriggerRecheck)}},
		{name: "in the window: readers first, one at a time, then a look in MemberSettle",
			obs: aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), scheduledReboot), now: sunday0500,
			state: CompliantPendingReboot, outcome: OutcomeRebooted, reason: "restarting orders-r1 (reader) of 3 pending",
			steps: []Step{Reboot{Target: Ref{Kind: KindInstance, ID: "orders-r1", ResourceID: "db-ORDERS-R1"}},
				cschedule(sunday0500.Add(MemberSettle), request.TriggerRecheck)}},
		{name: "a member still restarting: wait for it before the next",
			obs: aurora(clusterPending("orders-w", "orders-r2"), func(o *Observed) {
				o.Trigger = request.TriggerRecheck
				o.Resource.Members[2].Status = "rebooting"
			}), now: sunday0500.Add(MemberSettle),
			state: CompliantPendingReboot, outcome: OutcomeWaiting, reason: "member orders-r1 is rebooting"},
		{name: "the writer last, and nothing after it",
			obs: aurora(clusterPending("orders-w"), func(o *Observed) { o.Trigger = request.TriggerRecheck }), now: sunday0500.Add(10 * time.Minute),
			state: CompliantPendingReboot, outcome: OutcomeRebooted,
			steps: []Step{Reboot{Target: Ref{Kind: KindInstance, ID: "orders-w", ResourceID: "db-ORDERS-W"}}, cschedule(sunday0500.Add(20*time.Minute), request.TriggerRecheck)}},
		{name: "Aurora PostgreSQL 13.9: the writer's reboot restarts the readers, so the writer alone (no member restarts twice)",
			obs: aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), scheduledReboot, func(o *Observed) { o.Resource.EngineVersion = "13.9" }),
			now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeRebooted,
			steps: []Step{Reboot{Target: Ref{Kind: KindInstance, ID: "orders-w", ResourceID: "db-ORDERS-W"}}, cschedule(sunday0500.Add(RecheckDelay), request.TriggerRecheck)}},
		{name: "near the window's end the members left move to the next window",
			obs: aurora(clusterPending("orders-w", "orders-r1"), scheduledReboot), now: sunday0500.Add(22 * time.Minute),
			state: CompliantPendingReboot, outcome: OutcomePostponed, reason: "postponed: the 1 member(s) left restart in the next window",
			rebootAt: sunday0500.AddDate(0, 0, 7),
			steps: []Step{Reboot{Target: Ref{Kind: KindInstance, ID: "orders-r1", ResourceID: "db-ORDERS-R1"}},
				cschedule(sunday0500.AddDate(0, 0, 7), request.TriggerReboot)}},
		{name: "a member tagged exempt is skipped: the next one restarts",
			obs: aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), scheduledReboot, func(o *Observed) {
				o.Resource.Members[2].Tags["forcessl:exempt"] = "true" // orders-r1
			}), now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeRebooted,
			steps: []Step{Reboot{Target: Ref{Kind: KindInstance, ID: "orders-r2", ResourceID: "db-ORDERS-R2"}},
				cschedule(sunday0500.Add(MemberSettle), request.TriggerRecheck)}},
		{name: "only exempt members still wait: refused, told to their owner",
			obs: aurora(clusterPending("orders-r1"), func(o *Observed) {
				o.Trigger = request.TriggerRecheck
				o.Resource.Members[2].Tags["forcessl:exempt"] = "true"
			}), now: sunday0500.Add(10 * time.Minute), state: CompliantPendingReboot, outcome: OutcomeRefused,
			reason: "member(s) orders-r1 still wait for a restart but are tagged forcessl:exempt=true"},
		{name: "old Aurora with an exempt writer: the readers one by one instead",
			obs: aurora(clusterPending("orders-w", "orders-r1"), scheduledReboot, func(o *Observed) {
				o.Resource.EngineVersion = "13.9"
				o.Resource.Members[0].Tags["forcessl:exempt"] = "true"
			}), now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeRebooted,
			steps: []Step{Reboot{Target: Ref{Kind: KindInstance, ID: "orders-r1", ResourceID: "db-ORDERS-R1"}}, cschedule(sunday0500.Add(RecheckDelay), request.TriggerRecheck)}},
		{name: "a Multi-AZ DB cluster reboots as a whole",
			obs: aurora(clusterPending("orders-w", "orders-r1", "orders-r2"), scheduledReboot, func(o *Observed) {
				o.Resource.Engine, o.Resource.Cluster.Engine, o.Resource.MultiAZ = "postgres", "postgres", true
			}), now: sunday0500, state: CompliantPendingReboot, outcome: OutcomeRebooted, steps: []Step{RebootCluster{Target: cref}, cschedule(sunday0500.Add(RecheckDelay), request.TriggerRecheck)}},
		{name: "every member in sync with forcessl's change open: verified",
			obs: aurora(clusterPending(), remembers(Memory{Known: true, Intent: &Intent{RecordedAt: now.Add(-time.Hour)}}),
				func(o *Observed) { o.Resource.ApplyStatus = InSync }),
			state: Compliant, outcome: OutcomeVerified},
	})
}

func TestWriterRestartsReaders(t *testing.T) {
	for _, tt := range []struct {
		engine, version string
		want            bool
	}{
		{"aurora-mysql", "5.7.mysql_aurora.2.09.2", true},
		{"aurora-mysql", "5.7.mysql_aurora.2.10.0", false},
		{"aurora-mysql", "8.0.mysql_aurora.3.05.2", false},
		{"aurora-mysql", "5.6.10a", true},
		{"aurora-postgresql", "14.6", true},
		{"aurora-postgresql", "14.7", false},
		{"aurora-postgresql", "13.9", true},
		{"aurora-postgresql", "13.10", false},
		{"aurora-postgresql", "12.13", true},
		{"aurora-postgresql", "12.14", false},
		{"aurora-postgresql", "11.21", true},
		{"aurora-postgresql", "15.4", false},
		{"aurora-postgresql", "", true},
	} {
		if got := writerRestartsReaders(tt.engine, tt.version); got != tt.want {
			t.Errorf("%s %s: %v", tt.engine, tt.version, got)
		}
	}
}
