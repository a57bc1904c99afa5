package stack

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/rdsevent"
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
		input, _ := json.Marshal(map[string]any{"source": "forcessl", "detail-type": "forcessl Sweep", "detail": map[string]any{}})
		f.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"ScheduleExpression": tc.schedule,
			"State":              "ENABLED",
			"EventPattern":       assertions.Match_Absent(),
			"Targets": []any{assertions.Match_ObjectEquals(&map[string]any{
				"Arn":              map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Remediator.Function), "Arn"}},
				"Input":            string(input),
				"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Remediator.DeadLetters), "Arn"}}},
				"RetryPolicy":      map[string]any{"MaximumRetryAttempts": eventRetryAttempts, "MaximumEventAgeInSeconds": 7200},
				"Id":               assertions.Match_AnyValue(),
			})},
		})
	}
	// The engine reads the rule's input as a sweep start.
	f := reportStack(t)
	target := f.resources("AWS::Events::Rule")[logicalID(f.stack, f.stack.Sweep.Rule)]["Properties"].(map[string]any)["Targets"].([]any)[0]
	req, err := rdsevent.Parse([]byte(target.(map[string]any)["Input"].(string)))
	if err != nil || req.Target != request.TargetSweep {
		t.Errorf("rule input parses as %+v, %v; want a sweep start", req, err)
	}
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
	// The engine is being taught how many deliveries a work item gets
	// (FORCESSL_SWEEP_MAX_RECEIVES, in progress in pkg/config); once the
	// function's environment carries it, it must be the queue's redrive.
	env := res[logicalID(f.stack, f.stack.Remediator.Function)].(map[string]any)["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
	if n, ok := env["FORCESSL_SWEEP_MAX_RECEIVES"]; ok && n != strconv.Itoa(sweepMaxReceiveCount) {
		t.Errorf("function expects %v deliveries of a work item, the queue redrives after %d", n, sweepMaxReceiveCount)
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
	// parallelism and swept regions
	for _, tc := range []struct {
		name        string
		f           *fixture
		regions     any
		parallelism string
	}{
		{"report", reportStack(t), assertions.Match_Absent(), "4"}, // the engine's own region
		{"sweep", sweepStack(t), "eu-west-1,us-east-1", "8"},
		{"org", orgStack(t), "us-east-1,eu-west-1", "4"}, // the StackSet's regions
		{"org-report", orgReportStack(t), "eu-west-1", "4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
				"Environment": map[string]any{"Variables": map[string]any{
					config.EnvSweepQueueURL:    map[string]any{"Ref": logicalID(tc.f.stack, tc.f.stack.Sweep.Queue)},
					config.EnvSweepParallelism: tc.parallelism,
					config.EnvRegions:          tc.regions,
				}},
			})
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
		// organization's accounts (and that needs Resource "*").
		list, ok := sts["ListOrganizationAccounts"]
		if want := name == "org-report"; ok != want {
			t.Errorf("%s: ListOrganizationAccounts granted = %v, want %v", name, ok, want)
		} else if ok && !jsonEq(list, map[string]any{"Sid": "ListOrganizationAccounts", "Effect": "Allow",
			"Action": "organizations:ListAccounts", "Resource": "*"}) {
			t.Errorf("%s: ListOrganizationAccounts = %v", name, list)
		}
		raw, _ := json.Marshal(f.resources("AWS::IAM::Policy"))
		if n := strings.Count(string(raw), `"organizations:`); n > 1 || (n == 1) != ok {
			t.Errorf("%s: %d organizations: actions in IAM policies: %s", name, n, raw)
		}
	}
	// Single account with sweepRegions: the function reaches RDS there too.
	raw, _ := json.Marshal(functionStatements(t, sweepStack(t))["ReadRDS"]["Resource"])
	for _, r := range []string{":rds:eu-west-1:", ":rds:us-east-1:", `":rds:",{"Ref":"AWS::Region"}`} {
		if !strings.Contains(string(raw), r) {
			t.Errorf("sweep: ReadRDS does not cover %s: %s", r, raw)
		}
	}
}
