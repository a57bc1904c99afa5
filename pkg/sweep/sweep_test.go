package sweep_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/apicount"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/dispatch"
	"github.com/forcessl/forcessl/pkg/report"
	"github.com/forcessl/forcessl/pkg/request"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/route"
	"github.com/forcessl/forcessl/pkg/setup"
	"github.com/forcessl/forcessl/pkg/sweep"
)

var moto *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, &moto) }

const functionARN = "arn:aws:lambda:us-east-1:123456789012:function:forcessl"

func engine(t *testing.T, vars map[string]string, calls *apicount.Counter) *dispatch.Dispatcher {
	t.Helper()
	if _, set := vars[config.EnvNoticeLead]; !set {
		vars[config.EnvNoticeLead] = "0" // one schedule per reboot in these counts
	}
	cfg, err := config.FromMap(vars)
	if err != nil {
		t.Fatal(err)
	}
	awsCfg := moto.Config(t)
	if calls != nil {
		awsCfg.APIOptions = append(awsCfg.APIOptions, calls.Middleware())
	}
	return setup.New(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), setup.Options{
		AWS: func() (aws.Config, error) { return awsCfg, nil }, Metrics: io.Discard,
		Now: func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }})
}

func customGroup(t *testing.T, c *rds.Client, name, family, param, value, applyType string) {
	t.Helper()
	if _, err := c.CreateDBParameterGroup(context.Background(), &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String(name),
		DBParameterGroupFamily: aws.String(family), Description: aws.String("test")}); err != nil {
		t.Fatal(err)
	}
	mototest.SeedTLSParameter(t, c, name, param, value, applyType)
}

// The sweep decides exactly what the event path decides, instance by
// instance: one engine, not a second implementation.
func TestSweepMatchesTheEventPath(t *testing.T) {
	moto.Reset(t)
	c := rds.NewFromConfig(moto.Config(t))
	def := mototest.CreateInstance(t, c, "orders", "sqlserver-se", "", nil)
	mototest.SeedTLSParameter(t, c, def, "rds.force_ssl", "0", "static")
	mototest.CreateInstance(t, c, "orders-replica", "sqlserver-se", "", nil)
	customGroup(t, c, "pg-secure", "postgres16", "rds.force_ssl", "1", "dynamic")
	mototest.CreateInstance(t, c, "ledger", "postgres", "pg-secure", nil)
	customGroup(t, c, "mysql-app", "mysql8.0", "require_secure_transport", "0", "dynamic")
	mototest.CreateInstance(t, c, "shop", "mysql", "mysql-app", nil)
	mototest.CreateInstance(t, c, "legacy", "sqlserver-se", "", map[string]string{"forcessl:exempt": "true"})
	mototest.CreateInstance(t, c, "erp", "oracle-ee", "", nil)

	calls := apicount.New()
	e := engine(t, map[string]string{config.EnvMode: "report"}, calls)
	st, err := e.Sweeper.Start(context.Background(), functionARN)
	rep := st.Report
	if err != nil || st.Items != 1 || len(rep.Items) != 1 {
		t.Fatalf("sweep: %+v, %v", st, err)
	}
	swept := calls.Snapshot()

	byInstance := map[string]report.Bucket{}
	for _, f := range rep.Items[0].Findings {
		byInstance[f.Instance] = f.Bucket
	}
	sweepRes, err := e.Request(context.Background(), request.Request{Target: request.TargetAccountRegion, Trigger: request.TriggerSweep,
		Account: mototest.Account, Region: mototest.Region, Cause: "sweep"}, functionARN)
	if err != nil {
		t.Fatal(err)
	}
	// Now the event path, instance by instance, on the same fixtures.
	for _, id := range []string{"orders", "orders-replica", "ledger", "shop", "legacy", "erp"} {
		res, err := e.Request(context.Background(), request.Request{Target: request.TargetInstance, Trigger: request.TriggerChange,
			Account: mototest.Account, Region: mototest.Region, Instance: id, Cause: "test"}, functionARN)
		if err != nil {
			t.Fatal(err)
		}
		ev := res.Resources[0]
		var sw result.Resource
		for _, ir := range sweepRes.Resources {
			if ir.Name == id {
				sw = ir
			}
		}
		if sw.State != ev.State || sw.Outcome != ev.Outcome || strings.Join(sw.Planned, ";") != strings.Join(ev.Planned, ";") {
			t.Errorf("%s: sweep %s/%s %v, event path %s/%s %v", id, sw.State, sw.Outcome, sw.Planned, ev.State, ev.Outcome, ev.Planned)
		}
		if b := report.Classify(ev); (b == report.NonCompliant) != (byInstance[id] == report.NonCompliant) {
			t.Errorf("%s: report says %q, event path %q", id, byInstance[id], b)
		}
	}
	counts := rep.Items[0].Counts
	if counts[report.NonCompliant] != 3 || counts[report.Compliant] != 1 || counts[report.Exempt] != 1 || counts[report.OutOfScope] != 1 {
		t.Errorf("counts %v", counts)
	}
	// Report mode writes nothing; each group's TLS parameter is read once.
	for op := range swept {
		if !strings.Contains(op, ".Describe") && !strings.Contains(op, ".Get") && !strings.Contains(op, ".List") {
			t.Errorf("report-mode sweep called %s", op)
		}
	}
	if swept["RDS.DescribeDBParameters"] != 3 || swept["RDS.DescribeDBInstances"] != 1 {
		t.Errorf("sweep calls %v: want one instance page and one parameter read per group (3)", swept)
	}
}

