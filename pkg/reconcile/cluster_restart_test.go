package reconcile_test

// Cluster restarts forcessl leaves to a person, end to end on the fake:
// a global database primary's (other Regions restart with it) and one
// that would take an exempt member down; a cluster group shared by
// in-scope clusters; a member apply status forcessl does not know.

import (
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
)

const euOrders = "arn:aws:rds:eu-west-1:123456789012:cluster:orders-eu"

// addGlobalPrimary adds the primary cluster of global database
// orders-global, with a secondary in eu-west-1.
func addGlobalPrimary(e *fakeaws.Env, engine, version, group string) {
	e.AWS.AddCluster("orders", &fakeaws.Cluster{Engine: engine, EngineVersion: version, Mode: "provisioned", Status: "available",
		Group: group, Window: "sun:05:00-sun:05:30", GlobalID: "orders-global", GlobalReaders: []string{euOrders}},
		"orders-w", "orders-r1")
}

// Aurora PostgreSQL: attached as any cluster, one message; at the window no
// member restarts and the refusal, naming the secondary, is told once;
// later looks neither tell it again nor schedule a reboot again.
func TestGlobalPrimaryRestartRefusedOnce(t *testing.T) {
	e := remembering(t, "enforce")
	addGlobalPrimary(e, "aurora-postgresql", "15.4", fakeaws.DefaultAuroraPostgresGroup)
	ir := e.ClusterEvent(t, "RDS-EVENT-0170", "orders")
	if ir.Outcome != plan.OutcomeRemediated || e.ScheduleAt("orders") != "at(2026-11-29T05:00:00)" {
		t.Fatalf("attach: %+v, schedule %q", ir, e.ScheduleAt("orders"))
	}
	if got := e.Notes.Take(); !equal(got, []string{"remediated"}) || e.AWS.Count("DescribeGlobalClusters") != 0 {
		t.Fatalf("notices %v, global database read %d times before any restart", got, e.AWS.Count("DescribeGlobalClusters"))
	}
	e.Now = nextWindow
	ir = e.Fire(t, "orders")
	if ir.Outcome != plan.OutcomeRefused || !strings.Contains(ir.Reason, "orders-eu in eu-west-1") || len(e.AWS.Reboots) != 0 {
		t.Fatalf("the window: %+v, rebooted %v", ir, rebooted(e))
	}
	if got := e.Notes.Take(); !equal(got, []string{"refused"}) {
		t.Errorf("notices %v", got)
	}
	for _, at := range []time.Duration{time.Hour, 7 * 24 * time.Hour} {
		e.Now = nextWindow.Add(at)
		if ir = e.ClusterEvent(t, "RDS-EVENT-0170", "orders"); ir.Outcome != plan.OutcomeRefused || len(ir.Changed) != 0 {
			t.Errorf("a later look: %+v", ir)
		}
	}
	if got := e.Notes.Take(); len(got) != 0 || e.ScheduleAt("orders") != "" || len(e.AWS.Reboots) != 0 {
		t.Errorf("later: notices %v, schedule %q, reboots %v", got, e.ScheduleAt("orders"), rebooted(e))
	}
}

// Aurora MySQL 3.06 and later keep the secondaries up: the primary
// restarts in its window as any cluster.
func TestGlobalPrimaryOnAuroraMySQL306Restarts(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	addGlobalPrimary(e, "aurora-mysql", "8.0.mysql_aurora.3.06.0", fakeaws.DefaultAuroraMySQLGroup)
	if ir := e.ClusterEvent(t, "RDS-EVENT-0170", "orders"); ir.Outcome != plan.OutcomeRemediated || ir.RebootAt == nil {
		t.Fatalf("%+v", ir)
	}
	e.Now = nextWindow
	if ir := e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRebooted || !equal(rebooted(e), []string{"orders-r1"}) {
		t.Fatalf("%+v, rebooted %v", ir, rebooted(e))
	}
	if e.AWS.Count("DescribeGlobalClusters") == 0 {
		t.Error("restarted a global database member without reading its global database")
	}
}

// A Multi-AZ DB cluster with a member tagged exempt: RebootDBCluster would
// restart it, so none is made; refused once, naming the member.
func TestMultiAZClusterWithExemptMemberIsNotRebooted(t *testing.T) {
	e := remembering(t, "enforce")
	addLedger(e)
	e.AWS.Set("ledger-3", func(i *fakeaws.Instance) { i.Tags["forcessl:exempt"] = "true" })
	if ir := e.ClusterEvent(t, "RDS-EVENT-0170", "ledger"); ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("%+v", ir)
	}
	e.Notes.Take()
	e.Now = nextWindow
	ir := e.Fire(t, "ledger")
	if ir.Outcome != plan.OutcomeRefused || !strings.Contains(ir.Reason, "ledger-3") || len(e.AWS.ClusterReboots) != 0 || len(e.AWS.Reboots) != 0 {
		t.Fatalf("%+v: cluster reboots %d, reboots %v", ir, len(e.AWS.ClusterReboots), rebooted(e))
	}
	e.Now = e.Now.Add(time.Hour)
	e.ClusterEvent(t, "RDS-EVENT-0170", "ledger")
	if got := e.Notes.Take(); !equal(got, []string{"refused"}) || e.ScheduleAt("ledger") != "" {
		t.Errorf("notices %v (want the refusal once), schedule %q", got, e.ScheduleAt("ledger"))
	}
}

