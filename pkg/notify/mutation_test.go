package notify

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/plan"
)

// Severity and title per outcome, in enforce and report mode.
func TestSeverityAndTitle(t *testing.T) {
	at := time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		outcome  plan.Outcome
		report   bool
		rebootAt *time.Time
		severity string
		title    string
	}{
		{"remediated with a reboot", plan.OutcomeRemediated, false, &at, "medium", "TLS enforcement set on db1; reboot Sun 2026-11-29 05:00 UTC"},
		{"remediated without one", plan.OutcomeRemediated, false, nil, "medium", "TLS enforcement set on db1; takes effect after a reboot"},
		{"reboot planned", plan.OutcomeRebootPlanned, false, &at, "medium", "Reboot of db1 scheduled to put TLS enforcement into effect"},
		{"rebooted", plan.OutcomeRebooted, false, nil, "info", "db1 rebooted to put TLS enforcement into effect"},
		{"postponed", plan.OutcomePostponed, false, nil, "medium", "Reboot of db1 postponed to its next maintenance window"},
		{"verified", plan.OutcomeVerified, false, nil, "info", "TLS enforced on db1 (verified after restart)"},
		{"refused", plan.OutcomeRefused, false, nil, "high", "forcessl will not change db1 without you: action needed"},
		{"failed", plan.OutcomeFailed, false, nil, "high", "forcessl could not finish on db1: action needed"},
		{"heads-up with a time", plan.OutcomeHeadsUp, false, &at, "medium", "Heads-up: db1 restarts Sun 2026-11-29 05:00 UTC; clients without TLS are refused afterwards"},
		{"heads-up without one", plan.OutcomeHeadsUp, false, nil, "medium", "Heads-up: db1 restarts soon; clients without TLS are refused afterwards"},
		{"CA finding", plan.OutcomeCAFinding, false, nil, "medium", "The server certificate of db1 needs a new CA: action needed"},
		{"CA update", plan.OutcomeCAUpdate, false, &at, "medium", "New server certificate CA for db1 in its maintenance window"},
		{"another outcome", plan.OutcomeOwnerPending, false, nil, "medium", "forcessl: db1 owner-change-pending"},
		{"report: plaintext", plan.OutcomeNone, true, nil, "high", "db1 accepts unencrypted connections (report mode: nothing changed)"},
		{"report: rebooted is still a finding", plan.OutcomeRebooted, true, nil, "high", "db1 accepts unencrypted connections (report mode: nothing changed)"},
		{"report: CA finding", plan.OutcomeCAFinding, true, nil, "high", "The server certificate of db1 needs a new CA (report mode: nothing changed)"},
		{"report: CA update", plan.OutcomeCAUpdate, true, nil, "high", "The server certificate of db1 needs a new CA (report mode: nothing changed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := Notice{Outcome: tt.outcome, Report: tt.report, Instance: "db1", RebootAt: tt.rebootAt}
			if got := n.Severity(); got != tt.severity {
				t.Errorf("Severity = %q, want %q", got, tt.severity)
			}
			if got := title(n); got != tt.title {
				t.Errorf("title = %q, want %q", got, tt.title)
			}
		})
	}
}

