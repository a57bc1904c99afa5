package main

import (
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/request"
)

// One jsii runtime for the whole package: closing it per test costs ~4 s.
// (The runtime starts during package initialisation, so the Node 20
// end-of-life banner can only be silenced from outside: run the tests with
// JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20, as .ci/cdk.sh does.)
func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// cdkJSONContext is the context of cdk.json (feature flags), so the tests
// synthesize what `cdk synth` synthesizes.
func cdkJSONContext(t *testing.T, extra map[string]any) *map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../cdk.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	for k, v := range extra {
		f.Context[k] = v
	}
	return &f.Context
}

// fixture is one synthesized stack.
type fixture struct {
	app      awscdk.App
	stack    *ForceSSLStack
	template assertions.Template
	json     map[string]any
}

var fixtures = map[string]*fixture{}

// synth builds (once per name) an app from context, as main does.
func synth(t *testing.T, name string, ctx map[string]any) *fixture {
	t.Helper()
	if f, ok := fixtures[name]; ok {
		return f
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: cdkJSONContext(t, ctx)})
	settings, err := SettingsFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	root, err := FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	st := NewForceSSLStack(app, "ForceSSL", &ForceSSLStackProps{Settings: settings, ModuleRoot: root})
	tpl := assertions.Template_FromStack(st.Stack, nil)
	f := &fixture{app: app, stack: st, template: tpl, json: (*tpl.ToJSON())}
	fixtures[name] = f
	return f
}

// reportStack is a deploy with no context: report mode, no subscriptions.
func reportStack(t *testing.T) *fixture { return synth(t, "report", nil) }

// enforceStack is a fully configured deploy.
func enforceStack(t *testing.T) *fixture {
	return synth(t, "enforce", map[string]any{
		CtxMode:             "enforce",
		CtxReboot:           "immediate",
		CtxMinLead:          "30m",
		CtxEngines:          "postgres,mysql",
		CtxExemptTag:        "team:tls-exempt",
		CtxNotifyEmails:     "ops@example.com,dba@example.com",
		CtxSlackWorkspaceID: "T0123ABCD",
		CtxSlackChannelID:   "C0123ABCD",
		CtxLogRetentionDays: "90",
		CtxLogLevel:         "debug",
	})
}

func logicalID(st *ForceSSLStack, node awscdk.IResource) string {
	return *st.GetLogicalId(node.Node().DefaultChild().(awscdk.CfnElement))
}

func (f *fixture) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range f.json["Resources"].(map[string]any) {
		if r := r.(map[string]any); r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

func TestResourceCounts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		f      func(*testing.T) *fixture
		counts map[string]float64
	}{
		{"report", reportStack, map[string]float64{
			"AWS::Lambda::Function": 1, "AWS::Lambda::EventInvokeConfig": 1, "AWS::Events::Rule": 4,
			"AWS::Lambda::Permission": 4, "AWS::SQS::Queue": 3, "AWS::SNS::Topic": 1, "AWS::KMS::Key": 1,
			"AWS::Scheduler::ScheduleGroup": 1, "AWS::IAM::Role": 2, "AWS::CloudWatch::Alarm": 4,
			"AWS::Lambda::EventSourceMapping": 1, "AWS::CloudWatch::Dashboard": 1,
			"AWS::Logs::LogGroup": 1, "AWS::SNS::Subscription": 0, "AWS::Chatbot::SlackChannelConfiguration": 0,
			"AWS::IAM::ManagedPolicy": 0,
		}},
		{"enforce", enforceStack, map[string]float64{
			"AWS::Lambda::Function": 1, "AWS::Events::Rule": 4, "AWS::IAM::Role": 3,
			"AWS::SNS::Subscription": 2, "AWS::Chatbot::SlackChannelConfiguration": 1,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl := tc.f(t).template
			for typ, n := range tc.counts {
				tpl.ResourceCountIs(jsii.String(typ), jsii.Number(n))
			}
		})
	}
}

func TestFunction(t *testing.T) {
	f := reportStack(t)
	f.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Runtime":                      "provided.al2023",
		"Architectures":                []any{"arm64"},
		"Handler":                      "bootstrap",
		"MemorySize":                   128,
		"Timeout":                      300,
		"ReservedConcurrentExecutions": eventConcurrency + DefaultSweepConcurrency,
		"LoggingConfig": map[string]any{
			"LogFormat": "JSON",
			"LogGroup":  map[string]any{"Ref": logicalID(f.stack, f.stack.LogGroup)},
		},
		"Environment": map[string]any{"Variables": map[string]any{
			config.EnvMode:             "report",
			config.EnvReboot:           "maintenance-window",
			config.EnvMinLead:          "15m",
			config.EnvScheduleGroup:    "forcessl",
			config.EnvExemptTag:        "forcessl:exempt",
			config.EnvEngines:          strings.Join(policy.Engines, ","),
			config.EnvLogLevel:         "info",
			config.EnvSchedulerRoleARN: map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.SchedulerRole), "Arn"}},
			config.EnvTopicARN:         map[string]any{"Ref": logicalID(f.stack, f.stack.Notifications.Topic)},
			config.EnvScheduleDLQARN:   map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.DeadLetters), "Arn"}},
			// Left unset on purpose: the function uses its invoked ARN.
			config.EnvFunctionARN: assertions.Match_Absent(),
		}},
	})
	f.template.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": 30})
	f.template.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), map[string]any{
		"MaximumRetryAttempts":     asyncRetryAttempts,
		"MaximumEventAgeInSeconds": 6 * 3600,
		"DestinationConfig": map[string]any{"OnFailure": map[string]any{
			"Destination": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.DeadLetters), "Arn"}},
		}},
	})
	f.template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
		"SqsManagedSseEnabled":   true,
		"MessageRetentionPeriod": 14 * 86400,
	})
}

func TestFunctionEnvFromContext(t *testing.T) {
	f := enforceStack(t)
	f.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Environment": map[string]any{"Variables": map[string]any{
			config.EnvMode:      "enforce",
			config.EnvReboot:    "immediate",
			config.EnvMinLead:   "30m",
			config.EnvEngines:   "postgres,mysql",
			config.EnvExemptTag: "team:tls-exempt",
			config.EnvLogLevel:  "debug",
		}},
	})
	f.template.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": 90})
	for _, e := range []string{"ops@example.com", "dba@example.com"} {
		f.template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
			"Protocol": "email", "Endpoint": e,
			"TopicArn": map[string]any{"Ref": logicalID(f.stack, f.stack.Notifications.Topic)},
		})
	}
	f.template.HasResourceProperties(jsii.String("AWS::Chatbot::SlackChannelConfiguration"), map[string]any{
		"SlackWorkspaceId": "T0123ABCD",
		"SlackChannelId":   "C0123ABCD",
		"SnsTopicArns":     []any{map[string]any{"Ref": logicalID(f.stack, f.stack.Notifications.Topic)}},
		"GuardrailPolicies": []any{map[string]any{"Fn::Join": []any{"", []any{
			"arn:", map[string]any{"Ref": "AWS::Partition"}, ":iam::aws:policy/AWSDenyAll"}}}},
	})
	// The Chatbot channel role has no permissions at all.
	slackRole := logicalID(f.stack, f.stack.Notifications.Slack.Role().(awscdk.IResource))
	for id, p := range f.resources("AWS::IAM::Policy") {
		for _, r := range p["Properties"].(map[string]any)["Roles"].([]any) {
			if r.(map[string]any)["Ref"] == slackRole {
				t.Errorf("policy %s is attached to the Chatbot channel role", id)
			}
		}
	}
	f.template.HasResourceProperties(jsii.String("AWS::IAM::Role"), map[string]any{
		"AssumeRolePolicyDocument": map[string]any{"Statement": []any{map[string]any{
			"Action": "sts:AssumeRole", "Effect": "Allow",
			"Principal": map[string]any{"Service": "chatbot.amazonaws.com"},
		}}},
		"ManagedPolicyArns": assertions.Match_Absent(),
		"Policies":          assertions.Match_Absent(),
	})
}