// In enforce mode too, a sweep changes exactly what the event path changes:
// the same fixtures, once through events instance by instance, once swept.
func TestEnforcingSweepMakesTheEventPathsChanges(t *testing.T) {
	fixtures := func() {
		moto.Reset(t)
		c := rds.NewFromConfig(moto.Config(t))
		def := mototest.CreateInstance(t, c, "orders", "sqlserver-se", "", nil)
		mototest.SeedTLSParameter(t, c, def, "rds.force_ssl", "0", "static")
		customGroup(t, c, "mysql-app", "mysql8.0", "require_secure_transport", "0", "dynamic")
		mototest.CreateInstance(t, c, "shop", "mysql", "mysql-app", nil)
		mototest.CreateInstance(t, c, "shop-2", "mysql", "mysql-app", nil)
		mototest.CreateInstance(t, c, "legacy", "sqlserver-se", "", map[string]string{"forcessl:exempt": "true"})
		if _, err := scheduler.NewFromConfig(moto.Config(t)).CreateScheduleGroup(context.Background(),
			&scheduler.CreateScheduleGroupInput{Name: aws.String("forcessl")}); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{config.EnvMode: "enforce", config.EnvSchedulerRoleARN: "arn:aws:iam::123456789012:role/s"}
	ids := []string{"legacy", "orders", "shop", "shop-2"}

	fixtures()
	e := engine(t, vars, nil)
	byEvent := map[string]result.Resource{}
	for _, id := range ids {
		res, err := e.Request(context.Background(), request.Request{Target: request.TargetInstance, Trigger: request.TriggerChange,
			Account: mototest.Account, Region: mototest.Region, Instance: id, Cause: "test"}, functionARN)
		if err != nil {
			t.Fatal(err)
		}
		byEvent[id] = res.Resources[0]
	}

	fixtures()
	e = engine(t, vars, nil)
	swept, err := e.Request(context.Background(), request.Request{Target: request.TargetAccountRegion, Trigger: request.TriggerSweep,
		Account: mototest.Account, Region: mototest.Region, Cause: "sweep"}, functionARN)
	if err != nil {
		t.Fatal(err)
	}
	if len(swept.Resources) != len(ids) {
		t.Fatalf("swept %d instances, want %d", len(swept.Resources), len(ids))
	}
	// Which instance of a shared group goes first (and so makes the group)
	// is up to the sweep's parallelism: compare the states per instance and
	// the changes as a whole.
	var sweptChanges, eventChanges []string
	for _, sw := range swept.Resources {
		ev := byEvent[sw.Name]
		if sw.State != ev.State || sw.Outcome != ev.Outcome {
			t.Errorf("%s: sweep %s/%s; event path %s/%s", sw.Name, sw.State, sw.Outcome, ev.State, ev.Outcome)
		}
		sweptChanges = append(sweptChanges, sw.Changed...)
		eventChanges = append(eventChanges, ev.Changed...)
	}
	slices.Sort(sweptChanges)
	slices.Sort(eventChanges)
	if !slices.Equal(sweptChanges, eventChanges) {
		t.Errorf("sweep changed\n %v\nevent path changed\n %v", sweptChanges, eventChanges)
	}
	if got := len(byEvent["shop"].Changed) + len(byEvent["shop-2"].Changed); got != 6 {
		t.Errorf("the second instance on a group reuses the group made for the first: %d changes", got)
	}
}

// A sweep over 3 accounts x 2 regions fans out to 6 work items, each
// processed once; an item that keeps failing is retried, then dead-lettered.
func TestFanOutRetriesThenDeadLetters(t *testing.T) {
	moto.Reset(t)
	ctx := context.Background()
	accounts := []string{mototest.Account, "210987654321", "310987654321"}
	regions := []string{"us-east-1", "eu-west-1"}
	for _, a := range accounts {
		for _, r := range regions {
			c := rds.NewFromConfig(moto.ConfigAs(t, a, r))
			if r == regions[0] && a != mototest.Account {
				moto.Role(t, a, "forcessl-remediation")
			}
			def := mototest.CreateInstance(t, c, "db-"+r, "sqlserver-se", "", nil)
			mototest.SeedTLSParameter(t, c, def, "rds.force_ssl", "1", "static")
		}
	}
	q := sqs.NewFromConfig(moto.Config(t))
	dlq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("sweep-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	work, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("sweep"), Attributes: map[string]string{
		"VisibilityTimeout": "1",
		"RedrivePolicy":     `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:sweep-dlq","maxReceiveCount":"2"}`,
	}})
	if err != nil {
		t.Fatal(err)
	}

	e := engine(t, map[string]string{config.EnvMode: "report", config.EnvMemberRoleName: "forcessl-remediation",
		config.EnvAccounts: strings.Join(accounts, ","), config.EnvRegions: strings.Join(regions, ","),
		config.EnvSweepQueueURL: aws.ToString(work.QueueUrl)}, nil)
	const failing = "310987654321/eu-west-1"
	var mu sync.Mutex
	processed := map[string]int{}
	e.Clients = outage{Clients: e.Clients, failing: failing, seen: func(key string) {
		mu.Lock()
		processed[key]++
		mu.Unlock()
	}}
	h := e

	out, err := h.Invoke(ctx, []byte(`{"detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","region":"us-east-1","detail":{}}`), functionARN)
	if err != nil {
		t.Fatal(err)
	}
	if started := out.(sweep.Started); started.Items != 6 || !started.Queued {
		t.Fatalf("sweep start %+v", started)
	}

	// Play the event source mapping: receive, invoke, delete what succeeded.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		msgs, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: work.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs.Messages) == 0 {
			if attrs, _ := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: work.QueueUrl,
				AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}}); attrs != nil &&
				attrs.Attributes["ApproximateNumberOfMessages"] == "0" && attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0" {
				break
			}
			continue
		}
		ev := events.SQSEvent{}
		for _, m := range msgs.Messages {
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), EventSource: "aws:sqs"})
		}
		b, _ := json.Marshal(ev)
		res, err := h.Invoke(ctx, b, functionARN)
		if err != nil {
			t.Fatal(err)
		}
		failed := map[string]bool{}
		for _, f := range res.(events.SQSEventResponse).BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		for _, m := range msgs.Messages {
			if !failed[aws.ToString(m.MessageId)] {
				if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: work.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for _, a := range accounts {
		for _, r := range regions {
			key, want := a+"/"+r, 1
			if key == failing {
				want = 2
			}
			if processed[key] != want {
				t.Errorf("%s processed %d times, want %d", key, processed[key], want)
			}
		}
	}
	dead, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlq.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(dead.Messages) != 1 || !strings.Contains(aws.ToString(dead.Messages[0].Body), `"account":"310987654321","region":"eu-west-1"`) {
		t.Errorf("dead-letter queue holds %d messages, want the failing item", len(dead.Messages))
	}
}

// outage fails every RDS client of one account-region, as a regional
// outage would, and counts the clients asked for.
type outage struct {
	dispatch.Clients
	failing string
	seen    func(key string)
}

func (o outage) RDS(ctx context.Context, rt route.Route, region, session string) (dispatch.RDS, error) {
	key := rt.Account + "/" + region
	o.seen(key)
	if key == o.failing {
		return nil, errors.New("simulated regional outage")
	}
	return o.Clients.RDS(ctx, rt, region, session)
}

// A work item for an account forcessl cannot read (its remediation role
// does not exist) is not covered: recorded so, acknowledged (no retry can
// help), and counted in the NotCovered metric the CDK app alarms on.
func TestUnreadableAccountIsNotCovered(t *testing.T) {
	moto.Reset(t)
	const member = "210987654321"
	e := engine(t, map[string]string{config.EnvMode: "report", config.EnvMemberRoleName: "forcessl-remediation",
		config.EnvAccounts: mototest.Account + "," + member}, nil)
	var metrics bytes.Buffer
	e.Sweeper.Metrics = &metrics
	ri, err := e.Sweeper.Item(context.Background(), request.Request{Target: request.TargetAccountRegion, Trigger: request.TriggerSweep,
		Account: member, Region: mototest.Region, SweepID: "s1", Delivery: 1}, functionARN)
	if err != nil {
		t.Fatalf("a terminal failure must be acknowledged, got %v", err)
	}
	if !ri.NotCovered || !strings.Contains(ri.Error, "AccessDenied") {
		t.Errorf("%+v", ri)
	}
	if !strings.Contains(metrics.String(), `"NotCovered":1`) {
		t.Errorf("EMF %s", metrics.String())
	}
}

// A report sweep assumes each member account's role once, whatever the
// number of its regions; an enforcing sweep writes under sessions named
// after each resource (the member's CloudTrail says which instance each
// write was for).
func TestOneSessionPerAccountAndNamedSessionsForWrites(t *testing.T) {
	moto.Reset(t)
	const member = "210987654321"
	regions := []string{"us-east-1", "eu-west-1", "ap-southeast-2"}
	moto.Role(t, member, "forcessl-remediation")
	for _, r := range regions {
		c := rds.NewFromConfig(moto.ConfigAs(t, member, r))
		def := mototest.CreateInstance(t, c, "db-a", "sqlserver-se", "", nil)
		mototest.SeedTLSParameter(t, c, def, "rds.force_ssl", "0", "static")
		mototest.CreateInstance(t, c, "db-b", "sqlserver-se", "", nil)
	}
	vars := map[string]string{config.EnvMemberRoleName: "forcessl-remediation", config.EnvAccounts: member,
		config.EnvRegions: strings.Join(regions, ",")}

	calls := apicount.New()
	vars[config.EnvMode] = "report"
	if _, err := engine(t, vars, calls).Sweeper.Start(context.Background(), functionARN); err != nil {
		t.Fatal(err)
	}
	if n := calls.Snapshot()["STS.AssumeRole"]; n != 1 {
		t.Errorf("a report sweep of one account in %d regions assumed its role %d times, want 1", len(regions), n)
	}

	calls = apicount.New()
	vars[config.EnvMode], vars[config.EnvSchedulerRoleARN], vars[config.EnvRegions] = "enforce", "arn:aws:iam::123456789012:role/s", "us-east-1"
	if _, err := scheduler.NewFromConfig(moto.Config(t)).CreateScheduleGroup(context.Background(),
		&scheduler.CreateScheduleGroupInput{Name: aws.String("forcessl")}); err != nil {
		t.Fatal(err)
	}
	if _, err := engine(t, vars, calls).Sweeper.Start(context.Background(), functionARN); err != nil {
		t.Fatal(err)
	}
	// One session for the sweep's reads, one per instance written (db-a,
	// db-b: they share a group made once; each is attached under its own).
	if n := calls.Snapshot()["STS.AssumeRole"]; n != 3 {
		t.Errorf("%d AssumeRole calls, want 1 for the reads and 1 per instance written: %v", n, calls.Snapshot())
	}
}
