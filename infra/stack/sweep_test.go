package stack

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/report"
	"github.com/forcessl/forcessl/pkg/request"
)

func TestSweepRule(t *testing.T) {
	// GIVEN the default or a custom schedule WHEN synthesized THEN a schedule rule
	// sends the engine's sweep start with the event rules' retries and DLQ
	for _, tc := range []struct {
		f        *fixture
		schedule string
	}{{reportStack(t), "rate(1 day)"}, {sweepStack(t), "rate(12 hours)"}} {
		f := tc.f
		f.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"ScheduleExpression": tc.schedule,
			"State":              "ENABLED",
			"EventPattern":       assertions.Match_Absent(),
			"Targets": []any{assertions.Match_ObjectEquals(&map[string]any{
				"Arn":              map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Remediator.Function), "Arn"}},
				"InputTransformer": assertions.Match_AnyValue(), // read below, as EventBridge fills it in
				"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Remediator.DeadLetters), "Arn"}}},
				"RetryPolicy":      map[string]any{"MaximumRetryAttempts": eventRetryAttempts, "MaximumEventAgeInSeconds": 7200},
				"Id":               assertions.Match_AnyValue(),
			})},
		})
	}
	// The engine reads the rule's input as a sweep start carrying the
	// scheduled event's ID and time, which name the run.
	f := reportStack(t)
	target := f.resources("AWS::Events::Rule")[logicalID(f.stack, f.stack.Sweep.Rule)]["Properties"].(map[string]any)["Targets"].([]any)[0]
	tr := target.(map[string]any)["InputTransformer"].(map[string]any)
	paths := tr["InputPathsMap"].(map[string]any)
	if paths["id"] != "$.id" || paths["time"] != "$.time" || len(paths) != 2 {
		t.Errorf("InputPathsMap = %v, want the event's $.id and $.time", paths)
	}
	// A scheduled event (EventBridge User Guide, "Creating a rule that runs
	// on a schedule"), and the template filled as EventBridge fills it: an
	// unquoted <placeholder> in a JSON template takes the path's JSON value.
	event := map[string]any{"id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "time": "2026-11-26T10:00:00Z"}
	input := tr["InputTemplate"].(string)
	for name, path := range paths {
		v, _ := json.Marshal(event[strings.TrimPrefix(path.(string), "$.")])
		input = strings.ReplaceAll(input, "<"+name+">", string(v))
	}
	req, err := rdsevent.Parse([]byte(input))
	if err != nil || req.Target != request.TargetSweep || req.EventID != event["id"] ||
		req.EventTime.Format(time.RFC3339) != event["time"] {
		t.Errorf("rule input %s parses as %+v, %v; want a sweep start with the event's ID and time", input, req, err)
	}
	t.Logf("rule input template: %s", tr["InputTemplate"])
	// EventBridge may put failed starts on the events' dead-letter queue.
	f.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
		"Queues": []any{map[string]any{"Ref": logicalID(f.stack, f.stack.Remediator.DeadLetters)}},
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{like(map[string]any{
			"Effect": "Allow", "Action": "sqs:SendMessage",
			"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Sweep.Rule), "Arn"}}}},
		})})},
	})
}

func TestSweepQueues(t *testing.T) {
	// GIVEN no context WHEN synthesized THEN the work queue (visibility ≥ 6 ×
	// the function timeout, redrive after 3 receives) and its DLQ, both SSE and TLS-only
	f := reportStack(t)
	queue := logicalID(f.stack, f.stack.Sweep.Queue)
	dlq := logicalID(f.stack, f.stack.Sweep.DeadLetters)
	res := f.json["Resources"].(map[string]any)
	timeout := res[logicalID(f.stack, f.stack.Remediator.Function)].(map[string]any)["Properties"].(map[string]any)["Timeout"].(float64)
	if got := res[queue].(map[string]any)["Properties"].(map[string]any)["VisibilityTimeout"].(float64); got < 6*timeout {
		t.Errorf("visibility timeout %v s < 6 × function timeout %v s", got, timeout)
	}
	f.template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), assertions.Match_ObjectEquals(&map[string]any{
		"SqsManagedSseEnabled":   true,
		"VisibilityTimeout":      1800,
		"MessageRetentionPeriod": 4 * 86400,
		"RedrivePolicy": map[string]any{
			"deadLetterTargetArn": map[string]any{"Fn::GetAtt": []any{dlq, "Arn"}},
			"maxReceiveCount":     3,
		},
	}))
	// The engine knows how many deliveries a work item gets
	// (FORCESSL_SWEEP_MAX_RECEIVES): the queue's redrive count, in every
	// configuration.
	for name, f := range allStacks(t) {
		if n := functionEnv(t, f)[config.EnvSweepMaxReceives]; n != strconv.Itoa(sweepMaxReceiveCount) {
			t.Errorf("%s: function expects %v deliveries of a work item, the queue redrives after %d", name, n, sweepMaxReceiveCount)
		}
		f.template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
			"RedrivePolicy": map[string]any{"maxReceiveCount": sweepMaxReceiveCount},
		})
	}
	if p := res[dlq].(map[string]any)["Properties"].(map[string]any); p["SqsManagedSseEnabled"] != true || p["MessageRetentionPeriod"] != float64(14*86400) {
		t.Errorf("sweep dead-letter queue = %v", p)
	}
	for _, q := range []string{queue, dlq} {
		f.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
			"Queues": []any{map[string]any{"Ref": q}},
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{like(map[string]any{
				"Effect": "Deny", "Action": "sqs:*", "Principal": map[string]any{"AWS": "*"},
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			})})},
		})
	}
}

