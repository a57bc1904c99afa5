package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/asff"
	"github.com/forcessl/forcessl/pkg/hub"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/report"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/state"
)

const (
	account = "123456789012"
	region  = "eu-west-1"
)

var start = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// fixture is a hub over the fake Security Hub, with or without a state
// table, a clock the test moves and the log it writes.
type fixture struct {
	t   *testing.T
	sh  *fakeaws.SecurityHub
	mem *state.Memory // nil: no state table
	h   *hub.Hub
	now time.Time
	log bytes.Buffer
}

func newFixture(t *testing.T, mode policy.Mode, withMemory bool) *fixture {
	f := &fixture{t: t, sh: fakeaws.NewSecurityHub(account, region), now: start}
	f.h = &hub.Hub{Mode: mode, ExemptTag: "forcessl:exempt", Now: func() time.Time { return f.now }}
	if withMemory {
		f.mem = state.NewMemory()
		f.h.Memory = f.mem
	}
	return f
}

func (f *fixture) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(&f.log, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func key(name string) state.Key {
	return state.Key{Account: account, Region: region, ResourceID: "db-" + strings.ToUpper(name)}
}

// flush reports results as one request does: each resource with its memory
// (what reconcile hands over), then the flush.
func (f *fixture) flush(results ...result.Resource) hub.Stats {
	f.t.Helper()
	ctx := context.Background()
	b := f.h.Batch(f.sh, account, region, f.logger())
	for _, r := range results {
		if f.mem == nil {
			b.Add(ctx, r, nil, nil)
			continue
		}
		k := key(r.Name)
		m, known, err := f.mem.Resource(ctx, k)
		if err != nil {
			f.t.Fatal(err)
		}
		if !known { // reconcile records every resource it remembers
			m = state.Resource{Key: k, Kind: string(r.Kind), Name: r.Name, State: string(r.State)}
			if err := f.mem.PutResource(ctx, m); err != nil {
				f.t.Fatal(err)
			}
		}
		b.Add(ctx, r, &k, m.SecurityHub)
	}
	return b.Flush(ctx)
}

func arn(name string) string { return "arn:aws:rds:" + region + ":" + account + ":db:" + name }

func res(name string, st plan.State, out plan.Outcome, mod ...func(*result.Resource)) result.Resource {
	r := result.Resource{Kind: plan.KindInstance, Name: name, ARN: arn(name), Engine: "sqlserver-se", Group: "default.sqlserver-se-15.0",
		State: st, Outcome: out, Reason: "rds.force_ssl is 0 in default.sqlserver-se-15.0"}
	for _, m := range mod {
		m(&r)
	}
	return r
}

var rebootAt = time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC)

func remediated(r *result.Resource) {
	at := rebootAt
	r.RebootAt, r.Changed = &at, []string{"attach parameter group forcessl-default to " + r.Name + " now", "schedule reboot at 2026-11-29T05:00:00Z"}
}

func (f *fixture) finding(name, check string) types.AwsSecurityFinding {
	f.t.Helper()
	d, ok := f.sh.Finding(asff.ID(arn(name), check))
	if !ok {
		f.t.Fatalf("no %s finding for %s in Security Hub", check, name)
	}
	return d
}

func workflow(d types.AwsSecurityFinding) types.WorkflowStatus {
	if d.Workflow == nil {
		return ""
	}
	return d.Workflow.Status
}