// What the email says depends on the resource and the outcome; each line
// below must be there, or must not.
func TestEmailSections(t *testing.T) {
	cluster := func(n *Notice) {
		n.Kind, n.Instance, n.InstanceARN, n.Engine = plan.KindCluster, "orders", "", "aurora-mysql"
		n.Members = []Member{{ID: "orders-w", Writer: true, Status: "available", ApplyStatus: "pending-reboot"},
			{ID: "orders-b", Status: "available", ApplyStatus: "pending-reboot"},
			{ID: "orders-a", Status: "available", ApplyStatus: "in-sync"}}
	}
	tests := []struct {
		name    string
		edit    func(*Notice)
		want    []string
		notWant []string
	}{
		{"instance", func(n *Notice) {},
			[]string{"Instance:  orders-sql (sqlserver-se)", "Group:     default.sqlserver-se-15.0", "What forcessl did:",
				"aws rds reboot-db-instance --db-instance-identifier orders-sql --region eu-west-1",
				"To exempt this instance", "--resource-name arn:aws:rds:eu-west-1:123456789012:db:orders-sql",
				"#database:id=orders-sql\n", "Once the instance has restarted"},
			[]string{"Cluster:", "Members:", "is-cluster", "Error:"}},
		{"no group, no actions, no reboot", func(n *Notice) { n.Group, n.Actions, n.RebootAt, n.Outcome = "", nil, nil, plan.OutcomeFailed },
			nil, []string{"Group:", "What forcessl did:", "Reboot:", "For the owners", "Make future parameter changes"}},
		{"error", func(n *Notice) { n.Error = "api error Throttling" }, []string{"Error:\n  api error Throttling"}, nil},
		{"report mode", func(n *Notice) { n.Report = true },
			[]string{"What forcessl would do in enforce mode", "forcessl would reboot it Sunday 2026-11-29 05:00 UTC"},
			[]string{"What forcessl did:", "Make future parameter changes"}},
		{"compliant group is the one already attached", func(n *Notice) { n.NewGroup = n.Group }, nil, []string{"Make future parameter changes"}},
		{"no compliant group named", func(n *Notice) { n.NewGroup = "" }, nil, []string{"Make future parameter changes"}},
		{"not remediated: no new-group advice", func(n *Notice) { n.Outcome = plan.OutcomeRebootPlanned }, nil, []string{"Make future parameter changes", "For the owners"}},
		{"heads-up guides the client owners", func(n *Notice) { n.Outcome = plan.OutcomeHeadsUp }, []string{"For the owners", "Encrypt=True"}, nil},
		{"Aurora cluster: members, readers first", cluster,
			[]string{"Cluster:   orders (aurora-mysql)", "Members:\n  - orders-w (writer): available, cluster parameters pending-reboot\n  - orders-b (reader)",
				"readers first and the writer last",
				"--db-instance-identifier orders-a --region eu-west-1\n  aws rds reboot-db-instance --db-instance-identifier orders-b --region eu-west-1\n  aws rds reboot-db-instance --db-instance-identifier orders-w",
				"arn:aws:rds:eu-west-1:123456789012:cluster:orders", "To exempt this cluster", "#database:id=orders;is-cluster=true",
				"Once the cluster has restarted"},
			[]string{"Instance:", "reboot-db-cluster"}},
		{"Multi-AZ DB cluster: restarted whole", func(n *Notice) { cluster(n); n.MultiAZ = true },
			[]string{"aws rds reboot-db-cluster --db-cluster-identifier orders --region eu-west-1"}, []string{"readers first"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := base()
			tt.edit(&n)
			e := email(n)
			for _, w := range tt.want {
				if !strings.Contains(e, w) {
					t.Errorf("email lacks %q:\n%s", w, e)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(e, w) {
					t.Errorf("email says %q:\n%s", w, e)
				}
			}
		})
	}
}

// Client guidance per engine family.
func TestClientGuidance(t *testing.T) {
	tests := []struct {
		engine  string
		want    string
		notWant string
	}{
		{"SQLServer-EE", "Encrypt=True;TrustServerCertificate=False", "sslmode"},
		{"aurora-postgresql", "sslmode=verify-full sslrootcert=eu-west-1-bundle.pem", "VERIFY_IDENTITY"},
		{"aurora-mysql", "--ssl-mode=VERIFY_IDENTITY --ssl-ca=eu-west-1-bundle.pem", "MariaDB client"},
		{"mariadb", "MariaDB client: --ssl --ssl-verify-server-cert", "sslmode"},
		{"oracle-ee", "Use TLS and verify the server certificate against https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem", "sslmode"},
	}
	for _, tt := range tests {
		t.Run(tt.engine, func(t *testing.T) {
			g := strings.Join(clientGuidance(tt.engine, "eu-west-1"), "\n")
			if !strings.Contains(g, tt.want) || strings.Contains(g, tt.notWant) {
				t.Errorf("guidance for %s:\n%s\nwant %q, not %q", tt.engine, g, tt.want, tt.notWant)
			}
		})
	}
}

// Chat next steps per mode and outcome.
func TestChatNextSteps(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Notice)
		want    []string
		notWant []string
	}{
		{"remediated", func(n *Notice) {}, []string{"Reboot scheduled Sun 2026-11-29 05:00 UTC (window sun:05:00-sun:05:30)", "Client owners:", "Exempt: tag `forcessl:exempt=true` on the instance"},
			[]string{"FORCESSL_MODE=enforce", "Fix by hand"}},
		{"report", func(n *Notice) { n.Report = true }, []string{"Set FORCESSL_MODE=enforce"}, []string{"Fix by hand"}},
		{"refused", func(n *Notice) { n.Outcome, n.RebootAt = plan.OutcomeRefused, nil }, []string{"Fix by hand, then re-run forcessl on the instance"}, []string{"Reboot scheduled", "Client owners:"}},
		{"failed cluster", func(n *Notice) { n.Outcome, n.Kind = plan.OutcomeFailed, plan.KindCluster }, []string{"re-run forcessl on the cluster", "on the cluster"}, nil},
		{"verified", func(n *Notice) { n.Outcome, n.RebootAt = plan.OutcomeVerified, nil }, nil, []string{"Fix by hand", "FORCESSL_MODE", "Client owners:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := base()
			tt.edit(&n)
			steps := chatbot(n)["content"].(map[string]any)["nextSteps"].([]string)
			all := strings.Join(steps, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("next steps lack %q:\n%s", w, all)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(all, w) {
					t.Errorf("next steps say %q:\n%s", w, all)
				}
			}
		})
	}
}

// A subject whose prefix and suffix leave no room for any of the text is
// cut whole; one character of room keeps one character of it.
func TestSubjectRoom(t *testing.T) {
	p := strings.Repeat("p", 50)
	s := strings.Repeat("s", MaxSubject-50-3) // prefix + suffix + "..." = MaxSubject
	if got, want := Subject(p, "text", s), (p + "text" + s)[:MaxSubject-3]+"..."; got != want {
		t.Errorf("no room: %q, want %q", got, want)
	}
	s = s[1:]
	if got, want := Subject(p, "textual", s), p+"t..."+s; got != want {
		t.Errorf("room for one: %q, want %q", got, want)
	}
}

func TestASCIIKeepsPrintable(t *testing.T) {
	in := " !09AZaz~"
	if got := ASCII(in); got != in {
		t.Errorf("ASCII(%q) = %q", in, got)
	}
	if got := ASCII("\u00a0x\u0080y\ufffd"); got != " xy?" {
		t.Errorf("no-break space, C1 control, replacement character: %q", got)
	}
}

// A cluster's members are listed readers first, by name, the writer last,
// whatever order RDS gave them in.
func TestReadersFirst(t *testing.T) {
	in := []Member{{ID: "w", Writer: true}, {ID: "r3"}, {ID: "r1"}, {ID: "r2"}}
	var got []string
	for _, m := range readersFirst(in) {
		got = append(got, m.ID)
	}
	if want := []string{"r1", "r2", "r3", "w"}; !slices.Equal(got, want) {
		t.Errorf("readersFirst = %v, want %v", got, want)
	}
}
