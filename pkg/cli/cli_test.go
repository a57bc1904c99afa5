package cli

// The commands end to end: the real engine, through the real SDK clients,
// against moto.

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/apicount"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/report"
)

var moto *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, &moto) }

// Thursday; the instances' window is Sunday 05:00-05:30 UTC.
var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

type run struct {
	code           int
	stdout, stderr string
	calls          map[string]int
}

// command runs the forcessl command with vars as its environment.
func command(t *testing.T, vars map[string]string, args ...string) run {
	t.Helper()
	calls := apicount.New()
	var stdout, stderr bytes.Buffer
	env := Env{
		Getenv: func(k string) string { return vars[k] }, Stdout: &stdout, Stderr: &stderr, Now: func() time.Time { return now },
		LoadAWS: func(context.Context) (aws.Config, error) {
			cfg := moto.Config(t)
			cfg.APIOptions = append(cfg.APIOptions, calls.Middleware())
			return cfg, nil
		},
	}
	code := Main(context.Background(), args, env)
	return run{code, stdout.String(), stderr.String(), calls.Snapshot()}
}

// estate: one non-compliant SQL Server instance on its default group, one
// compliant PostgreSQL instance, one exempt instance.
func estate(t *testing.T) {
	t.Helper()
	moto.Reset(t)
	c := rds.NewFromConfig(moto.Config(t))
	def := mototest.CreateInstance(t, c, "orders", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, c, def, "rds.force_ssl", "0", "static")
	if _, err := c.CreateDBParameterGroup(context.Background(), &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("pg-secure"),
		DBParameterGroupFamily: aws.String("postgres16"), Description: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	mototest.SeedTLSParameter(t, c, "pg-secure", "rds.force_ssl", "1", "dynamic")
	mototest.CreateInstance(t, c, "ledger", "postgres", "pg-secure", nil)
	mototest.CreateInstance(t, c, "legacy", "sqlserver-se", "", map[string]string{"forcessl:exempt": "true"})
	// A compliant Aurora cluster: it and not its two members is a resource.
	mototest.EnsureClusterGroup(t, c, "aurora-secure", "aurora-postgresql15")
	mototest.SeedClusterParameter(t, c, "aurora-secure", "rds.force_ssl", "1", "static", "0,1")
	mototest.CreateCluster(t, c, "payments", "aurora-postgresql", "15.4", "aurora-secure", 2, nil)
}

// An audit lists every resource with its state, compliant ones included,
// and writes nothing anywhere, even with an enforcing configuration and a
// topic set.
func TestAuditListsEveryResourceAndWritesNothing(t *testing.T) {
	estate(t)
	vars := map[string]string{config.EnvMode: "enforce", config.EnvTopicARN: "arn:aws:sns:us-east-1:123456789012:forcessl",
		config.EnvSweepQueueURL: "https://sqs.us-east-1.amazonaws.com/123456789012/sweep"}
	r := command(t, vars, "audit", "--format", "json", "--accounts", mototest.Account, "--regions", mototest.Region)
	if r.code != ExitFindings {
		t.Fatalf("exit %d, want %d (a non-compliant instance); stderr:\n%s", r.code, ExitFindings, r.stderr)
	}
	for op := range r.calls {
		if name := op[strings.Index(op, ".")+1:]; !strings.HasPrefix(name, "Describe") && !strings.HasPrefix(name, "List") && !strings.HasPrefix(name, "Get") {
			t.Errorf("audit called %s", op)
		}
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	states := map[string]report.Bucket{}
	for _, it := range rep.Items {
		for _, f := range it.Resources {
			states[f.Instance] = f.Bucket
		}
	}
	want := map[string]report.Bucket{"orders": report.NonCompliant, "ledger": report.Compliant, "legacy": report.Exempt, "payments": report.Compliant}
	for id, b := range want {
		if states[id] != b {
			t.Errorf("%s is %q in the audit, want %q (all: %v)", id, states[id], b, states)
		}
	}
	if len(states) != 4 {
		t.Errorf("resources %v: cluster members are not resources of their own", states)
	}
	if rep.Mode != "report" || rep.Items[0].Counts[report.Compliant] != 2 {
		t.Errorf("mode %s counts %v", rep.Mode, rep.Items[0].Counts)
	}
	if k := rep.Items[0].Kinds; k[plan.KindInstance] != 3 || k[plan.KindCluster] != 1 {
		t.Errorf("counts per type %v", k)
	}
}

func TestAuditCSVToFile(t *testing.T) {
	estate(t)
	out := filepath.Join(t.TempDir(), "tls.csv")
	r := command(t, nil, "audit", "--format", "csv", "--output", out)
	if r.code != ExitFindings || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var resources, summaries int
	for _, row := range rows[1:] {
		switch row[0] {
		case "resource":
			resources++
		case "summary":
			summaries++
		}
	}
	if resources != 4 || summaries != 1 {
		t.Errorf("%d resource rows and %d summary rows, want 4 and 1:\n%v", resources, summaries, rows)
	}
	if strings.Contains(r.stderr, "\r") {
		t.Error("progress shown on a non-terminal")
	}
}

func TestAuditOfACompliantEstateExitsZero(t *testing.T) {
	estate(t)
	c := rds.NewFromConfig(moto.Config(t))
	if _, err := c.DeleteDBInstance(context.Background(), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("orders"),
		SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if r := command(t, nil, "audit"); r.code != ExitOK || !strings.Contains(r.stdout, "Every resource in scope enforces TLS") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestExplain(t *testing.T) {
	estate(t)
	r := command(t, map[string]string{config.EnvMode: "enforce"}, "explain", "--account", mototest.Account, "--region", mototest.Region, "orders")
	if r.code != ExitFindings {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"State:    non-compliant", "rds.force_ssl is 0", "Enforce mode would:", "1. create parameter group forcessl-",
		"3. attach parameter group", "Reboot:   Sun 2026-11-29 05:00 UTC, the start of the maintenance window sun:05:00-sun:05:30"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, r.stdout)
		}
	}
	for op := range r.calls {
		if name := op[strings.Index(op, ".")+1:]; !strings.HasPrefix(name, "Describe") && !strings.HasPrefix(name, "List") && !strings.HasPrefix(name, "Get") {
			t.Errorf("explain called %s", op)
		}
	}
	if r := command(t, nil, "explain", "--account", mototest.Account, "--region", mototest.Region, "ledger"); r.code != ExitOK ||
		!strings.Contains(r.stdout, "Enforce mode would change nothing.") {
		t.Errorf("compliant: exit %d\n%s", r.code, r.stdout)
	}
	// A name that does not exist is not a clean bill of health.
	if r := command(t, nil, "explain", "--account", mototest.Account, "--region", mototest.Region, "ordres"); r.code != ExitUsage {
		t.Errorf("a missing instance: exit %d\n%s", r.code, r.stdout)
	}
	// A cluster, by its name or through one of its members.
	for _, args := range [][]string{{"--cluster", "payments"}, {"payments-2"}} {
		r := command(t, nil, append([]string{"explain", "--account", mototest.Account, "--region", mototest.Region}, args...)...)
		if r.code != ExitOK || !strings.Contains(r.stdout, "DB cluster payments in") || !strings.Contains(r.stdout, "payments-1 (writer)") {
			t.Errorf("explain %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestUsageAndHelp(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{nil, ExitUsage, "Usage:"},
		{[]string{"help"}, ExitOK, "Exit codes"},
		{[]string{"frobnicate"}, ExitUsage, "unknown command"},
		{[]string{"audit", "--help"}, ExitOK, "writes nothing anywhere"},
		{[]string{"audit", "--format", "xml"}, ExitUsage, `--format: "xml" is not one of table, json, csv, html, ocsf`},
		{[]string{"sweep"}, ExitUsage, "needs --mode"},
		{[]string{"replay"}, ExitUsage, "one event file"},
		{[]string{"explain"}, ExitUsage, "one instance"},
		{[]string{"probe"}, ExitUsage, "one HOST:PORT"},
		{[]string{"help"}, ExitOK, "forcessl probe"},
		{[]string{"sweep", "--mode", "fix"}, ExitUsage, `--mode: "fix" is not one of report, enforce`},
	} {
		r := command(t, nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
			t.Errorf("%v: exit %d, output %q; want %d mentioning %q", tt.args, r.code, r.stdout+r.stderr, tt.code, tt.want)
		}
	}
}

func TestReplayIgnoredEventCostsNoCall(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ec2.json")
	if err := os.WriteFile(file, []byte(`{"source":"aws.ec2","detail-type":"x","detail":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := command(t, nil, "replay", file)
	if r.code != ExitOK || !strings.Contains(r.stdout, `"ignored"`) || len(r.calls) != 0 {
		t.Errorf("exit %d calls %v\n%s", r.code, r.calls, r.stdout)
	}
}

// An account whose remediation role does not exist (deleted, or never
// deployed there) is not covered: the audit says so and exits 1; it never
// shows up as an account with nothing in it.
func TestAuditReportsAnAccountItCannotRead(t *testing.T) {
	estate(t)
	const member = "210987654321"
	r := command(t, map[string]string{config.EnvMemberRoleName: "forcessl-remediation"},
		"audit", "--accounts", mototest.Account+","+member, "--regions", mototest.Region)
	if r.code != ExitFindings || !strings.Contains(r.stdout, "NOT COVERED") || !strings.Contains(r.stdout, member) ||
		!strings.Contains(r.stdout, "AccessDenied") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// With the role in place, the account is covered.
	moto.Role(t, member, "forcessl-remediation")
	r = command(t, map[string]string{config.EnvMemberRoleName: "forcessl-remediation"},
		"audit", "--format", "json", "--accounts", mototest.Account+","+member, "--regions", mototest.Region)
	if strings.Contains(r.stdout, `"notCovered": true`) {
		t.Errorf("covered once the role exists:\n%s", r.stdout)
	}
}

// history prints what forcessl decided and did, from the state table,
// following the resource through a rename.
func TestHistory(t *testing.T) {
	estate(t)
	mototest.CreateStateTable(t, moto.Config(t), "forcessl-state")
	vars := map[string]string{config.EnvMode: "enforce", config.EnvStateTable: "forcessl-state",
		config.EnvSchedulerRoleARN: "arn:aws:iam::123456789012:role/s", config.EnvFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f"}
	event := filepath.Join(t.TempDir(), "created.json")
	payload := `{"version":"0","id":"ev-42","detail-type":"RDS DB Instance Event","source":"aws.rds","account":"123456789012","region":"us-east-1",
		"detail":{"SourceArn":"arn:aws:rds:us-east-1:123456789012:db:orders","EventID":"RDS-EVENT-0005"}}`
	if err := os.WriteFile(event, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := scheduler.NewFromConfig(moto.Config(t)).CreateScheduleGroup(context.Background(),
		&scheduler.CreateScheduleGroupInput{Name: aws.String("forcessl")}); err != nil {
		t.Fatal(err)
	}
	if r := command(t, vars, "replay", event); r.code != ExitOK || !strings.Contains(r.stdout, `"outcome": "remediated"`) {
		t.Fatalf("replay: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := command(t, vars, "history", "--account", mototest.Account, "--region", mototest.Region, "orders")
	if r.code != ExitOK || !strings.Contains(r.stdout, "remediated") || !strings.Contains(r.stdout, "RDS-EVENT-0005 (event ev-42)") ||
		!strings.Contains(r.stdout, "did: create parameter group") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The audit's evidence: every resource with the time it entered its state.
	r = command(t, map[string]string{config.EnvStateTable: "forcessl-state"}, "audit", "--format", "json")
	if !strings.Contains(r.stdout, `"since"`) || !strings.Contains(r.stdout, `"lastAction": "create parameter group`) {
		t.Errorf("the audit must carry the state's first-seen time and the last action:\n%s", r.stdout)
	}
	// A cluster's history, after an event about it.
	clusterEvent := filepath.Join(t.TempDir(), "cluster.json")
	if err := os.WriteFile(clusterEvent, []byte(`{"version":"0","id":"ev-43","detail-type":"RDS DB Cluster Event","source":"aws.rds",
		"account":"123456789012","region":"us-east-1","detail":{"SourceArn":"arn:aws:rds:us-east-1:123456789012:cluster:payments","EventID":"RDS-EVENT-0170"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := command(t, vars, "replay", clusterEvent); r.code != ExitOK {
		t.Fatalf("replay: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := command(t, vars, "history", "--cluster", "--account", mototest.Account, "--region", mototest.Region, "payments"); r.code != ExitOK ||
		!strings.Contains(r.stdout, "compliant") || !strings.Contains(r.stdout, "RDS-EVENT-0170") {
		t.Errorf("cluster history: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := command(t, nil, "history", "orders"); r.code != ExitUsage || !strings.Contains(r.stderr, "FORCESSL_STATE_TABLE") {
		t.Errorf("without a table: exit %d %s", r.code, r.stderr)
	}
}

// The HTML and OCSF renderings come out of the same audit, through the SDK
// clients: the page carries every resource with the engine and group read
// from RDS; OCSF has one finding per judged resource and check (the exempt
// instance has none).
func TestAuditHTMLAndOCSF(t *testing.T) {
	estate(t)
	out := filepath.Join(t.TempDir(), "report.html")
	r := command(t, nil, "audit", "--format", "html", "--output", out, "--accounts", mototest.Account, "--regions", mototest.Region)
	if r.code != ExitFindings || r.stdout != "" {
		t.Fatalf("html: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!DOCTYPE html>", `"orders"`, `"payments"`, `"sqlserver-se"`, `"aurora-postgresql"`, `"pg-secure"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the page lacks %s", want)
		}
	}

	r = command(t, nil, "audit", "--format", "ocsf", "--accounts", mototest.Account, "--regions", mototest.Region)
	if r.code != ExitFindings {
		t.Fatalf("ocsf: exit %d, stderr %s", r.code, r.stderr)
	}
	checks := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var rec struct {
			ClassUID   int `json:"class_uid"`
			Compliance struct {
				Control string `json:"control"`
				Status  string `json:"status"`
			} `json:"compliance"`
			Resource struct {
				Name string `json:"name"`
				UID  string `json:"uid"`
			} `json:"resource"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.ClassUID != 2003 {
			t.Fatalf("not a Compliance Finding (%v): %s", err, line)
		}
		checks[rec.Resource.Name+"/"+rec.Compliance.Control] = rec.Compliance.Status
	}
	if checks["orders/tls"] != "Fail" || checks["ledger/tls"] != "Pass" || checks["payments/tls"] != "Pass" {
		t.Errorf("findings by resource/check: %v", checks)
	}
	for k := range checks {
		if strings.HasPrefix(k, "legacy/") {
			t.Errorf("the exempt instance has a finding: %s", k)
		}
	}
}
