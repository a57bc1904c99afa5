package reconcile_test

// DB clusters in the states moto cannot show: members pending-reboot until
// each restarts, the order they restart in, the writer that restarts its
// readers on older Aurora versions, RebootDBCluster for a Multi-AZ DB
// cluster (moto lacks it), a dynamic parameter that needs no restart.

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/plan"
)

func rebooted(e *fakeaws.Env) []string {
	var ids []string
	for _, r := range e.AWS.Reboots {
		ids = append(ids, aws.ToString(r.DBInstanceIdentifier))
	}
	return ids
}

func memberStatus(e *fakeaws.Env, ids ...string) []string {
	var st []string
	for _, id := range ids {
		st = append(st, e.AWS.Get(id).ClusterApplyStatus)
	}
	return st
}

// The whole life of an Aurora cluster's remediation: one schedule in the
// cluster's window, readers first and the writer last, one at a time,
// each member once, then verified once.
func TestAuroraClusterLifecycle(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddAurora("orders", "orders-w", "orders-r2", "orders-r1")

	ir := e.ClusterEvent(t, "RDS-EVENT-0170", "orders")
	c := e.AWS.GetCluster("orders")
	if ir.Kind != plan.KindCluster || ir.Outcome != plan.OutcomeRemediated || c.Group == fakeaws.DefaultAuroraPostgresGroup {
		t.Fatalf("after remediation: %+v, group %s", ir, c.Group)
	}
	if g := e.AWS.ClusterGroups[c.Group]; g.Params["rds.force_ssl"].Value != "1" || g.Family != "aurora-postgresql15" {
		t.Errorf("compliant cluster group %s: %+v", c.Group, g)
	}
	if n := e.AWS.Count("ModifyDBParameterGroup") + e.AWS.Count("ModifyDBInstance"); n != 0 {
		t.Errorf("a cluster's instance-level APIs were called %d times", n)
	}
	if e.ScheduleAt("orders") != "at(2026-11-29T05:00:00)" || len(ir.Members) != 3 {
		t.Fatalf("schedule %q, members %v", e.ScheduleAt("orders"), ir.Members)
	}
	if got := e.Notes.Take(); !equal(got, []string{"remediated"}) {
		t.Errorf("notices %v", got)
	}

	// An instance event for a member reconciles its cluster: nothing new.
	ir = e.Event(t, "RDS-EVENT-0011", "orders-r1")
	if ir.Kind != plan.KindCluster || ir.Name != "orders" || len(ir.Changed) != 0 || ir.State != plan.CompliantPendingReboot {
		t.Errorf("member event: %+v", ir)
	}
	if len(e.AWS.Reboots) != 0 || len(e.Notes.Take()) != 0 {
		t.Fatal("a member event before the window rebooted or told someone")
	}

	// The window: the first reader restarts, then a look in MemberSettle.
	e.Now = nextWindow
	ir = e.Fire(t, "orders")
	if !equal(rebooted(e), []string{"orders-r1"}) || ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("first restart: %v, %+v", rebooted(e), ir)
	}
	// The reader is still restarting at the next look: wait, restart nobody.
	e.AWS.Set("orders-r1", func(i *fakeaws.Instance) { i.Status = "rebooting" })
	e.Now = e.Now.Add(plan.MemberSettle)
	ir = e.Fire(t, "orders")
	if !equal(rebooted(e), []string{"orders-r1"}) || ir.Outcome != plan.OutcomeWaiting {
		t.Fatalf("while a member restarts: %v, %+v", rebooted(e), ir)
	}
	e.AWS.Set("orders-r1", func(i *fakeaws.Instance) { i.Status = "available" })
	for _, want := range [][]string{{"orders-r1", "orders-r2"}, {"orders-r1", "orders-r2", "orders-w"}} {
		e.Now = e.Now.Add(plan.MemberSettle)
		e.Fire(t, "orders")
		if !equal(rebooted(e), want) {
			t.Fatalf("restart order %v, want %v", rebooted(e), want)
		}
	}
	if e.RebootAt("orders") != "" || e.ScheduleAt("orders") == "" {
		t.Errorf("after the writer, only the look that verifies should be left: %s", e.ScheduleAt("orders"))
	}
	for _, r := range e.AWS.Reboots {
		if aws.ToBool(r.ForceFailover) {
			t.Error("a member was rebooted with failover")
		}
	}
	if got := e.Notes.Take(); !equal(got, []string{"rebooted", "rebooted", "rebooted"}) {
		t.Errorf("notices %v", got)
	}

	// The writer's restart event: every member in sync, verified once.
	e.Now = e.Now.Add(3 * time.Minute)
	for range 2 {
		ir = e.Event(t, "RDS-EVENT-0006", "orders-w")
	}
	if ir.State != plan.Compliant {
		t.Fatalf("after the restarts: %+v", ir)
	}
	if got := e.Notes.Take(); !equal(got, []string{"verified"}) {
		t.Errorf("notices %v", got)
	}
}

