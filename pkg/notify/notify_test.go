package notify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/internal/golden"
	"github.com/forcessl/forcessl/pkg/plan"
)

var reboot = time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC)

func base() Notice {
	return Notice{Outcome: plan.OutcomeRemediated, Account: "123456789012", Region: "eu-west-1", Instance: "orders-sql",
		InstanceARN: "arn:aws:rds:eu-west-1:123456789012:db:orders-sql", Engine: "sqlserver-se", State: plan.NonCompliant,
		Reason: "rds.force_ssl is 0 in parameter group default.sqlserver-se-15.0", Parameter: "rds.force_ssl",
		Group: "default.sqlserver-se-15.0", NewGroup: "forcessl-default-sqlserver-se-15-0-168f9a23", Window: "sun:05:00-sun:05:30", ExemptTag: "forcessl:exempt",
		Actions: []string{"create parameter group forcessl-default-sqlserver-se-15-0-168f9a23 (family sqlserver-se-15.0) from the defaults of default.sqlserver-se-15.0",
			"set rds.force_ssl=1 in forcessl-default-sqlserver-se-15-0-168f9a23 (pending-reboot)",
			"attach parameter group forcessl-default-sqlserver-se-15-0-168f9a23 to orders-sql now",
			"schedule reboot at 2026-11-29T05:00:00Z"},
		RebootAt: &reboot}
}

func notices() map[string]Notice {
	report := base()
	report.Report = true
	failed := base()
	failed.Outcome, failed.Actions, failed.RebootAt = plan.OutcomeFailed, nil, nil
	failed.Error = "create parameter group forcessl-x: api error DBParameterGroupQuotaExceeded"
	verified := base()
	verified.Outcome, verified.State, verified.Actions, verified.RebootAt = plan.OutcomeVerified, plan.Compliant, nil, nil
	verified.Reason, verified.Group = "rds.force_ssl=1 in forcessl-default-sqlserver-se-15-0-168f9a23 and in effect", "forcessl-default-sqlserver-se-15-0-168f9a23"
	cluster := base()
	cluster.Kind, cluster.Instance, cluster.InstanceARN, cluster.Engine = plan.KindCluster, "orders", "arn:aws:rds:eu-west-1:123456789012:cluster:orders", "aurora-postgresql"
	cluster.Reason = "rds.force_ssl is 0 in cluster parameter group default.aurora-postgresql15"
	cluster.Group, cluster.NewGroup = "default.aurora-postgresql15", "forcessl-default-aurora-postgresql15-4b1e2f0c"
	cluster.Members = []Member{{ID: "orders-w", Writer: true, Status: "available", ApplyStatus: "pending-reboot"},
		{ID: "orders-r1", Status: "available", ApplyStatus: "pending-reboot"}}
	cluster.Actions = []string{"create cluster parameter group forcessl-default-aurora-postgresql15-4b1e2f0c (family aurora-postgresql15) from the defaults of default.aurora-postgresql15",
		"set rds.force_ssl=1 in forcessl-default-aurora-postgresql15-4b1e2f0c (pending-reboot)",
		"attach cluster parameter group forcessl-default-aurora-postgresql15-4b1e2f0c to orders now",
		"schedule reboot at 2026-11-29T05:00:00Z"}
	headsUp := base()
	headsUp.Outcome, headsUp.State, headsUp.Actions = plan.OutcomeHeadsUp, plan.CompliantPendingReboot, nil
	headsUp.Group, headsUp.Reason = headsUp.NewGroup, "rds.force_ssl=1 in "+headsUp.NewGroup+", pending reboot; restarts at Sun 2026-11-29 05:00 UTC, after which clients that do not use TLS are refused"
	pg := base()
	pg.Engine, pg.Instance, pg.InstanceARN = "postgres", "ledger", "arn:aws:rds:eu-west-1:123456789012:db:ledger"
	return map[string]Notice{"remediated": base(), "report-finding": report, "failed": failed, "verified": verified, "cluster-remediated": cluster,
		"heads-up": headsUp, "remediated-postgres": pg}
}

