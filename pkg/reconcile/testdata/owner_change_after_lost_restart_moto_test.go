package reconcile_test

// NOT RUN (testdata/ is ignored by go): a reproduction of issue 16, item 3,
// against moto's apply states, failing on the engine of 2026-12-07. Move it
// to pkg/reconcile/ (it uses apply_moto_test.go's helpers) once forcessl's
// own reboot is followed by a look that closes the intent.
//
// Today, with or without the state table: after forcessl's reboot and no
// RDS-EVENT-0006, the owner's later static change in the forcessl-* group
// gets "reboot-scheduled" and, at the next window, a second forcessl reboot
// ("rebooted"), where the issue asks for no reboot and owner-change-pending
// once.

import (
	"context"
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
	for _, table := range []bool{true, false} {
		var extra []string
		if table {
			extra = []string{config.EnvStateTable, "forcessl-state"}
		}
		e := newClocked(t, extra...)
		if table {
			mototest.CreateStateTable(t, moto.Config(t), "forcessl-state")
		}
		def := mototest.CreateInstance(t, e.rds, "orders-sql", "sqlserver-se", "", nil)
		mototest.SeedTLSParameter(t, e.rds, def, "rds.force_ssl", "0", "static")
		mototest.SeedTLSParameter(t, e.rds, def, "max degree of parallelism", "0", "static")
		e.instanceEvent("RDS-EVENT-0005", "orders-sql")
		e.clock = nextWindow
		if ir := e.fire(e.due()[0]); ir.Outcome != plan.OutcomeRebooted {
			t.Fatalf("table=%v: fired %+v", table, ir)
		}
		// RDS-EVENT-0006 is never delivered; whatever forcessl scheduled
		// after its reboot runs.
		for _, name := range e.schedules() {
			e.clock = e.nextScheduled([]string{name})
			e.fire(name)
		}
		e.outcomes()

		// A week later the owner changes a static parameter in forcessl's group.
		e.clock = nextWindow.Add(7 * 24 * time.Hour)
		group := paramgroup.CompliantName(def)
		if _, err := e.rds.ModifyDBParameterGroup(context.Background(), &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(group),
			Parameters: []rdstypes.Parameter{{ParameterName: aws.String("max degree of parallelism"), ParameterValue: aws.String("4"),
				ApplyMethod: rdstypes.ApplyMethodPendingReboot}}}); err != nil {
			t.Fatal(err)
		}
		e.calls.Reset()
		res := e.handle("parameter-group-changed.json", group)
		if len(res.Resources) != 1 || res.Resources[0].Outcome != plan.OutcomeOwnerPending {
			t.Errorf("table=%v: owner's change: %+v", table, res.Resources)
		}
		for _, name := range e.schedules() {
			e.clock = e.nextScheduled([]string{name})
			e.fire(name)
		}
		if n := e.calls.Snapshot()["RDS.RebootDBInstance"]; n != 0 {
			t.Errorf("table=%v: forcessl rebooted %d time(s) for the owner's change", table, n)
		}
		if got := e.outcomes(); !equal(got, []string{string(plan.OutcomeOwnerPending)}) {
			t.Errorf("table=%v: messages %v, want owner-change-pending once", table, got)
		}
	}
}