func TestEventPatterns(t *testing.T) {
	f := reportStack(t)
	patterns := []map[string]any{
		{"source": []any{"aws.rds"}, "detail-type": []any{"RDS DB Instance Event"}, "detail": map[string]any{"EventID": []any{
			"RDS-EVENT-0005", "RDS-EVENT-0006", "RDS-EVENT-0011", "RDS-EVENT-0014", "RDS-EVENT-0017",
			"RDS-EVENT-0019", "RDS-EVENT-0025", "RDS-EVENT-0029", "RDS-EVENT-0043", "RDS-EVENT-0092"}}},
		{"source": []any{"aws.rds"}, "detail-type": []any{"RDS DB Parameter Group Event"}, "detail": map[string]any{"EventID": []any{"RDS-EVENT-0037"}}},
		{"source": []any{"aws.rds"}, "detail-type": []any{"AWS API Call via CloudTrail"}, "detail": map[string]any{
			"eventSource": []any{"rds.amazonaws.com"},
			"eventName": []any{"CreateDBInstance", "ModifyDBInstance", "RestoreDBInstanceFromDBSnapshot",
				"RestoreDBInstanceToPointInTime", "CreateDBInstanceReadReplica", "ModifyDBParameterGroup", "ResetDBParameterGroup"}}},
	}
	fn := logicalID(f.stack, f.stack.Function)
	dlq := logicalID(f.stack, f.stack.DeadLetters)
	for _, p := range patterns {
		f.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"State":        "ENABLED",
			"EventPattern": assertions.Match_ObjectEquals(&p), // exact: no key beyond the filter
			"Targets": []any{map[string]any{
				"Arn":              map[string]any{"Fn::GetAtt": []any{fn, "Arn"}},
				"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{dlq, "Arn"}}},
				"RetryPolicy":      map[string]any{"MaximumRetryAttempts": eventRetryAttempts, "MaximumEventAgeInSeconds": 7200},
				"Id":               assertions.Match_AnyValue(),
			}},
		})
	}
	// EventBridge may write to the DLQ only on behalf of these rules.
	for _, r := range f.stack.Rules {
		f.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{like(map[string]any{
				"Effect": "Allow", "Action": "sqs:SendMessage",
				"Principal": map[string]any{"Service": "events.amazonaws.com"},
				"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, r), "Arn"}}}},
			})})},
		})
	}
}

// policyDocuments yields every IAM policy document in the template with
// where it was found.
func policyDocuments(f *fixture) map[string]map[string]any {
	docs := map[string]map[string]any{}
	for id, r := range f.json["Resources"].(map[string]any) {
		props, _ := r.(map[string]any)["Properties"].(map[string]any)
		for _, key := range []string{"PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy"} {
			if d, ok := props[key].(map[string]any); ok {
				docs[id+"."+key] = d
			}
		}
		if ps, ok := props["Policies"].([]any); ok {
			for i, p := range ps {
				docs[id+".Policies."+string(rune('0'+i))] = p.(map[string]any)["PolicyDocument"].(map[string]any)
			}
		}
	}
	return docs
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// TestNoWildcardActions: no Allow statement anywhere grants "*" or
// "service:*", nor uses NotAction. The only wildcard action allowed is in
// the TLS-only Deny (aws:SecureTransport=false), where broader is safer
// and cdk-nag (SQS4) requires sqs:*.
func TestNoWildcardActions(t *testing.T) {
	for name, f := range allStacks(t) {
		docs := policyDocuments(f)
		if len(docs) < 6 {
			t.Fatalf("%s: found only %d policy documents; is the scan broken?", name, len(docs))
		}
		for where, d := range docs {
			for _, s := range asList(d["Statement"]) {
				st := s.(map[string]any)
				if _, ok := st["NotAction"]; ok {
					t.Errorf("%s %s: NotAction in %v", name, where, st)
				}
				for _, a := range asList(st["Action"]) {
					a := a.(string)
					if a != "*" && !strings.HasSuffix(a, ":*") {
						continue
					}
					cond, _ := st["Condition"].(map[string]any)
					tlsDeny := st["Effect"] == "Deny" && cond != nil &&
						jsonEq(cond, map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}})
					if !tlsDeny {
						t.Errorf("%s %s: wildcard action %q in %v", name, where, a, st)
					}
				}
			}
		}
	}
}

func like(m map[string]any) assertions.Matcher { return assertions.Match_ObjectLike(&m) }

