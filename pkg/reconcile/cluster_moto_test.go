package reconcile_test

// DB clusters end to end against moto through the real SDK clients: what
// moto models (cluster parameter groups, DBClusterMembers, ModifyDBCluster).
// Member apply statuses, restarts and RebootDBCluster are in
// cluster_test.go, on the fake.

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/result"
)

const auroraDefault = "default.aurora-postgresql15"

func (e *env) cluster(id string) rdstypes.DBCluster {
	e.t.Helper()
	out, err := e.rds.DescribeDBClusters(context.Background(), &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.DBClusters[0]
}

func (e *env) clusterParams(group string) map[string]rdstypes.Parameter {
	e.t.Helper()
	out, err := e.rds.DescribeDBClusterParameters(context.Background(), &rds.DescribeDBClusterParametersInput{DBClusterParameterGroupName: aws.String(group)})
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string]rdstypes.Parameter{}
	for _, p := range out.Parameters {
		m[aws.ToString(p.ParameterName)] = p
	}
	return m
}

// clusterEvent sends an events/ file naming the cluster orders-aurora (or
// the group app-aurora) as id, with the cluster's real resource ID.
func (e *env) clusterEvent(file, id string) result.Result {
	e.t.Helper()
	b, err := os.ReadFile("../../events/" + file)
	if err != nil {
		e.t.Fatal(err)
	}
	payload := strings.ReplaceAll(string(b), "orders-aurora", id)
	payload = strings.ReplaceAll(payload, "app-aurora", id)
	if strings.Contains(payload, "cluster-ORDERSAURORA0000000000001") {
		payload = strings.ReplaceAll(payload, "cluster-ORDERSAURORA0000000000001", aws.ToString(e.cluster(id).DbClusterResourceId))
	}
	out, err := e.invoke([]byte(payload))
	if err != nil {
		e.t.Fatalf("Invoke: %v", err)
	}
	return out.(result.Result)
}

func newAurora(t *testing.T, e *env, id, group string, tags map[string]string) []string {
	mototest.EnsureClusterGroup(t, e.rds, auroraDefault, "aurora-postgresql15")
	mototest.SeedClusterParameter(t, e.rds, auroraDefault, "rds.force_ssl", "0", "static", "0,1")
	return mototest.CreateCluster(t, e.rds, id, "aurora-postgresql", "15.4", group, 2, tags)
}

func TestAuroraClusterOnItsDefaultGroupFromCloudTrail(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce)
	members := newAurora(t, e, "orders-aurora", auroraDefault, nil)
	e.calls.Reset()

	ir := only(t, e.clusterEvent("cloudtrail-create-db-cluster.json", "orders-aurora"))
	if ir.Kind != plan.KindCluster || ir.Outcome != plan.OutcomeRemediated || ir.RebootAt == nil || !ir.RebootAt.Equal(nextWindow) {
		t.Fatalf("result %+v", ir)
	}
	t.Logf("Aurora default-group remediation: %d calls %v", e.calls.Total(), e.calls.Snapshot())
	calls := e.calls.Snapshot()
	if calls["RDS.CreateDBClusterParameterGroup"] != 1 || calls["RDS.ModifyDBCluster"] != 1 || calls["RDS.ModifyDBInstance"] != 0 ||
		calls["RDS.ModifyDBParameterGroup"] != 0 || calls["RDS.RebootDBInstance"] != 0 {
		t.Errorf("calls %v", calls)
	}
	if len(ir.Members) != 2 || !strings.Contains(ir.Members[0]+ir.Members[1], members[0]+" (writer)") {
		t.Errorf("members %v", ir.Members)
	}
	target := paramgroup.CompliantName(auroraDefault)
	c := e.cluster("orders-aurora")
	if aws.ToString(c.DBClusterParameterGroup) != target {
		t.Fatalf("cluster uses %s, want %s", aws.ToString(c.DBClusterParameterGroup), target)
	}
	if p := e.clusterParams(target)["rds.force_ssl"]; aws.ToString(p.ParameterValue) != "1" || p.ApplyMethod != rdstypes.ApplyMethodPendingReboot {
		t.Errorf("rds.force_ssl in %s: %+v", target, p)
	}
	name := plan.ScheduleName(mototest.Account, mototest.Region, aws.ToString(c.DbClusterResourceId), nextWindow, request.TriggerReboot)
	s, err := e.sched.GetSchedule(context.Background(), &scheduler.GetScheduleInput{Name: aws.String(name), GroupName: aws.String("forcessl")})
	if err != nil {
		t.Fatalf("schedule %s: %v", name, err)
	}
	if in := aws.ToString(s.Target.Input); !strings.Contains(in, `"cluster":"orders-aurora"`) || strings.Contains(in, `"instance"`) {
		t.Errorf("schedule input %s", in)
	}
	msgs := e.notices()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Message, "orders-aurora") {
		t.Fatalf("notices %+v", msgs)
	}

	// A member's instance event reconciles the cluster: nothing more to do.
	e.calls.Reset()
	ir = only(t, e.handle("instance-restarted.json", members[1]))
	if ir.Kind != plan.KindCluster || ir.Name != "orders-aurora" || len(ir.Changed) != 0 || e.writes() != 0 {
		t.Errorf("member event: %+v, calls %v", ir, e.calls.Snapshot())
	}
}

