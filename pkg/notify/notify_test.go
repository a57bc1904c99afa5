package notify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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
	return map[string]Notice{"remediated": base(), "report-finding": report, "failed": failed, "verified": verified}
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

func TestSubject(t *testing.T) {
	n := base()
	n.Instance = strings.Repeat("i", 63) // the longest DB instance identifier
	for _, o := range []plan.Outcome{plan.OutcomeRemediated, plan.OutcomeRebootPlanned, plan.OutcomeFailed} {
		n.Outcome = o
		s := subject(n)
		if utf8.RuneCountInString(s) >= 100 || strings.ContainsAny(s, "\n\r") {
			t.Errorf("subject %q (%d chars)", s, utf8.RuneCountInString(s))
		}
		if !strings.Contains(s, n.Account) || !strings.Contains(s, n.Region) {
			t.Errorf("subject %q must name the account and region", s)
		}
	}
	n.Instance = "evil\nname"
	if strings.Contains(subject(n), "\n") {
		t.Error("control characters must not reach the subject")
	}
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
