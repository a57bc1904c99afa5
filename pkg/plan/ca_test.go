package plan

import (
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/request"
)

func withCA(ca string, till time.Time) func(*Observed) {
	return func(o *Observed) { o.Resource.CA, o.Resource.CertValidTill = ca, till }
}

func caSettings(ca string) func(*Settings) {
	return func(s *Settings) { s.CAWarn, s.CA = 90*24*time.Hour, ca }
}

var compliantInSync = func(o *Observed) { setTLSValue(o, "1") }

func TestDecideCA(t *testing.T) {
	year := now.AddDate(1, 0, 0)
	runDecide(t, []decideCase{
		{name: "a current CA, a certificate valid for a year: no finding",
			obs: sqlServer(compliantInSync, withCA("rds-ca-rsa2048-g1", year)), settings: caSettings(""),
			state: Compliant, outcome: OutcomeNone},
		{name: "rds-ca-2019, expired: a finding, nothing changed without FORCESSL_CA",
			obs:      sqlServer(compliantInSync, withCA("rds-ca-2019", time.Date(2024, 8, 22, 17, 8, 50, 0, time.UTC))),
			settings: caSettings(""), state: Compliant, outcome: OutcomeCAFinding, reason: "certificate (rds-ca-2019) expired on 2024-08-22"},
		{name: "expiring within FORCESSL_CA_WARN: a finding",
			obs:      sqlServer(compliantInSync, withCA("rds-ca-rsa2048-g1", now.AddDate(0, 0, 30))),
			settings: caSettings(""), state: Compliant, outcome: OutcomeCAFinding, reason: "expires on 2026-12-26, within 90d"},
		{name: "a CA that is not current: a finding",
			obs:      sqlServer(compliantInSync, withCA("rds-ca-legacy", year)),
			settings: caSettings(""), state: Compliant, outcome: OutcomeCAFinding, reason: "CA rds-ca-legacy is not a current RDS CA"},
		{name: "FORCESSL_CA on a compliant instance: the CA change queued for the window",
			obs:      sqlServer(compliantInSync, withCA("rds-ca-2019", now.AddDate(-1, 0, 0))),
			settings: caSettings("rds-ca-rsa2048-g1"), state: Compliant, outcome: OutcomeCAUpdate,
			steps: []Step{SetCA{Target: ref, CA: "rds-ca-rsa2048-g1"}}},
		{name: "FORCESSL_CA, but the owner has changes queued: only the finding (a CA change would not wait for them)",
			obs:      sqlServer(compliantInSync, withCA("rds-ca-2019", now.AddDate(-1, 0, 0)), func(o *Observed) { o.Resource.PendingModified = true }),
			settings: caSettings("rds-ca-rsa2048-g1"), state: Compliant, outcome: OutcomeCAFinding, reason: "at the reboot it makes"},
		{name: "FORCESSL_CA at forcessl's scheduled reboot: the CA change restarts it, a look follows",
			obs: sqlServer(compliantPending, withCA("rds-ca-2019", now.AddDate(-1, 0, 0)), scheduledReboot), now: sunday0500,
			settings: caSettings("rds-ca-rsa2048-g1"), state: CompliantPendingReboot, outcome: OutcomeRebooted,
			steps: []Step{SetCA{Target: ref, CA: "rds-ca-rsa2048-g1", ApplyImmediately: true},
				schedule(sunday0500.Add(RecheckDelay), request.TriggerRecheck)}},
		{name: "FORCESSL_CA at the reboot, but the owner has changes queued: a plain reboot (the CA change would apply them now)",
			obs: sqlServer(compliantPending, withCA("rds-ca-2019", now.AddDate(-1, 0, 0)), scheduledReboot,
				func(o *Observed) { o.Resource.PendingModified, o.Trigger = true, request.TriggerRecheck }), now: sunday0500.Add(RecheckDelay),
			settings: caSettings("rds-ca-rsa2048-g1"), state: CompliantPendingReboot, outcome: OutcomeRebooted,
			reason: "the CA is left for later", steps: []Step{Reboot{Target: ref}, schedule(sunday0500.Add(2*RecheckDelay), request.TriggerRecheck)}},
		{name: "without FORCESSL_CA the scheduled reboot stays a reboot, and says the certificate",
			obs: sqlServer(compliantPending, withCA("rds-ca-2019", now.AddDate(-1, 0, 0)), scheduledReboot), now: sunday0500,
			settings: caSettings(""), state: CompliantPendingReboot, outcome: OutcomeRebooted, reason: "server certificate: orders",
			steps: []Step{Reboot{Target: ref}, schedule(sunday0500.Add(RecheckDelay), request.TriggerRecheck)}},
		{name: "remediation says the certificate too",
			obs:      sqlServer(withCA("rds-ca-2019", now.AddDate(-1, 0, 0))),
			settings: caSettings(""), state: NonCompliant, outcome: OutcomeRemediated, reason: "rds.force_ssl is 0 in parameter group default.sqlserver-se-15.0; server certificate: orders: certificate (rds-ca-2019) expired"},
		{name: "a cluster's members are checked one by one",
			obs: aurora(func(o *Observed) {
				setTLSValue(o, "1")
				o.Resource.Members[1].CA, o.Resource.Members[1].CertValidTill = "rds-ca-rsa2048-g1", now.AddDate(0, 0, 10)
				o.Resource.Members[0].CA, o.Resource.Members[0].CertValidTill = "rds-ca-rsa2048-g1", year
			}), settings: caSettings("rds-ca-rsa2048-g1"), state: Compliant, outcome: OutcomeCAFinding, reason: "orders-r2: certificate (rds-ca-rsa2048-g1) expires"},
	})
}

// A certificate whose expiry RDS does not report is judged by its CA's
// own expiry, asked for once.
func TestCAExpiryUnknownAsksForTheCAs(t *testing.T) {
	o := sqlServer(compliantInSync, withCA("rds-ca-2019", time.Time{}))
	s := settings()
	s.CAWarn = 90 * 24 * time.Hour
	if _, need := Decide(o, s, now); !need.CAs {
		t.Fatalf("want Need.CAs, got %s", need)
	}
	o.CAs = map[string]time.Time{"rds-ca-2019": time.Date(2024, 8, 22, 0, 0, 0, 0, time.UTC)}
	p, need := Decide(o, s, now)
	if !need.Zero() || p.Outcome != OutcomeCAFinding {
		t.Fatalf("%s/%s %s (need %s)", p.State, p.Outcome, p.Reason, need)
	}
	var ca Check
	for _, c := range p.Checks {
		if c.Name == CheckCA {
			ca = c
		}
	}
	if ca.Passed || len(p.Checks) != 2 || !p.Checks[0].Passed {
		t.Errorf("checks %+v", p.Checks)
	}
}
