package reconcile_test

// Integration tests: the real engine, through the real SDK clients, against
// moto, which reports parameter apply statuses as RDS does (pending-reboot
// until a reboot: internal/mototest/moto_server.py; the whole lifecycle is
// apply_moto_test.go). What moto does not model (PendingModifiedValues,
// busy instances) is covered with the in-process fakes of internal/fakeaws
// (lifecycle_test.go, memory_test.go, cluster_test.go, posture_test.go).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/apicount"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/dispatch"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/setup"
	"github.com/forcessl/forcessl/pkg/state"
)

var moto *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, &moto) }

const (
	functionARN = "arn:aws:lambda:us-east-1:123456789012:function:forcessl"
	roleARN     = "arn:aws:iam::123456789012:role/forcessl-scheduler"
)

// Thursday; the instances' window is Sunday 05:00-05:30 UTC.
var (
	now        = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	nextWindow = time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC)
)

type env struct {
	t     *testing.T
	rds   *rds.Client
	sched *scheduler.Client
	inbox *mototest.Inbox
	calls *apicount.Counter
	cfg   config.Config
	aws   aws.Config
	d     *dispatch.Dispatcher
}

func newEnv(t *testing.T, mode policy.Mode, extra ...string) *env {
	moto.Reset(t)
	awsCfg := moto.Config(t)
	e := &env{t: t, rds: rds.NewFromConfig(awsCfg), sched: scheduler.NewFromConfig(awsCfg), calls: apicount.New()}
	if _, err := e.sched.CreateScheduleGroup(context.Background(), &scheduler.CreateScheduleGroupInput{Name: aws.String("forcessl")}); err != nil {
		t.Fatal(err)
	}
	e.inbox = mototest.NewInbox(t, awsCfg)
	vars := map[string]string{
		config.EnvMode: string(mode), config.EnvSchedulerRoleARN: roleARN,
		config.EnvTopicARN: e.inbox.TopicARN, config.EnvScheduleGroup: "forcessl",
		config.EnvNoticeLead: "0", // a reboot is one schedule here; notice_test.go turns it on
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	var err error
	if e.cfg, err = config.FromMap(vars); err != nil {
		t.Fatal(err)
	}
	e.aws = awsCfg.Copy()
	e.aws.APIOptions = append(e.aws.APIOptions, e.calls.Middleware())
	e.d = e.engine()
	return e
}

// engine wires a fresh engine (its own locks and client caches) over the
// same moto, as a separate Lambda environment would be.
func (e *env) engine() *dispatch.Dispatcher {
	return setup.New(e.cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), setup.Options{
		AWS: func() (aws.Config, error) { return e.aws, nil }, Now: func() time.Time { return now }})
}

func (e *env) invoke(payload []byte) (any, error) {
	return e.d.Invoke(context.Background(), payload, functionARN)
}

// handle sends one event file from events/ with the instance name replaced.
func (e *env) handle(file, instance string) result.Result {
	e.t.Helper()
	b, err := os.ReadFile("../../events/" + file)
	if err != nil {
		e.t.Fatal(err)
	}
	payload := strings.ReplaceAll(string(b), "orders-sql", instance)
	payload = strings.ReplaceAll(payload, "shared-sqlserver", instance)
	out, err := e.invoke([]byte(payload))
	if err != nil {
		e.t.Fatalf("Invoke: %v", err)
	}
	return out.(result.Result)
}

func (e *env) instanceGroup(id string) string {
	e.t.Helper()
	out, err := e.rds.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.DBInstances[0].DBParameterGroups[0].DBParameterGroupName)
}

func (e *env) resourceID(id string) string {
	e.t.Helper()
	out, err := e.rds.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.DBInstances[0].DbiResourceId)
}

func (e *env) params(group string) map[string]rdstypes.Parameter {
	e.t.Helper()
	out, err := e.rds.DescribeDBParameters(context.Background(), &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String(group)})
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string]rdstypes.Parameter{}
	for _, p := range out.Parameters {
		m[aws.ToString(p.ParameterName)] = p
	}
	return m
}