func jsonEq(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// functionStatements are the statements of the function role's policy, by Sid.
func functionStatements(t *testing.T, f *fixture) map[string]map[string]any {
	t.Helper()
	role := logicalID(f.stack, f.stack.Role)
	out := map[string]map[string]any{}
	for _, p := range f.resources("AWS::IAM::Policy") {
		props := p["Properties"].(map[string]any)
		if props["Roles"].([]any)[0].(map[string]any)["Ref"] != role {
			continue
		}
		for i, s := range asList(props["PolicyDocument"].(map[string]any)["Statement"]) {
			st := s.(map[string]any)
			sid, _ := st["Sid"].(string)
			if sid == "" {
				sid = "#" + string(rune('0'+i))
			}
			out[sid] = st
		}
	}
	return out
}

func actions(st map[string]any) []string {
	var out []string
	for _, a := range asList(st["Action"]) {
		out = append(out, a.(string))
	}
	slices.Sort(out)
	return out
}

func resourceSuffixes(st map[string]any) []string {
	var out []string
	for _, r := range asList(st["Resource"]) {
		b, _ := json.Marshal(r)
		s := string(b)
		out = append(out, s[strings.LastIndex(s, `":`)+1:])
	}
	return out
}

func TestFunctionPolicy(t *testing.T) {
	t.Run("report mode can only read", func(t *testing.T) {
		sts := functionStatements(t, reportStack(t))
		for sid, st := range sts {
			for _, a := range actions(st) {
				if !slices.Contains([]string{
					"rds:DescribeDBInstances", "rds:DescribeDBParameters", "rds:DescribeDBParameterGroups",
					"rds:ListTagsForResource", "scheduler:GetSchedule", "sns:Publish", "kms:Decrypt",
					"kms:GenerateDataKey", "logs:CreateLogStream", "logs:PutLogEvents",
					"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
					// consuming the sweep work queue
					"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
				}, a) {
					t.Errorf("report mode %s grants %s", sid, a)
				}
			}
		}
	})
	t.Run("enforce mode names and scopes every write", func(t *testing.T) {
		f := enforceStack(t)
		sts := functionStatements(t, f)
		want := map[string]struct {
			actions   []string
			resources []string // suffix of each ARN after the account
		}{
			"ReadRDS": {[]string{"rds:DescribeDBInstances", "rds:DescribeDBParameterGroups", "rds:DescribeDBParameters", "rds:ListTagsForResource"},
				[]string{`:db:*"]]}`, `:pg:*"]]}`}},
			"WriteOwnParameterGroups": {[]string{"rds:AddTagsToResource", "rds:CopyDBParameterGroup", "rds:CreateDBParameterGroup", "rds:ModifyDBParameterGroup"},
				[]string{`:pg:forcessl-*"]]}`}},
			"CopyFromAnySourceGroup":   {[]string{"rds:CopyDBParameterGroup"}, []string{`:pg:*"]]}`}},
			"AttachOwnParameterGroups": {[]string{"rds:ModifyDBInstance"}, []string{`:db:*"]]}`, `:pg:forcessl-*"]]}`}},
			"RebootInstances":          {[]string{"rds:RebootDBInstance"}, []string{`:db:*"]]}`}},
			"ManageRebootSchedules": {[]string{"scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:UpdateSchedule"},
				[]string{`:schedule/forcessl/forcessl-*"]]}`}},
			"ReadRebootSchedules": {[]string{"scheduler:GetSchedule"}, []string{`:schedule/forcessl/forcessl-*"]]}`}},
		}
		for sid, w := range want {
			st, ok := sts[sid]
			if !ok {
				t.Errorf("statement %s missing", sid)
				continue
			}
			if got := actions(st); !slices.Equal(got, w.actions) {
				t.Errorf("%s actions = %v, want %v", sid, got, w.actions)
			}
			if got := resourceSuffixes(st); !slices.Equal(got, w.resources) {
				t.Errorf("%s resources = %v, want %v", sid, got, w.resources)
			}
		}
		// PassRole: only the scheduler role, only to Scheduler.
		if got := sts["PassSchedulerRole"]; !jsonEq(got, map[string]any{
			"Sid": "PassSchedulerRole", "Effect": "Allow", "Action": "iam:PassRole",
			"Resource":  map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.SchedulerRole), "Arn"}},
			"Condition": map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "scheduler.amazonaws.com"}},
		}) {
			t.Errorf("PassSchedulerRole = %v", got)
		}
		// Exempt instances are denied whatever the code does.
		deny := sts["NeverTouchExemptInstances"]
		if deny["Effect"] != "Deny" || !jsonEq(deny["Condition"], map[string]any{
			"StringEqualsIgnoreCase": map[string]any{"rds:db-tag/team:tls-exempt": "true"}}) {
			t.Errorf("NeverTouchExemptInstances = %v", deny)
		}
		if got := actions(sts["EncryptNotifications"]); !slices.Equal(got, []string{"kms:Decrypt", "kms:GenerateDataKey"}) {
			t.Errorf("EncryptNotifications actions = %v", got)
		}
	})
}

func TestTopicAndKey(t *testing.T) {
	f := reportStack(t)
	topic := logicalID(f.stack, f.stack.Notifications.Topic)
	key := logicalID(f.stack, f.stack.Notifications.Key)
	f.template.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{
		"KmsMasterKeyId": map[string]any{"Fn::GetAtt": []any{key, "Arn"}},
	})
	f.template.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]any{
		"Topics": []any{map[string]any{"Ref": topic}},
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
			like(map[string]any{
				"Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			}),
			like(map[string]any{
				"Effect": "Allow", "Action": "sns:Publish",
				"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}}, "ArnLike": assertions.Match_AnyValue()},
			}),
		})},
	})
	f.template.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{
		"EnableKeyRotation": true,
		"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
			like(map[string]any{"Sid": "CloudWatchAlarmsPublishToTopic", "Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
				"Action": []any{"kms:Decrypt", "kms:GenerateDataKey"}}),
			like(map[string]any{"Sid": "RemediatorPublishesToTopic",
				"Principal": map[string]any{"AWS": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Role), "Arn"}}},
				"Action":    []any{"kms:Decrypt", "kms:GenerateDataKey"}}),
		})},
	})
	f.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{like(map[string]any{
			"Effect": "Deny", "Action": "sqs:*",
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		})})},
	})
}

func TestAlarms(t *testing.T) {
	f := reportStack(t)
	topic := map[string]any{"Ref": logicalID(f.stack, f.stack.Notifications.Topic)}
	for _, a := range []map[string]any{
		{"Namespace": "AWS/Lambda", "MetricName": "Errors", "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold"},
		{"Namespace": "AWS/Lambda", "MetricName": "Throttles", "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold"},
		{"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible", "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold"},
	} {
		a["AlarmActions"] = []any{topic}
		a["TreatMissingData"] = "notBreaching"
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), a)
	}
	// Each dead-letter queue has its own depth alarm.
	for _, q := range []awssqs.Queue{f.stack.DeadLetters, f.stack.Sweep.DeadLetters} {
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible", "Threshold": 0,
			"Dimensions":   []any{map[string]any{"Name": "QueueName", "Value": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, q), "QueueName"}}}},
			"AlarmActions": []any{topic},
		})
	}
}

func TestScheduler(t *testing.T) {
	f := reportStack(t)
	group := logicalID(f.stack, f.stack.ScheduleGroup)
	f.template.HasResourceProperties(jsii.String("AWS::Scheduler::ScheduleGroup"), map[string]any{"Name": config.DefaultScheduleGroup})
	f.template.HasResource(jsii.String("AWS::Scheduler::ScheduleGroup"), map[string]any{"DeletionPolicy": "Delete"})
	f.template.HasResourceProperties(jsii.String("AWS::IAM::Role"), map[string]any{
		"AssumeRolePolicyDocument": map[string]any{"Statement": []any{map[string]any{
			"Action": "sts:AssumeRole", "Effect": "Allow",
			"Principal": map[string]any{"Service": "scheduler.amazonaws.com"},
			"Condition": map[string]any{"StringEquals": map[string]any{
				"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"},
				"aws:SourceArn":     map[string]any{"Fn::GetAtt": []any{group, "Arn"}},
			}},
		}}},
	})
	// The scheduler role may invoke this function, and put what it could
	// not deliver on the dead-letter queue; nothing else.
	f.template.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
		"Roles": []any{map[string]any{"Ref": logicalID(f.stack, f.stack.SchedulerRole)}},
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayEquals(&[]any{
			map[string]any{
				"Sid": "DeadLetterUndeliveredReboots", "Effect": "Allow", "Action": "sqs:SendMessage",
				"Resource": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.DeadLetters), "Arn"}},
			},
			map[string]any{
				"Sid": "InvokeRemediator", "Effect": "Allow", "Action": "lambda:InvokeFunction",
				"Resource": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Function), "Arn"}},
			},
		})},
	})
}

// TestNagClean: cdk-nag's AwsSolutions pack reports no unsuppressed error
// or warning in either configuration.
func TestNagClean(t *testing.T) {
	for name, f := range map[string]*fixture{"report": reportStack(t), "enforce": enforceStack(t), "sweep": sweepStack(t)} {
		ann := assertions.Annotations_FromStack(f.stack.Stack)
		for _, found := range []*[]*cxapi.SynthesisMessage{
			ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))),
			ann.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))),
		} {
			for _, m := range *found {
				t.Errorf("%s: %s: %v", name, *m.Id, m.Entry.Data)
			}
		}
	}
}

