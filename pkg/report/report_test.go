package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	goldenfile "github.com/forcessl/forcessl/internal/golden"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/result"
)

var reboot = time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC)

func sample() Report {
	a := result.Result{Resources: []result.Resource{
		{Kind: plan.KindInstance, Name: "orders", State: plan.NonCompliant, Outcome: plan.OutcomeRemediated, Reason: "rds.force_ssl is 0 in parameter group default.sqlserver-se-15.0",
			Planned: []string{"x"}, Changed: []string{"x"}, RebootAt: &reboot},
		{Kind: plan.KindInstance, Name: "ledger", State: plan.Compliant, Outcome: plan.OutcomeNone,
			Checks: []result.Check{{Name: result.CheckTLS, Passed: true}, {Name: result.CheckCA, Passed: true}}},
		{Kind: plan.KindInstance, Name: "audit-db", State: plan.Compliant, Outcome: plan.OutcomeCAFinding,
			Reason: "rds.force_ssl=1 in secure and in effect; server certificate: audit-db: certificate (rds-ca-2019) expired on 2024-08-22",
			Checks: []result.Check{{Name: result.CheckTLS, Passed: true}, {Name: result.CheckCA, Detail: "audit-db: certificate (rds-ca-2019) expired on 2024-08-22"}}},
		{Kind: plan.KindInstance, Name: "billing", State: plan.CompliantPendingReboot, Outcome: plan.OutcomeNone, Reason: "rds.force_ssl=1 in forcessl-app, pending reboot", RebootAt: &reboot},
		{Kind: plan.KindInstance, Name: "legacy", State: plan.Exempt, Outcome: plan.OutcomeNone},
		{Kind: plan.KindInstance, Name: "erp", State: plan.OutOfScope, Outcome: plan.OutcomeNone},
	}}
	b := result.Result{Resources: []result.Resource{
		{Kind: plan.KindInstance, Name: "shop", State: plan.NonCompliant, Outcome: plan.OutcomeRefused, Reason: "forcessl-shop exists in another family"},
		{Kind: plan.KindInstance, Name: "cache", State: plan.NonCompliant, Outcome: plan.OutcomeFailed, Error: "api error AccessDenied"},
		{Kind: plan.KindCluster, Name: "payments", State: plan.CompliantPendingReboot, Outcome: plan.OutcomeNone,
			Reason: "rds.force_ssl=1 in forcessl-default-aurora-postgresql15-4b1e2f0c, pending reboot", RebootAt: &reboot,
			Members: []string{"payments-1 (writer): available, cluster parameters pending-reboot"}},
	}}
	return Report{SweepID: "2026-11-26T10:00:00Z", Mode: policy.ModeEnforce, Duration: 2 * time.Second, Items: []Item{
		FromResult("222222222222", "eu-west-1", b, nil),
		FromResult("111111111111", "us-east-1", a, nil),
		FromResult("111111111111", "eu-west-1", result.Result{}, nil),
	}}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, name, got)
}