// Aurora PostgreSQL 13.9 with an exempt reader: the writer's reboot would
// restart it, so no member restarts.
func TestOldAuroraWithExemptReaderIsNotRestarted(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddAurora("orders", "orders-w", "orders-r1", "orders-r2")
	e.AWS.SetCluster("orders", func(c *fakeaws.Cluster) { c.EngineVersion, c.WriterRestartsReaders = "13.9", true })
	e.AWS.Set("orders-r2", func(i *fakeaws.Instance) { i.Tags["forcessl:exempt"] = "true" })
	e.ClusterEvent(t, "RDS-EVENT-0170", "orders")
	e.Now = nextWindow
	ir := e.Fire(t, "orders")
	if ir.Outcome != plan.OutcomeRefused || !strings.Contains(ir.Reason, "orders-r2") || len(e.AWS.Reboots) != 0 {
		t.Fatalf("%+v, rebooted %v", ir, rebooted(e))
	}
}

// Two in-scope Aurora clusters share forcessl's cluster group: the switch,
// turned off again, is turned on in that group (not a group per cluster),
// and both clusters owe the reboot.
func TestSharedClusterGroupIsFixedInPlace(t *testing.T) {
	e := remembering(t, "enforce")
	const g = "forcessl-app-cluster"
	e.AWS.ClusterGroups[g] = &fakeaws.Group{Family: "aurora-postgresql15", Params: map[string]fakeaws.Param{
		"rds.force_ssl": {Value: "0", ApplyType: "static", Source: "user", AllowedValues: "0,1"}},
		Tags: map[string]string{paramgroup.TagManagedBy: paramgroup.ManagedByValue, paramgroup.TagSourceGroup: "app-cluster"}}
	for _, id := range []string{"orders", "billing"} {
		e.AddAurora(id, id+"-w")
		e.AWS.SetCluster(id, func(c *fakeaws.Cluster) { c.Group = g })
	}
	ir := e.ClusterEvent(t, "RDS-EVENT-0170", "orders")
	if ir.Outcome != plan.OutcomeRemediated || e.AWS.Count("CopyDBClusterParameterGroup") != 0 || e.AWS.Count("ModifyDBCluster") != 0 {
		t.Fatalf("%+v, copies %d, attaches %d", ir, e.AWS.Count("CopyDBClusterParameterGroup"), e.AWS.Count("ModifyDBCluster"))
	}
	if v := e.AWS.ClusterGroups[g].Params["rds.force_ssl"].Value; v != "1" {
		t.Errorf("rds.force_ssl=%s in %s", v, g)
	}
	if st := memberStatus(e, "orders-w", "billing-w"); !equal(st, []string{plan.PendingReboot, plan.PendingReboot}) {
		t.Errorf("members %v", st)
	}
}

// A member whose apply status forcessl does not know is RDS still at
// work: the cluster is looked at again, not called compliant.
func TestUnknownMemberApplyStatusIsLookedAtAgain(t *testing.T) {
	e := remembering(t, "enforce")
	e.AWS.ClusterGroups["secure"] = &fakeaws.Group{Family: "aurora-postgresql15", Tags: map[string]string{}, Params: map[string]fakeaws.Param{
		"rds.force_ssl": {Value: "1", ApplyType: "static", Source: "user", AllowedValues: "0,1"}}}
	e.AddAurora("orders", "orders-w", "orders-r1")
	e.AWS.SetCluster("orders", func(c *fakeaws.Cluster) { c.Group = "secure" })
	e.AWS.Set("orders-r1", func(i *fakeaws.Instance) { i.ClusterApplyStatus = "pending-database-upgrade" })
	ir := e.ClusterEvent(t, "RDS-EVENT-0170", "orders")
	if ir.State == plan.Compliant || ir.Outcome != plan.OutcomeWaiting || e.ScheduleAt("orders") != "at(2026-11-26T10:10:00)" {
		t.Fatalf("%+v, schedule %q", ir, e.ScheduleAt("orders"))
	}
	e.AWS.Set("orders-r1", func(i *fakeaws.Instance) { i.ClusterApplyStatus = plan.InSync })
	e.Now = e.Now.Add(plan.RecheckDelay)
	if ir = e.Fire(t, "orders"); ir.State != plan.Compliant {
		t.Errorf("once in sync: %+v", ir)
	}
}