func TestSweepEventSource(t *testing.T) {
	// GIVEN the default or a custom concurrency WHEN synthesized THEN one item
	// per invocation, partial batch failures, and reserved concurrency above it
	for _, tc := range []struct {
		f           *fixture
		concurrency int
	}{{reportStack(t), DefaultSweepConcurrency}, {sweepStack(t), 4}} {
		f := tc.f
		f.template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), assertions.Match_ObjectEquals(&map[string]any{
			"EventSourceArn":        map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Sweep.Queue), "Arn"}},
			"FunctionName":          map[string]any{"Ref": logicalID(f.stack, f.stack.Remediator.Function)},
			"BatchSize":             1,
			"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
			"ScalingConfig":         map[string]any{"MaximumConcurrency": tc.concurrency},
		}))
		// The event source never hits the function's own limit.
		f.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"ReservedConcurrentExecutions": eventConcurrency + tc.concurrency,
		})
	}
}

func TestSweepFunctionEnv(t *testing.T) {
	// GIVEN each sweep configuration WHEN synthesized THEN the function's queue,
	// parallelism and covered regions: the listed ones and the stack's own,
	// once, wherever the stack is deployed
	for _, tc := range []struct {
		name        string
		f           *fixture
		listed      []string
		parallelism string
	}{
		{"report", reportStack(t), nil, "4"}, // only the stack's own region
		{"sweep", sweepStack(t), []string{"eu-west-1", "us-east-1"}, "8"},
		{"org", orgStack(t), []string{"us-east-1", "eu-west-1"}, "4"}, // the StackSet's regions
		{"org-report", orgReportStack(t), []string{"eu-west-1"}, "4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
				"Environment": map[string]any{"Variables": map[string]any{
					config.EnvSweepQueueURL:    map[string]any{"Ref": logicalID(tc.f.stack, tc.f.stack.Sweep.Queue)},
					config.EnvSweepParallelism: tc.parallelism,
				}},
			})
			regions := functionEnv(t, tc.f)[config.EnvRegions]
			for _, at := range append([]string{"ap-south-1"}, tc.listed...) {
				want := slices.Clone(tc.listed)
				if !slices.Contains(want, at) {
					want = append(want, at)
				}
				if got := evalCfn(t, tc.f, regions, at); got != strings.Join(want, ",") {
					t.Errorf("deployed in %s: %s = %v, want %s", at, config.EnvRegions, got, strings.Join(want, ","))
				}
			}
		})
	}
}