func TestRenderings(t *testing.T) {
	r := sample()
	var table bytes.Buffer
	if err := Table(&table, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.txt", table.Bytes())
	js, err := JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", js)
	var csvOut bytes.Buffer
	if err := CSV(&csvOut, sample()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.csv", csvOut.Bytes())
	m, err := Digest(r)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "digest-email.txt", []byte("Subject: "+m.Subject+"\n\n"+m.Email))
	var chat bytes.Buffer
	if err := json.Indent(&chat, m.Chatbot, "", "  "); err != nil {
		t.Fatal(err)
	}
	golden(t, "digest-chatbot.json", chat.Bytes())
}

func TestCountsAndAttention(t *testing.T) {
	r := sample()
	tot := r.Totals()
	want := map[Bucket]int{Compliant: 2, PendingReboot: 2, Remediated: 1, NonCompliant: 1, Exempt: 1, OutOfScope: 1, Failed: 1}
	for b, n := range want {
		if tot[b] != n {
			t.Errorf("%s = %d, want %d", b, tot[b], n)
		}
	}
	if k := r.KindTotals(); k[plan.KindInstance] != 8 || k[plan.KindCluster] != 1 || Kinds(k) != "8 instances, 1 cluster" {
		t.Errorf("counts per type: %v (%s)", k, Kinds(k))
	}
	if !r.NeedsAttention() {
		t.Error("findings need attention")
	}
	clean := Report{Items: []Item{FromResult("111111111111", "us-east-1", result.Result{Resources: []result.Resource{
		{Kind: plan.KindInstance, Name: "a", State: plan.Compliant}, {Name: "b", State: plan.Exempt}}}, nil)}}
	if clean.NeedsAttention() {
		t.Error("an all-compliant sweep sends no digest")
	}
}

func TestDigestGroupsByAccount(t *testing.T) {
	m, _ := Digest(sample())
	a, b := strings.Index(m.Email, "Account 111111111111"), strings.Index(m.Email, "Account 222222222222")
	if a < 0 || b < 0 || a > b || strings.Count(m.Email, "Account 111111111111") != 1 {
		t.Errorf("digest not grouped by account:\n%s", m.Email)
	}
	if len([]rune(m.Subject)) >= 100 || m.Attributes["severity"] != "high" {
		t.Errorf("subject %q attributes %v", m.Subject, m.Attributes)
	}
}

func TestEMF(t *testing.T) {
	it := sample().Items[1]
	line, err := EMF(it, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Account      string
		NonCompliant int
		Compliant    int
		Remediated   int
	}
	if err := json.Unmarshal(line, &v); err != nil {
		t.Fatal(err)
	}
	m := v.AWS.CloudWatchMetrics[0]
	if v.AWS.Timestamp != 1700000000000 || m.Namespace != "forcessl" || len(m.Metrics) != len(Buckets)+1 || v.Account != "111111111111" ||
		v.Compliant != 2 || v.Remediated != 1 {
		t.Errorf("EMF line %s", line)
	}
	for _, d := range m.Dimensions {
		for _, k := range d {
			if k != "Account" && k != "Region" {
				t.Errorf("dimension %q is not a field of the line", k)
			}
		}
	}
}

// A large sweep still fits one SNS message (256 KiB for every body and the
// attributes).
func TestDigestStaysWithinSNSLimits(t *testing.T) {
	var res result.Result
	for i := 0; i < 5000; i++ {
		res.Resources = append(res.Resources, result.Resource{Name: fmt.Sprintf("db-%05d", i), State: plan.NonCompliant,
			Outcome: plan.OutcomeNone, Reason: strings.Repeat("rds.force_ssl is 0 in parameter group some-long-group-name ", 2)})
	}
	m, err := Digest(Report{SweepID: "s", Mode: policy.ModeReport, Items: []Item{FromResult("111111111111", "us-east-1", res, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(m.Email, "    - db-"); n != maxEmailFindings {
		t.Errorf("email lists %d instances, want %d", n, maxEmailFindings)
	}
	if !strings.Contains(m.Email, fmt.Sprintf("    … and %d more in this region\n", 5000-maxEmailFindings)) {
		t.Error("the email must say how many instances it left out")
	}
	checkDigest(t, Report{SweepID: "s", Mode: policy.ModeReport, Items: []Item{FromResult("111111111111", "us-east-1", res, nil)}}, m)
}

// An account-region forcessl could not read is a coverage finding, in
// every rendering, and a metric the CDK app alarms on.
func TestNotCovered(t *testing.T) {
	rep := Report{SweepID: "s", Mode: policy.ModeEnforce, Items: []Item{
		FromResult("111111111111", "us-east-1", result.Result{}, nil),
		{Account: "222222222222", Region: "us-east-1", Counts: map[Bucket]int{}, NotCovered: true,
			Error: "assume arn:aws:iam::222222222222:role/forcessl-remediation: AccessDenied"},
	}}
	var table, csvOut bytes.Buffer
	if err := Table(&table, rep); err != nil {
		t.Fatal(err)
	}
	if err := CSV(&csvOut, rep); err != nil {
		t.Fatal(err)
	}
	m, err := Digest(rep)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"table": table.String(), "csv": csvOut.String(), "digest": m.Email, "subject": m.Subject} {
		if !strings.Contains(strings.ToLower(out), "not covered") && !strings.Contains(out, "not-covered") {
			t.Errorf("%s does not say the account-region is not covered:\n%s", name, out)
		}
	}
	if m.Attributes["severity"] != "high" || rep.NotCovered() != 1 {
		t.Errorf("severity %s", m.Attributes["severity"])
	}
	line, _ := EMF(rep.Items[1], time.Unix(0, 0))
	if !strings.Contains(string(line), `"NotCovered":1`) {
		t.Errorf("EMF %s", line)
	}
}

// A finding that persists is carried by the digest as a reminder, with its
// age from the state table.
func TestDigestRemindsWithAge(t *testing.T) {
	since := time.Date(2026, 11, 14, 3, 0, 0, 0, time.UTC)
	recent := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	res := result.Result{Resources: []result.Resource{
		{Kind: plan.KindInstance, Name: "old", State: plan.NonCompliant, Reason: "rds.force_ssl is 0", StateSince: &since},
		{Kind: plan.KindInstance, Name: "new", State: plan.NonCompliant, Reason: "rds.force_ssl is 0", StateSince: &recent},
	}}
	// A run named after its scheduled event ("<time>_<event ID>") ages
	// its findings from that time too.
	for _, id := range []string{"2026-11-26T10:00:00Z_53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa"} {
		m, err := Digest(Report{SweepID: id, Mode: policy.ModeReport, Items: []Item{FromResult("111111111111", "us-east-1", res, nil)}})
		if err != nil || !strings.Contains(m.Email, "(non-compliant for 12 day(s), first seen 2026-11-14)") {
			t.Errorf("sweep %s: no reminder with the age (%v):\n%s", id, err, m.Email)
		}
	}
	rep := Report{SweepID: "2026-11-26T10:00:00Z", Mode: policy.ModeReport, Items: []Item{FromResult("111111111111", "us-east-1", res, nil)}}
	m, err := Digest(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Email, "- old [non-compliant] rds.force_ssl is 0 (non-compliant for 12 day(s), first seen 2026-11-14)") {
		t.Errorf("no reminder with the age:\n%s", m.Email)
	}
	if strings.Contains(m.Email, "- new [non-compliant] rds.force_ssl is 0 (") {
		t.Errorf("a finding from the last hour is news, not a reminder:\n%s", m.Email)
	}
	if rep.Items[0].Findings[0].Reason != "rds.force_ssl is 0" {
		t.Error("rendering changed the report")
	}
}
