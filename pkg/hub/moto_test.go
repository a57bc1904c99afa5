package hub_test

// End to end against moto: the real engine, wired by setup.New with
// FORCESSL_SECURITY_HUB=on, through the real SDK clients. moto implements
// BatchImportFindings and GetFindings (its GetFindings ignores filters, so
// findings are matched here by ID) but not BatchUpdateFindings (404): the
// workflow and control notes are tested against the fake (hub_test.go,
// engine_test.go).

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/apicount"
	"github.com/forcessl/forcessl/pkg/asff"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/dispatch"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/setup"
)

var moto *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, &moto) }

const functionARN = "arn:aws:lambda:us-east-1:123456789012:function:forcessl"

var motoNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// engine wires forcessl over moto with Security Hub on; opts can make it
// an audit (ReadOnly).
func engine(t *testing.T, vars map[string]string, calls *apicount.Counter, readOnly bool) *dispatch.Dispatcher {
	t.Helper()
	env := map[string]string{config.EnvSecurityHub: "on", config.EnvNoticeLead: "0",
		config.EnvSchedulerRoleARN: "arn:aws:iam::123456789012:role/forcessl-scheduler"}
	for k, v := range vars {
		env[k] = v
	}
	cfg, err := config.FromMap(env)
	if err != nil {
		t.Fatal(err)
	}
	awsCfg := moto.Config(t)
	awsCfg.APIOptions = append(awsCfg.APIOptions, calls.Middleware())
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return setup.New(cfg, log, setup.Options{AWS: func() (aws.Config, error) { return awsCfg, nil }, Metrics: io.Discard,
		Now: func() time.Time { return motoNow }, ReadOnly: readOnly})
}

// ownFindings are forcessl's findings in an account and Region of moto,
// by ID.
func ownFindings(t *testing.T, account, region string) map[string]types.AwsSecurityFinding {
	t.Helper()
	c := securityhub.NewFromConfig(moto.ConfigAs(t, account, region))
	out := map[string]types.AwsSecurityFinding{}
	p := securityhub.NewGetFindingsPaginator(c, &securityhub.GetFindingsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Findings {
			if strings.HasPrefix(aws.ToString(f.GeneratorId), asff.GeneratorPrefix) {
				out[aws.ToString(f.Id)] = f
			}
		}
	}
	return out
}

func instanceARN(t *testing.T, c *rds.Client, id string) string {
	t.Helper()
	out, err := c.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.DBInstances[0].DBInstanceArn)
}

func event(t *testing.T, d *dispatch.Dispatcher, eventID, id string) result.Resource {
	t.Helper()
	out, err := d.Invoke(context.Background(), fakeaws.InstanceEvent(mototest.Account, mototest.Region, eventID, id), functionARN)
	if err != nil {
		t.Fatal(err)
	}
	return fakeaws.Only(t, out)
}

// writes are the calls that change something, by service.
func writes(calls *apicount.Counter, service string) []string {
	var w []string
	for op, n := range calls.Snapshot() {
		name := op[strings.Index(op, ".")+1:]
		if strings.HasPrefix(op, service+".") && n > 0 && !strings.HasPrefix(name, "Describe") && !strings.HasPrefix(name, "Get") &&
			!strings.HasPrefix(name, "List") {
			w = append(w, op)
		}
	}
	return w
}

// Report mode changes nothing in RDS or Scheduler, and still reports:
// the non-compliant instance is a FAILED finding on its ARN.
func TestReportModeImportsAFailedFindingAndChangesNothing(t *testing.T) {
	moto.Reset(t)
	c := rds.NewFromConfig(moto.Config(t))
	def := mototest.CreateInstance(t, c, "orders-sql", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, c, def, "rds.force_ssl", "0", "static")
	calls := apicount.New()
	d := engine(t, map[string]string{config.EnvMode: "report"}, calls, false)

	ir := event(t, d, "RDS-EVENT-0005", "orders-sql")
	if ir.State != plan.NonCompliant {
		t.Fatalf("result %+v", ir)
	}
	if w := append(writes(calls, "RDS"), writes(calls, "Scheduler")...); len(w) != 0 {
		t.Errorf("report mode wrote %v", w)
	}
	arn := instanceARN(t, c, "orders-sql")
	f, ok := ownFindings(t, mototest.Account, mototest.Region)[asff.ID(arn, "tls")]
	if !ok {
		t.Fatalf("no tls finding for %s: %v", arn, calls.Snapshot())
	}
	if f.Compliance.Status != types.ComplianceStatusFailed || aws.ToString(f.Resources[0].Id) != arn ||
		aws.ToString(f.Resources[0].Type) != "AwsRdsDbInstance" || f.FindingProviderFields.Severity.Label != types.SeverityLabelHigh ||
		aws.ToString(f.AwsAccountId) != mototest.Account ||
		aws.ToString(f.ProductArn) != "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default" {
		t.Errorf("finding %+v", f)
	}
	if n := calls.Snapshot()["SecurityHub.BatchImportFindings"]; n != 1 {
		t.Errorf("%d imports, want 1", n)
	}
	t.Logf("report-mode event: %v", calls.Snapshot())

	// The same event again: nothing new (no state table: read first).
	calls.Reset()
	event(t, d, "RDS-EVENT-0005", "orders-sql")
	if n := calls.Snapshot()["SecurityHub.BatchImportFindings"]; n != 0 {
		t.Errorf("unchanged finding imported again: %v", calls.Snapshot())
	}
	t.Logf("the same event again: %v", calls.Snapshot())
}