// On Aurora PostgreSQL 13.9 the writer's reboot restarts the readers: only
// the writer is rebooted, and no member twice.
func TestOldAuroraRestartsTheWriterAlone(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddAurora("orders", "orders-w", "orders-r1")
	e.AWS.SetCluster("orders", func(c *fakeaws.Cluster) { c.EngineVersion, c.WriterRestartsReaders = "13.9", true })
	e.ClusterEvent(t, "RDS-EVENT-0170", "orders")
	e.Now = nextWindow
	e.Fire(t, "orders")
	if !equal(rebooted(e), []string{"orders-w"}) || !equal(memberStatus(e, "orders-w", "orders-r1"), []string{plan.InSync, plan.InSync}) {
		t.Fatalf("rebooted %v, members %v", rebooted(e), memberStatus(e, "orders-w", "orders-r1"))
	}
	if e.RebootAt("orders") != "" {
		t.Errorf("a follow-up reboot was scheduled: %s", e.ScheduleAt("orders"))
	}
}

// Members left when the window runs out restart in the next window, said
// as postponed; the next window finishes them.
func TestClusterMembersLeftMoveToTheNextWindow(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddAurora("orders", "orders-w", "orders-r2", "orders-r1")
	e.ClusterEvent(t, "RDS-EVENT-0170", "orders")
	e.Now = nextWindow
	e.Fire(t, "orders") // orders-r1 restarts and stays busy for most of the window
	e.AWS.Set("orders-r1", func(i *fakeaws.Instance) { i.Status = "rebooting" })
	for e.Now = e.Now.Add(plan.MemberSettle); e.Now.Before(nextWindow.Add(25 * time.Minute)); e.Now = e.Now.Add(plan.MemberSettle) {
		if got := e.Fire(t, "orders"); got.Outcome != plan.OutcomeWaiting {
			t.Fatalf("%s: %+v", e.Now, got)
		}
	}
	e.AWS.Set("orders-r1", func(i *fakeaws.Instance) { i.Status = "available" })
	got := e.Fire(t, "orders") // 05:25: one more member fits, the writer does not
	if got.Outcome != plan.OutcomePostponed || !equal(rebooted(e), []string{"orders-r1", "orders-r2"}) {
		t.Fatalf("at the window's end: %+v, rebooted %v", got, rebooted(e))
	}
	if e.ScheduleAt("orders") != "at(2026-12-06T05:00:00)" {
		t.Fatalf("next window: %q", e.ScheduleAt("orders"))
	}
	if notes := e.Notes.Take(); notes[len(notes)-1] != "postponed" {
		t.Errorf("notices %v", notes)
	}
	e.Now = nextWindow.AddDate(0, 0, 7)
	e.Fire(t, "orders")
	if !equal(rebooted(e), []string{"orders-r1", "orders-r2", "orders-w"}) {
		t.Errorf("next window: rebooted %v", rebooted(e))
	}
}