// Golden files: go test ./pkg/notify -update rewrites them; review the diff.
func TestRenderGolden(t *testing.T) {
	for name, n := range notices() {
		t.Run(name, func(t *testing.T) {
			m, err := Render(n)
			if err != nil {
				t.Fatal(err)
			}
			var chat bytes.Buffer
			if err := json.Indent(&chat, m.Chatbot, "", "  "); err != nil {
				t.Fatal(err)
			}
			got := "Subject: " + m.Subject + "\n\n" + m.Email + "\n--- chatbot ---\n" + chat.String() + "\n"
			golden.Check(t, name+".golden", []byte(got))
			again, _ := Render(n)
			if !bytes.Equal(again.Chatbot, m.Chatbot) || again.Email != m.Email {
				t.Error("rendering is not deterministic")
			}
		})
	}
}

func TestChatbotSchema(t *testing.T) {
	for name, n := range notices() {
		m, _ := Render(n)
		var c struct {
			Version string `json:"version"`
			Source  string `json:"source"`
			Content struct {
				TextType    string `json:"textType"`
				Title       string `json:"title"`
				Description string `json:"description"`
			} `json:"content"`
			Metadata struct {
				ThreadID string `json:"threadId"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(m.Chatbot, &c); err != nil {
			t.Fatal(err)
		}
		if c.Version != "1.0" || c.Source != "custom" || c.Content.TextType != "client-markdown" || c.Content.Title == "" ||
			c.Content.Description == "" || !strings.Contains(c.Metadata.ThreadID, n.Instance) {
			t.Errorf("%s: not a valid Chatbot custom notification: %s", name, m.Chatbot)
		}
	}
}

// isASCIISubject: printable ASCII, on one line, at most MaxSubject bytes.
func isASCIISubject(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return len(s) <= MaxSubject
}

func TestSubject(t *testing.T) {
	long := strings.Repeat("i", 63) // the longest DB instance identifier
	tests := []struct {
		name                      string
		outcome                   plan.Outcome
		report                    bool
		instance, account, region string
		want                      string // "" : only the invariants are checked
	}{
		{"short", plan.OutcomeRemediated, false, "orders-sql", "123456789012", "eu-west-1", "[forcessl] remediated orders-sql (123456789012 eu-west-1)"},
		{"63-char instance, remediated", plan.OutcomeRemediated, false, long, "123456789012", "ap-southeast-2", ""},
		{"63-char instance, reboot-planned", plan.OutcomeRebootPlanned, false, long, "123456789012", "ap-southeast-2", ""},
		{"63-char instance, report-finding", plan.OutcomeNone, true, long, "123456789012", "us-gov-west-1", ""},
		{"63-char instance, failed", plan.OutcomeFailed, false, long, "123456789012", "eu-west-1", ""},
		{"line break", plan.OutcomeFailed, false, "evil\nname", "123456789012", "eu-west-1", "[forcessl] failed evil name (123456789012 eu-west-1)"},
		{"control characters dropped, NEL is a line break", plan.OutcomeFailed, false, "a\x00b\x1bc\x7fd\u0085e", "123456789012", "eu-west-1", "[forcessl] failed abcd e (123456789012 eu-west-1)"},
		{"bidi override and zero-width space dropped", plan.OutcomeFailed, false, "db\u202egpj.exe\u200b", "123456789012", "eu-west-1", "[forcessl] failed dbgpj.exe (123456789012 eu-west-1)"},
		{"non-ASCII replaced", plan.OutcomeFailed, false, "café–db…", "123456789012", "eu-west-1", "[forcessl] failed caf?-db... (123456789012 eu-west-1)"},
		{"invalid UTF-8", plan.OutcomeFailed, false, "db\xff\xfe", "123456789012", "eu-west-1", "[forcessl] failed db?? (123456789012 eu-west-1)"},
		{"long non-ASCII instance", plan.OutcomeFailed, false, strings.Repeat("é", 80), "123456789012", "eu-west-1", ""},
		{"absurd account and region: the whole subject is cut", plan.OutcomeFailed, false, "db", strings.Repeat("1", 60), strings.Repeat("r", 60), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := base()
			n.Outcome, n.Report, n.Instance, n.Account, n.Region = tt.outcome, tt.report, tt.instance, tt.account, tt.region
			s := subject(n)
			if !isASCIISubject(s) {
				t.Errorf("subject %q (%d bytes) is not ASCII on one line within %d bytes", s, len(s), MaxSubject)
			}
			if strings.Contains(s, "…") {
				t.Errorf("subject %q shortened with a non-ASCII ellipsis", s)
			}
			if tt.want != "" && s != tt.want {
				t.Errorf("subject = %q, want %q", s, tt.want)
			}
			if len(tt.account+tt.region) < 40 && (!strings.HasSuffix(s, " ("+tt.account+" "+tt.region+")") || !strings.HasPrefix(s, "[forcessl] "+n.OutcomeName()+" ")) {
				t.Errorf("subject %q must keep the outcome, account and region", s)
			}
			if len("[forcessl] "+n.OutcomeName()+" "+ASCII(tt.instance)+" ("+tt.account+" "+tt.region+")") > MaxSubject && !strings.Contains(s, "...") {
				t.Errorf("shortened subject %q does not say so with ...", s)
			}
			m, err := Render(n)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != s {
				t.Errorf("Render's subject %q, want %q", m.Subject, s)
			}
		})
	}
}

func TestSubjectHelper(t *testing.T) {
	tests := []struct{ prefix, text, suffix, want string }{
		{"[forcessl] ", "TLS sweep: 3 need attention", "", "[forcessl] TLS sweep: 3 need attention"},
		{"", "tab\there\r\nand\u2028there", "", "tab here  and there"},
		{"[x] ", strings.Repeat("a", 200), " (tail)", "[x] " + strings.Repeat("a", MaxSubject-len("[x] ")-len(" (tail)")-3) + "... (tail)"},
		{strings.Repeat("p", 60), "text", strings.Repeat("s", 60), strings.Repeat("p", 60) + "text" + strings.Repeat("s", 32) + "..."},
		{"", strings.Repeat("x", MaxSubject), "", strings.Repeat("x", MaxSubject)},
		{"", strings.Repeat("x", MaxSubject+1), "", strings.Repeat("x", MaxSubject-3) + "..."},
		{"", "“quoted” — «fr» • 2×3 → ‘x’", "", `"quoted" - "fr" * 2x3 -> 'x'`},
	}
	for _, tt := range tests {
		got := Subject(tt.prefix, tt.text, tt.suffix)
		if got != tt.want {
			t.Errorf("Subject(%q, %q, %q) =\n %q, want\n %q", tt.prefix, tt.text, tt.suffix, got, tt.want)
		}
		if !isASCIISubject(got) {
			t.Errorf("Subject(%q, %q, %q) = %q: not an ASCII subject", tt.prefix, tt.text, tt.suffix, got)
		}
	}
}

func FuzzSubject(f *testing.F) {
	f.Add("[forcessl] ", "café\n…", " (123456789012 eu-west-1)")
	f.Fuzz(func(t *testing.T, prefix, text, suffix string) {
		if s := Subject(prefix, text, suffix); !isASCIISubject(s) {
			t.Fatalf("Subject(%q, %q, %q) = %q", prefix, text, suffix, s)
		}
	})
}

func TestEmailSaysWhatToDo(t *testing.T) {
	m, _ := Render(base())
	for _, want := range []string{"rds.force_ssl is 0", "What forcessl did:", "Sunday 2026-11-29 05:00 UTC", "sun:05:00-sun:05:30",
		"aws rds reboot-db-instance", "Key=forcessl:exempt,Value=true",
		"Make future parameter changes in forcessl-default-sqlserver-se-15-0-168f9a23"} {
		if !strings.Contains(m.Email, want) {
			t.Errorf("email lacks %q", want)
		}
	}
	r := base()
	r.Report = true
	m, _ = Render(r)
	if !strings.Contains(m.Email, "would do in enforce mode") || m.Attributes["outcome"] != "report-finding" || m.Attributes["severity"] != "high" {
		t.Errorf("report-mode message: %+v", m.Attributes)
	}
}

func TestSize(t *testing.T) {
	m, err := Render(base())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := m.Body()
	want := len(body) + len("outcome"+"String"+"remediated") + len("severity"+"String"+"medium") + len("account"+"String"+"123456789012")
	if n, err := m.Size(); err != nil || n != want || n > MaxPublishBytes {
		t.Errorf("Size = %d, %v; want %d", n, err, want)
	}
}

// A certificate finding is not a plaintext finding, in report mode either.
func TestCertificateTitles(t *testing.T) {
	n := base()
	n.Outcome, n.State, n.Report = plan.OutcomeCAFinding, plan.Compliant, true
	if got := title(n); !strings.Contains(got, "server certificate") || strings.Contains(got, "unencrypted") {
		t.Errorf("report-mode CA finding titled %q", got)
	}
	n.Report = false
	if got := title(n); !strings.Contains(got, "needs a new CA") {
		t.Errorf("CA finding titled %q", got)
	}
}