// TestNagIsWired: a violation added to the stack fails the synth (the
// cdk.json flag annotationsInValidationReport turns error annotations into
// a failed validation), so a clean result above means something.
func TestNagIsWired(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Context: cdkJSONContext(t, nil)})
	root, err := FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	st := NewForceSSLStack(app, "Bad", &ForceSSLStackProps{Settings: DefaultSettings(), ModuleRoot: root})
	awssqs.NewQueue(st.Stack, jsii.String("PlainQueue"), nil) // no TLS-only policy, no DLQ

	msg := func() (msg string) {
		// The synth is expected to fail: this recovers the expected failure
		// only, assertions are not run in here.
		defer func() {
			if r := recover(); r != nil {
				msg = fmt.Sprint(r)
			}
		}()
		app.Synth(nil)
		return ""
	}()
	m := regexp.MustCompile(`found in: (\S+validation-report\.json)`).FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("synth with a cdk-nag violation did not fail validation: %q", msg)
	}
	report, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"AwsSolutions-SQS4", "Bad/PlainQueue/Resource"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("validation report does not mention %s", want)
		}
	}
}

// TestBundledBinary: the asset is the remediator, cross-compiled as the
// issue requires.
func TestBundledBinary(t *testing.T) {
	f := reportStack(t)
	fn := f.json["Resources"].(map[string]any)[logicalID(f.stack, f.stack.Function)].(map[string]any)
	// The asset hash names both the S3 object and the staged directory.
	key := fn["Properties"].(map[string]any)["Code"].(map[string]any)["S3Key"].(string)
	bin := filepath.Join(*f.app.Outdir(), "asset."+strings.TrimSuffix(key, ".zip"), "bootstrap")
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	if ef.Machine != elf.EM_AARCH64 {
		t.Errorf("bootstrap is for %v, want EM_AARCH64", ef.Machine)
	}
	// -ldflags='-s -w' (not recorded in build info under -trimpath): no
	// symbol table, no DWARF.
	for _, sec := range []string{".symtab", ".debug_info", ".zdebug_info"} {
		if ef.Section(sec) != nil {
			t.Errorf("bootstrap has section %s: not built with -ldflags='-s -w'", sec)
		}
	}
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if want := "github.com/forcessl/forcessl/functions/remediator"; bi.Path != want {
		t.Errorf("bootstrap built from %s, want %s", bi.Path, want)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	for k, v := range map[string]string{
		"GOOS": "linux", "GOARCH": "arm64", "CGO_ENABLED": "0",
		"-tags": "lambda.norpc", "-trimpath": "true",
	} {
		if settings[k] != v {
			t.Errorf("build setting %s = %q, want %q", k, settings[k], v)
		}
	}
	if _, ok := settings["vcs.revision"]; ok {
		t.Error("binary carries a VCS stamp: the asset hash would change with every commit")
	}
}

func TestSettingsFromContext(t *testing.T) {
	parse := func(ctx map[string]any) (Settings, error) {
		app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
		return SettingsFromContext(app.Node())
	}
	s, err := parse(map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if d := DefaultSettings(); !jsonEq(s, d) {
		t.Errorf("no context = %+v, want defaults %+v", s, d)
	}
	// cdk.json may hold lists and numbers.
	s, err = parse(map[string]any{CtxNotifyEmails: []any{"a@x.com", " b@y.com "}, CtxLogRetentionDays: 365})
	if err != nil || !slices.Equal(s.NotifyEmails, []string{"a@x.com", "b@y.com"}) || s.LogRetentionDays != 365 {
		t.Errorf("got %+v, %v", s, err)
	}
	for _, tc := range []struct {
		ctx  map[string]any
		want string // in the error
	}{
		{map[string]any{CtxMode: "fix"}, "context mode"},
		{map[string]any{CtxReboot: "now"}, "context reboot"},
		{map[string]any{CtxMinLead: "soon"}, "context minLead"},
		{map[string]any{CtxEngines: "oracle-ee"}, "context engines"},
		{map[string]any{CtxLogRetentionDays: "31"}, "context logRetentionDays"},
		{map[string]any{CtxLogRetentionDays: "month"}, "context logRetentionDays"},
		{map[string]any{CtxLogLevel: "trace"}, "context logLevel"},
		{map[string]any{CtxExemptTag: "aws:exempt"}, "context exemptTag"},
		{map[string]any{CtxNotifyEmails: "ops"}, "context notifyEmails"},
		{map[string]any{CtxNotifyEmails: "Ops <ops@example.com>"}, "context notifyEmails"},
		{map[string]any{CtxSlackWorkspaceID: "T0123ABCD"}, "must be given together"},
		{map[string]any{CtxSlackWorkspaceID: "T0123ABCD", CtxSlackChannelID: "#ops"}, "context slackChannelId"},
	} {
		if _, err := parse(tc.ctx); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("context %v: error %v, want it to mention %q", tc.ctx, err, tc.want)
		}
	}
}

// --- Organization mode -----------------------------------------------------

var orgContext = map[string]any{
	CtxMode:      "enforce",
	CtxOrgID:     "o-abc123def4",
	CtxTargetOUs: "ou-ab12-cdef3456,ou-ab12-7890abcd",
	CtxRegions:   "us-east-1,eu-west-1",
	CtxAccounts:  "111111111111,222222222222",
}

// orgStack is an enforcing organization deployment.
func orgStack(t *testing.T) *fixture { return synth(t, "org", orgContext) }

// orgReportStack is an organization deployment in report mode, from a
// delegated administrator, with a custom member role name.
func orgReportStack(t *testing.T) *fixture {
	return synth(t, "org-report", map[string]any{
		CtxOrgID:          "o-abc123def4",
		CtxTargetOUs:      []any{"r-ab12"},
		CtxRegions:        "eu-west-1",
		CtxMemberRoleName: "ops-forcessl",
		CtxStackSetCallAs: "DELEGATED_ADMIN",
	})
}

// member is the member stack's template as the StackSet embeds it.
func member(t *testing.T, f *fixture) (assertions.Template, map[string]any) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(f.stack.Org.MemberTemplate), &m); err != nil {
		t.Fatal(err)
	}
	return assertions.Template_FromJSON(&m, nil), m
}

func memberResources(m map[string]any, typ string) map[string]map[string]any {
	return (&fixture{json: m}).resources(typ)
}

// TestSingleAccountUnchanged: without the organization context nothing of
// organization mode is in the template or the app.
func TestSingleAccountUnchanged(t *testing.T) {
	for name, f := range map[string]*fixture{"report": reportStack(t), "enforce": enforceStack(t)} {
		for _, typ := range []string{"AWS::Events::EventBus", "AWS::Events::EventBusPolicy", "AWS::CloudFormation::StackSet"} {
			if n := len(f.resources(typ)); n != 0 {
				t.Errorf("%s: %d %s", name, n, typ)
			}
		}
		raw, _ := json.Marshal(f.json)
		for _, s := range []string{"sts:AssumeRole\"", "EventBusName", config.EnvMemberRoleName, config.EnvAccounts} {
			// sts:AssumeRole appears in trust policies (as the action of
			// AssumeRolePolicyDocument); look for it in permission policies.
			if s == "sts:AssumeRole\"" {
				for id, p := range f.resources("AWS::IAM::Policy") {
					b, _ := json.Marshal(p)
					if strings.Contains(string(b), s) {
						t.Errorf("%s: policy %s grants sts:AssumeRole", name, id)
					}
				}
				continue
			}
			if strings.Contains(string(raw), s) {
				t.Errorf("%s: template mentions %s", name, s)
			}
		}
		if f.stack.Org != nil || f.app.Node().TryFindChild(jsii.String("ForceSSLMember")) != nil {
			t.Errorf("%s: organization constructs built", name)
		}
	}
}