// A Multi-AZ DB cluster restarts as a whole with RebootDBCluster, never
// member by member.
func TestMultiAZClusterRebootsAsAWhole(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	addLedger(e)
	if ir := e.ClusterEvent(t, "RDS-EVENT-0170", "ledger"); ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("%+v", ir)
	}
	e.Now = nextWindow
	ir := e.Fire(t, "ledger")
	if ir.Outcome != plan.OutcomeRebooted || len(e.AWS.ClusterReboots) != 1 || len(e.AWS.Reboots) != 0 {
		t.Fatalf("%+v: cluster reboots %d, instance reboots %d", ir, len(e.AWS.ClusterReboots), len(e.AWS.Reboots))
	}
	if !equal(memberStatus(e, "ledger-1", "ledger-2", "ledger-3"), []string{plan.InSync, plan.InSync, plan.InSync}) {
		t.Errorf("members %v", memberStatus(e, "ledger-1", "ledger-2", "ledger-3"))
	}
}

// addLedger adds a Multi-AZ DB cluster of RDS for PostgreSQL 16 on the
// owner's cluster group, where rds.force_ssl was turned off (it is on in
// the family's default group).
func addLedger(e *fakeaws.Env) {
	e.AWS.ClusterGroups["ledger-params"] = &fakeaws.Group{Family: "postgres16", Tags: map[string]string{}, Params: map[string]fakeaws.Param{
		"rds.force_ssl": {Value: "0", ApplyType: "static", Source: "user", AllowedValues: "0,1"}}}
	e.AWS.AddCluster("ledger", &fakeaws.Cluster{Engine: "postgres", EngineVersion: "16.4", Status: "available", MultiAZ: true,
		Group: "ledger-params", Window: "sun:05:00-sun:05:30"}, "ledger-1", "ledger-2", "ledger-3")
}

// Aurora MySQL's require_secure_transport is dynamic: turned ON (the
// spelling AllowedValues lists). A group newly attached still needs the
// members' restart, planned in the window at once and told in one
// message; a dynamic change in the group already attached needs none, and
// the look after SettleDelay finds every member in sync.
func TestAuroraMySQLDynamicParameter(t *testing.T) {
	e := remembering(t, "enforce")
	e.AWS.ClusterGroups["app-mysql"] = &fakeaws.Group{Family: "aurora-mysql8.0", Tags: map[string]string{}, Params: map[string]fakeaws.Param{
		"require_secure_transport": {Value: "OFF", ApplyType: "dynamic", Source: "engine-default", AllowedValues: "ON,OFF"},
		"time_zone":                {Value: "Europe/Paris", ApplyType: "dynamic", Source: "user"}}}
	e.AWS.AddCluster("shop", &fakeaws.Cluster{Engine: "aurora-mysql", EngineVersion: "8.0.mysql_aurora.3.05.2", Status: "available",
		Group: "app-mysql", Window: "sun:05:00-sun:05:30"}, "shop-1")
	ir := e.ClusterEvent(t, "RDS-EVENT-0170", "shop")
	g := e.AWS.ClusterGroups[e.AWS.GetCluster("shop").Group]
	if ir.Outcome != plan.OutcomeRemediated || ir.RebootAt == nil || !ir.RebootAt.Equal(nextWindow) ||
		g.Params["require_secure_transport"].Value != "ON" || g.Params["time_zone"].Value != "Europe/Paris" {
		t.Fatalf("%+v, group %+v", ir, g)
	}
	if got := e.Notes.Take(); !equal(got, []string{"remediated"}) || e.ScheduleAt("shop") != "at(2026-11-29T05:00:00)" {
		t.Fatalf("notices %v, schedule %q", got, e.ScheduleAt("shop"))
	}
	// Events before the window: nothing new, nobody told again.
	e.Now = e.Now.Add(plan.SettleDelay)
	e.ClusterEvent(t, "RDS-EVENT-0170", "shop")
	if got := e.Notes.Take(); len(got) != 0 || len(e.AWS.Reboots) != 0 {
		t.Fatalf("a second message %v or a reboot %d before the window", got, len(e.AWS.Reboots))
	}
	e.Now = nextWindow
	if ir = e.Fire(t, "shop"); ir.Outcome != plan.OutcomeRebooted || !equal(rebooted(e), []string{"shop-1"}) {
		t.Fatalf("the window: %+v, rebooted %v", ir, rebooted(e))
	}

	// forcessl's look after its reboot (if it planned one) finds it done.
	if at := e.ScheduleAt("shop"); at != "" {
		e.Now = nextWindow.Add(plan.RecheckDelay)
		if ir = e.Fire(t, "shop"); ir.State != plan.Compliant {
			t.Fatalf("the look after the reboot (%s): %+v", at, ir)
		}
	}

	// Someone turns the switch off in forcessl's attached group: turned on
	// again, dynamic, no reboot; the look verifies.
	e.Now = nextWindow.Add(time.Hour)
	e.AWS.ClusterGroups[g0(e, "shop")].Params["require_secure_transport"] = fakeaws.Param{Value: "OFF", ApplyType: "dynamic", Source: "user", AllowedValues: "ON,OFF"}
	ir = e.ClusterEvent(t, "RDS-EVENT-0170", "shop")
	if ir.Outcome != plan.OutcomeRemediated || ir.RebootAt != nil || !strings.Contains(ir.Reason, "dynamic: no reboot is needed") {
		t.Fatalf("in place: %+v", ir)
	}
	e.Now = e.Now.Add(plan.SettleDelay)
	if ir = e.Fire(t, "shop"); ir.State != plan.Compliant || len(e.AWS.Reboots) != 1 {
		t.Fatalf("the look: %+v, reboots %d", ir, len(e.AWS.Reboots))
	}
}