func TestCustomClusterGroupKeepsItsCustomParameter(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce)
	mototest.EnsureClusterGroup(t, e.rds, "app-aurora", "aurora-postgresql15")
	mototest.SeedClusterParameter(t, e.rds, "app-aurora", "rds.force_ssl", "0", "static", "0,1")
	if _, err := e.rds.ModifyDBClusterParameterGroup(context.Background(), &rds.ModifyDBClusterParameterGroupInput{
		DBClusterParameterGroupName: aws.String("app-aurora"), Parameters: []rdstypes.Parameter{{ParameterName: aws.String("log_min_duration_statement"),
			ParameterValue: aws.String("250"), ApplyMethod: rdstypes.ApplyMethodImmediate, Source: aws.String("user")}}}); err != nil {
		t.Fatal(err)
	}
	mototest.CreateCluster(t, e.rds, "billing", "aurora-postgresql", "15.4", "app-aurora", 1, nil)
	e.calls.Reset()

	ir := only(t, e.clusterEvent("cluster-created.json", "billing"))
	if ir.Outcome != plan.OutcomeRemediated || e.calls.Snapshot()["RDS.CopyDBClusterParameterGroup"] != 1 {
		t.Fatalf("%+v, calls %v", ir, e.calls.Snapshot())
	}
	got := e.clusterParams("forcessl-app-aurora")
	if aws.ToString(got["log_min_duration_statement"].ParameterValue) != "250" || aws.ToString(got["rds.force_ssl"].ParameterValue) != "1" {
		t.Errorf("copy %+v", got)
	}
	if aws.ToString(e.clusterParams("app-aurora")["rds.force_ssl"].ParameterValue) != "0" {
		t.Error("the owner's cluster group was modified")
	}
}

func TestAuroraMySQLTurnsRequireSecureTransportOn(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce)
	mototest.EnsureClusterGroup(t, e.rds, "shop-mysql", "aurora-mysql8.0")
	mototest.SeedClusterParameter(t, e.rds, "shop-mysql", "require_secure_transport", "OFF", "dynamic", "ON,OFF")
	mototest.CreateCluster(t, e.rds, "shop", "aurora-mysql", "8.0.mysql_aurora.3.05.2", "shop-mysql", 1, nil)

	ir := only(t, e.clusterEvent("cluster-created.json", "shop"))
	if ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("%+v", ir)
	}
	p := e.clusterParams("forcessl-shop-mysql")["require_secure_transport"]
	if aws.ToString(p.ParameterValue) != "ON" || p.ApplyMethod != rdstypes.ApplyMethodImmediate {
		t.Errorf("require_secure_transport %+v", p)
	}
	// The parameter is dynamic, but the group is newly attached: its
	// members restart in the window ("When you associate a new DB cluster
	// parameter group with a running Aurora DB cluster, reboot the DB
	// instances", CreateDBClusterParameterGroup reference), announced in
	// the one remediation message.
	if ir.RebootAt == nil || !ir.RebootAt.Equal(nextWindow) || strings.Contains(ir.Reason, "no reboot is needed") {
		t.Errorf("reboot at %v, reason %q", ir.RebootAt, ir.Reason)
	}
	if msgs := e.notices(); len(msgs) != 1 {
		t.Errorf("%d notices, want the one remediation", len(msgs))
	}
	if s := e.schedules(); len(s) != 1 {
		t.Errorf("schedules %v, want the window's reboot", s)
	}
}

