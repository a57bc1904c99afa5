package stack

import (
	"debug/buildinfo"
	"debug/elf"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/rdsevent"
)

func TestFunction(t *testing.T) {
	// GIVEN no context WHEN synthesized
	f := reportStack(t)
	// THEN the function, its environment (the engine's defaults and the
	// stack's references), log group, async delivery and dead-letter queue
	f.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Runtime":                      "provided.al2023",
		"Architectures":                []any{"arm64"},
		"Handler":                      "bootstrap",
		"MemorySize":                   128,
		"Timeout":                      300,
		"ReservedConcurrentExecutions": eventConcurrency + DefaultSweepConcurrency,
		"LoggingConfig": map[string]any{
			"LogFormat": "JSON",
			"LogGroup":  map[string]any{"Ref": logicalID(f.stack, f.stack.Remediator.LogGroup)},
		},
		"Environment": map[string]any{"Variables": map[string]any{
			config.EnvMode:             "report",
			config.EnvReboot:           "maintenance-window",
			config.EnvMinLead:          "15m",
			config.EnvScheduleGroup:    "forcessl",
			config.EnvExemptTag:        "forcessl:exempt",
			config.EnvEngines:          strings.Join(policy.Engines, ","),
			config.EnvLogLevel:         "info",
			config.EnvSchedulerRoleARN: map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Remediator.SchedulerRole), "Arn"}},
			config.EnvTopicARN:         map[string]any{"Ref": logicalID(f.stack, f.stack.Notifications.Topic)},
			config.EnvScheduleDLQARN:   map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Remediator.DeadLetters), "Arn"}},
			config.EnvStateTable:       map[string]any{"Ref": logicalID(f.stack, f.stack.State.Table)},
			config.EnvHistoryDays:      "400",
			// TLS posture and Security Hub: the engine's defaults.
			config.EnvTLSProfile:  "force",
			config.EnvCAWarn:      "90d",
			config.EnvNoticeLead:  "1d",
			config.EnvSecurityHub: "off",
			config.EnvCA:          assertions.Match_Absent(),
			// The regions covered: no sweepRegions, so the stack's own.
			config.EnvRegions: map[string]any{"Ref": "AWS::Region"},
			// Left unset on purpose: the function uses its invoked ARN.
			config.EnvFunctionARN: assertions.Match_Absent(),
		}},
	})
	f.template.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": 30})
	f.template.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), map[string]any{
		"MaximumRetryAttempts":     asyncRetryAttempts,
		"MaximumEventAgeInSeconds": 6 * 3600,
		"DestinationConfig": map[string]any{"OnFailure": map[string]any{
			"Destination": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Remediator.DeadLetters), "Arn"}},
		}},
	})
	f.template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
		"SqsManagedSseEnabled":   true,
		"MessageRetentionPeriod": 14 * 86400,
	})
}

func TestFunctionEnvFromContext(t *testing.T) {
	// GIVEN every function key WHEN synthesized
	f := enforceStack(t)
	// THEN each variable as the engine writes it, and the log retention
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
	// GIVEN the TLS posture keys and securityHub WHEN synthesized THEN their
	// variables, as the engine writes them
	postureStack(t).template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Environment": map[string]any{"Variables": map[string]any{
			config.EnvTLSProfile:  "modern",
			config.EnvCAWarn:      "60d",
			config.EnvCA:          "rds-ca-rsa2048-g1",
			config.EnvNoticeLead:  "2d",
			config.EnvSecurityHub: "on",
		}},
	})
}