func g0(e *fakeaws.Env, cluster string) string { return e.AWS.GetCluster(cluster).Group }

// The cluster's exempt tag covers its members; a member's own tag does
// not exempt the cluster, and the message says so.
func TestClusterExemption(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddAurora("hr", "hr-1")
	e.AWS.SetCluster("hr", func(c *fakeaws.Cluster) { c.Tags["forcessl:exempt"] = "true" })
	if ir := e.Event(t, "RDS-EVENT-0006", "hr-1"); ir.State != plan.Exempt || len(e.AWS.Calls) == 0 {
		t.Fatalf("member of an exempt cluster: %+v", ir)
	}
	e.AddAurora("crm", "crm-1")
	e.AWS.Set("crm-1", func(i *fakeaws.Instance) { i.Tags["forcessl:exempt"] = "true" })
	ir := e.ClusterEvent(t, "RDS-EVENT-0170", "crm")
	if ir.Outcome != plan.OutcomeRemediated || !strings.Contains(ir.Reason, "does not exempt the cluster") {
		t.Fatalf("member tag: %+v", ir)
	}
	for _, op := range []string{"ModifyDBCluster", "ModifyDBClusterParameterGroup"} {
		if n := e.AWS.Count(op); n != 1 {
			t.Errorf("%s called %d times: only crm may change", op, n)
		}
	}
}

// A busy cluster refuses ModifyDBCluster: looked at again, not dropped.
func TestBusyClusterIsRecheckedNotDropped(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddAurora("orders", "orders-w")
	e.AWS.SetCluster("orders", func(c *fakeaws.Cluster) { c.Status = "backing-up" })
	ir := e.ClusterEvent(t, "RDS-EVENT-0170", "orders")
	if ir.State != plan.NotReady || e.AWS.Count("ModifyDBCluster") != 0 || e.ScheduleAt("orders") == "" {
		t.Fatalf("busy cluster: %+v, schedules %q", ir, e.ScheduleAt("orders"))
	}
}

// The owner's cluster changes queued for the window stay queued: the group
// is attached without ApplyImmediately, which would apply them at once.
func TestClusterQueuedChangesAreNotAppliedEarly(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddAurora("orders", "orders-w")
	e.AWS.SetCluster("orders", func(c *fakeaws.Cluster) { c.PendingMods = true })
	if ir := e.ClusterEvent(t, "RDS-EVENT-0170", "orders"); ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("%+v", ir)
	}
	if c := e.AWS.GetCluster("orders"); !c.PendingMods || c.Group == fakeaws.DefaultAuroraPostgresGroup {
		t.Errorf("queued changes applied early (%v) or group not attached (%s)", !c.PendingMods, c.Group)
	}
}