func (e *env) groups() []string {
	e.t.Helper()
	out, err := e.rds.DescribeDBParameterGroups(context.Background(), &rds.DescribeDBParameterGroupsInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, g := range out.DBParameterGroups {
		if paramgroup.IsOurs(aws.ToString(g.DBParameterGroupName)) {
			names = append(names, aws.ToString(g.DBParameterGroupName))
		}
	}
	return names
}

func (e *env) schedules() []string {
	e.t.Helper()
	out, err := e.sched.ListSchedules(context.Background(), &scheduler.ListSchedulesInput{GroupName: aws.String("forcessl")})
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, s := range out.Schedules {
		names = append(names, aws.ToString(s.Name))
	}
	return names
}

// writes counts calls that change something.
func (e *env) writes() int {
	n := 0
	for op, c := range e.calls.Snapshot() {
		name := op[strings.Index(op, ".")+1:]
		if !strings.HasPrefix(name, "Describe") && !strings.HasPrefix(name, "Get") && !strings.HasPrefix(name, "List") && name != "Publish" {
			n += c
		}
	}
	return n
}

type snsEnvelope struct {
	Subject           string
	Message           string
	MessageAttributes map[string]struct{ Value string }
}

func (e *env) notices() []snsEnvelope {
	e.t.Helper()
	var out []snsEnvelope
	for _, b := range e.inbox.Drain(e.t) {
		var m snsEnvelope
		if err := json.Unmarshal([]byte(b), &m); err != nil {
			e.t.Fatalf("SNS envelope: %v", err)
		}
		out = append(out, m)
	}
	return out
}

func memberRDS(t *testing.T, account string) *rds.Client {
	return rds.NewFromConfig(moto.ConfigAs(t, account, mototest.Region))
}

func memberEvent(account, instance string) []byte {
	return []byte(fmt.Sprintf(`{"version":"0","id":"m1","detail-type":"RDS DB Instance Event","source":"aws.rds","account":"%[1]s",
		"region":"us-east-1","detail":{"SourceArn":"arn:aws:rds:us-east-1:%[1]s:db:%[2]s","EventID":"RDS-EVENT-0005"}}`, account, instance))
}

func TestMemberAccountIsRemediatedThroughItsRole(t *testing.T) {
	const member = "210987654321"
	e := newEnv(t, policy.ModeEnforce, config.EnvMemberRoleName, "forcessl-remediation")
	moto.Role(t, member, "forcessl-remediation")
	m := memberRDS(t, member)
	def := mototest.CreateInstance(t, m, "payroll", "sqlserver-ex", "", nil)
	mototest.SeedTLSParameter(t, m, def, "rds.force_ssl", "0", "static")
	e.calls.Reset()

	res, err := e.invoke(memberEvent(member, "payroll"))
	if err != nil {
		t.Fatal(err)
	}
	if ir := only(t, res); ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("%+v", ir)
	}
	c := e.calls.Snapshot()
	// The own account comes from the function ARN: no identity lookup.
	if c["STS.AssumeRole"] != 1 || c["STS.GetCallerIdentity"] != 0 {
		t.Errorf("want one role assumption and no identity lookup, calls %v", c)
	}
	out, err := m.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("payroll")})
	if err != nil {
		t.Fatal(err)
	}
	if g := aws.ToString(out.DBInstances[0].DBParameterGroups[0].DBParameterGroupName); !paramgroup.IsOurs(g) {
		t.Errorf("member instance still on %s", g)
	}
	if got := e.groups(); len(got) != 0 {
		t.Errorf("groups created in the central account: %v", got)
	}
	// Schedules and messages stay central and name the member account.
	s, err := e.sched.GetSchedule(context.Background(), &scheduler.GetScheduleInput{GroupName: aws.String("forcessl"),
		Name: aws.String(plan.ScheduleName(member, "us-east-1", aws.ToString(out.DBInstances[0].DbiResourceId), nextWindow, request.TriggerReboot))})
	if err != nil {
		t.Fatalf("central schedule: %v", err)
	}
	if in := aws.ToString(s.Target.Input); !strings.Contains(in, `"account":"`+member+`"`) {
		t.Errorf("scheduled action does not carry the member account: %s", in)
	}
	msgs := e.notices()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Subject, member) || msgs[0].MessageAttributes["account"].Value != member {
		t.Errorf("notifications %+v", msgs)
	}

	// A second event reuses the cached credentials.
	e.calls.Reset()
	if _, err := e.invoke(memberEvent(member, "payroll")); err != nil {
		t.Fatal(err)
	}
	if c := e.calls.Snapshot(); c["STS.AssumeRole"]+c["STS.GetCallerIdentity"] != 0 {
		t.Errorf("credentials not cached: %v", c)
	}
}