func TestBatchesOfAtMost100UnderTheSizeLimits(t *testing.T) {
	docs := make([]types.AwsSecurityFinding, 250)
	for i := range docs {
		docs[i] = types.AwsSecurityFinding{Id: aws.String(fmt.Sprint(i)), Description: aws.String(strings.Repeat("x", 100))}
	}
	batches, tooBig := hub.Batches(docs, hub.DefaultLimits)
	if len(batches) != 3 || len(batches[0]) != 100 || len(batches[1]) != 100 || len(batches[2]) != 50 || len(tooBig) != 0 {
		t.Errorf("250 findings: batches of %v, too big %v", sizes(batches), tooBig)
	}
	// The byte limits: a request never passes RequestBytes; a finding over
	// FindingBytes is left out.
	one := len(mustJSON(docs[0]))
	docs[7].Description = aws.String(strings.Repeat("y", 10*one))
	batches, tooBig = hub.Batches(docs[:20], hub.Limits{Findings: 100, FindingBytes: 5 * one, RequestBytes: 6 * one})
	if len(tooBig) != 1 || tooBig[0] != 7 {
		t.Errorf("too big %v", tooBig)
	}
	n := 0
	for _, b := range batches {
		size := 0
		for _, d := range b {
			size += len(mustJSON(d))
		}
		if size > 6*one {
			t.Errorf("a batch of %d bytes, limit %d", size, 6*one)
		}
		n += len(b)
	}
	if n != 19 || len(batches) != 4 {
		t.Errorf("%d findings in %d batches (%v)", n, len(batches), sizes(batches))
	}
}

func sizes(b [][]types.AwsSecurityFinding) []int {
	var s []int
	for _, x := range b {
		s = append(s, len(x))
	}
	return s
}

// 250 resources make 250 findings: three imports; the second run sends
// nothing, with or without a state table.
func TestASweepImportsInBatchesAndOnlyWhatChanged(t *testing.T) {
	for _, withMemory := range []bool{true, false} {
		t.Run(fmt.Sprintf("memory=%v", withMemory), func(t *testing.T) {
			f := newFixture(t, policy.ModeEnforce, withMemory)
			var results []result.Resource
			for i := range 250 {
				results = append(results, res(fmt.Sprintf("db%03d", i), plan.Compliant, plan.OutcomeNone))
			}
			st := f.flush(results...)
			if got := f.sh.Count("BatchImportFindings"); got != 3 || st.Imported != 250 {
				t.Fatalf("first run: %d imports, %d findings imported", got, st.Imported)
			}
			// Passed on first sight: resolved, out of the default view.
			if got := f.sh.Count("BatchUpdateFindings"); got != 3 || workflow(f.finding("db042", "tls")) != types.WorkflowStatusResolved {
				t.Errorf("first run: %d workflow updates, db042 %s", got, workflow(f.finding("db042", "tls")))
			}
			reads := f.sh.Count("GetFindings")
			f.sh.Reset()
			f.now = start.Add(24 * time.Hour)
			st = f.flush(results...)
			if got := f.sh.Count("BatchImportFindings") + f.sh.Count("BatchUpdateFindings"); got != 0 || st.Imported != 0 {
				t.Errorf("second run: %d writes (%v)", got, f.sh.Calls)
			}
			if withMemory && (reads != 0 || f.sh.Count("GetFindings") != 0) {
				t.Errorf("with a state table nothing is read: %d, %d reads", reads, f.sh.Count("GetFindings"))
			}
			if !withMemory && f.sh.Count("GetFindings") != 3 {
				t.Errorf("without one, forcessl's findings are read first, 100 a page: %d reads", f.sh.Count("GetFindings"))
			}
		})
	}
}

// Security Hub deletes findings not updated for 90 days: an unchanged
// finding is imported again after 30, keeping its creation time.
func TestUnchangedFindingsAreImportedAgainAfter30Days(t *testing.T) {
	for _, withMemory := range []bool{true, false} {
		t.Run(fmt.Sprintf("memory=%v", withMemory), func(t *testing.T) {
			f := newFixture(t, policy.ModeEnforce, withMemory)
			r := res("orders", plan.NonCompliant, plan.OutcomeRemediated, remediated)
			f.flush(r)
			created := aws.ToString(f.finding("orders", "tls").CreatedAt)
			f.sh.Reset()
			f.now = start.Add(29 * 24 * time.Hour)
			f.flush(r)
			if n := f.sh.Count("BatchImportFindings"); n != 0 {
				t.Errorf("after 29 days: %d imports", n)
			}
			f.now = start.Add(30*24*time.Hour + time.Minute)
			f.flush(r)
			d := f.finding("orders", "tls")
			if n := f.sh.Count("BatchImportFindings"); n != 1 || aws.ToString(d.UpdatedAt) != f.now.Format(asff.Timestamp) {
				t.Errorf("after 30 days: %d imports, updated %s", n, aws.ToString(d.UpdatedAt))
			}
			if aws.ToString(d.CreatedAt) != created || workflow(d) != types.WorkflowStatusNotified {
				t.Errorf("created %s (was %s), workflow %s", aws.ToString(d.CreatedAt), created, workflow(d))
			}
			if n := f.sh.Count("BatchUpdateFindings"); n != 0 {
				t.Error("a refresh is not a move: the workflow is left alone")
			}
		})
	}
}