func TestOrgResourceCounts(t *testing.T) {
	tpl := orgStack(t).template
	for typ, n := range map[string]float64{
		"AWS::Events::EventBus": 1, "AWS::Events::EventBusPolicy": 1, "AWS::CloudFormation::StackSet": 1,
		"AWS::Events::Rule": 7, "AWS::Lambda::Permission": 7, "AWS::Lambda::Function": 1, "AWS::IAM::Role": 2,
	} {
		tpl.ResourceCountIs(jsii.String(typ), jsii.Number(n))
	}
}

func TestOrgBusPolicy(t *testing.T) {
	f := orgStack(t)
	bus := logicalID(f.stack, f.stack.Org.Bus)
	f.template.HasResourceProperties(jsii.String("AWS::Events::EventBus"), map[string]any{"Name": CentralEventBusName})
	f.template.HasResourceProperties(jsii.String("AWS::Events::EventBusPolicy"), assertions.Match_ObjectEquals(&map[string]any{
		"EventBusName": map[string]any{"Ref": bus},
		"StatementId":  "PutEventsFromOrganization",
		"Statement": map[string]any{
			"Sid": "PutEventsFromOrganization", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents",
			"Resource":  map[string]any{"Fn::GetAtt": []any{bus, "Arn"}},
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-abc123def4"}},
		},
	}))
}

func TestOrgCentralRules(t *testing.T) {
	f := orgStack(t)
	fn := logicalID(f.stack, f.stack.Function)
	dlq := logicalID(f.stack, f.stack.DeadLetters)
	if len(f.stack.Org.Rules) != 3 {
		t.Fatalf("%d central bus rules, want 3", len(f.stack.Org.Rules))
	}
	for _, p := range eventPatterns(nil) {
		f.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"EventBusName": map[string]any{"Ref": logicalID(f.stack, f.stack.Org.Bus)},
			"EventPattern": map[string]any{
				"source": *p.pattern.Source, "detail-type": *p.pattern.DetailType,
				// The allow-list is applied in the pattern too.
				"account": []any{"111111111111", "222222222222"},
			},
			"Targets": []any{map[string]any{
				"Arn":              map[string]any{"Fn::GetAtt": []any{fn, "Arn"}},
				"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{dlq, "Arn"}}},
				"RetryPolicy":      map[string]any{"MaximumRetryAttempts": eventRetryAttempts, "MaximumEventAgeInSeconds": 7200},
				"Id":               assertions.Match_AnyValue(),
			}},
		})
	}
	// The default-bus rules are still there, without an account filter.
	f.template.ResourcePropertiesCountIs(jsii.String("AWS::Events::Rule"), map[string]any{
		"EventBusName": assertions.Match_Absent(), "EventPattern": map[string]any{"account": assertions.Match_Absent()},
	}, jsii.Number(3))
}

func TestOrgFunction(t *testing.T) {
	for _, tc := range []struct {
		f        *fixture
		roleName string
		accounts any
	}{
		{orgStack(t), DefaultMemberRoleName, "111111111111,222222222222"},
		{orgReportStack(t), "ops-forcessl", assertions.Match_Absent()},
	} {
		tc.f.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Environment": map[string]any{"Variables": map[string]any{
				config.EnvMemberRoleName: tc.roleName,
				config.EnvAccounts:       tc.accounts,
			}},
		})
		sts := functionStatements(t, tc.f)
		if got := sts["AssumeMemberRemediationRole"]; !jsonEq(got, map[string]any{
			"Sid": "AssumeMemberRemediationRole", "Effect": "Allow", "Action": "sts:AssumeRole",
			"Resource": map[string]any{"Fn::Join": []any{"", []any{
				"arn:", map[string]any{"Ref": "AWS::Partition"}, ":iam::*:role/" + tc.roleName}}},
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": "o-abc123def4"}},
		}) {
			t.Errorf("AssumeMemberRemediationRole = %v", got)
		}
	}
	// Own-account RDS access covers the central region and the member regions.
	if got := resourceSuffixes(functionStatements(t, orgStack(t))["RebootInstances"]); len(got) != 3 {
		t.Errorf("RebootInstances resources = %v, want own region + 2 member regions", got)
	}
}

func TestStackSet(t *testing.T) {
	f := orgStack(t)
	f.template.HasResource(jsii.String("AWS::CloudFormation::StackSet"), map[string]any{
		"DependsOn": assertions.Match_ArrayWith(&[]any{*f.stack.GetLogicalId(f.stack.Org.BusPolicy)}),
		"Properties": map[string]any{
			"StackSetName":     MemberStackSetName,
			"PermissionModel":  "SERVICE_MANAGED",
			"CallAs":           "SELF",
			"AutoDeployment":   map[string]any{"Enabled": true, "RetainStacksOnAccountRemoval": false},
			"Capabilities":     []any{"CAPABILITY_NAMED_IAM"},
			"ManagedExecution": map[string]any{"Active": true},
			"OperationPreferences": map[string]any{
				"RegionConcurrencyType": "PARALLEL", "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
				"MaxConcurrentPercentage": 50, "FailureTolerancePercentage": 10,
			},
			"StackInstancesGroup": []any{map[string]any{
				"DeploymentTargets": assertions.Match_ObjectEquals(&map[string]any{
					"OrganizationalUnitIds": []any{"ou-ab12-cdef3456", "ou-ab12-7890abcd"}}),
				"Regions": []any{"us-east-1", "eu-west-1"},
			}},
			"Parameters": []any{
				map[string]any{"ParameterKey": ParamCentralEventBusArn, "ParameterValue": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Org.Bus), "Arn"}}},
				map[string]any{"ParameterKey": ParamCentralFunctionRoleArn, "ParameterValue": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Role), "Arn"}}},
				map[string]any{"ParameterKey": ParamCentralAccountID, "ParameterValue": map[string]any{"Ref": "AWS::AccountId"}},
				map[string]any{"ParameterKey": ParamCentralRegion, "ParameterValue": map[string]any{"Ref": "AWS::Region"}},
				map[string]any{"ParameterKey": ParamPrimaryRegion, "ParameterValue": "us-east-1"},
			},
			"TemplateBody": f.stack.Org.MemberTemplate,
			"TemplateURL":  assertions.Match_Absent(),
		},
	})
	orgReportStack(t).template.HasResourceProperties(jsii.String("AWS::CloudFormation::StackSet"), map[string]any{
		"CallAs": "DELEGATED_ADMIN",
		"StackInstancesGroup": []any{map[string]any{
			"DeploymentTargets": map[string]any{"OrganizationalUnitIds": []any{"r-ab12"}},
			"Regions":           []any{"eu-west-1"},
		}},
	})
	for name, f := range map[string]*fixture{"enforce": f, "report": orgReportStack(t)} {
		body := f.stack.Org.MemberTemplate
		if n := len(body); n > MaxTemplateBodyBytes {
			t.Errorf("%s: member template is %d bytes, over the TemplateBody limit %d", name, n, MaxTemplateBodyBytes)
		}
		// The embedded body is the member stack's synthesized template.
		_, m := member(t, f)
		if want := assertions.Template_FromStack(f.stack.Org.Member.Stack, nil).ToJSON(); !jsonEq(m, *want) {
			t.Errorf("%s: TemplateBody differs from the member stack's template", name)
		}
		// The member template is also a file of the cloud assembly (cfn-lint
		// checks it in CI).
		files, _ := filepath.Glob(filepath.Join(*f.app.Outdir(), "assembly-ForceSSLMember", "*.template.json"))
		if len(files) != 1 {
			t.Errorf("%s: member template files in the assembly: %v", name, files)
		}
	}
}

