package asff_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/forcessl/forcessl/internal/golden"
	"github.com/forcessl/forcessl/pkg/asff"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/result"
)

var (
	now      = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	rebootAt = time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC)
)

func source(mode policy.Mode) asff.Source {
	return asff.Source{Account: "123456789012", Region: "eu-west-1", Mode: mode, ExemptTag: "forcessl:exempt", Now: now}
}

func instance(state plan.State, outcome plan.Outcome, mod ...func(*result.Resource)) result.Resource {
	r := result.Resource{Kind: plan.KindInstance, Name: "orders", ARN: "arn:aws:rds:eu-west-1:123456789012:db:orders",
		Engine: "sqlserver-se", Group: "default.sqlserver-se-15.0", Window: "sun:05:00-sun:05:30", State: state, Outcome: outcome,
		Reason: "rds.force_ssl is 0 in parameter group default.sqlserver-se-15.0"}
	for _, m := range mod {
		m(&r)
	}
	return r
}

func scheduled(r *result.Resource) {
	at := rebootAt
	r.RebootAt = &at
	r.Changed = []string{"attach parameter group forcessl-default-sqlserver-se-15-0 to orders now", "schedule reboot at 2026-11-29T05:00:00Z"}
}

func only(t *testing.T, fs []asff.Finding) asff.Finding {
	t.Helper()
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1: %+v", len(fs), fs)
	}
	return fs[0]
}

// The lifecycle as Security Hub shows it, from the resource's state when
// the result carries no checks.
func TestLifecycleFromState(t *testing.T) {
	tests := []struct {
		name       string
		mode       policy.Mode
		res        result.Resource
		status     asff.Status
		compliance types.ComplianceStatus
		severity   types.SeverityLabel
		rebootAt   string
	}{
		{"report mode: non-compliant is failed, high", policy.ModeReport, instance(plan.NonCompliant, plan.OutcomeRemediated),
			asff.Failed, types.ComplianceStatusFailed, types.SeverityLabelHigh, ""},
		{"report mode: a reboot time is what would be, not a fix", policy.ModeReport, instance(plan.NonCompliant, plan.OutcomeRemediated,
			func(r *result.Resource) { at := rebootAt; r.RebootAt = &at }), asff.Failed, types.ComplianceStatusFailed, types.SeverityLabelHigh, "2026-11-29T05:00:00Z"},
		{"enforce: remediated, reboot in the window", policy.ModeEnforce, instance(plan.NonCompliant, plan.OutcomeRemediated, scheduled),
			asff.Scheduled, types.ComplianceStatusFailed, types.SeverityLabelMedium, "2026-11-29T05:00:00Z"},
		{"enforce: pending reboot on forcessl's group", policy.ModeEnforce, instance(plan.CompliantPendingReboot, plan.OutcomeNone,
			func(r *result.Resource) { at := rebootAt; r.RebootAt = &at }), asff.Scheduled, types.ComplianceStatusFailed, types.SeverityLabelMedium, "2026-11-29T05:00:00Z"},
		{"enforce: pending on the owner's group, no reboot of ours", policy.ModeEnforce, instance(plan.CompliantPendingReboot, plan.OutcomeOwnerPending),
			asff.Failed, types.ComplianceStatusFailed, types.SeverityLabelMedium, ""},
		{"enforce: busy, fixed when available", policy.ModeEnforce, instance(plan.NotReady, plan.OutcomeWaiting),
			asff.Failed, types.ComplianceStatusFailed, types.SeverityLabelMedium, ""},
		{"enforce: refused", policy.ModeEnforce, instance(plan.NonCompliant, plan.OutcomeRefused),
			asff.Failed, types.ComplianceStatusFailed, types.SeverityLabelHigh, ""},
		{"enforce: failed with a reboot time is not a fix on its way", policy.ModeEnforce, instance(plan.NonCompliant, plan.OutcomeFailed, scheduled),
			asff.Failed, types.ComplianceStatusFailed, types.SeverityLabelHigh, "2026-11-29T05:00:00Z"},
		{"verified", policy.ModeEnforce, instance(plan.Compliant, plan.OutcomeVerified),
			asff.Passed, types.ComplianceStatusPassed, types.SeverityLabelInformational, ""},
		{"compliant in report mode", policy.ModeReport, instance(plan.Compliant, plan.OutcomeNone),
			asff.Passed, types.ComplianceStatusPassed, types.SeverityLabelInformational, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := only(t, asff.Findings(source(tt.mode), tt.res))
			d := f.Doc
			if f.Status != tt.status || d.Compliance.Status != tt.compliance || d.FindingProviderFields.Severity.Label != tt.severity {
				t.Errorf("status %s compliance %s severity %s, want %s %s %s", f.Status, d.Compliance.Status,
					d.FindingProviderFields.Severity.Label, tt.status, tt.compliance, tt.severity)
			}
			if got := d.ProductFields[asff.FieldRebootAt]; got != tt.rebootAt {
				t.Errorf("reboot time %q, want %q", got, tt.rebootAt)
			}
			if d.Severity != nil || d.Types != nil || d.Workflow != nil || d.Note != nil {
				t.Error("severity and types go in FindingProviderFields only; workflow and note are the customer's")
			}
			if aws.ToString(d.Resources[0].Id) != tt.res.ARN || aws.ToString(d.Resources[0].Type) != "AwsRdsDbInstance" {
				t.Errorf("resource %+v", d.Resources[0])
			}
		})
	}
}