// Without a member role, an event from another account is refused, never
// handled with the function's own credentials on a same-named instance.
func TestSingleAccountRefusesOtherAccounts(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce)
	def := mototest.CreateInstance(t, e.rds, "payroll", "sqlserver-ex", "", nil)
	mototest.SeedTLSParameter(t, e.rds, def, "rds.force_ssl", "0", "static")
	e.calls.Reset()
	res, err := e.invoke(memberEvent("210987654321", "payroll"))
	if err != nil {
		t.Fatal(err)
	}
	if ir := only(t, res); ir.Outcome != plan.OutcomeRefused || !strings.Contains(ir.Reason, "FORCESSL_MEMBER_ROLE_NAME") {
		t.Fatalf("%+v", ir)
	}
	if e.calls.Total("RDS") != 0 || e.instanceGroup("payroll") != def {
		t.Errorf("the local same-named instance was touched: %v", e.calls.Snapshot())
	}
}

func TestAccountOutsideAllowListIsRefused(t *testing.T) {
	const member = "210987654321"
	e := newEnv(t, policy.ModeEnforce, config.EnvMemberRoleName, "forcessl-remediation", config.EnvAccounts, "123456789012,555555555555")
	m := memberRDS(t, member)
	def := mototest.CreateInstance(t, m, "payroll", "sqlserver-ex", "", nil)
	mototest.SeedTLSParameter(t, m, def, "rds.force_ssl", "0", "static")
	e.calls.Reset()

	res, err := e.invoke(memberEvent(member, "payroll"))
	if err != nil {
		t.Fatal(err)
	}
	ir := only(t, res)
	if ir.Outcome != plan.OutcomeRefused || !strings.Contains(ir.Reason, "FORCESSL_ACCOUNTS") {
		t.Fatalf("%+v", ir)
	}
	if n := e.calls.Total("RDS") + e.calls.Snapshot()["STS.AssumeRole"]; n != 0 {
		t.Errorf("a refused account was touched: %v", e.calls.Snapshot())
	}
	msgs := e.notices()
	if len(msgs) != 1 || msgs[0].MessageAttributes["outcome"].Value != "refused" {
		t.Errorf("refusal not notified: %+v", msgs)
	}
}

func only(t *testing.T, res any) result.Resource { t.Helper(); return fakeaws.Only(t, res) }