// TestMemberTemplateSelfContained: deployable by a StackSet into accounts
// that were never CDK-bootstrapped and from an inline body.
func TestMemberTemplateSelfContained(t *testing.T) {
	f := orgStack(t)
	_, m := member(t, f)
	if _, ok := m["Rules"]; ok {
		t.Error("member template has Rules (bootstrap version check?)")
	}
	params := m["Parameters"].(map[string]any)
	if _, ok := params["BootstrapVersion"]; ok {
		t.Error("member template has the BootstrapVersion parameter")
	}
	var keys []string
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{ParamCentralAccountID, ParamCentralEventBusArn, ParamCentralFunctionRoleArn, ParamCentralRegion, ParamPrimaryRegion}; !slices.Equal(keys, want) {
		t.Errorf("member parameters = %v, want %v", keys, want)
	}
	for _, s := range []string{"cdk-bootstrap", "AWS::CDK::Metadata", "Fn::ImportValue", "S3Key", "${Token", "aws:asset"} {
		if strings.Contains(f.stack.Org.MemberTemplate, s) {
			t.Errorf("member template contains %q", s)
		}
	}
	// Every parameter the template declares is set by the StackSet.
	ss := f.resources("AWS::CloudFormation::StackSet")
	for _, r := range ss {
		var set []string
		for _, p := range r["Properties"].(map[string]any)["Parameters"].([]any) {
			set = append(set, p.(map[string]any)["ParameterKey"].(string))
		}
		slices.Sort(set)
		if !slices.Equal(set, keys) {
			t.Errorf("StackSet sets %v, template declares %v", set, keys)
		}
	}
}

func TestMemberRemediationRole(t *testing.T) {
	tpl, m := member(t, orgStack(t))
	tpl.HasResource(jsii.String("AWS::IAM::Role"), map[string]any{
		"Condition": "IsPrimaryRegion",
		"Properties": map[string]any{
			"RoleName": DefaultMemberRoleName,
			"AssumeRolePolicyDocument": map[string]any{"Statement": []any{map[string]any{
				"Action": "sts:AssumeRole", "Effect": "Allow",
				"Principal": map[string]any{"AWS": map[string]any{"Fn::Join": []any{"", []any{
					"arn:", map[string]any{"Ref": "AWS::Partition"}, ":iam::", map[string]any{"Ref": ParamCentralAccountID}, ":root"}}}},
				"Condition": assertions.Match_ObjectEquals(&map[string]any{
					"ArnEquals":    map[string]any{"aws:PrincipalArn": map[string]any{"Ref": ParamCentralFunctionRoleArn}},
					"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-abc123def4"},
				}),
			}}},
			"ManagedPolicyArns": assertions.Match_Absent(),
		},
	})
	tpl.TemplateMatches(map[string]any{"Conditions": map[string]any{
		"IsPrimaryRegion": map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "AWS::Region"}, map[string]any{"Ref": ParamPrimaryRegion}}},
	}})
	tpl.HasParameter(jsii.String(ParamPrimaryRegion), map[string]any{
		"Default": "us-east-1", "AllowedValues": []any{"us-east-1", "eu-west-1"},
	})

	// The role's statements are the function's RDS statements of the same
	// mode (same builder), over every member region.
	memberSts := map[string]map[string]any{}
	for _, r := range memberResources(m, "AWS::IAM::Role") {
		props := r["Properties"].(map[string]any)
		if props["RoleName"] != DefaultMemberRoleName {
			continue
		}
		for _, s := range asList(props["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"]) {
			st := s.(map[string]any)
			memberSts[st["Sid"].(string)] = st
		}
	}
	fnSts := functionStatements(t, enforceStack(t))
	var sids []string
	for sid, st := range memberSts {
		sids = append(sids, sid)
		if !slices.Equal(actions(st), actions(fnSts[sid])) || st["Effect"] != fnSts[sid]["Effect"] {
			t.Errorf("member %s = %v, function has %v", sid, st, fnSts[sid])
		}
		raw, _ := json.Marshal(st["Resource"])
		for _, r := range []string{":rds:us-east-1:", ":rds:eu-west-1:"} {
			if !strings.Contains(string(raw), r) {
				t.Errorf("member %s does not cover %s", sid, r)
			}
		}
	}
	slices.Sort(sids)
	if want := []string{"AttachOwnParameterGroups", "CopyFromAnySourceGroup", "NeverTouchExemptInstances",
		"ReadRDS", "RebootInstances", "WriteOwnParameterGroups"}; !slices.Equal(sids, want) {
		t.Errorf("member role statements %v, want exactly the RDS ones %v", sids, want)
	}
	if !jsonEq(memberSts["NeverTouchExemptInstances"]["Condition"], map[string]any{
		"StringEqualsIgnoreCase": map[string]any{"rds:db-tag/forcessl:exempt": "true"}}) {
		t.Errorf("exempt Deny = %v", memberSts["NeverTouchExemptInstances"])
	}

	// Report mode: read only, custom name.
	tpl, m = member(t, orgReportStack(t))
	tpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), map[string]any{
		"RoleName": "ops-forcessl",
		"Policies": []any{map[string]any{"PolicyDocument": map[string]any{"Statement": []any{
			like(map[string]any{"Sid": "ReadRDS"})}}}},
	})
}

// TestMemberGlobalResources: IAM is account-global and the StackSet deploys
// the template to several regions of each account. Any named IAM resource
// must exist in one region only (or the second region fails with "already
// exists"); unnamed ones get a per-stack-instance name.
func TestMemberGlobalResources(t *testing.T) {
	_, m := member(t, orgStack(t))
	named := 0
	for id, r := range m["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if !strings.HasPrefix(r["Type"].(string), "AWS::IAM::") {
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		_, hasName := props["RoleName"]
		for _, k := range []string{"PolicyName", "ManagedPolicyName", "UserName", "GroupName", "InstanceProfileName"} {
			if _, ok := props[k]; ok && r["Type"] != "AWS::IAM::Policy" {
				hasName = true
			}
		}
		if hasName {
			named++
			if r["Condition"] != "IsPrimaryRegion" {
				t.Errorf("%s (%s) is named but not limited to the primary region", id, r["Type"])
			}
		}
	}
	if named != 1 {
		t.Errorf("%d named IAM resources, want 1 (the remediation role)", named)
	}
}