func TestNoFindingForWhatForcesslDoesNotJudge(t *testing.T) {
	for _, st := range []plan.State{plan.Exempt, plan.OutOfScope, plan.NotFound, ""} {
		if fs := asff.Findings(source(policy.ModeEnforce), instance(st, plan.OutcomeNone)); len(fs) != 0 {
			t.Errorf("%q: %d findings", st, len(fs))
		}
	}
	if note, ok := asff.Exemption(instance(plan.Exempt, plan.OutcomeNone, func(r *result.Resource) { r.Reason = "tagged forcessl:exempt=true" })); !ok ||
		!strings.Contains(note, "tagged forcessl:exempt=true") {
		t.Errorf("exemption note %q %v", note, ok)
	}
	if _, ok := asff.Exemption(instance(plan.Compliant, plan.OutcomeNone)); ok {
		t.Error("a compliant resource is not exempt")
	}
}

// Each check is its own finding; the state stands in for a missing "tls".
func TestOneFindingPerCheck(t *testing.T) {
	src := source(policy.ModeEnforce)
	res := instance(plan.Compliant, plan.OutcomeCAFinding, func(r *result.Resource) {
		r.Checks = []result.Check{{Name: result.CheckTLS, Passed: true, Detail: "rds.force_ssl=1"},
			{Name: result.CheckCA, Detail: "rds-ca-2019 expires 2024-08-22"}, {Name: result.CheckProfile, Passed: true, Pending: true, Detail: "rds.tls10=disabled"}}
	})
	fs := asff.Findings(src, res)
	got := map[string]asff.Status{}
	ids := map[string]bool{}
	for _, f := range fs {
		got[f.Check] = f.Status
		ids[f.ID()] = true
		if g := aws.ToString(f.Doc.GeneratorId); g != "forcessl/"+f.Check {
			t.Errorf("generator %s", g)
		}
	}
	want := map[string]asff.Status{"tls": asff.Passed, "ca": asff.Failed, "tls-profile": asff.Failed}
	if len(got) != 3 || got["tls"] != want["tls"] || got["ca"] != want["ca"] || got["tls-profile"] != want["tls-profile"] {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if len(ids) != 3 {
		t.Errorf("IDs not distinct: %v", ids)
	}

	res.Checks = []result.Check{{Name: result.CheckCA, Passed: true}}
	fs = asff.Findings(src, res)
	if len(fs) != 2 || fs[0].Check != "ca" || fs[1].Check != "tls" || fs[1].Status != asff.Passed {
		t.Errorf("tls from the state next to the checks: %+v", fs)
	}
}

// The same result makes the same finding, whenever it is made: IDs and
// fingerprints are deterministic, timestamps are not part of the print.
func TestDeterministic(t *testing.T) {
	res := instance(plan.NonCompliant, plan.OutcomeRemediated, scheduled)
	a := only(t, asff.Findings(source(policy.ModeEnforce), res))
	later := source(policy.ModeEnforce)
	later.Now = now.Add(48 * time.Hour)
	b := only(t, asff.Findings(later, res))
	if a.ID() != b.ID() || a.Print != b.Print {
		t.Errorf("ID %s/%s print %s/%s", a.ID(), b.ID(), a.Print, b.Print)
	}
	if aws.ToString(a.Doc.UpdatedAt) == aws.ToString(b.Doc.UpdatedAt) {
		t.Error("update times should differ")
	}
	if a.ID() != "forcessl/arn:aws:rds:eu-west-1:123456789012:db:orders/tls" {
		t.Errorf("ID %s", a.ID())
	}
	c := only(t, asff.Findings(source(policy.ModeEnforce), instance(plan.Compliant, plan.OutcomeVerified)))
	if c.ID() != a.ID() || c.Print == a.Print {
		t.Error("a resource's check keeps its ID and changes its print when it passes")
	}
}

// A finding read back from Security Hub, with what Security Hub and the
// customer add, has the fingerprint forcessl sent.
func TestFingerprintOfAReadBackFinding(t *testing.T) {
	f := only(t, asff.Findings(source(policy.ModeEnforce), instance(plan.NonCompliant, plan.OutcomeRemediated, scheduled)))
	back := f.Doc
	back.ProductFields = map[string]string{"aws/securityhub/FindingId": "x", "aws/securityhub/ProductName": "Default"}
	for k, v := range f.Doc.ProductFields {
		back.ProductFields[k] = v
	}
	back.Workflow = &types.Workflow{Status: types.WorkflowStatusNotified}
	back.Note = &types.Note{Text: aws.String("looking")}
	back.Severity = &types.Severity{Label: types.SeverityLabelLow}
	back.UpdatedAt = aws.String("2027-01-01T00:00:00.000Z")
	if got := asff.Fingerprint(back); got != f.Print || back.ProductFields[asff.FieldFingerprint] != f.Print {
		t.Errorf("fingerprint %s, sent %s", got, f.Print)
	}
	back.Compliance = &types.Compliance{Status: types.ComplianceStatusPassed}
	if asff.Fingerprint(back) == f.Print {
		t.Error("a change of compliance must change the fingerprint")
	}
}

func TestStampNeverGoesBack(t *testing.T) {
	var d types.AwsSecurityFinding
	created := now.Add(-24 * time.Hour)
	asff.Stamp(&d, created, now, now) // Security Hub has an update at this very time
	if aws.ToString(d.UpdatedAt) != "2026-11-26T10:00:00.001Z" || aws.ToString(d.CreatedAt) != "2026-11-25T10:00:00.000Z" {
		t.Errorf("created %s updated %s", aws.ToString(d.CreatedAt), aws.ToString(d.UpdatedAt))
	}
	asff.Stamp(&d, time.Time{}, time.Time{}, now)
	if aws.ToString(d.CreatedAt) != aws.ToString(d.UpdatedAt) {
		t.Error("a new finding's creation and update times must be the same (asff-required-attributes.md)")
	}
}

func TestWorkflow(t *testing.T) {
	tests := []struct {
		prev, next asff.Status
		want       types.WorkflowStatus
	}{
		{"", asff.Failed, ""},
		{"", asff.Passed, types.WorkflowStatusResolved},
		{"", asff.Scheduled, types.WorkflowStatusNotified},
		{asff.Failed, asff.Scheduled, types.WorkflowStatusNotified},
		{asff.Scheduled, asff.Passed, types.WorkflowStatusResolved},
		{asff.Scheduled, asff.Failed, types.WorkflowStatusNew},
		{asff.Passed, asff.Failed, ""}, // Security Hub resets it itself
		{asff.Failed, asff.Exempted, types.WorkflowStatusSuppressed},
		{asff.Exempted, asff.Failed, types.WorkflowStatusNew},
		{asff.Exempted, asff.Passed, types.WorkflowStatusResolved},
		{asff.Archived, asff.Failed, types.WorkflowStatusNew},
		{asff.Passed, asff.Passed, ""},
		{asff.Scheduled, asff.Scheduled, ""},
		{asff.Failed, asff.Archived, ""},
	}
	for _, tt := range tests {
		got, ok := asff.Workflow(tt.prev, tt.next)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%q -> %q: %q %v, want %q", tt.prev, tt.next, got, ok, tt.want)
		}
	}
}

