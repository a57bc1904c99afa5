package hub_test

// The whole engine, wired as production wires it (setup.Wire) with
// FORCESSL_SECURITY_HUB=on, over the in-process fake (pending-reboot until a
// reboot, and BatchUpdateFindings, which moto lacks), with a state table.

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/asff"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/state"
)

func TestEngineLifecycleInSecurityHub(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) // Thursday; the window is Sunday 05:00
	window := time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC)
	store := state.NewMemory()
	e := fakeaws.NewEnv(t, now, map[string]string{config.EnvMode: "enforce", config.EnvSecurityHub: "on", config.EnvNoticeLead: "0"}, store)
	e.AddSQLServer("orders")
	sh := e.AWS.Hub()
	arn := "arn:aws:rds:us-east-1:123456789012:db:orders"
	control := sh.ControlFinding("RDS.41", "security-control/RDS.41", arn, types.ComplianceStatusFailed)
	sh.Put(control)
	tls := asff.ID(arn, "tls")
	get := func() types.AwsSecurityFinding {
		t.Helper()
		d, ok := sh.Finding(tls)
		if !ok {
			t.Fatalf("no tls finding (findings: %d, calls %v)", len(sh.All()), sh.Calls)
		}
		return d
	}

	ir := e.Event(t, "RDS-EVENT-0005", "orders")
	if ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("%+v", ir)
	}
	t.Logf("remediation event, Security Hub calls: %v", sh.Calls)
	d := get()
	if d.Compliance.Status != types.ComplianceStatusFailed || d.ProductFields[asff.FieldRebootAt] != "2026-11-29T05:00:00Z" ||
		workflow(d) != types.WorkflowStatusNotified || d.Severity.Label != types.SeverityLabelMedium {
		t.Errorf("remediated: %s reboot %q %s %s", d.Compliance.Status, d.ProductFields[asff.FieldRebootAt], workflow(d), d.Severity.Label)
	}
	c, _ := sh.Finding(aws.ToString(control.Id))
	if c.Note == nil || aws.ToString(c.Note.UpdatedBy) != "forcessl" || !strings.Contains(aws.ToString(c.Note.Text), "2026-11-29T05:00:00Z") ||
		c.Compliance.Status != types.ComplianceStatusFailed {
		t.Errorf("control finding %+v %+v", c.Note, c.Compliance)
	}
	m, _, _ := store.Resource(t.Context(), state.Key{Account: e.AWS.Account, Region: e.AWS.Region, ResourceID: fakeaws.ResourceID("orders")})
	if m.SecurityHub == nil || !strings.Contains(m.SecurityHub.Fingerprint, "tls=fix-scheduled") {
		t.Errorf("mark %+v", m.SecurityHub)
	}

	// Follow-up events: the pending reboot is described once, then nothing.
	e.Event(t, "RDS-EVENT-0011", "orders")
	sh.Reset()
	for _, id := range []string{"RDS-EVENT-0005", "RDS-EVENT-0092"} {
		e.Event(t, id, "orders")
	}
	if len(sh.Calls) != 0 {
		t.Errorf("duplicate events called Security Hub: %v", sh.Calls)
	}

	e.Now = window
	if ir = e.Fire(t, "orders"); ir.Outcome != plan.OutcomeRebooted {
		t.Fatalf("%+v", ir)
	}
	if d = get(); d.Compliance.Status != types.ComplianceStatusFailed || workflow(d) != types.WorkflowStatusNotified {
		t.Errorf("rebooted, not yet verified: %s %s", d.Compliance.Status, workflow(d))
	}
	if c, _ = sh.Finding(aws.ToString(control.Id)); !strings.Contains(aws.ToString(c.Note.Text), "rebooted") {
		t.Errorf("control note after the reboot: %q", aws.ToString(c.Note.Text))
	}

	e.Now = window.Add(3 * time.Minute)
	if ir = e.Event(t, "RDS-EVENT-0006", "orders"); ir.Outcome != plan.OutcomeVerified {
		t.Fatalf("%+v", ir)
	}
	if d = get(); d.Compliance.Status != types.ComplianceStatusPassed || workflow(d) != types.WorkflowStatusResolved ||
		d.Severity.Label != types.SeverityLabelInformational {
		t.Errorf("verified: %s %s %s", d.Compliance.Status, workflow(d), d.Severity.Label)
	}
	if c, _ = sh.Finding(aws.ToString(control.Id)); c.Compliance.Status != types.ComplianceStatusFailed {
		t.Error("forcessl changed the control's compliance")
	}
}

// No Security Hub error reaches the engine: with Security Hub refusing
// everything, the remediation goes on and the event is not retried.
func TestSecurityHubErrorsNeverFailTheRemediation(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	e := fakeaws.NewEnv(t, now, map[string]string{config.EnvMode: "enforce", config.EnvSecurityHub: "on", config.EnvNoticeLead: "0"}, state.NewMemory())
	e.AddSQLServer("orders")
	sh := e.AWS.Hub()
	sh.FailNext["BatchImportFindings"] = fakeaws.APIError("AccessDeniedException")
	sh.FailNext["GetFindings"] = fakeaws.APIError("InternalException")
	out, err := e.Invoke(t, fakeaws.InstanceEvent(e.AWS.Account, e.AWS.Region, "RDS-EVENT-0005", "orders"))
	if err != nil {
		t.Fatalf("a Security Hub error was returned to Lambda: %v", err)
	}
	if ir := fakeaws.Only(t, out); ir.Outcome != plan.OutcomeRemediated || ir.Error != "" {
		t.Errorf("%+v", ir)
	}
	sh.Disabled = true
	if _, err := e.Invoke(t, fakeaws.InstanceEvent(e.AWS.Account, e.AWS.Region, "RDS-EVENT-0011", "orders")); err != nil {
		t.Fatalf("Security Hub not enabled was returned to Lambda: %v", err)
	}
	sh.Disabled = false
	e.Event(t, "RDS-EVENT-0011", "orders")
	if _, ok := sh.Finding(asff.ID("arn:aws:rds:us-east-1:123456789012:db:orders", "tls")); !ok {
		t.Error("the refused finding was not sent again")
	}
}