func TestDefaultGroupRemediation(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce)
	def := mototest.CreateInstance(t, e.rds, "orders-sql", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, e.rds, def, "rds.force_ssl", "0", "static")
	e.calls.Reset()

	ir := only(t, e.handle("instance-created.json", "orders-sql"))
	if ir.Outcome != plan.OutcomeRemediated || ir.RebootAt == nil || !ir.RebootAt.Equal(nextWindow) {
		t.Fatalf("result %+v", ir)
	}
	// Measured cost: 7 calls, plus the ListSchedules that finds the
	// resource's schedules by name prefix (issue 10: never by conflict).
	if total := e.calls.Total(); total > 8 {
		t.Errorf("%d API calls (%v), want <= 8", total, e.calls.Snapshot())
	}
	t.Logf("default-group remediation: %d calls %v", e.calls.Total(), e.calls.Snapshot())

	target := paramgroup.CompliantName(def)
	if got := e.instanceGroup("orders-sql"); got != target {
		t.Fatalf("instance uses %s, want %s", got, target)
	}
	p := e.params(target)["rds.force_ssl"]
	if aws.ToString(p.ParameterValue) != "1" || p.ApplyMethod != rdstypes.ApplyMethodPendingReboot {
		t.Errorf("rds.force_ssl in %s = %q (%s)", target, aws.ToString(p.ParameterValue), p.ApplyMethod)
	}
	pg, err := e.rds.DescribeDBParameterGroups(context.Background(), &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String(target)})
	if err != nil {
		t.Fatal(err)
	}
	if fam := aws.ToString(pg.DBParameterGroups[0].DBParameterGroupFamily); "default."+fam != def {
		t.Errorf("family %s does not match default group %s", fam, def)
	}
	tags, err := e.rds.ListTagsForResource(context.Background(), &rds.ListTagsForResourceInput{ResourceName: pg.DBParameterGroups[0].DBParameterGroupArn})
	if err != nil {
		t.Fatal(err)
	}
	gotTags := map[string]string{}
	for _, tg := range tags.TagList {
		gotTags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	if gotTags[paramgroup.TagManagedBy] != "forcessl" || gotTags[paramgroup.TagSourceGroup] != def {
		t.Errorf("tags %v", gotTags)
	}

	name := plan.ScheduleName(mototest.Account, mototest.Region, e.resourceID("orders-sql"), nextWindow, request.TriggerReboot)
	s, err := e.sched.GetSchedule(context.Background(), &scheduler.GetScheduleInput{Name: aws.String(name), GroupName: aws.String("forcessl")})
	if err != nil {
		t.Fatalf("schedule %s: %v", name, err)
	}
	if got := aws.ToString(s.ScheduleExpression); got != "at(2026-11-29T05:00:00)" || aws.ToString(s.ScheduleExpressionTimezone) != "UTC" {
		t.Errorf("schedule expression %s %s", got, aws.ToString(s.ScheduleExpressionTimezone))
	}
	if string(s.ActionAfterCompletion) != "DELETE" || aws.ToString(s.Target.Arn) != functionARN || aws.ToString(s.Target.RoleArn) != roleARN {
		t.Errorf("schedule %+v", s)
	}
	if in := aws.ToString(s.Target.Input); !strings.Contains(in, `"action":"reboot"`) || !strings.Contains(in, `"instance":"orders-sql"`) {
		t.Errorf("schedule input %s", in)
	}

	msgs := e.notices()
	if len(msgs) != 1 {
		t.Fatalf("%d notifications, want 1", len(msgs))
	}
	m := msgs[0]
	if !strings.Contains(m.Subject, "orders-sql") || !strings.Contains(m.Subject, mototest.Account) || !strings.Contains(m.Subject, mototest.Region) || len(m.Subject) >= 100 {
		t.Errorf("subject %q", m.Subject)
	}
	if m.MessageAttributes["outcome"].Value != "remediated" || m.MessageAttributes["account"].Value != mototest.Account || m.MessageAttributes["severity"].Value == "" {
		t.Errorf("attributes %+v", m.MessageAttributes)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(m.Message), &rec); err != nil || rec["rebootAt"] != "2026-11-29T05:00:00Z" {
		t.Errorf("SQS record %s (%v)", m.Message, err)
	}
}