func TestReportModeWritesNothingToAClusterAndCompliantCosts(t *testing.T) {
	e := newEnv(t, policy.ModeReport)
	newAurora(t, e, "orders-aurora", auroraDefault, nil)
	e.calls.Reset()
	ir := only(t, e.clusterEvent("cluster-created.json", "orders-aurora"))
	if ir.State != plan.NonCompliant || len(ir.Changed) != 0 || len(ir.Planned) != 4 || e.writes() != 0 {
		t.Fatalf("%+v, calls %v", ir, e.calls.Snapshot())
	}
	if aws.ToString(e.cluster("orders-aurora").DBClusterParameterGroup) != auroraDefault || len(e.schedules()) != 0 {
		t.Error("report mode changed the cluster or scheduled")
	}
	if msgs := e.notices(); len(msgs) != 1 || msgs[0].MessageAttributes["outcome"].Value != "report-finding" {
		t.Errorf("notices %+v", msgs)
	}

	// A compliant cluster: the cluster and its members, and the parameter.
	mototest.EnsureClusterGroup(t, e.rds, "secure-aurora", "aurora-postgresql15")
	mototest.SeedClusterParameter(t, e.rds, "secure-aurora", "rds.force_ssl", "1", "static", "0,1")
	mototest.CreateCluster(t, e.rds, "ledger", "aurora-postgresql", "15.4", "secure-aurora", 2, nil)
	e.calls.Reset()
	ir = only(t, e.clusterEvent("cluster-created.json", "ledger"))
	if ir.State != plan.Compliant {
		t.Fatalf("%+v", ir)
	}
	t.Logf("compliant cluster: %d calls %v", e.calls.Total(), e.calls.Snapshot())
	if n := e.calls.Total("RDS"); n != 3 {
		t.Errorf("%d RDS calls for a compliant cluster (%v), want 3", n, e.calls.Snapshot())
	}
}

// RDS sends no event for a cluster parameter group change: the CloudTrail
// call reaches every cluster on the group, and only those.
func TestClusterParameterGroupChangeReachesEveryCluster(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce)
	mototest.EnsureClusterGroup(t, e.rds, "shared-aurora", "aurora-postgresql15")
	mototest.SeedClusterParameter(t, e.rds, "shared-aurora", "rds.force_ssl", "0", "static", "0,1")
	newAurora(t, e, "other", auroraDefault, nil)
	for _, id := range []string{"a1", "a2"} {
		mototest.CreateCluster(t, e.rds, id, "aurora-postgresql", "15.4", "shared-aurora", 1, nil)
	}
	res := e.clusterEvent("cloudtrail-modify-db-cluster-parameter-group.json", "shared-aurora")
	if len(res.Resources) != 2 {
		t.Fatalf("resources %+v", res.Resources)
	}
	for _, ir := range res.Resources {
		if ir.Kind != plan.KindCluster || ir.Outcome != plan.OutcomeRemediated {
			t.Errorf("%+v", ir)
		}
	}
	if aws.ToString(e.cluster("other").DBClusterParameterGroup) != auroraDefault {
		t.Error("a cluster on another group was changed")
	}
}

