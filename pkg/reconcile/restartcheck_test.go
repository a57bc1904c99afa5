package reconcile_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/state"
)

// ownerRestart is the owner restarting an instance by hand (RDS logs it);
// its RDS-EVENT-0006 never reaches forcessl.
func ownerRestart(t *testing.T, e *fakeaws.Env, id string) {
	t.Helper()
	if _, err := e.AWS.RebootDBInstance(context.Background(), &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
}

// issue 16 #3, the general case: the owner restarts the instance by hand
// after forcessl's change (its RDS-EVENT-0006 lost), then changes a static
// parameter of the forcessl-* group. At the window, forcessl's scheduled
// reboot asks RDS's event log, sees the restart, and does not reboot for
// the owner's change; the intent is closed as verified.
func TestLostRestartEventIsFoundInTheEventLog(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddSQLServer("orders")
	if ir := e.Event(t, "RDS-EVENT-0005", "orders"); ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("setup: %+v", ir)
	}
	e.Now = now.Add(time.Hour)
	ownerRestart(t, e, "orders")
	e.Now = now.Add(2 * time.Hour)
	ownerChange(t, e, "orders")
	e.Now = nextWindow
	ir := e.Fire(t, "orders")
	if ir.Outcome != plan.OutcomeVerified {
		t.Errorf("the window after a lost restart event: outcome %s (%s), want verified", ir.Outcome, ir.Reason)
	}
	if n := len(e.AWS.Reboots); n != 1 {
		t.Errorf("%d reboots, want the owner's one: forcessl rebooted for the owner's change", n)
	}
	if n := e.AWS.Count("DescribeEvents"); n != 1 {
		t.Errorf("%d DescribeEvents calls, want one (the instance about to be rebooted)", n)
	}
	mem, _, _ := e.Store.Resource(context.Background(), state.Key{Account: e.AWS.Account, Region: e.AWS.Region, ResourceID: fakeaws.ResourceID("orders")})
	if mem.Intent != nil {
		t.Errorf("the intent is still open: %+v", mem.Intent)
	}
}

// With no restart since the intent, the window's reboot happens, after
// one DescribeEvents; an ordinary event costs none.
func TestNoRestartSinceTheIntentReboots(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Event(t, "RDS-EVENT-0092", "orders")
	if n := e.AWS.Count("DescribeEvents"); n != 0 {
		t.Errorf("%d DescribeEvents calls on ordinary events, want none", n)
	}
	e.Now = nextWindow
	if ir := e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("outcome %s (%s), want rebooted", ir.Outcome, ir.Reason)
	}
	if n := e.AWS.Count("DescribeEvents"); n != 1 {
		t.Errorf("%d DescribeEvents calls, want 1", n)
	}
}

// A log that cannot be read fails safe: no reboot, an error Lambda
// retries; the retry reads it and reboots.
func TestUnreadableEventLogDoesNotReboot(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	e.Now = nextWindow
	payload, ok := e.DuePayload("orders")
	if !ok {
		t.Fatal("no reboot schedule due")
	}
	e.AWS.FailNext["DescribeEvents"] = fakeaws.APIError("ThrottlingException")
	if _, err := e.Invoke(t, payload); err == nil {
		t.Error("a failed DescribeEvents did not fail the run (no Lambda retry)")
	}
	if n := len(e.AWS.Reboots); n != 0 {
		t.Fatalf("rebooted with the event log unread: %d reboots", n)
	}
	e.Now = nextWindow.Add(time.Minute) // Lambda's retry
	out, err := e.Invoke(t, payload)
	if err != nil {
		t.Fatal(err)
	}
	if ir := fakeaws.Only(t, out); ir.Outcome != plan.OutcomeRebooted {
		t.Errorf("the retry: outcome %s (%s), want rebooted", ir.Outcome, ir.Reason)
	}
}

// Aurora (simulator seed 4): a member the owner restarted by hand after
// forcessl's change (its RDS-EVENT-0006 lost), then the owner's static
// change in the forcessl-* cluster group: forcessl restarts the other
// members one by one, never that one.
func TestAuroraMemberRestartedByHandIsNotRebooted(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddAurora("shop", "shop-1", "shop-2", "shop-3")
	if ir := e.ClusterEvent(t, "RDS-EVENT-0170", "shop"); ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("setup: %+v", ir)
	}
	e.Now = now.Add(time.Hour)
	ownerRestart(t, e, "shop-3")
	e.Now = now.Add(2 * time.Hour)
	c := e.AWS.GetCluster("shop")
	if _, err := e.AWS.ModifyDBClusterParameterGroup(context.Background(), &rds.ModifyDBClusterParameterGroupInput{
		DBClusterParameterGroupName: aws.String(c.Group),
		Parameters: []rdstypes.Parameter{{ParameterName: aws.String("max_connections"), ParameterValue: aws.String("500"),
			ApplyMethod: rdstypes.ApplyMethodPendingReboot}}}); err != nil {
		t.Fatal(err)
	}
	e.Now = nextWindow
	for range 4 { // the window's reboot, then a look every MemberSettle
		if !strings.Contains(e.ScheduleAt("shop"), e.Now.Format("2006-01-02T15:04:05")) {
			break
		}
		e.Fire(t, "shop")
		e.Now = e.Now.Add(plan.MemberSettle)
	}
	got := rebooted(e)[1:] // the first is the owner's
	if !equal(got, []string{"shop-2", "shop-1"}) {
		t.Errorf("forcessl rebooted %v, want shop-2 then shop-1 (the writer), never shop-3", got)
	}
	for _, id := range got {
		if id == "shop-3" {
			t.Errorf("forcessl rebooted shop-3, restarted by hand, for the owner's change (reboots %v)", got)
		}
	}
}

// A Multi-AZ DB cluster the owner restarted by hand (RebootDBCluster: every
// member restarts; the events lost), then the owner's static change in the
// forcessl-* cluster group: the window's RebootDBCluster is not made.
func TestMultiAZClusterRestartedByHandIsNotRebooted(t *testing.T) {
	e := remembering(t, "enforce")
	addLedger(e)
	if ir := e.ClusterEvent(t, "RDS-EVENT-0170", "ledger"); ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("setup: %+v", ir)
	}
	e.Now = now.Add(time.Hour)
	if _, err := e.AWS.RebootDBCluster(context.Background(), &rds.RebootDBClusterInput{DBClusterIdentifier: aws.String("ledger")}); err != nil {
		t.Fatal(err)
	}
	e.Now = now.Add(2 * time.Hour)
	if _, err := e.AWS.ModifyDBClusterParameterGroup(context.Background(), &rds.ModifyDBClusterParameterGroupInput{
		DBClusterParameterGroupName: aws.String(e.AWS.GetCluster("ledger").Group),
		Parameters: []rdstypes.Parameter{{ParameterName: aws.String("max_connections"), ParameterValue: aws.String("500"),
			ApplyMethod: rdstypes.ApplyMethodPendingReboot}}}); err != nil {
		t.Fatal(err)
	}
	e.Now = nextWindow
	ir := e.Fire(t, "ledger")
	if ir.Outcome != plan.OutcomeVerified || len(e.AWS.ClusterReboots) != 1 {
		t.Errorf("%s (%s), %d cluster reboots; want verified and only the owner's reboot", ir.Outcome, ir.Reason, len(e.AWS.ClusterReboots))
	}
	if n := e.AWS.Count("DescribeEvents"); n != 3 {
		t.Errorf("%d DescribeEvents calls, want one per member waiting (3)", n)
	}
}
