package stack

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/state/schema"
)

func TestStateTable(t *testing.T) {
	// GIVEN any configuration WHEN synthesized THEN one table with the
	// engine's key schema and TTL attribute, on demand, point-in-time
	// recovery, encrypted with the AWS managed key, kept on stack deletion
	for name, f := range allStacks(t) {
		f.template.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1))
		f.template.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
			"Properties": assertions.Match_ObjectEquals(&map[string]any{
				// The engine's names (pkg/state/schema): pk, sk, ttl.
				"KeySchema": []any{
					map[string]any{"AttributeName": schema.PartitionKey, "KeyType": "HASH"},
					map[string]any{"AttributeName": schema.SortKey, "KeyType": "RANGE"},
				},
				"AttributeDefinitions": []any{
					map[string]any{"AttributeName": schema.PartitionKey, "AttributeType": "S"},
					map[string]any{"AttributeName": schema.SortKey, "AttributeType": "S"},
				},
				"BillingMode":                      "PAY_PER_REQUEST",
				"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
				// SSEEnabled without a key: KMS with the AWS managed key aws/dynamodb.
				"SSESpecification":          map[string]any{"SSEEnabled": true},
				"TimeToLiveSpecification":   map[string]any{"AttributeName": schema.TTLAttribute, "Enabled": true},
				"DeletionProtectionEnabled": true,
			}),
		})
		// Its name is the function's FORCESSL_STATE_TABLE.
		if got := functionEnv(t, f)[config.EnvStateTable]; !jsonEq(got, map[string]any{"Ref": logicalID(f.stack, f.stack.State.Table)}) {
			t.Errorf("%s: %s = %v", name, config.EnvStateTable, got)
		}
		// WHEN the function's policy is read THEN exactly the engine's
		// calls, on this table only, whatever the mode
		if got := functionStatements(t, f)["UseStateTable"]; !jsonEq(got, map[string]any{
			"Sid": "UseStateTable", "Effect": "Allow",
			"Action":   []any{"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"},
			"Resource": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.State.Table), "Arn"}},
		}) {
			t.Errorf("%s: UseStateTable = %v", name, got)
		}
		// ... and no other statement touches DynamoDB or KMS for it.
		for sid, st := range functionStatements(t, f) {
			for _, a := range actions(st) {
				if sid != "UseStateTable" && len(a) > 9 && a[:9] == "dynamodb:" {
					t.Errorf("%s: %s grants %s", name, sid, a)
				}
			}
		}
	}
	// The listed actions are pkg/state's API, sorted as IAM shows them.
	if got := slices.Sorted(slices.Values(stateTableActions)); !slices.Equal(got, []string{"dynamodb:DeleteItem",
		"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"}) {
		t.Errorf("state table actions %v", got)
	}
}

// TestListSchedulesBothModes: finding a resource's schedules is a read,
// granted in report mode too; writes only when enforcing.
func TestListSchedulesBothModes(t *testing.T) {
	for name, f := range map[string]*fixture{"report": reportStack(t), "enforce": enforceStack(t)} {
		sts := functionStatements(t, f)
		if got := sts["ListRebootSchedules"]; !jsonEq(got, map[string]any{
			"Sid": "ListRebootSchedules", "Effect": "Allow", "Action": "scheduler:ListSchedules", "Resource": "*"}) {
			t.Errorf("%s: ListRebootSchedules = %v", name, got)
		}
		_, manages := sts["ManageRebootSchedules"]
		if manages != f.stack.Settings.Enforcing() {
			t.Errorf("%s: schedule writes granted = %v", name, manages)
		}
		for sid, st := range sts {
			if slices.Contains(actions(st), "scheduler:UpdateSchedule") {
				t.Errorf("%s: %s grants scheduler:UpdateSchedule, which the engine no longer calls", name, sid)
			}
		}
	}
	// "*" (whose cdk-nag finding is suppressed on the role for it) is the
	// resource of the actions that have no resource type, each alone in its
	// statement: ListSchedules, DescribeCertificates and DescribeEvents (held to the covered
	// regions) and DescribeOrganization; of no other Allow, in any
	// configuration. (The region guard is a Deny of "*".)
	star := map[string][]string{"ListRebootSchedules": {"scheduler:ListSchedules"},
		"ReadCACertificates": {"rds:DescribeCertificates"}, "ReadRestartEvents": {"rds:DescribeEvents"},
		"DescribeOrganization": {"organizations:DescribeOrganization"}}
	for name, f := range allStacks(t) {
		for sid, st := range functionStatements(t, f) {
			if !slices.Contains(asList(st["Resource"]), any("*")) || st["Effect"] == "Deny" {
				continue
			}
			if want, ok := star[sid]; !ok || !slices.Equal(actions(st), want) {
				t.Errorf("%s: %s has Resource \"*\" for %v", name, sid, actions(st))
			}
		}
	}
}

// TestCoveredRegions: FORCESSL_REGIONS lists the stack's region once,
// whether it is known at synth or only at deploy time, however many
// regions are listed (Fn::Or takes at most 10 conditions).
func TestCoveredRegions(t *testing.T) {
	// GIVEN a stack with a literal region WHEN it is listed or not THEN once
	app := awscdk.NewApp(nil)
	fixed := awscdk.NewStack(app, jsii.String("Fixed"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("eu-west-1")}})
	placeholder(fixed)
	for _, tc := range []struct{ listed, want []string }{
		{nil, []string{"eu-west-1"}},
		{[]string{"us-east-1"}, []string{"us-east-1", "eu-west-1"}},
		{[]string{"eu-west-1", "us-east-1"}, []string{"eu-west-1", "us-east-1"}},
	} {
		if got := CoveredRegions(fixed, tc.listed); !slices.Equal(got, tc.want) {
			t.Errorf("listed %v in eu-west-1: %v, want %v", tc.listed, got, tc.want)
		}
	}
	// GIVEN 23 listed regions and an environment-agnostic stack WHEN
	// deployed in a listed region (the 12th, in the second Fn::Or) or not
	// THEN the list, or the list and the region
	var listed []string
	for i := range 23 {
		listed = append(listed, "xx-test-"+string(rune('a'+i)))
	}
	stack := awscdk.NewStack(app, jsii.String("Agnostic"), nil)
	placeholder(stack)
	value := CoveredRegions(stack, listed)
	if len(value) != 1 {
		t.Fatalf("CoveredRegions = %v, want one deploy-time value", value)
	}
	stack.ExportValue(value[0], &awscdk.ExportValueOptions{Name: jsii.String("Regions")})
	tpl := assertions.Template_FromStack(stack, nil)
	f := &fixture{json: *tpl.ToJSON()}
	var out any
	for _, o := range f.json["Outputs"].(map[string]any) {
		out = o.(map[string]any)["Value"]
	}
	for region, want := range map[string]string{
		listed[11]:   joinComma(listed),
		"ap-south-1": joinComma(append(slices.Clone(listed), "ap-south-1")),
	} {
		if got := evalCfn(t, f, out, region); got != want {
			t.Errorf("in %s: %v, want %s", region, got, want)
		}
	}
}

func joinComma(l []string) string { return strings.Join(l, ",") }

// placeholder gives a test stack the one resource a template needs.
func placeholder(stack awscdk.Stack) {
	awscdk.NewCfnResource(stack, jsii.String("Placeholder"), &awscdk.CfnResourceProps{
		Type: jsii.String("AWS::CloudFormation::WaitConditionHandle"),
	})
}