func TestMarkRoundTrip(t *testing.T) {
	m := asff.Mark{
		"tls": {Status: asff.Scheduled, Print: "0123456789abcdef", Created: now.Add(-time.Hour), Imported: now},
		"ca":  {Status: asff.Passed, Print: "fedcba9876543210", Created: now.Add(-48 * time.Hour), Imported: now.Add(-24 * time.Hour)},
	}
	s := m.String()
	ms := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	want := "ca=passed,fedcba9876543210," + ms(now.Add(-48*time.Hour)) + "," + ms(now.Add(-24*time.Hour)) +
		";tls=fix-scheduled,0123456789abcdef," + ms(now.Add(-time.Hour)) + "," + ms(now)
	if s != want {
		t.Errorf("encoded %s", s)
	}
	back := asff.ParseMark(s)
	if back.String() != s || !back["tls"].Created.Equal(now.Add(-time.Hour)) || !back.Oldest().Equal(now.Add(-24*time.Hour)) {
		t.Errorf("decoded %+v", back)
	}
	if got := asff.ParseMark("tls=passed,x,1,2;broken;ca=passed,y,z,1;=a,b,1,2"); len(got) != 1 || got["tls"].Print != "x" {
		t.Errorf("malformed entries must be dropped, got %+v", got)
	}
	if len(asff.ParseMark("")) != 0 || !asff.ParseMark("").Oldest().IsZero() {
		t.Error("empty mark")
	}
}