// TestFunctionEnvReadsBack: the function's environment is its
// configuration as the engine writes it, so the engine's loader reads it
// back as exactly the settings (with the stack's references), in every
// configuration.
func TestFunctionEnvReadsBack(t *testing.T) {
	for name, f := range allStacks(t) {
		// GIVEN a synthesized stack, deployed in ap-south-1
		const region = "ap-south-1"
		// WHEN its environment, references replaced by placeholders and
		// FORCESSL_REGIONS evaluated in that region, is read by the engine
		env := map[string]string{}
		var refs DeployTime
		for k, v := range functionEnv(t, f) {
			s, ok := v.(string)
			switch {
			case k == config.EnvRegions:
				s = evalCfn(t, f, v, region).(string)
			case !ok: // a reference to one of the stack's resources
				s = "placeholder-" + k
			}
			env[k] = s
		}
		refs.SchedulerRoleARN, refs.TopicARN = env[config.EnvSchedulerRoleARN], env[config.EnvTopicARN]
		refs.SweepQueueURL, refs.ScheduleDLQARN = env[config.EnvSweepQueueURL], env[config.EnvScheduleDLQARN]
		refs.StateTable = env[config.EnvStateTable]
		refs.Regions = append(slices.Clone(f.stack.Settings.Function.Regions), region)
		got, err := config.FromMap(env)
		// THEN no error, and the settings' configuration with the
		// references and the covered regions (the listed ones, then this one)
		if err != nil {
			t.Errorf("%s: the function would refuse its environment: %v", name, err)
		}
		if want := f.stack.Settings.FunctionConfig(refs); !jsonEq(got, want) {
			t.Errorf("%s: environment reads back as\n%+v\nwant\n%+v", name, got, want)
		}
		for _, k := range []string{config.EnvSchedulerRoleARN, config.EnvTopicARN, config.EnvSweepQueueURL,
			config.EnvScheduleDLQARN, config.EnvStateTable} {
			if env[k] != "placeholder-"+k {
				t.Errorf("%s: %s = %q, want a reference to the stack's resource", name, k, env[k])
			}
		}
	}
}

// TestEventPatterns: the default-bus rules match exactly the events the
// engine acts on, the list README documents.
func TestEventPatterns(t *testing.T) {
	// GIVEN no context WHEN synthesized THEN four rules, exact patterns,
	// same delivery settings
	f := reportStack(t)
	patterns := []map[string]any{
		{"source": []any{"aws.rds"}, "detail-type": []any{"RDS DB Instance Event"}, "detail": map[string]any{"EventID": []any{
			"RDS-EVENT-0005", "RDS-EVENT-0006", "RDS-EVENT-0011", "RDS-EVENT-0014", "RDS-EVENT-0017",
			"RDS-EVENT-0019", "RDS-EVENT-0025", "RDS-EVENT-0029", "RDS-EVENT-0043", "RDS-EVENT-0092"}}},
		{"source": []any{"aws.rds"}, "detail-type": []any{"RDS DB Parameter Group Event"}, "detail": map[string]any{"EventID": []any{"RDS-EVENT-0037"}}},
		{"source": []any{"aws.rds"}, "detail-type": []any{"AWS API Call via CloudTrail"}, "detail": map[string]any{
			"eventSource": []any{"rds.amazonaws.com"},
			"eventName": []any{"CreateDBInstance", "ModifyDBInstance", "RestoreDBInstanceFromDBSnapshot",
				"RestoreDBInstanceToPointInTime", "CreateDBInstanceReadReplica", "ModifyDBParameterGroup", "ResetDBParameterGroup",
				"CreateDBCluster", "ModifyDBCluster", "RestoreDBClusterFromSnapshot", "RestoreDBClusterToPointInTime",
				"RestoreDBClusterFromS3", "ModifyDBClusterParameterGroup", "ResetDBClusterParameterGroup"}}},
		{"source": []any{"aws.rds"}, "detail-type": []any{"RDS DB Cluster Event"}, "detail": map[string]any{"EventID": []any{
			"RDS-EVENT-0151", "RDS-EVENT-0170", "RDS-EVENT-0172", "RDS-EVENT-0173", "RDS-EVENT-0176"}}},
	}
	// Exactly the engine's lists, whatever they hold tomorrow.
	if got := patterns[2]["detail"].(map[string]any)["eventName"]; !jsonEq(got, rdsevent.APICalls()) {
		t.Errorf("API call names %v, the engine acts on %v", got, rdsevent.APICalls())
	}
	if got := patterns[3]["detail"].(map[string]any)["EventID"]; !jsonEq(got, rdsevent.ClusterEventIDs()) {
		t.Errorf("cluster events %v, the engine acts on %v", got, rdsevent.ClusterEventIDs())
	}
	if len(f.stack.Remediator.Rules) != len(patterns) {
		t.Errorf("%d default-bus rules, want %d", len(f.stack.Remediator.Rules), len(patterns))
	}
	fn := logicalID(f.stack, f.stack.Remediator.Function)
	dlq := logicalID(f.stack, f.stack.Remediator.DeadLetters)
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
	for _, r := range f.stack.Remediator.Rules {
		f.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{like(map[string]any{
				"Effect": "Allow", "Action": "sqs:SendMessage",
				"Principal": map[string]any{"Service": "events.amazonaws.com"},
				"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, r), "Arn"}}}},
			})})},
		})
	}
}