func TestMemberForwarding(t *testing.T) {
	tpl, m := member(t, orgStack(t))
	roles := memberResources(m, "AWS::IAM::Role")
	var fwd string
	for id, r := range roles {
		if _, named := r["Properties"].(map[string]any)["RoleName"]; !named {
			fwd = id
		}
	}
	if fwd == "" || len(roles) != 2 {
		t.Fatalf("member roles %v: want the named remediation role and one unnamed forwarding role", slices.Collect(maps.Keys(roles)))
	}
	tpl.HasResource(jsii.String("AWS::IAM::Role"), map[string]any{
		"Condition": assertions.Match_Absent(),
		"Properties": map[string]any{"AssumeRolePolicyDocument": map[string]any{"Statement": []any{map[string]any{
			"Action": "sts:AssumeRole", "Effect": "Allow",
			"Principal": map[string]any{"Service": "events.amazonaws.com"},
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}}},
		}}}},
	})
	tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
		"Roles": []any{map[string]any{"Ref": fwd}},
		"PolicyDocument": map[string]any{"Statement": []any{map[string]any{
			"Action": "events:PutEvents", "Effect": "Allow", "Resource": map[string]any{"Ref": ParamCentralEventBusArn},
		}}},
	})
	tpl.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(3))
	for _, p := range eventPatterns(nil) {
		tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"EventBusName": assertions.Match_Absent(), // the member account's default bus
			"EventPattern": map[string]any{"source": []any{"aws.rds"}, "detail-type": *p.pattern.DetailType, "account": assertions.Match_Absent()},
			"State":        map[string]any{"Fn::If": []any{"IsCentralAccountHome", "DISABLED", "ENABLED"}},
			"Targets": []any{assertions.Match_ObjectEquals(&map[string]any{
				"Arn":     map[string]any{"Ref": ParamCentralEventBusArn},
				"RoleArn": map[string]any{"Fn::GetAtt": []any{fwd, "Arn"}},
				"Id":      assertions.Match_AnyValue(),
			})},
		})
	}
	tpl.TemplateMatches(map[string]any{"Conditions": map[string]any{
		"IsCentralAccountHome": map[string]any{"Fn::And": []any{
			map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "AWS::AccountId"}, map[string]any{"Ref": ParamCentralAccountID}}},
			map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "AWS::Region"}, map[string]any{"Ref": ParamCentralRegion}}},
		}},
	}})
	// Forwarded patterns are the central ones, filter for filter.
	central := orgStack(t)
	for id, r := range memberResources(m, "AWS::Events::Rule") {
		pat := r["Properties"].(map[string]any)["EventPattern"]
		found := false
		for _, c := range central.resources("AWS::Events::Rule") {
			cp := c["Properties"].(map[string]any)
			if _, onBus := cp["EventBusName"]; !onBus && jsonEq(cp["EventPattern"], pat) {
				found = true
			}
		}
		if !found {
			t.Errorf("member rule %s pattern %v matches no central default-bus rule", id, pat)
		}
	}
}

// TestOrgNagClean: cdk-nag is clean on the central stack in organization
// mode and on the member stack.
func TestOrgNagClean(t *testing.T) {
	for name, f := range map[string]*fixture{"org": orgStack(t), "org-report": orgReportStack(t)} {
		for _, st := range []awscdk.Stack{f.stack.Stack, f.stack.Org.Member.Stack} {
			ann := assertions.Annotations_FromStack(st)
			for _, found := range []*[]*cxapi.SynthesisMessage{
				ann.FindError(jsii.String("*"), assertions.Match_AnyValue()),
				ann.FindWarning(jsii.String("*"), assertions.Match_AnyValue()),
			} {
				for _, m := range *found {
					t.Errorf("%s %s: %s: %v", name, *st.StackName(), *m.Id, m.Entry.Data)
				}
			}
		}
	}
}

func TestOrgSettings(t *testing.T) {
	parse := func(ctx map[string]any) (Settings, error) {
		app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
		return SettingsFromContext(app.Node())
	}
	s, err := parse(map[string]any{
		CtxOrgID: "o-abc123def4", CtxTargetOUs: []any{"ou-ab12-cdef3456"},
		CtxRegions: "eu-west-1, us-east-1,eu-west-1", CtxAccounts: "111111111111",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Org() || !slices.Equal(s.Regions, []string{"eu-west-1", "us-east-1"}) || s.MemberRoleName != DefaultMemberRoleName ||
		s.StackSetCallAs != "SELF" || !slices.Equal(s.Accounts, []string{"111111111111"}) {
		t.Errorf("got %+v", s)
	}
	org := func(extra map[string]any) map[string]any {
		c := map[string]any{CtxOrgID: "o-abc123def4", CtxTargetOUs: "ou-ab12-cdef3456", CtxRegions: "us-east-1"}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	for _, tc := range []struct {
		ctx  map[string]any
		want string
	}{
		{map[string]any{CtxOrgID: "o-abc123def4"}, "(missing: targetOus, regions)"},
		{map[string]any{CtxTargetOUs: "ou-ab12-cdef3456", CtxRegions: "us-east-1"}, "(missing: orgId)"},
		{map[string]any{CtxOrgID: "o-abc123def4", CtxTargetOUs: "ou-ab12-cdef3456"}, "(missing: regions)"},
		{map[string]any{CtxAccounts: "111111111111"}, "context accounts only applies to an organization deployment"},
		{map[string]any{CtxMemberRoleName: "x"}, "context memberRoleName only applies"},
		{map[string]any{CtxStackSetCallAs: "SELF"}, "context stackSetCallAs only applies"},
		{org(map[string]any{CtxOrgID: "org-1"}), "context orgId"},
		{org(map[string]any{CtxTargetOUs: "ou-ab12-cdef3456,OpsOU"}), `context targetOus: "OpsOU"`},
		{org(map[string]any{CtxRegions: "us-east-1,Frankfurt"}), `context regions: "Frankfurt"`},
		{org(map[string]any{CtxAccounts: "1234"}), `context accounts="1234": "1234" is not a 12-digit account ID`},
		{org(map[string]any{CtxMemberRoleName: "bad name"}), "context memberRoleName"},
		{org(map[string]any{CtxStackSetCallAs: "ADMIN"}), "context stackSetCallAs"},
	} {
		if _, err := parse(tc.ctx); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("context %v: error %v, want it to mention %q", tc.ctx, err, tc.want)
		}
	}
}

// --- Reconciliation sweep ----------------------------------------------------

// sweepStack is a single-account deploy with every sweep key set.
func sweepStack(t *testing.T) *fixture {
	return synth(t, "sweep", map[string]any{
		CtxSweepSchedule:    "rate(12 hours)",
		CtxSweepConcurrency: 4,
		CtxSweepParallelism: "8",
		CtxSweepRegions:     "eu-west-1,us-east-1",
	})
}

func allStacks(t *testing.T) map[string]*fixture {
	return map[string]*fixture{
		"report": reportStack(t), "enforce": enforceStack(t), "sweep": sweepStack(t),
		"org": orgStack(t), "org-report": orgReportStack(t),
	}
}

func TestSweepRule(t *testing.T) {
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
				"Arn":              map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Function), "Arn"}},
				"Input":            string(input),
				"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.DeadLetters), "Arn"}}},
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
		"Queues": []any{map[string]any{"Ref": logicalID(f.stack, f.stack.DeadLetters)}},
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{like(map[string]any{
			"Effect": "Allow", "Action": "sqs:SendMessage",
			"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Sweep.Rule), "Arn"}}}},
		})})},
	})
}

func TestSweepQueues(t *testing.T) {
	f := reportStack(t)
	queue := logicalID(f.stack, f.stack.Sweep.Queue)
	dlq := logicalID(f.stack, f.stack.Sweep.DeadLetters)
	res := f.json["Resources"].(map[string]any)
	timeout := res[logicalID(f.stack, f.stack.Function)].(map[string]any)["Properties"].(map[string]any)["Timeout"].(float64)
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
	for _, tc := range []struct {
		f           *fixture
		concurrency int
	}{{reportStack(t), DefaultSweepConcurrency}, {sweepStack(t), 4}} {
		f := tc.f
		f.template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), assertions.Match_ObjectEquals(&map[string]any{
			"EventSourceArn":        map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Sweep.Queue), "Arn"}},
			"FunctionName":          map[string]any{"Ref": logicalID(f.stack, f.stack.Function)},
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