func TestControls(t *testing.T) {
	tests := []struct {
		kind   plan.Kind
		engine string
		want   string
	}{
		{plan.KindInstance, "postgres", "RDS.38"}, {plan.KindInstance, "mysql", "RDS.39"},
		{plan.KindInstance, "sqlserver-ee", "RDS.41"}, {plan.KindInstance, "sqlserver-web", "RDS.41"},
		{plan.KindInstance, "mariadb", "RDS.44"}, {plan.KindInstance, "oracle-ee", ""},
		{plan.KindCluster, "postgres", ""}, {plan.KindCluster, "aurora-postgresql", ""},
	}
	for _, tt := range tests {
		if got, ok := asff.Control(tt.kind, tt.engine); got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s %s: %q", tt.kind, tt.engine, got)
		}
	}
	const arn = "arn:aws:rds:eu-west-1:123456789012:db:orders"
	find := func(generator, resource string, st types.RecordState) types.AwsSecurityFinding {
		return types.AwsSecurityFinding{GeneratorId: aws.String(generator), RecordState: st,
			Resources: []types.Resource{{Id: aws.String(resource)}}}
	}
	for _, g := range []string{"security-control/RDS.41", "aws-foundational-security-best-practices/v/1.0.0/RDS.41"} {
		if !asff.IsControlFinding(find(g, arn, types.RecordStateActive), "RDS.41", arn) {
			t.Errorf("%s not matched", g)
		}
	}
	if asff.IsControlFinding(find("security-control/RDS.41", arn, types.RecordStateArchived), "RDS.41", arn) ||
		asff.IsControlFinding(find("security-control/RDS.38", arn, types.RecordStateActive), "RDS.41", arn) ||
		asff.IsControlFinding(find("security-control/RDS.41", arn+"-2", types.RecordStateActive), "RDS.41", arn) ||
		asff.IsControlFinding(find("security-control/RDS.410", arn, types.RecordStateActive), "RDS.41", arn) {
		t.Error("matched an archived finding, another control or another resource")
	}
	nist := find("nist-800-53/v/5.0.0/RDS.41", arn, types.RecordStateActive)
	nist.Compliance = &types.Compliance{SecurityControlId: aws.String("RDS.41")}
	if !asff.IsControlFinding(nist, "RDS.41", arn) {
		t.Error("a finding with the control's SecurityControlId is the control's")
	}
}

func TestControlNote(t *testing.T) {
	res := instance(plan.NonCompliant, plan.OutcomeRemediated, scheduled)
	note := asff.ControlNote(res, now)
	for _, want := range []string{"forcessl, 2026-11-26T10:00:00Z", "remediated", "attach parameter group", "2026-11-29T05:00:00Z"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q lacks %q", note, want)
		}
	}
	res.Changed = []string{strings.Repeat("é", 400)}
	if n := asff.ControlNote(res, now); len(n) > asff.MaxNote || !utf8.ValidString(n) || !strings.HasSuffix(n, "...") {
		t.Errorf("long note: %d bytes, valid %v", len(n), utf8.ValidString(n))
	}
	if asff.Acted(instance(plan.NonCompliant, plan.OutcomeRemediated)) || !asff.Acted(res) ||
		asff.Acted(instance(plan.NonCompliant, plan.OutcomeFailed, scheduled)) {
		t.Error("acted: changed something, and did not fail")
	}
}