// Non-compliant -> FAILED; remediated and waiting for the window -> FAILED
// with the reboot time, NOTIFIED; verified -> PASSED, RESOLVED.
func TestLifecycle(t *testing.T) {
	f := newFixture(t, policy.ModeEnforce, true)
	f.flush(res("orders", plan.NotReady, plan.OutcomeWaiting))
	d := f.finding("orders", "tls")
	if d.Compliance.Status != types.ComplianceStatusFailed || workflow(d) != types.WorkflowStatusNew || d.Severity.Label != types.SeverityLabelMedium {
		t.Errorf("busy: %s %s %s", d.Compliance.Status, workflow(d), d.Severity.Label)
	}

	f.now = start.Add(time.Hour)
	f.flush(res("orders", plan.NonCompliant, plan.OutcomeRemediated, remediated))
	d = f.finding("orders", "tls")
	if d.Compliance.Status != types.ComplianceStatusFailed || d.ProductFields[asff.FieldRebootAt] != "2026-11-29T05:00:00Z" ||
		workflow(d) != types.WorkflowStatusNotified {
		t.Errorf("remediated: %s reboot %q workflow %s", d.Compliance.Status, d.ProductFields[asff.FieldRebootAt], workflow(d))
	}

	// Later events see the pending reboot: the same status, no move.
	f.sh.Reset()
	f.now = start.Add(2 * time.Hour)
	f.flush(res("orders", plan.CompliantPendingReboot, plan.OutcomeNone, func(r *result.Resource) { at := rebootAt; r.RebootAt = &at }))
	if n := f.sh.Count("BatchUpdateFindings"); n != 0 {
		t.Errorf("no move, no workflow update: %d", n)
	}

	f.now = rebootAt.Add(5 * time.Minute)
	f.flush(res("orders", plan.Compliant, plan.OutcomeVerified))
	d = f.finding("orders", "tls")
	if d.Compliance.Status != types.ComplianceStatusPassed || workflow(d) != types.WorkflowStatusResolved ||
		d.Severity.Label != types.SeverityLabelInformational || d.ProductFields[asff.FieldRebootAt] != "" {
		t.Errorf("verified: %s %s %s %q", d.Compliance.Status, workflow(d), d.Severity.Label, d.ProductFields[asff.FieldRebootAt])
	}
	if len(f.sh.All()) != 1 {
		t.Errorf("one finding per resource and check, got %d", len(f.sh.All()))
	}
}