func TestCustomGroupKeepsEveryCustomParameter(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce)
	ctx := context.Background()
	_, err := e.rds.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("app-params"),
		DBParameterGroupFamily: aws.String("sqlserver-se-15.0"), Description: aws.String("owner's settings")})
	if err != nil {
		t.Fatal(err)
	}
	custom := map[string]string{"max degree of parallelism": "4", "cost threshold for parallelism": "50",
		"optimize for ad hoc workloads": "1", "contained database authentication": "1", "remote access": "0"}
	var params []rdstypes.Parameter
	for k, v := range custom {
		params = append(params, rdstypes.Parameter{ParameterName: aws.String(k), ParameterValue: aws.String(v),
			ApplyMethod: rdstypes.ApplyMethodImmediate, Source: aws.String("user")})
	}
	if _, err := e.rds.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String("app-params"), Parameters: params}); err != nil {
		t.Fatal(err)
	}
	mototest.SeedTLSParameter(t, e.rds, "app-params", "rds.force_ssl", "0", "static")
	mototest.CreateInstance(t, e.rds, "billing", "sqlserver-ee", "app-params", nil)
	e.calls.Reset()

	ir := only(t, e.handle("cloudtrail-create-db-instance.json", "billing"))
	if ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("%+v", ir)
	}
	t.Logf("custom-group remediation: %d calls %v", e.calls.Total(), e.calls.Snapshot())
	if e.calls.Snapshot()["RDS.CopyDBParameterGroup"] != 1 || e.calls.Snapshot()["RDS.CreateDBParameterGroup"] != 0 {
		t.Errorf("a custom group must be copied, calls %v", e.calls.Snapshot())
	}
	if got := e.instanceGroup("billing"); got != "forcessl-app-params" {
		t.Fatalf("instance uses %s", got)
	}
	got := e.params("forcessl-app-params")
	for k, v := range custom {
		if aws.ToString(got[k].ParameterValue) != v {
			t.Errorf("custom parameter %q = %q in the copy, want %q", k, aws.ToString(got[k].ParameterValue), v)
		}
	}
	if aws.ToString(got["rds.force_ssl"].ParameterValue) != "1" {
		t.Errorf("rds.force_ssl not set in the copy")
	}
	if aws.ToString(e.params("app-params")["rds.force_ssl"].ParameterValue) != "0" {
		t.Errorf("the owner's group must not be modified")
	}
}

func TestCompliantCustomGroupCostsTwoRDSCalls(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce)
	ctx := context.Background()
	if _, err := e.rds.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("pg-secure"),
		DBParameterGroupFamily: aws.String("postgres16"), Description: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	mototest.SeedTLSParameter(t, e.rds, "pg-secure", "rds.force_ssl", "1", "dynamic")
	mototest.CreateInstance(t, e.rds, "ledger", "postgres", "pg-secure", nil)
	e.calls.Reset()

	ir := only(t, e.handle("instance-created.json", "ledger"))
	if ir.State != plan.Compliant || ir.Outcome != plan.OutcomeNone {
		t.Fatalf("%+v", ir)
	}
	if n := e.calls.Total("RDS"); n != 2 {
		t.Errorf("%d RDS calls for a compliant instance (%v), want 2", n, e.calls.Snapshot())
	}
	if e.calls.Total() != 2 || len(e.notices()) != 0 {
		t.Errorf("a compliant instance must cost no write and no message: %v", e.calls.Snapshot())
	}
}

func TestExemptInstanceIsNeverTouched(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce)
	def := mototest.CreateInstance(t, e.rds, "legacy", "sqlserver-web", "", map[string]string{"forcessl:exempt": "true"})
	mototest.SeedTLSParameter(t, e.rds, def, "rds.force_ssl", "0", "static")
	e.calls.Reset()

	ir := only(t, e.handle("instance-created.json", "legacy"))
	if ir.State != plan.Exempt {
		t.Fatalf("%+v", ir)
	}
	if e.writes() != 0 || e.calls.Total() != 1 || e.instanceGroup("legacy") != def || len(e.groups()) != 0 || len(e.notices()) != 0 {
		t.Errorf("exempt instance touched: calls %v", e.calls.Snapshot())
	}
}

func TestReportModeWritesNothing(t *testing.T) {
	e := newEnv(t, policy.ModeReport)
	def := mototest.CreateInstance(t, e.rds, "orders-sql", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, e.rds, def, "rds.force_ssl", "0", "static")
	e.calls.Reset()

	ir := only(t, e.handle("instance-created.json", "orders-sql"))
	if ir.State != plan.NonCompliant || len(ir.Changed) != 0 || len(ir.Planned) != 4 {
		t.Fatalf("%+v", ir)
	}
	if e.writes() != 0 {
		t.Errorf("report mode wrote: %v", e.calls.Snapshot())
	}
	if e.instanceGroup("orders-sql") != def || len(e.groups()) != 0 || len(e.schedules()) != 0 {
		t.Error("report mode changed AWS state")
	}
	msgs := e.notices()
	if len(msgs) != 1 || msgs[0].MessageAttributes["outcome"].Value != "report-finding" {
		t.Fatalf("want one report-finding notification, got %+v", msgs)
	}
}