func TestLongReasonsAreCut(t *testing.T) {
	res := instance(plan.NonCompliant, plan.OutcomeRefused, func(r *result.Resource) { r.Reason = strings.Repeat("ü", 2000) })
	d := only(t, asff.Findings(source(policy.ModeEnforce), res)).Doc
	if n := len(aws.ToString(d.Description)); n > asff.MaxDescription || !utf8.ValidString(aws.ToString(d.Description)) {
		t.Errorf("description %d bytes", n)
	}
	if n := len(aws.ToString(d.Remediation.Recommendation.Text)); n > asff.MaxRecommendation {
		t.Errorf("recommendation %d bytes", n)
	}
}

func TestPartitions(t *testing.T) {
	for region, want := range map[string]string{"eu-west-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov",
		"us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b"} {
		if got := asff.PartitionOf(region); got != want {
			t.Errorf("%s: %s", region, got)
		}
	}
	s := asff.Source{Account: "111122223333", Region: "cn-north-1"}
	if got := s.Product(); got != "arn:aws-cn:securityhub:cn-north-1:111122223333:product/111122223333/default" {
		t.Errorf("product %s", got)
	}
}

// The documents as the SDK puts them on the wire (golden files).
func TestGoldenDocuments(t *testing.T) {
	enforce, report := source(policy.ModeEnforce), source(policy.ModeReport)
	cluster := instance(plan.NonCompliant, plan.OutcomeRemediated, scheduled, func(r *result.Resource) {
		r.Kind, r.Name, r.ARN, r.Engine, r.Group = plan.KindCluster, "ledger", "arn:aws:rds:eu-west-1:123456789012:cluster:ledger",
			"aurora-postgresql", "default.aurora-postgresql15"
		r.Changed = []string{"attach cluster parameter group forcessl-default-aurora-postgresql15 to ledger now"}
	})
	exempt := only(t, asff.Findings(enforce, instance(plan.NonCompliant, plan.OutcomeRemediated, scheduled))).Doc
	exempt.Workflow = &types.Workflow{Status: types.WorkflowStatusNotified}
	exempt.ProductFields["aws/securityhub/ProductName"] = "Default"
	tests := []struct {
		name string
		docs []asff.Finding
	}{
		{"report-noncompliant", asff.Findings(report, instance(plan.NonCompliant, plan.OutcomeRemediated))},
		{"enforce-scheduled", asff.Findings(enforce, instance(plan.NonCompliant, plan.OutcomeRemediated, scheduled))},
		{"enforce-verified", asff.Findings(enforce, instance(plan.Compliant, plan.OutcomeVerified))},
		{"enforce-refused", asff.Findings(enforce, instance(plan.NonCompliant, plan.OutcomeRefused, func(r *result.Resource) {
			r.Reason = "parameter group default.sqlserver-se-15.0 has no rds.force_ssl parameter: this engine version cannot enforce TLS through it"
		}))},
		{"cluster-scheduled", asff.Findings(enforce, cluster)},
		{"checks", asff.Findings(enforce, instance(plan.Compliant, plan.OutcomeCAFinding, func(r *result.Resource) {
			r.Checks = []result.Check{{Name: result.CheckTLS, Passed: true, Detail: "rds.force_ssl=1 in forcessl-default-sqlserver-se-15-0"},
				{Name: result.CheckCA, Detail: "server certificate rds-ca-2019 expires 2026-12-20 (within 90 days)"}}
		}))},
		{"exempt-kept", []asff.Finding{asff.Exempt(exempt)}},
		{"archived", []asff.Finding{asff.Archive(enforce, instance(plan.OutOfScope, plan.OutcomeNone), "tls-profile", "the check is no longer configured")}},
		{"coverage-not-covered", []asff.Finding{asff.Coverage(enforce, "210987654321", "ap-east-1", false,
			"RDS client for 210987654321/ap-east-1: AccessDenied: User is not authorized to perform: sts:AssumeRole")}},
		{"coverage-covered", []asff.Finding{asff.Coverage(enforce, "210987654321", "ap-east-1", true, "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var docs []types.AwsSecurityFinding
			for _, f := range tt.docs {
				docs = append(docs, f.Doc)
			}
			golden.Check(t, tt.name+".json", wire(t, docs))
		})
	}
}

// wire is the BatchImportFindings request body the SDK sends for docs,
// indented, object keys sorted (the SDK writes maps in Go's random order).
func wire(t *testing.T, docs []types.AwsSecurityFinding) []byte {
	t.Helper()
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"FailedCount":0,"SuccessCount":1,"FailedFindings":[]}`)
	}))
	defer srv.Close()
	c := securityhub.New(securityhub.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.AnonymousCredentials{}})
	if _, err := c.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: docs}); err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}