// Enforce mode: remediated -> FAILED with the reboot time; after the
// restart, verified -> PASSED, on the same finding.
func TestEnforceFindingFollowsTheRemediation(t *testing.T) {
	moto.Reset(t)
	cfg := moto.Config(t)
	c := rds.NewFromConfig(cfg)
	if _, err := scheduler.NewFromConfig(cfg).CreateScheduleGroup(context.Background(), &scheduler.CreateScheduleGroupInput{Name: aws.String("forcessl")}); err != nil {
		t.Fatal(err)
	}
	def := mototest.CreateInstance(t, c, "orders-sql", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, c, def, "rds.force_ssl", "0", "static")
	calls := apicount.New()
	d := engine(t, map[string]string{config.EnvMode: "enforce"}, calls, false)

	ir := event(t, d, "RDS-EVENT-0005", "orders-sql")
	if ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("result %+v", ir)
	}
	arn := instanceARN(t, c, "orders-sql")
	id := asff.ID(arn, "tls")
	f := ownFindings(t, mototest.Account, mototest.Region)[id]
	if f.Compliance == nil || f.Compliance.Status != types.ComplianceStatusFailed ||
		f.ProductFields[asff.FieldRebootAt] != "2026-11-29T05:00:00Z" || f.ProductFields[asff.FieldStatus] != string(asff.Scheduled) {
		t.Fatalf("after remediation: %+v", f)
	}

	// The group waits for a restart (moto reports pending-reboot, as RDS
	// does); after it, the restart event verifies it.
	if _, err := c.RebootDBInstance(context.Background(), &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String("orders-sql")}); err != nil {
		t.Fatal(err)
	}
	ir = event(t, d, "RDS-EVENT-0006", "orders-sql")
	f = ownFindings(t, mototest.Account, mototest.Region)[id]
	if ir.State != plan.Compliant || f.Compliance.Status != types.ComplianceStatusPassed ||
		f.FindingProviderFields.Severity.Label != types.SeverityLabelInformational {
		t.Errorf("after verification: %s/%s, finding %s", ir.State, ir.Outcome, f.Compliance.Status)
	}
}

// A sweep of compliant instances imports them once; the second sweep
// imports nothing new, with or without the state table. The API calls are
// measured.
func TestSecondSweepImportsNothingNew(t *testing.T) {
	const n = 120
	for _, table := range []bool{false, true} {
		name := "no state table"
		if table {
			name = "state table"
		}
		t.Run(name, func(t *testing.T) {
			moto.Reset(t)
			cfg := moto.Config(t)
			c := rds.NewFromConfig(cfg)
			if _, err := c.CreateDBParameterGroup(context.Background(), &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("pg-secure"),
				DBParameterGroupFamily: aws.String("postgres16"), Description: aws.String("test")}); err != nil {
				t.Fatal(err)
			}
			mototest.SeedTLSParameter(t, c, "pg-secure", "rds.force_ssl", "1", "dynamic")
			for i := range n {
				mototest.CreateInstance(t, c, "pg-"+string(rune('a'+i/26))+string(rune('a'+i%26)), "postgres", "pg-secure", nil)
			}
			vars := map[string]string{config.EnvMode: "report"}
			if table {
				mototest.CreateStateTable(t, cfg, "forcessl-state")
				vars[config.EnvStateTable] = "forcessl-state"
			}
			calls := apicount.New()
			d := engine(t, vars, calls, false)
			if _, err := d.Sweeper.Start(context.Background(), functionARN); err != nil {
				t.Fatal(err)
			}
			first := calls.Snapshot()
			found := len(ownFindings(t, mototest.Account, mototest.Region)) // one per instance and check
			if found < n {
				t.Fatalf("%d findings after the first sweep, want at least %d", found, n)
			}
			if first["SecurityHub.BatchImportFindings"] != (found+99)/100 {
				t.Errorf("first sweep: %d imports for %d findings", first["SecurityHub.BatchImportFindings"], found)
			}
			calls.Reset()
			if _, err := d.Sweeper.Start(context.Background(), functionARN); err != nil {
				t.Fatal(err)
			}
			second := calls.Snapshot()
			if second["SecurityHub.BatchImportFindings"] != 0 || second["SecurityHub.BatchUpdateFindings"] != 0 {
				t.Errorf("second sweep sent %v", second)
			}
			if table && (second["DynamoDB.PutItem"] != 0 || second["DynamoDB.UpdateItem"] != 0) {
				t.Errorf("with the state table, the second sweep writes no mark: %v", second)
			}
			// GetFindings: with the state table only the sweep's coverage read
			// (one call against AWS; moto ignores its filters and pages
			// through every finding); without it, forcessl's findings are read
			// first too.
			t.Logf("%s, %d compliant instances, %d findings: first sweep %v", name, n, found, only(first, "SecurityHub", "DynamoDB"))
			t.Logf("%s, %d compliant instances, %d findings: second sweep %v", name, n, found, only(second, "SecurityHub", "DynamoDB"))
		})
	}
}

