package reconcile_test

// The TLS profile and the CA check, on the fake: the states moto cannot
// show (a CA change that restarts, a DescribeCertificates that fails).

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/state"
)

var expired2019 = time.Date(2024, 8, 22, 17, 8, 50, 0, time.UTC)

// With FORCESSL_CA, the scheduled reboot is the CA change: one restart
// applies both, and the look that follows finds the parameters in effect.
func TestCAChangeAtTheRebootIsTheOnlyRestart(t *testing.T) {
	e := fakeaws.NewEnv(t, now, map[string]string{config.EnvMode: "enforce", config.EnvCA: "rds-ca-rsa2048-g1"}, state.NewMemory())
	e.AddSQLServer("orders", func(i *fakeaws.Instance) { i.CA, i.CertValidTill = "rds-ca-2019", expired2019 })

	ir := e.Event(t, "RDS-EVENT-0005", "orders")
	if ir.Outcome != plan.OutcomeRemediated || e.AWS.Get("orders").CA != "rds-ca-2019" {
		t.Fatalf("remediation: %+v", ir)
	}
	e.Now = nextWindow
	ir = e.Fire(t, "orders")
	got := e.AWS.Get("orders")
	if len(e.AWS.Reboots) != 0 || got.CA != "rds-ca-rsa2048-g1" || ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("at the reboot: %+v, reboots %d, CA %s", ir, len(e.AWS.Reboots), got.CA)
	}
	var caCall bool
	for _, m := range e.AWS.Modifies {
		if aws.ToString(m.CACertificateIdentifier) == "rds-ca-rsa2048-g1" && aws.ToBool(m.ApplyImmediately) && m.DBParameterGroupName == nil {
			caCall = true
		}
	}
	if !caCall {
		t.Error("no ModifyDBInstance carrying only the CA change, immediately")
	}
	e.Now = nextWindow.Add(plan.RecheckDelay)
	ir = e.Fire(t, "orders")
	if ir.State != plan.Compliant || len(e.AWS.Reboots) != 0 {
		t.Fatalf("the look after: %+v, reboots %d", ir, len(e.AWS.Reboots))
	}
	for _, c := range ir.Checks {
		if !c.Passed {
			t.Errorf("check %+v still fails", c)
		}
	}
}

// Without FORCESSL_CA an expired CA is a finding, told once, and nothing
// of the instance changes.
func TestCAFindingIsToldOnceAndChangesNothing(t *testing.T) {
	e := remembering(t, "enforce")
	e.AddSQLServer("orders", func(i *fakeaws.Instance) {
		i.Group, i.CA, i.CertValidTill = "secure", "rds-ca-2019", expired2019
	})
	e.AWS.Groups["secure"] = &fakeaws.Group{Family: "sqlserver-se-15.0", Tags: map[string]string{},
		Params: map[string]fakeaws.Param{"rds.force_ssl": {Value: "1", ApplyType: "static", Source: "user"}}}
	for range 2 {
		ir := e.Event(t, "RDS-EVENT-0005", "orders")
		if ir.State != plan.Compliant || ir.Outcome != plan.OutcomeCAFinding || len(ir.Changed) != 0 {
			t.Fatalf("%+v", ir)
		}
	}
	if got := e.Notes.Take(); !equal(got, []string{"ca-finding"}) {
		t.Errorf("notices %v", got)
	}
	if e.AWS.Count("ModifyDBInstance") != 0 {
		t.Error("the instance was modified")
	}
}

// DescribeCertificates failing (moto answers HTTP 500) never fails the
// reconcile: the built-in table judges the CA.
func TestCAListingFailureFallsBackToTheTable(t *testing.T) {
	e := newFakeEnv(t, "enforce", nil)
	e.AddSQLServer("orders", func(i *fakeaws.Instance) { i.CA, i.CertValidTill = "rds-ca-2019", time.Time{} })
	e.AWS.FailNext["DescribeCertificates"] = fakeaws.APIError("InternalFailure")
	ir := e.Event(t, "RDS-EVENT-0005", "orders")
	if ir.Outcome != plan.OutcomeRemediated || ir.Error != "" {
		t.Fatalf("%+v", ir)
	}
	found := false
	for _, c := range ir.Checks {
		found = found || c.Name == plan.CheckCA && !c.Passed
	}
	if !found || e.AWS.Count("DescribeCertificates") != 1 {
		t.Errorf("checks %+v, DescribeCertificates calls %d", ir.Checks, e.AWS.Count("DescribeCertificates"))
	}
}

// FORCESSL_TLS_PROFILE=modern on the fake's default group: the compliant
// group gets the switch and the profile's parameters, in one remediation.
func TestModernProfileRemediation(t *testing.T) {
	e := newFakeEnv(t, "enforce", map[string]string{config.EnvTLSProfile: "modern"})
	e.AddSQLServer("orders")
	ir := e.Event(t, "RDS-EVENT-0005", "orders")
	if ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("%+v", ir)
	}
	g := e.AWS.Groups[e.AWS.Get("orders").Group]
	for _, p := range []string{"rds.tls10", "rds.tls11", "rds.rc4", "rds.3des168"} {
		if g.Params[p].Value != "disabled" {
			t.Errorf("%s = %q in the compliant group", p, g.Params[p].Value)
		}
	}
	if g.Params["rds.force_ssl"].Value != "1" {
		t.Error("the switch is off")
	}
	// Once rebooted, every check passes.
	e.Now = nextWindow
	e.Fire(t, "orders")
	ir = e.Event(t, "RDS-EVENT-0006", "orders")
	if ir.State != plan.Compliant || len(ir.Checks) != 3 {
		t.Fatalf("%+v", ir)
	}
}

// The heads-up: scheduled with the reboot a day ahead, it re-reads, tells
// client owners once, changes nothing; the reboot follows at its time.
func TestHeadsUpBeforeTheReboot(t *testing.T) {
	e := fakeaws.NewEnv(t, now, map[string]string{config.EnvMode: "enforce", config.EnvNoticeLead: "24h"}, state.NewMemory())
	e.AddSQLServer("orders")
	e.Event(t, "RDS-EVENT-0005", "orders")
	if got := e.ScheduleAt("orders"); got != "at(2026-11-28T05:00:00),at(2026-11-29T05:00:00)" {
		t.Fatalf("schedules %q", got)
	}
	e.Notes.Take()
	writes := len(e.AWS.Modifies) + e.AWS.Count("CreateSchedule")
	e.Now = nextWindow.Add(-24 * time.Hour)
	ir := e.Fire(t, "orders")
	if ir.Outcome != plan.OutcomeHeadsUp || ir.RebootAt == nil || !ir.RebootAt.Equal(nextWindow) {
		t.Fatalf("heads-up: %+v", ir)
	}
	if got := e.Notes.Take(); !equal(got, []string{"reboot-notice"}) {
		t.Errorf("notices %v", got)
	}
	if len(e.AWS.Modifies)+e.AWS.Count("CreateSchedule") != writes || len(e.AWS.Reboots) != 0 {
		t.Error("the heads-up changed something")
	}
	e.Now = nextWindow
	if ir = e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("reboot: %+v", ir)
	}
}