// An exempt resource keeps its last compliance, SUPPRESSED with the
// exemption as note, and stays alive; back in scope it moves on.
func TestExempt(t *testing.T) {
	for _, withMemory := range []bool{true, false} {
		t.Run(fmt.Sprintf("memory=%v", withMemory), func(t *testing.T) {
			f := newFixture(t, policy.ModeReport, withMemory)
			f.flush(res("orders", plan.NonCompliant, plan.OutcomeRemediated))
			exempt := res("orders", plan.Exempt, plan.OutcomeNone, func(r *result.Resource) { r.Reason = "tagged forcessl:exempt=true" })
			f.now = start.Add(time.Hour)
			f.flush(exempt)
			d := f.finding("orders", "tls")
			if d.Compliance.Status != types.ComplianceStatusFailed || workflow(d) != types.WorkflowStatusSuppressed {
				t.Errorf("exempt: %s %s", d.Compliance.Status, workflow(d))
			}
			if d.Note == nil || !strings.Contains(aws.ToString(d.Note.Text), "tagged forcessl:exempt=true") || aws.ToString(d.Note.UpdatedBy) != "forcessl" {
				t.Errorf("note %+v", d.Note)
			}
			if d.ProductFields[asff.FieldStatus] != string(asff.Exempted) || aws.ToString(d.UpdatedAt) != f.now.Format(asff.Timestamp) {
				t.Errorf("status %s updated %s", d.ProductFields[asff.FieldStatus], aws.ToString(d.UpdatedAt))
			}

			f.sh.Reset()
			f.now = start.Add(2 * time.Hour)
			f.flush(exempt)
			if n := len(f.sh.Calls) - f.sh.Count("GetFindings"); n != 0 {
				t.Errorf("still exempt: %d writes (%v)", n, f.sh.Calls)
			}
			f.now = start.Add(31 * 24 * time.Hour)
			f.flush(exempt)
			if d := f.finding("orders", "tls"); aws.ToString(d.UpdatedAt) != f.now.Format(asff.Timestamp) || workflow(d) != types.WorkflowStatusSuppressed {
				t.Errorf("exempt finding not kept alive: updated %s, %s", aws.ToString(d.UpdatedAt), workflow(d))
			}

			f.now = start.Add(32 * 24 * time.Hour)
			f.flush(res("orders", plan.Compliant, plan.OutcomeNone))
			if d := f.finding("orders", "tls"); d.Compliance.Status != types.ComplianceStatusPassed || workflow(d) != types.WorkflowStatusResolved {
				t.Errorf("back in scope: %s %s", d.Compliance.Status, workflow(d))
			}
		})
	}
}

func TestExemptFromTheStartHasNoFinding(t *testing.T) {
	f := newFixture(t, policy.ModeEnforce, true)
	f.flush(res("orders", plan.Exempt, plan.OutcomeNone))
	if len(f.sh.All()) != 0 || len(f.sh.Calls) != 0 {
		t.Errorf("findings %d, calls %v", len(f.sh.All()), f.sh.Calls)
	}
}

// A check forcessl no longer makes, or a resource out of scope, is
// archived (RecordState is the provider's).
func TestArchive(t *testing.T) {
	f := newFixture(t, policy.ModeEnforce, true)
	withProfile := res("orders", plan.Compliant, plan.OutcomeNone, func(r *result.Resource) {
		r.Checks = []result.Check{{Name: result.CheckTLS, Passed: true}, {Name: result.CheckProfile, Detail: "rds.tls10 is on"}}
	})
	f.flush(withProfile)
	f.now = start.Add(time.Hour)
	f.flush(res("orders", plan.Compliant, plan.OutcomeNone))
	if d := f.finding("orders", "tls-profile"); d.RecordState != types.RecordStateArchived || f.finding("orders", "tls").RecordState != types.RecordStateActive {
		t.Errorf("profile %s", d.RecordState)
	}
	f.sh.Reset()
	f.now = start.Add(2 * time.Hour)
	f.flush(res("orders", plan.Compliant, plan.OutcomeNone))
	if n := f.sh.Count("BatchImportFindings"); n != 0 {
		t.Errorf("archived once: %d imports", n)
	}
	f.flush(res("orders", plan.OutOfScope, plan.OutcomeNone, func(r *result.Resource) { r.Reason = "engine sqlserver-se is not in FORCESSL_ENGINES" }))
	if d := f.finding("orders", "tls"); d.RecordState != types.RecordStateArchived || !strings.Contains(aws.ToString(d.Description), "FORCESSL_ENGINES") {
		t.Errorf("out of scope: %s %s", d.RecordState, aws.ToString(d.Description))
	}
	// A failed run's missing checks are not checks turned off.
	f.flush(withProfile)
	f.flush(res("orders", plan.NonCompliant, plan.OutcomeFailed, func(r *result.Resource) { r.Error = "throttled" }))
	if d := f.finding("orders", "tls-profile"); d.RecordState != types.RecordStateActive {
		t.Errorf("archived on a failed run")
	}
}

