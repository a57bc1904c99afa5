package reconcile_test

// Issue 16, end to end against moto's apply states: forcessl reboots, no
// RDS-EVENT-0006 is ever delivered, and a week later the owner changes a
// static parameter in the forcessl-* group. forcessl's own look after its
// reboot closed the intent, so the owner's change is theirs: no reboot,
// owner-change-pending once. (Needs the state table: without one, forcessl
// has no record of its intent and schedules a reboot for the owner's
// change, as before the protocol.)
//
// The owner's change is one a forcessl group may carry (issue 19): TLS 1.0
// disabled, stricter than the source. A change to any other parameter
// makes the group untrusted instead (vet_moto_test.go).

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
)

func TestOwnerChangeAfterLostRestartIsNotRebooted(t *testing.T) {
	e := newClocked(t, config.EnvStateTable, "forcessl-state")
	mototest.CreateStateTable(t, moto.Config(t), "forcessl-state")
	def := mototest.CreateInstance(t, e.rds, "orders-sql", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, e.rds, def, "rds.force_ssl", "0", "static")
	mototest.SeedTLSParameter(t, e.rds, def, "rds.tls10", "default", "static")
	e.instanceEvent("RDS-EVENT-0005", "orders-sql")
	e.clock = nextWindow
	if ir := e.fire(e.due()[0]); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("fired %+v", ir)
	}
	e.outcomes()
	// RDS-EVENT-0006 is never delivered; the look forcessl scheduled
	// after its reboot verifies.
	follow := e.schedules()
	if len(follow) != 1 || !strings.HasSuffix(follow[0], "-recheck") {
		t.Fatalf("schedules after forcessl's reboot: %v, want its look", follow)
	}
	e.clock = e.nextScheduled(follow)
	if ir := e.fire(follow[0]); ir.Outcome != plan.OutcomeVerified {
		t.Fatalf("the look after the reboot: %+v", ir)
	}
	if got := e.outcomes(); !equal(got, []string{"verified"}) {
		t.Errorf("messages at the look: %v", got)
	}

	// A week later the owner changes a static parameter in forcessl's group.
	e.clock = nextWindow.Add(7 * 24 * time.Hour)
	group := paramgroup.CompliantName(def)
	if _, err := e.rds.ModifyDBParameterGroup(context.Background(), &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(group),
		Parameters: []rdstypes.Parameter{{ParameterName: aws.String("rds.tls10"), ParameterValue: aws.String("disabled"),
			ApplyMethod: rdstypes.ApplyMethodPendingReboot}}}); err != nil {
		t.Fatal(err)
	}
	e.calls.Reset()
	res := e.handle("parameter-group-changed.json", group)
	if len(res.Resources) != 1 || res.Resources[0].Outcome != plan.OutcomeOwnerPending {
		t.Errorf("owner's change: %+v", res.Resources)
	}
	for _, name := range e.schedules() {
		e.clock = e.nextScheduled([]string{name})
		e.fire(name)
	}
	if n := e.calls.Snapshot()["RDS.RebootDBInstance"]; n != 0 {
		t.Errorf("forcessl rebooted %d time(s) for the owner's change", n)
	}
	if got := e.outcomes(); !equal(got, []string{string(plan.OutcomeOwnerPending)}) {
		t.Errorf("messages %v, want owner-change-pending once", got)
	}
}

// The general case of issue 16 #3, end to end through the SDK against
// moto (whose event log logs restarts, internal/mototest): the owner
// restarts the instance by hand after forcessl's change and its
// RDS-EVENT-0006 never reaches forcessl; then the owner changes a static
// parameter in the forcessl-* group. At the window, forcessl's reboot
// reads the event log (DescribeEvents), finds the restart and does not
// reboot: verified, the intent closed.
func TestOwnerRestartFoundInTheEventLogIsNotRebootedAgain(t *testing.T) {
	e := newClocked(t, config.EnvStateTable, "forcessl-state")
	mototest.CreateStateTable(t, moto.Config(t), "forcessl-state")
	def := mototest.CreateInstance(t, e.rds, "orders-sql", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, e.rds, def, "rds.force_ssl", "0", "static")
	mototest.SeedTLSParameter(t, e.rds, def, "rds.tls10", "default", "static")
	e.instanceEvent("RDS-EVENT-0005", "orders-sql")
	e.outcomes()
	// The owner restarts it (RDS logs the restart; its event is lost),
	// then changes a static parameter of forcessl's group.
	if _, err := e.rds.RebootDBInstance(context.Background(), &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String("orders-sql")}); err != nil {
		t.Fatal(err)
	}
	group := paramgroup.CompliantName(def)
	if _, err := e.rds.ModifyDBParameterGroup(context.Background(), &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(group),
		Parameters: []rdstypes.Parameter{{ParameterName: aws.String("rds.tls10"), ParameterValue: aws.String("disabled"),
			ApplyMethod: rdstypes.ApplyMethodPendingReboot}}}); err != nil {
		t.Fatal(err)
	}
	e.calls.Reset()
	e.clock = nextWindow
	ir := e.fire(e.due()[0])
	if ir.Outcome != plan.OutcomeVerified {
		t.Errorf("the window after the owner's restart and change: %s (%s), want verified", ir.Outcome, ir.Reason)
	}
	calls := e.calls.Snapshot()
	if n := calls["RDS.RebootDBInstance"]; n != 0 {
		t.Errorf("forcessl rebooted %d time(s) for the owner's change", n)
	}
	if n := calls["RDS.DescribeEvents"]; n != 1 {
		t.Errorf("%d DescribeEvents calls, want 1 (the instance about to be rebooted)", n)
	}
}