func TestIdempotent(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		t.Run(fmt.Sprintf("concurrent=%v", concurrent), func(t *testing.T) {
			e := newEnv(t, policy.ModeEnforce)
			def := mototest.CreateInstance(t, e.rds, "orders-sql", "sqlserver-se", "", nil)
			mototest.SeedTLSParameter(t, e.rds, def, "rds.force_ssl", "0", "static")
			e.calls.Reset()

			var wg sync.WaitGroup
			for i := 0; i < 3; i++ {
				if !concurrent {
					e.handle("instance-created.json", "orders-sql")
					continue
				}
				wg.Add(1)
				go func() { defer wg.Done(); e.handle("instance-created.json", "orders-sql") }()
			}
			wg.Wait()
			c := e.calls.Snapshot()
			if c["RDS.CreateDBParameterGroup"] != 1 || c["RDS.ModifyDBInstance"] != 1 || c["Scheduler.CreateSchedule"] != 1 || c["SNS.Publish"] != 1 {
				t.Errorf("calls %v: want one group, one modify, one schedule, one notification", c)
			}
			if len(e.groups()) != 1 || len(e.schedules()) != 1 || len(e.notices()) != 1 {
				t.Errorf("groups %v schedules %v", e.groups(), e.schedules())
			}
		})
	}
}

// Separate Lambda environments share no lock: duplicate events handled at
// once by three engines still converge on one group and one schedule, with
// no error (the in-process test above shows the single-environment dedupe).
func TestSeparateEnvironmentsConverge(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce)
	def := mototest.CreateInstance(t, e.rds, "orders-sql", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, e.rds, def, "rds.force_ssl", "0", "static")
	payload, err := os.ReadFile("../../events/instance-created.json")
	if err != nil {
		t.Fatal(err)
	}
	engines := []*dispatch.Dispatcher{e.d, e.engine(), e.engine()}
	var wg sync.WaitGroup
	errs := make([]error, len(engines))
	for i, en := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = en.Invoke(context.Background(), payload, functionARN)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("an environment failed: %v", err)
		}
	}
	if len(e.groups()) != 1 || len(e.schedules()) != 1 || e.instanceGroup("orders-sql") != e.groups()[0] {
		t.Errorf("groups %v schedules %v, instance on %s", e.groups(), e.schedules(), e.instanceGroup("orders-sql"))
	}
	if n := len(e.notices()); n < 1 || n > len(engines) {
		t.Errorf("%d notifications", n)
	}
}

func TestParameterGroupEventReachesEveryInstance(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce)
	ctx := context.Background()
	if _, err := e.rds.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("shared-sqlserver"),
		DBParameterGroupFamily: aws.String("sqlserver-se-15.0"), Description: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	mototest.SeedTLSParameter(t, e.rds, "shared-sqlserver", "rds.force_ssl", "0", "static")
	for _, id := range []string{"shop-1", "shop-2", "shop-3"} {
		mototest.CreateInstance(t, e.rds, id, "sqlserver-se", "shared-sqlserver", nil)
	}
	mototest.CreateInstance(t, e.rds, "bystander", "sqlserver-se", "", nil)
	e.calls.Reset()

	res := e.handle("parameter-group-changed.json", "shared-sqlserver")
	if len(res.Resources) != 3 {
		t.Fatalf("want the 3 instances on the group, got %+v", res.Resources)
	}
	for _, ir := range res.Resources {
		if ir.Outcome != plan.OutcomeRemediated {
			t.Errorf("%s: %+v", ir.Name, ir)
		}
		if g := e.instanceGroup(ir.Name); g != "forcessl-shared-sqlserver" {
			t.Errorf("%s uses %s", ir.Name, g)
		}
	}
	c := e.calls.Snapshot()
	if c["RDS.CopyDBParameterGroup"] != 1 || len(e.groups()) != 1 {
		t.Errorf("want one compliant group shared by all: groups %v calls %v", e.groups(), c)
	}
	if c["RDS.ModifyDBParameterGroup"] != 1 {
		t.Errorf("TLS set %d times, want once: %v", c["RDS.ModifyDBParameterGroup"], c)
	}
	if e.instanceGroup("bystander") == "forcessl-shared-sqlserver" {
		t.Error("an instance on another group was touched")
	}
	if n := len(e.notices()); n != 3 {
		t.Errorf("%d notifications, want one per instance", n)
	}
	t.Logf("parameter-group event, 3 instances: %d calls %v", e.calls.Total(), c)
}