func TestFunctionPolicy(t *testing.T) {
	t.Run("report mode can only read", func(t *testing.T) {
		// GIVEN report mode WHEN synthesized THEN only reads, publishing,
		// logs and the queues
		f := reportStack(t)
		sts := functionStatements(t, f)
		if r := f.stack.Remediator; *r.RDS.Read.Sid() != "ReadRDS" || r.RDS.Writes() != nil || r.ManageSchedules != nil ||
			r.PassSchedulerRole != nil || r.AssumeMemberRole != nil || r.SecurityHub.All() != nil {
			t.Errorf("report mode statements: %+v", r.RDS)
		}
		for sid, st := range sts {
			for _, a := range actions(st) {
				if !slices.Contains([]string{
					"rds:DescribeDBInstances", "rds:DescribeDBParameters", "rds:DescribeDBParameterGroups",
					"rds:DescribeDBClusters", "rds:DescribeDBClusterParameters", "rds:DescribeDBClusterParameterGroups",
					"rds:DescribeCertificates", "rds:DescribeGlobalClusters", "rds:ListTagsForResource", "scheduler:GetSchedule", "scheduler:ListSchedules", "sns:Publish", "kms:Decrypt",
					"kms:GenerateDataKey", "logs:CreateLogStream", "logs:PutLogEvents",
					"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
					// consuming the sweep work queue
					"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
					// forcessl's own memory, written in report mode too
					"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
				}, a) {
					t.Errorf("report mode %s grants %s", sid, a)
				}
			}
		}
	})
	t.Run("enforce mode names and scopes every write", func(t *testing.T) {
		// GIVEN enforce mode WHEN synthesized THEN every write is named and
		// scoped to the engine's own names (paramgroup.Prefix, the schedule
		// group and plan.SchedulePrefix)
		f := enforceStack(t)
		sts := functionStatements(t, f)
		ownGroups := `:pg:` + paramgroup.Prefix + `*"]]}`
		ownClusterGroups := `:cluster-pg:` + paramgroup.Prefix + `*"]]}`
		schedules := `:schedule/` + config.DefaultScheduleGroup + "/" + plan.SchedulePrefix + `*"]]}`
		for name, st := range map[string]awsiam.PolicyStatement{
			"ReadRDS": f.stack.Remediator.RDS.Read, "WriteOwnParameterGroups": f.stack.Remediator.RDS.WriteOwnGroups,
			"CopyFromAnySourceGroup": f.stack.Remediator.RDS.CopyFromAnyGroup, "AttachOwnParameterGroups": f.stack.Remediator.RDS.AttachOwnGroups,
			"RebootInstances": f.stack.Remediator.RDS.Reboot, "NeverTouchExemptInstances": f.stack.Remediator.RDS.DenyExempt,
			"ReadRestartEvents": f.stack.Remediator.RDS.ReadRestarts,
			"ReadRDSClusters":   f.stack.Remediator.RDS.ReadClusters, "ReadCACertificates": f.stack.Remediator.RDS.ReadCertificates,
			"ReadGlobalDatabases":             f.stack.Remediator.RDS.ReadGlobal,
			"WriteOwnClusterParameterGroups":  f.stack.Remediator.RDS.WriteOwnClusterGroups,
			"CopyFromAnySourceClusterGroup":   f.stack.Remediator.RDS.CopyFromAnyClusterGroup,
			"AttachOwnClusterParameterGroups": f.stack.Remediator.RDS.AttachOwnClusterGroups,
			"RebootClusters":                  f.stack.Remediator.RDS.RebootClusters, "NeverTouchExemptClusters": f.stack.Remediator.RDS.DenyExemptClusters,
			"ReadRebootSchedules": f.stack.Remediator.ReadSchedules, "ManageRebootSchedules": f.stack.Remediator.ManageSchedules,
			"ListRebootSchedules": f.stack.Remediator.ListSchedules, "PassSchedulerRole": f.stack.Remediator.PassSchedulerRole,
			"UseStateTable": f.stack.Remediator.UseStateTable,
		} {
			if st == nil || *st.Sid() != name {
				t.Errorf("Remediator statement field for %s: %v", name, st)
			}
		}
		want := map[string]struct {
			actions   []string
			resources []string // suffix of each ARN after the account
		}{
			"ReadRDS": {[]string{"rds:DescribeDBInstances", "rds:DescribeDBParameterGroups", "rds:DescribeDBParameters", "rds:ListTagsForResource"},
				[]string{`:db:*"]]}`, `:pg:*"]]}`}},
			"WriteOwnParameterGroups": {[]string{"rds:AddTagsToResource", "rds:CopyDBParameterGroup", "rds:CreateDBParameterGroup", "rds:ModifyDBParameterGroup"},
				[]string{ownGroups}},
			"CopyFromAnySourceGroup":   {[]string{"rds:CopyDBParameterGroup"}, []string{`:pg:*"]]}`}},
			"AttachOwnParameterGroups": {[]string{"rds:ModifyDBInstance"}, []string{`:db:*"]]}`, ownGroups}},
			"RebootInstances":          {[]string{"rds:RebootDBInstance"}, []string{`:db:*"]]}`}},
			// DB clusters: the same shape on cluster and cluster-pg.
			"ReadRDSClusters": {[]string{"rds:DescribeDBClusterParameterGroups", "rds:DescribeDBClusterParameters",
				"rds:DescribeDBClusters", "rds:ListTagsForResource"}, []string{`:cluster:*"]]}`, `:cluster-pg:*"]]}`}},
			"WriteOwnClusterParameterGroups": {[]string{"rds:AddTagsToResource", "rds:CopyDBClusterParameterGroup",
				"rds:CreateDBClusterParameterGroup", "rds:ModifyDBClusterParameterGroup"}, []string{ownClusterGroups}},
			"CopyFromAnySourceClusterGroup":   {[]string{"rds:CopyDBClusterParameterGroup"}, []string{`:cluster-pg:*"]]}`}},
			"AttachOwnClusterParameterGroups": {[]string{"rds:ModifyDBCluster"}, []string{`:cluster:*"]]}`, ownClusterGroups}},
			"RebootClusters":                  {[]string{"rds:RebootDBCluster"}, []string{`:cluster:*"]]}`}},
			// DescribeCertificates has no resource type.
			"ReadCACertificates": {[]string{"rds:DescribeCertificates"}, []string{`"*"`}},
			// DescribeEvents neither: the check before a reboot.
			"ReadRestartEvents": {[]string{"rds:DescribeEvents"}, []string{`"*"`}},
			// Global database ARNs have no region.
			"ReadGlobalDatabases": {[]string{"rds:DescribeGlobalClusters"}, []string{`:global-cluster:*"]]}`}},
			// One schedule per fire time: created and deleted, never updated.
			"ManageRebootSchedules": {[]string{"scheduler:CreateSchedule", "scheduler:DeleteSchedule"},
				[]string{schedules}},
			"ReadRebootSchedules": {[]string{"scheduler:GetSchedule"}, []string{schedules}},
			// ListSchedules accepts no resource but "*".
			"ListRebootSchedules": {[]string{"scheduler:ListSchedules"}, []string{`"*"`}},
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
			// (The template lists them sorted.)
			if got := resourceSuffixes(st); !slices.Equal(got, slices.Sorted(slices.Values(w.resources))) {
				t.Errorf("%s resources = %v, want %v", sid, got, w.resources)
			}
		}
		// A copy granted on any group must be tagged as forcessl's (the
		// reference does not say which ARN of a copy is authorized).
		for _, sid := range []string{"CopyFromAnySourceGroup", "CopyFromAnySourceClusterGroup"} {
			if got := sts[sid]["Condition"]; !jsonEq(got, map[string]any{"StringEquals": map[string]any{
				"aws:RequestTag/forcessl:managed-by": "forcessl"}}) {
				t.Errorf("%s condition = %v", sid, got)
			}
		}
		// PassRole: only the scheduler role, only to Scheduler.
		if got := sts["PassSchedulerRole"]; !jsonEq(got, map[string]any{
			"Sid": "PassSchedulerRole", "Effect": "Allow", "Action": "iam:PassRole",
			"Resource":  map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Remediator.SchedulerRole), "Arn"}},
			"Condition": map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "scheduler.amazonaws.com"}},
		}) {
			t.Errorf("PassSchedulerRole = %v", got)
		}
		// Every RDS action only in the stack's own region (no sweepRegions):
		// one Deny outside it, on aws:RequestedRegion. The exempt Denies
		// apply everywhere.
		checkRegionGuard(t, "enforce", f.json, sts, map[string]string{"AWS::Region": "eu-central-1"}, []string{"eu-central-1"})
		for _, sid := range []string{"NeverTouchExemptInstances", "NeverTouchExemptClusters"} {
			if guardedRegions(t, f.json, sts[sid], nil) != nil {
				t.Errorf("%s is limited to some regions", sid)
			}
		}
		// Exempt instances and clusters are denied whatever the code does,
		// each on its own tag condition key.
		for sid, w := range map[string]struct {
			actions []string
			key     string
			res     string
		}{
			"NeverTouchExemptInstances": {[]string{"rds:ModifyDBInstance", "rds:RebootDBInstance"}, "rds:db-tag/team:tls-exempt", `:db:*"]]}`},
			"NeverTouchExemptClusters":  {[]string{"rds:ModifyDBCluster", "rds:RebootDBCluster"}, "rds:cluster-tag/team:tls-exempt", `:cluster:*"]]}`},
		} {
			deny := sts[sid]
			if deny["Effect"] != "Deny" || !slices.Equal(actions(deny), w.actions) ||
				!slices.Equal(resourceSuffixes(deny), []string{w.res}) || !jsonEq(deny["Condition"], map[string]any{
				"StringEqualsIgnoreCase": map[string]any{w.key: "true"}}) {
				t.Errorf("%s = %v", sid, deny)
			}
		}
		// Every RDS write the role may make is one of these statements'.
		for sid, st := range sts {
			if _, ok := want[sid]; ok || st["Effect"] == "Deny" {
				continue
			}
			for _, a := range actions(st) {
				if strings.HasPrefix(a, "rds:") {
					t.Errorf("%s grants %s beyond the RDS statements", sid, a)
				}
			}
		}
		if got := actions(sts["EncryptNotifications"]); !slices.Equal(got, []string{"kms:Decrypt", "kms:GenerateDataKey"}) {
			t.Errorf("EncryptNotifications actions = %v", got)
		}
	})
}