func only(calls map[string]int, services ...string) map[string]int {
	out := map[string]int{}
	for op, n := range calls {
		for _, s := range services {
			if strings.HasPrefix(op, s+".") {
				out[op] = n
			}
		}
	}
	return out
}

// An audit writes nothing at all: no Security Hub call.
func TestAuditWritesNothingToSecurityHub(t *testing.T) {
	moto.Reset(t)
	c := rds.NewFromConfig(moto.Config(t))
	def := mototest.CreateInstance(t, c, "orders-sql", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, c, def, "rds.force_ssl", "0", "static")
	calls := apicount.New()
	d := engine(t, map[string]string{config.EnvMode: "report"}, calls, true)
	if _, err := d.Sweeper.Start(context.Background(), functionARN); err != nil {
		t.Fatal(err)
	}
	if n := calls.Total("SecurityHub"); n != 0 || len(ownFindings(t, mototest.Account, mototest.Region)) != 0 {
		t.Errorf("an audit called Security Hub %d times: %v", n, calls.Snapshot())
	}
}

// A member account's findings are imported in the member account (the
// caller must be the findings' account), through its role; a member forcessl
// cannot read is a coverage finding in the central account.
func TestFindingsLandInTheResourcesAccount(t *testing.T) {
	moto.Reset(t)
	const member, unreachable = "210987654321", "333333333333"
	moto.Role(t, member, "forcessl-remediation")
	mc := rds.NewFromConfig(moto.ConfigAs(t, member, mototest.Region))
	def := mototest.CreateInstance(t, mc, "billing", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, mc, def, "rds.force_ssl", "0", "static")
	calls := apicount.New()
	d := engine(t, map[string]string{config.EnvMode: "report", config.EnvMemberRoleName: "forcessl-remediation",
		config.EnvAccounts: member + "," + unreachable}, calls, false)
	st, err := d.Sweeper.Start(context.Background(), functionARN)
	if err != nil {
		t.Fatal(err)
	}
	if st.Report.NotCovered() != 1 {
		t.Fatalf("report %+v", st.Report)
	}
	arn := instanceARN(t, mc, "billing")
	memberFindings := ownFindings(t, member, mototest.Region)
	f, ok := memberFindings[asff.ID(arn, "tls")]
	if !ok || aws.ToString(f.AwsAccountId) != member || !strings.Contains(aws.ToString(f.ProductArn), ":"+member+":product/"+member+"/default") {
		t.Errorf("member finding %+v (member account has %d findings)", f, len(memberFindings))
	}
	central := ownFindings(t, mototest.Account, mototest.Region)
	if _, leaked := central[asff.ID(arn, "tls")]; leaked {
		t.Error("a member's finding imported in the central account")
	}
	cov, ok := central[asff.CoverageID(unreachable, mototest.Region)]
	if !ok || cov.Compliance.Status != types.ComplianceStatusFailed || aws.ToString(cov.Resources[0].Id) != "AWS::::Account:"+unreachable {
		t.Errorf("coverage finding %+v (central has %d findings)", cov, len(central))
	}
}

// Off (the default) calls Security Hub not at all.
func TestOffCallsNothing(t *testing.T) {
	moto.Reset(t)
	c := rds.NewFromConfig(moto.Config(t))
	def := mototest.CreateInstance(t, c, "orders-sql", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, c, def, "rds.force_ssl", "0", "static")
	calls := apicount.New()
	d := engine(t, map[string]string{config.EnvMode: "report", config.EnvSecurityHub: "off"}, calls, false)
	event(t, d, "RDS-EVENT-0005", "orders-sql")
	if _, err := d.Sweeper.Start(context.Background(), functionARN); err != nil {
		t.Fatal(err)
	}
	if n := calls.Total("SecurityHub"); n != 0 || calls.Total("RDS") == 0 {
		t.Errorf("Security Hub off: %v", calls.Snapshot())
	}
}