func TestBadInputIsAcknowledged(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce)
	for _, payload := range []string{`{`, `{"source":"aws.ec2","detail-type":"x","detail":{}}`, `null`} {
		out, err := e.invoke([]byte(payload))
		res, _ := out.(result.Result)
		if err != nil || res.Ignored == "" {
			t.Errorf("payload %q: res %+v err %v; want ignored, no error", payload, res, err)
		}
	}
	if e.calls.Total() != 0 {
		t.Errorf("bad input made calls: %v", e.calls.Snapshot())
	}
}

func TestDeletedInstanceIsAcknowledged(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce)
	ir := only(t, e.handle("instance-created.json", "gone"))
	if ir.State != plan.NotFound || e.writes() != 0 {
		t.Errorf("%+v", ir)
	}
}

// The state table end to end: DynamoDB (moto), the real SDK clients.
func TestMemoryInTheStateTable(t *testing.T) {
	e := newEnv(t, policy.ModeEnforce, config.EnvStateTable, "forcessl-state")
	table := mototest.CreateStateTable(t, moto.Config(t), "forcessl-state")
	def := mototest.CreateInstance(t, e.rds, "orders-sql", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, e.rds, def, "rds.force_ssl", "0", "static")
	e.calls.Reset()

	if ir := only(t, e.handle("instance-created.json", "orders-sql")); ir.Outcome != plan.OutcomeRemediated {
		t.Fatalf("%+v", ir)
	}
	c := e.calls.Snapshot()
	t.Logf("default-group remediation with the state table: %d calls %v", e.calls.Total(), c)
	if c["DynamoDB.PutItem"] < 2 || c["DynamoDB.DeleteItem"] != 1 { // lease taken and released, state written
		t.Errorf("calls %v", c)
	}
	st := state.NewDynamo(table, "forcessl-state")
	k := state.Key{Account: mototest.Account, Region: mototest.Region, ResourceID: e.resourceID("orders-sql")}
	mem, ok, err := st.Resource(context.Background(), k)
	if err != nil || !ok || mem.Intent == nil || mem.State != string(plan.NonCompliant) || mem.Name != "orders-sql" || mem.LastAction == "" {
		t.Fatalf("state %+v %v %v", mem, ok, err)
	}
	if h, err := st.History(context.Background(), k); err != nil || len(h) != 1 || h[0].Outcome != "remediated" ||
		!strings.Contains(h[0].Trigger, "RDS-EVENT-0005") {
		t.Errorf("history %+v %v", h, err)
	}
	if len(e.notices()) != 1 {
		t.Error("want one message")
	}

	// A compliant instance costs its two RDS reads and one table read.
	if _, err := e.rds.CreateDBParameterGroup(context.Background(), &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("pg-secure"),
		DBParameterGroupFamily: aws.String("postgres16"), Description: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	mototest.SeedTLSParameter(t, e.rds, "pg-secure", "rds.force_ssl", "1", "dynamic")
	mototest.CreateInstance(t, e.rds, "ledger", "postgres", "pg-secure", nil)
	e.handle("instance-created.json", "ledger") // first sight: recorded
	e.calls.Reset()
	if ir := only(t, e.handle("instance-created.json", "ledger")); ir.State != plan.Compliant {
		t.Fatalf("%+v", ir)
	}
	if c := e.calls.Snapshot(); e.calls.Total("RDS") != 2 || e.calls.Total("DynamoDB") != 1 || e.calls.Total() != 3 {
		t.Errorf("a compliant instance cost %v, want 2 RDS reads and 1 table read", c)
	}
}