func TestAlarms(t *testing.T) {
	// GIVEN no context WHEN synthesized THEN errors, throttles and both
	// dead-letter queues are alarmed to the topic
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
	for _, q := range []awssqs.Queue{f.stack.Remediator.DeadLetters, f.stack.Sweep.DeadLetters} {
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible", "Threshold": 0,
			"Dimensions":   []any{map[string]any{"Name": "QueueName", "Value": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, q), "QueueName"}}}},
			"AlarmActions": []any{topic},
		})
	}
}

func TestScheduler(t *testing.T) {
	// GIVEN no context WHEN synthesized THEN the engine's schedule group,
	// and a role only Scheduler (this account, this group) may assume
	f := reportStack(t)
	group := logicalID(f.stack, f.stack.Remediator.ScheduleGroup)
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
		"Roles": []any{map[string]any{"Ref": logicalID(f.stack, f.stack.Remediator.SchedulerRole)}},
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayEquals(&[]any{
			map[string]any{
				"Sid": "DeadLetterUndeliveredReboots", "Effect": "Allow", "Action": "sqs:SendMessage",
				"Resource": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Remediator.DeadLetters), "Arn"}},
			},
			map[string]any{
				"Sid": "InvokeRemediator", "Effect": "Allow", "Action": "lambda:InvokeFunction",
				"Resource": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Remediator.Function), "Arn"}},
			},
		})},
	})
}

// TestBundledBinary: the asset is the remediator, cross-compiled as the
// issue requires.
func TestBundledBinary(t *testing.T) {
	// GIVEN no context WHEN synthesized THEN the staged asset is the
	// remediator built for linux/arm64 as bootstrap
	f := reportStack(t)
	fn := f.json["Resources"].(map[string]any)[logicalID(f.stack, f.stack.Remediator.Function)].(map[string]any)
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