func TestSweepPolicy(t *testing.T) {
	// GIVEN every configuration WHEN synthesized THEN the function may enqueue and
	// consume on the work queue only, and list accounts only when it must
	for name, f := range allStacks(t) {
		sts := functionStatements(t, f)
		queueArn := map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Sweep.Queue), "Arn"}}
		if got := sts["EnqueueSweepItems"]; !jsonEq(got, map[string]any{
			"Sid": "EnqueueSweepItems", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queueArn,
		}) {
			t.Errorf("%s: EnqueueSweepItems = %v", name, got)
		}
		// The event source's grant: named actions on the work queue only.
		consume := false
		for _, st := range sts {
			if slices.Contains(actions(st), "sqs:ReceiveMessage") {
				consume = true
				if !jsonEq(st["Resource"], queueArn) || !slices.Equal(actions(st), []string{"sqs:ChangeMessageVisibility",
					"sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage"}) {
					t.Errorf("%s: queue consumption statement %v", name, st)
				}
			}
		}
		if !consume {
			t.Errorf("%s: no sqs:ReceiveMessage on the work queue", name)
		}
		// Only an organization deployment without an allow-list lists the
		// target OUs' accounts, and only through the parents' ARNs.
		list, ok := sts["ListTargetOUAccounts"]
		if want := name == "org-report"; ok != want {
			t.Errorf("%s: ListTargetOUAccounts granted = %v, want %v", name, ok, want)
		}
		raw, _ := json.Marshal(f.resources("AWS::IAM::Policy"))
		if n := strings.Count(string(raw), `"organizations:`); (n > 0) != ok {
			t.Errorf("%s: %d organizations: actions in IAM policies: %s", name, n, raw)
		}
		if strings.Contains(string(raw), "organizations:ListAccounts\"") {
			t.Errorf("%s: organizations:ListAccounts is still granted", name)
		}
		// Before listing, the engine reads the organization for its
		// management account (pkg/setup.Accounts): DescribeOrganization,
		// which takes no resource but "*".
		if got, want := sts["DescribeOrganization"], map[string]any{"Sid": "DescribeOrganization", "Effect": "Allow",
			"Action": "organizations:DescribeOrganization", "Resource": "*"}; ok != (got != nil) || ok && !jsonEq(got, want) {
			t.Errorf("%s: DescribeOrganization = %v (listing granted: %v)", name, got, ok)
		}
		if !ok {
			continue
		}
		// org-report: from a delegated administrator (the management
		// account unknown: "*"), target r-ab12 (a root).
		orgArn := func(rest string) any {
			return map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":organizations::*:" + rest}}}
		}
		if !jsonEq(list, map[string]any{"Sid": "ListTargetOUAccounts", "Effect": "Allow",
			"Action":   []any{"organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"},
			"Resource": []any{orgArn("ou/o-abc123def4/ou-*"), orgArn("root/o-abc123def4/r-ab12")},
		}) {
			t.Errorf("%s: ListTargetOUAccounts = %v", name, list)
		}
	}
	// Deployed from the management account (SELF) with OUs as targets:
	// the management account is this one, and no root is listed.
	f := synth(t, "org-ous", orgCtx("eu-west-1", nil))
	if got := functionStatements(t, f)["ListTargetOUAccounts"]["Resource"]; !jsonEq(got, map[string]any{"Fn::Join": []any{"", []any{
		"arn:", map[string]any{"Ref": "AWS::Partition"}, ":organizations::", map[string]any{"Ref": "AWS::AccountId"},
		":ou/o-abc123def4/ou-*"}}}) {
		t.Errorf("SELF, OU targets: ListTargetOUAccounts resources = %v", got)
	}
	// Single account with sweepRegions: the function reaches RDS there too,
	// and in its own region.
	sw := sweepStack(t)
	for at, want := range map[string][]string{"us-east-1": {"eu-west-1", "us-east-1"}, "ap-south-1": {"eu-west-1", "us-east-1", "ap-south-1"}} {
		checkRegionGuard(t, "sweep", sw.json, functionStatements(t, sw), map[string]string{"AWS::Region": at}, want)
	}
}

// TestCoverageAlarm: an account-region the sweep could not read alarms the
// topic: the engine's NotCovered metric, over every account-region, as a
// Metrics Insights query (an alarm cannot use SEARCH).
func TestCoverageAlarm(t *testing.T) {
	// GIVEN any configuration WHEN synthesized
	for name, f := range allStacks(t) {
		schema := SweepMetrics()
		if !slices.Contains(schema.Metrics, report.NotCoveredMetric) || !slices.Equal(schema.Dimensions[0], []string{"Account", "Region"}) {
			t.Fatalf("the engine's EMF schema %+v has no NotCovered per account-region", schema)
		}
		// THEN one alarm on the largest NotCovered of any account-region
		// per hour, to the topic, worded as high severity
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), assertions.Match_ObjectEquals(&map[string]any{
			"AlarmActions":       []any{map[string]any{"Ref": logicalID(f.stack, f.stack.Notifications.Topic)}},
			"AlarmDescription":   assertions.Match_StringLikeRegexp(jsii.String("^HIGH SEVERITY: forcessl could not read at least one account-region")),
			"ComparisonOperator": "GreaterThanOrEqualToThreshold",
			"Threshold":          1,
			"EvaluationPeriods":  1,
			"TreatMissingData":   "notBreaching",
			"Metrics": []any{map[string]any{
				"Id": assertions.Match_AnyValue(), "Label": "Account-regions not covered", "ReturnData": true, "Period": 3600,
				"Expression": `SELECT MAX(NotCovered) FROM SCHEMA("forcessl", Account, Region)`,
			}},
		}))
		if got := logicalID(f.stack, f.stack.Sweep.NotCoveredAlarm); got == "" {
			t.Errorf("%s: no coverage alarm", name)
		}
	}
}