// An Aurora MySQL cluster on its default cluster group: require_secure_transport
// is dynamic, but a different group is attached, which leaves every member
// pending-reboot (moto's apply states, as RDS documents them), so the
// members' restart is scheduled in the cluster's window at once and told in
// one message; a later event neither schedules again nor tells again; the
// window's schedule, fired as Scheduler would, restarts a member.
func TestAuroraMySQLDefaultGroupGetsItsWindowRebootAndOneMessage(t *testing.T) {
	e := newClocked(t)
	const def = "default.aurora-mysql8.0"
	mototest.EnsureClusterGroup(t, e.rds, def, "aurora-mysql8.0")
	mototest.SeedClusterParameter(t, e.rds, def, "require_secure_transport", "OFF", "dynamic", "ON,OFF")
	mototest.CreateCluster(t, e.rds, "shop", "aurora-mysql", "8.0.mysql_aurora.3.08.0", def, 2, nil)

	ir := only(t, e.clusterEvent("cluster-created.json", "shop"))
	if ir.Outcome != plan.OutcomeRemediated || ir.RebootAt == nil || !ir.RebootAt.Equal(nextWindow) ||
		strings.Contains(ir.Reason, "no reboot is needed") {
		t.Fatalf("%+v", ir)
	}
	group := aws.ToString(e.cluster("shop").DBClusterParameterGroup)
	if group != paramgroup.CompliantName(def) || aws.ToString(e.clusterParams(group)["require_secure_transport"].ParameterValue) != "ON" {
		t.Fatalf("attached %s: %+v", group, e.clusterParams(group)["require_secure_transport"])
	}
	if st := e.memberStatus("shop"); st["shop-1"] != plan.PendingReboot || st["shop-2"] != plan.PendingReboot {
		t.Fatalf("members after the attach: %v", st)
	}
	rid := aws.ToString(e.cluster("shop").DbClusterResourceId)
	name := plan.ScheduleName(mototest.Account, mototest.Region, rid, nextWindow, request.TriggerReboot)
	s, err := e.sched.GetSchedule(context.Background(), &scheduler.GetScheduleInput{Name: aws.String(name), GroupName: aws.String("forcessl")})
	if err != nil {
		t.Fatalf("the window's reboot %s: %v (schedules %v)", name, err, e.schedules())
	}
	if got := aws.ToString(s.ScheduleExpression); got != "at(2026-11-29T05:00:00)" || !strings.Contains(aws.ToString(s.Target.Input), `"action":"reboot"`) {
		t.Errorf("schedule %s, input %s", got, aws.ToString(s.Target.Input))
	}
	if n := len(e.schedules()); n != 1 {
		t.Errorf("%d schedules, want the one reboot", n)
	}
	msgs := e.notices()
	if len(msgs) != 1 || msgs[0].MessageAttributes["outcome"].Value != "remediated" {
		t.Fatalf("notices %+v, want one remediation", msgs)
	}
	if !strings.Contains(msgs[0].Message, `"rebootAt":"2026-11-29T05:00:00Z"`) {
		t.Errorf("the message does not announce the reboot: %s", msgs[0].Message)
	}

	// The next event: the reboot kept, nothing new told.
	e.clock = now.Add(plan.SettleDelay)
	ir = only(t, e.clusterEvent("cluster-created.json", "shop"))
	if len(ir.Changed) != 0 || ir.State != plan.CompliantPendingReboot || len(e.schedules()) != 1 || len(e.notices()) != 0 {
		t.Errorf("second event: %+v, schedules %v", ir, e.schedules())
	}

	// The window: Scheduler invokes the payload; the reader restarts first,
	// and takes the group. (forcessl's plan deletes the fired schedule
	// itself, replacing it with the look at the next member.)
	e.clock = nextWindow
	out, err := e.invoke([]byte(aws.ToString(s.Target.Input)))
	if err != nil {
		t.Fatal(err)
	}
	ir = only(t, out)
	if ir.Outcome != plan.OutcomeRebooted || e.calls.Snapshot()["RDS.RebootDBInstance"] != 1 {
		t.Fatalf("at the window: %+v, calls %v", ir, e.calls.Snapshot())
	}
	if st := e.memberStatus("shop"); st["shop-2"] != plan.InSync || st["shop-1"] != plan.PendingReboot {
		t.Errorf("members after the first restart: %v", st)
	}
	if got := e.outcomes(); !slices.Equal(got, []string{"rebooted"}) {
		t.Errorf("messages at the window %v", got)
	}
}