// What Security Hub refuses is not remembered, so it is sent again; no
// Security Hub error reaches the caller; "not enabled" is logged once, at
// info.
func TestNotEnabledAndRefusedImports(t *testing.T) {
	f := newFixture(t, policy.ModeEnforce, true)
	f.sh.Disabled = true
	r := res("orders", plan.NonCompliant, plan.OutcomeRemediated, remediated)
	st := f.flush(r)
	f.flush(r)
	if st.Failed != 1 || st.Imported != 0 || f.sh.Count("BatchImportFindings") != 2 {
		t.Errorf("stats %+v, imports %d: a refused finding is sent again", st, f.sh.Count("BatchImportFindings"))
	}
	if n := strings.Count(f.log.String(), "Security Hub is not enabled"); n != 1 || !strings.Contains(f.log.String(), `"level":"INFO"`) {
		t.Errorf("logged %d times:\n%s", n, f.log.String())
	}
	if strings.Contains(f.log.String(), `"level":"WARN"`) || strings.Contains(f.log.String(), `"level":"ERROR"`) {
		t.Errorf("Security Hub off is not a warning:\n%s", f.log.String())
	}
	m, _, _ := f.mem.Resource(context.Background(), key("orders"))
	if m.SecurityHub != nil {
		t.Errorf("mark %+v recorded for a refused import", m.SecurityHub)
	}

	f.sh.Disabled = false
	f.sh.FailNext["BatchImportFindings"] = fakeaws.APIError("ThrottlingException")
	f.flush(r)
	f.flush(r)
	if d := f.finding("orders", "tls"); d.Compliance.Status != types.ComplianceStatusFailed {
		t.Error("imported once the hub answered")
	}
	if m, _, _ := f.mem.Resource(context.Background(), key("orders")); m.SecurityHub == nil || !strings.Contains(m.SecurityHub.Fingerprint, "tls=fix-scheduled") {
		t.Errorf("mark %+v", m.SecurityHub)
	}
}

// When forcessl acts on an instance it notes it on AWS's control finding
// (either generator form), by forcessl, and changes nothing else there.
func TestControlFindingNotes(t *testing.T) {
	f := newFixture(t, policy.ModeEnforce, true)
	sql := f.sh.ControlFinding("RDS.41", "security-control/RDS.41", arn("orders"), types.ComplianceStatusFailed)
	pg := f.sh.ControlFinding("RDS.38", "aws-foundational-security-best-practices/v/1.0.0/RDS.38", arn("billing"), types.ComplianceStatusFailed)
	pg.Compliance.SecurityControlId = nil // findings without consolidation carry no control ID
	other := f.sh.ControlFinding("RDS.3", "security-control/RDS.3", arn("orders"), types.ComplianceStatusFailed)
	for _, d := range []types.AwsSecurityFinding{sql, pg, other} {
		f.sh.Put(d)
	}
	billing := res("billing", plan.NonCompliant, plan.OutcomeRemediated, remediated, func(r *result.Resource) { r.Engine = "postgres" })
	mysql := res("shop", plan.NonCompliant, plan.OutcomeRemediated, remediated, func(r *result.Resource) { r.Engine = "mysql" })
	f.flush(res("orders", plan.NonCompliant, plan.OutcomeRemediated, remediated), billing, mysql,
		res("quiet", plan.Compliant, plan.OutcomeNone, func(r *result.Resource) { r.Engine = "mariadb" }))

	for _, id := range []string{aws.ToString(sql.Id), aws.ToString(pg.Id)} {
		d, _ := f.sh.Finding(id)
		if d.Note == nil || aws.ToString(d.Note.UpdatedBy) != "forcessl" || !strings.Contains(aws.ToString(d.Note.Text), "2026-11-29T05:00:00Z") ||
			!strings.Contains(aws.ToString(d.Note.Text), "attach parameter group") {
			t.Errorf("%s note %+v", id, d.Note)
		}
		if d.Compliance.Status != types.ComplianceStatusFailed || workflow(d) != types.WorkflowStatusNew {
			t.Errorf("%s: the control's compliance and workflow are Security Hub's: %s %s", id, d.Compliance.Status, workflow(d))
		}
	}
	if d, _ := f.sh.Finding(aws.ToString(other.Id)); d.Note != nil {
		t.Error("another control's finding was annotated")
	}
	if !strings.Contains(f.log.String(), "no RDS.39 control finding") {
		t.Errorf("absent control finding not logged:\n%s", f.log.String())
	}
	for _, u := range f.sh.Updates {
		if u.Note != nil && u.Workflow != nil || u.Severity != nil || u.Types != nil || u.VerificationState != "" {
			t.Errorf("a control note changes nothing but the note: %+v", u)
		}
	}

	// Report mode never acts, so never annotates.
	r := newFixture(t, policy.ModeReport, false)
	r.sh.Put(sql)
	r.flush(res("orders", plan.NonCompliant, plan.OutcomeRemediated))
	if d, _ := r.sh.Finding(aws.ToString(sql.Id)); d.Note != nil {
		t.Error("report mode annotated a control finding")
	}
}