// dashboardBody is the dashboard's JSON body with every CloudFormation
// token (they only occur inside JSON strings) replaced by "TOKEN".
func dashboardBody(t *testing.T, f *fixture) (map[string]any, string) {
	t.Helper()
	ds := f.resources("AWS::CloudWatch::Dashboard")
	if len(ds) != 1 {
		t.Fatalf("%d dashboards", len(ds))
	}
	var name any
	var b strings.Builder
	for _, d := range ds {
		props := d["Properties"].(map[string]any)
		name = props["DashboardName"]
		for _, part := range props["DashboardBody"].(map[string]any)["Fn::Join"].([]any)[1].([]any) {
			if s, ok := part.(string); ok {
				b.WriteString(s)
			} else {
				b.WriteString("TOKEN")
			}
		}
	}
	if !jsonEq(name, map[string]any{"Fn::Sub": "forcessl-${AWS::Region}"}) {
		t.Errorf("dashboard name = %v", name)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(b.String()), &body); err != nil {
		t.Fatalf("dashboard body: %v\n%s", err, b.String())
	}
	return body, b.String()
}

func TestEMFSchema(t *testing.T) {
	got := SweepMetrics()
	want := EMFSchema{
		Namespace:  "forcessl",
		Dimensions: [][]string{{"Account", "Region"}, {"Account"}},
		Metrics:    []string{"Compliant", "PendingReboot", "Remediated", "NonCompliant", "Exempt", "OutOfScope", "Failed"},
	}
	if !jsonEq(got, want) {
		t.Errorf("EMF schema = %+v, want %+v", got, want)
	}
}

func TestDashboard(t *testing.T) {
	for _, tc := range []struct {
		f      *fixture
		period int
	}{{reportStack(t), 86400}, {sweepStack(t), 43200}} {
		body, raw := dashboardBody(t, tc.f)
		var exprs, titles []string
		for _, w := range body["widgets"].([]any) {
			props := w.(map[string]any)["properties"].(map[string]any)
			if title, ok := props["title"].(string); ok {
				titles = append(titles, title)
			}
			metrics, _ := props["metrics"].([]any)
			for _, m := range metrics {
				for _, e := range m.([]any) {
					if o, ok := e.(map[string]any); ok && o["expression"] != nil {
						exprs = append(exprs, o["expression"].(string))
					}
				}
			}
		}
		p := fmt.Sprint(tc.period)
		for _, m := range SweepMetrics().Metrics {
			want := `SUM(SEARCH('{forcessl,Account,Region} MetricName="` + m + `"', 'Maximum', ` + p + `))`
			if !slices.Contains(exprs, want) {
				t.Errorf("no total for %s (%s) in %v", m, want, exprs)
			}
		}
		for _, m := range []string{"NonCompliant", "PendingReboot", "Failed"} {
			if want := `SEARCH('{forcessl,Account} MetricName="` + m + `"', 'Sum', ` + p + `)`; !slices.Contains(exprs, want) {
				t.Errorf("no by-account search for %s in %v", m, exprs)
			}
		}
		for _, w := range []string{"Instances by state (all accounts and regions)", "Latest sweep", "Non-compliant instances by account",
			"Remediator invocations", "Remediator duration (ms)", "Remediator concurrent executions", "Sweep queue", "Dead-letter queues"} {
			if !slices.Contains(titles, w) {
				t.Errorf("no widget %q in %v", w, titles)
			}
		}
		for _, m := range []string{`"AWS/Lambda","Errors"`, `"AWS/Lambda","Throttles"`, `"AWS/Lambda","Duration"`,
			`"AWS/SQS","ApproximateAgeOfOldestMessage"`, `"AWS/SQS","ApproximateNumberOfMessagesVisible"`} {
			if !strings.Contains(raw, m) {
				t.Errorf("dashboard has no %s metric", m)
			}
		}
	}
}

func TestSweepSettings(t *testing.T) {
	parse := func(ctx map[string]any) (Settings, error) {
		app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
		return SettingsFromContext(app.Node())
	}
	for _, tc := range []struct {
		schedule string
		interval time.Duration
	}{
		{"rate(1 day)", 24 * time.Hour}, {"rate(12 hours)", 12 * time.Hour}, {"rate(1 hour)", time.Hour},
		{"rate(90 minutes)", 90 * time.Minute}, {"cron(0 3 * * ? *)", 24 * time.Hour}, {"cron(0/30 8-17 ? * MON-FRI *)", 24 * time.Hour},
	} {
		s, err := parse(map[string]any{CtxSweepSchedule: tc.schedule})
		if err != nil || s.SweepSchedule != tc.schedule || s.SweepInterval() != tc.interval {
			t.Errorf("%s: %v, interval %v, want %v", tc.schedule, err, s.SweepInterval(), tc.interval)
		}
	}
	s, err := parse(map[string]any{CtxSweepConcurrency: "10", CtxSweepParallelism: 64, CtxSweepRegions: "eu-west-1, eu-west-1,us-east-1"})
	if err != nil || s.SweepConcurrency != 10 || s.SweepParallelism != 64 || !slices.Equal(s.SweptRegions(), []string{"eu-west-1", "us-east-1"}) ||
		s.ReservedConcurrency() != 13 {
		t.Errorf("got %+v, %v", s, err)
	}
	org := func(extra map[string]any) map[string]any {
		c := map[string]any{CtxOrgID: "o-abc123def4", CtxTargetOUs: "ou-ab12-cdef3456", CtxRegions: "us-east-1,eu-west-1"}
		maps.Copy(c, extra)
		return c
	}
	if s, err := parse(org(map[string]any{CtxSweepRegions: "eu-west-1"})); err != nil || !slices.Equal(s.SweptRegions(), []string{"eu-west-1"}) {
		t.Errorf("org sweepRegions subset: %+v, %v", s.SweptRegions(), err)
	}
	for _, tc := range []struct {
		ctx  map[string]any
		want string
	}{
		{map[string]any{CtxSweepSchedule: "daily"}, "context sweepSchedule"},
		{map[string]any{CtxSweepSchedule: "rate(1 days)"}, "singular unit for 1"},
		{map[string]any{CtxSweepSchedule: "rate(2 day)"}, "singular unit for 1"},
		{map[string]any{CtxSweepSchedule: "rate(0 days)"}, "context sweepSchedule"},
		{map[string]any{CtxSweepSchedule: "cron(0 3 * * ?)"}, "context sweepSchedule"},
		{map[string]any{CtxSweepConcurrency: "1"}, "context sweepConcurrency=1: want 2 to 100"},
		{map[string]any{CtxSweepConcurrency: "101"}, "context sweepConcurrency"},
		{map[string]any{CtxSweepConcurrency: "many"}, `context sweepConcurrency="many": not a number`},
		{map[string]any{CtxSweepParallelism: "0"}, "context sweepParallelism"},
		{map[string]any{CtxSweepParallelism: "65"}, "context sweepParallelism"},
		{map[string]any{CtxSweepParallelism: "x"}, "context sweepParallelism"},
		{map[string]any{CtxSweepRegions: "Frankfurt"}, `context sweepRegions: "Frankfurt"`},
		{org(map[string]any{CtxSweepRegions: "ap-south-1"}), `context sweepRegions: "ap-south-1" is not one of context regions`},
	} {
		if _, err := parse(tc.ctx); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("context %v: error %v, want it to mention %q", tc.ctx, err, tc.want)
		}
	}
}