// The same update time twice would be ignored by Security Hub: a change
// made within the same millisecond still lands.
func TestAChangeAtTheSameInstantLands(t *testing.T) {
	f := newFixture(t, policy.ModeEnforce, false)
	f.flush(res("orders", plan.NonCompliant, plan.OutcomeRemediated, remediated))
	f.flush(res("orders", plan.Compliant, plan.OutcomeVerified))
	if d := f.finding("orders", "tls"); d.Compliance.Status != types.ComplianceStatusPassed || aws.ToString(d.UpdatedAt) != "2026-11-26T10:00:00.001Z" {
		t.Errorf("%s %s", d.Compliance.Status, aws.ToString(d.UpdatedAt))
	}
}

// Coverage gaps become findings in the central account: FAILED while an
// account and Region cannot be read, PASSED (RESOLVED) once it can;
// nothing for one that was always covered, nothing new when unchanged.
func TestCoverage(t *testing.T) {
	f := newFixture(t, policy.ModeReport, false)
	central := asff.Source{Account: account, Region: region}
	const member = "210987654321"
	gap := report.Item{Account: member, Region: "ap-east-1", NotCovered: true, Error: "AccessDenied: not authorized to perform sts:AssumeRole"}
	fine := report.Item{Account: account, Region: region}
	f.h.Coverage(context.Background(), f.sh, central, []report.Item{gap, fine}, f.logger())
	all := f.sh.All()
	if len(all) != 1 {
		t.Fatalf("%d coverage findings, want 1", len(all))
	}
	d := all[0]
	if aws.ToString(d.AwsAccountId) != account || aws.ToString(d.Resources[0].Id) != "AWS::::Account:"+member ||
		aws.ToString(d.Resources[0].Type) != "AwsAccount" || d.Compliance.Status != types.ComplianceStatusFailed {
		t.Errorf("coverage finding %+v", d)
	}
	f.sh.Reset()
	f.now = start.Add(time.Hour)
	f.h.Coverage(context.Background(), f.sh, central, []report.Item{gap, fine}, f.logger())
	if n := f.sh.Count("BatchImportFindings"); n != 0 {
		t.Errorf("unchanged gap imported again: %d", n)
	}
	gap.NotCovered, gap.Error = false, ""
	f.h.Coverage(context.Background(), f.sh, central, []report.Item{gap, fine}, f.logger())
	d, _ = f.sh.Finding(asff.CoverageID(member, "ap-east-1"))
	if d.Compliance.Status != types.ComplianceStatusPassed || workflow(d) != types.WorkflowStatusResolved {
		t.Errorf("covered again: %s %s", d.Compliance.Status, workflow(d))
	}
}

func mustJSON(d types.AwsSecurityFinding) []byte {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	return b
}
