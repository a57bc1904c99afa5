package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/forcessl/forcessl/pkg/config"
)

func TestResourceCounts(t *testing.T) {
	// GIVEN report mode or every option WHEN synthesized THEN exactly these resources
	for _, tc := range []struct {
		name   string
		f      func(*testing.T) *fixture
		counts map[string]float64
	}{
		// Events rules: 4 event filters, the sweep schedule, the
		// tripwire's (TestTripwireRules counts those) and its check rule
		// (to the function: one more invoke permission).
		{"report", reportStack, map[string]float64{
			"AWS::Lambda::Function": 1, "AWS::Lambda::EventInvokeConfig": 1,
			"AWS::Events::Rule":       float64(5 + len(reportStack(t).stack.Tripwire.Rules) + 1),
			"AWS::Lambda::Permission": 6, "AWS::SQS::Queue": 3, "AWS::SNS::Topic": 1, "AWS::KMS::Key": 1,
			"AWS::Scheduler::ScheduleGroup": 1, "AWS::IAM::Role": 2, "AWS::CloudWatch::Alarm": 5,
			"AWS::Lambda::EventSourceMapping": 1, "AWS::CloudWatch::Dashboard": 1, "AWS::DynamoDB::Table": 1,
			"AWS::Logs::LogGroup": 1, "AWS::SNS::Subscription": 0, "AWS::Chatbot::SlackChannelConfiguration": 0,
			"AWS::IAM::ManagedPolicy": 0,
		}},
		{"enforce", enforceStack, map[string]float64{
			"AWS::Lambda::Function": 1, "AWS::Events::Rule": float64(5 + len(enforceStack(t).stack.Tripwire.Rules) + 1),
			"AWS::IAM::Role": 3, "AWS::DynamoDB::Table": 1,
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

// TestNoWildcardActions: no Allow statement anywhere grants "*" or
// "service:*", nor uses NotAction. The only wildcard action allowed is in
// the TLS-only Deny (aws:SecureTransport=false), where broader is safer
// and cdk-nag (SQS4) requires sqs:*.
func TestNoWildcardActions(t *testing.T) {
	// GIVEN every configuration WHEN synthesized THEN no policy document
	// anywhere allows a wildcard action
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

// TestNagClean: cdk-nag's AwsSolutions pack reports no unsuppressed error
// or warning in either configuration.
func TestNagClean(t *testing.T) {
	// GIVEN the single-account configurations WHEN synthesized THEN no
	// AwsSolutions error or warning
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
	// GIVEN the stack plus a queue that breaks AwsSolutions-SQS4
	app := awscdk.NewApp(&awscdk.AppProps{Context: cdkJSONContext(t, nil)})
	root, err := FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	st := NewForceSSL(app, "Bad", &ForceSSLProps{Settings: DefaultSettings(), ModuleRoot: root})
	awssqs.NewQueue(st.Stack, jsii.String("PlainQueue"), nil) // no TLS-only policy, no DLQ

	// WHEN synthesized
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
	// THEN validation fails, and the report names the rule and the queue
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

// TestSingleAccountUnchanged: without the organization context nothing of
// organization mode is in the template or the app.
func TestSingleAccountUnchanged(t *testing.T) {
	// GIVEN no organization keys WHEN synthesized THEN no bus, StackSet,
	// AssumeRole, member variables or member stage
	for name, f := range map[string]*fixture{"report": reportStack(t), "enforce": enforceStack(t)} {
		for _, typ := range []string{"AWS::Events::EventBus", "AWS::Events::EventBusPolicy", "AWS::CloudFormation::StackSet"} {
			if n := len(f.resources(typ)); n != 0 {
				t.Errorf("%s: %d %s", name, n, typ)
			}
		}
		raw, _ := json.Marshal(f.json)
		for _, s := range []string{"sts:AssumeRole\"", "EventBusName", config.EnvMemberRoleName, config.EnvAccounts,
			config.EnvTargetOUs, "organizations:", "wildcard"} {
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
		if f.stack.Organization != nil || f.app.Node().TryFindChild(jsii.String("ForceSSLMember")) != nil {
			t.Errorf("%s: organization constructs built", name)
		}
	}
}

// TestLogicalIDs: the resources the constructs took over from the former
// flat stack keep their logical IDs (a new ID replaces the resource on
// deploy; for named ones such as the bus, the StackSet or the schedule
// group the replacement would even fail on the name).
func TestLogicalIDs(t *testing.T) {
	// GIVEN the stateful and named resources of each construct
	for name, f := range map[string]*fixture{"single account": enforceStack(t), "organization": orgStack(t)} {
		r, n, sw := f.stack.Remediator, f.stack.Notifications, f.stack.Sweep
		ids := map[string]awscdk.IResource{
			"RemediatorF10C6561": r.Function, "LogGroupF5B46931": r.LogGroup, "FunctionRole111A5701": r.Role,
			"DeadLetterQueue9F481546": r.DeadLetters, "ScheduleGroup4D377372": r.ScheduleGroup,
			"SchedulerRole59E73443": r.SchedulerRole, "InstanceEventsRuleB414D143": r.Rules[0],
			"ParameterGroupEventsRuleD6906D3F": r.Rules[1], "ApiCallsRuleB5F6BC01": r.Rules[2],
			// New with DB clusters (pinned from here on).
			"ClusterEventsRule2F194453":   r.Rules[3],
			"FunctionErrorsAlarm60070EC7": r.Alarms.Errors, "FunctionThrottlesAlarmB7D9F83F": r.Alarms.Throttles,
			"DeadLetterQueueAlarm48D9D867": r.Alarms.DeadLetters,
			"NotificationsTopicAE679CBD":   n.Topic, "NotificationsKeyADCFA950": n.Key,
			"SweepQueueF33B464C": sw.Queue, "SweepDeadLetterQueue067F6B57": sw.DeadLetters,
			"SweepScheduleRuleB021826C": sw.Rule, "SweepDeadLetterQueueAlarm8FC7FDA1": sw.DeadLetterAlarm,
			"Dashboard9E4231ED": f.stack.Dashboard.Board,
		}
		if o := f.stack.Organization; o != nil {
			ids["OrgEventBus7ED4E586"] = o.Bus
			ids["OrgInstanceEventsRule9F30D794"] = o.Rules[0]
			ids["OrgParameterGroupEventsRule9DFD1438"] = o.Rules[1]
			ids["OrgApiCallsRuleB5983F3A"] = o.Rules[2]
			ids["OrgClusterEventsRule709CB955"] = o.Rules[3]
			for id, el := range map[string]awscdk.CfnElement{"OrgEventBusPolicy": o.BusPolicy, "MemberStackSet": o.StackSet} {
				if got := *f.stack.GetLogicalId(el); got != id {
					t.Errorf("%s: logical ID %s, want %s", name, got, id)
				}
			}
		}
		// WHEN synthesized THEN each has its former logical ID
		for id, res := range ids {
			if got := logicalID(f.stack, res); got != id {
				t.Errorf("%s: logical ID %s, want %s", name, got, id)
			}
		}
		// ... and so do the resources CDK derives from them.
		for _, id := range []string{"FunctionRoleDefaultPolicy41A10F9C", "SchedulerRoleDefaultPolicy66F774B8",
			"RemediatorEventInvokeConfigD22D3FD9", "RemediatorSqsEventSourceForceSSLSweepQueue11BCEF222A56ABB6",
			"InstanceEventsRuleAllowEventRuleForceSSLRemediatorC3707327532B534E", "DeadLetterQueuePolicyB1FB890C",
			"SweepQueuePolicy713E3C49", "NotificationsTopicPolicyAF92D34A"} {
			if _, ok := f.json["Resources"].(map[string]any)[id]; !ok {
				t.Errorf("%s: no resource %s", name, id)
			}
		}
	}
}

// TestNoSDKServiceDependency: the CDK app links the engine's pure packages
// only, never an AWS SDK service client (they would bloat and slow every
// synth, and mean the app talks to AWS).
func TestNoSDKServiceDependency(t *testing.T) {
	// GIVEN the CDK app's packages WHEN their dependencies are listed
	out, err := exec.Command("go", "list", "-deps", "github.com/forcessl/forcessl/infra/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	// THEN none is an SDK service package
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/forcessl/forcessl/pkg/config") {
		t.Fatalf("go list -deps does not list pkg/config; is the check broken?\n%s", out)
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/aws/aws-sdk-go-v2/service/") {
			t.Errorf("the CDK app depends on %s", d)
		}
	}
}

// iamInlinePolicyLimit is IAM's limit on a role's inline policies together
// ("Role policy size: 10,240 characters", not counting white space; IAM
// User Guide, "IAM and AWS STS quotas").
const iamInlinePolicyLimit = 10240

// resolvedLength is the length of a policy document as IAM would store it,
// with every reference resolved to the longest value it can take: the
// longest partition, a long region, any other reference or attribute 150
// characters; of Fn::If the longer branch.
func resolvedLength(t *testing.T, doc any, refs map[string]string) int {
	t.Helper()
	var eval func(v any) any
	eval = func(v any) any {
		switch x := v.(type) {
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = eval(e)
			}
			return out
		case map[string]any:
			if len(x) == 1 {
				for fn, arg := range x {
					switch fn {
					case "Ref":
						if v, ok := refs[arg.(string)]; ok {
							return v
						}
						return strings.Repeat("x", 150)
					case "Fn::GetAtt":
						return strings.Repeat("x", 150)
					case "Fn::Join":
						a := arg.([]any)
						var parts []string
						for _, p := range eval(a[1]).([]any) {
							parts = append(parts, p.(string))
						}
						return strings.Join(parts, a[0].(string))
					case "Fn::Split":
						a := arg.([]any)
						var out []any
						for _, p := range strings.Split(eval(a[1]).(string), a[0].(string)) {
							out = append(out, p)
						}
						return out
					case "Fn::If":
						a := arg.([]any)
						x, y := eval(a[1]), eval(a[2])
						if bx, by := jsonLen(x), jsonLen(y); bx >= by {
							return x
						}
						return y
					}
				}
			}
			out := map[string]any{}
			for k, e := range x {
				out[k] = eval(e)
			}
			return out
		}
		return v
	}
	return jsonLen(eval(doc))
}

func jsonLen(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

// TestPolicySizes: with every region of a wide organization, Security Hub
// and enforce mode, the roles' policies stay within IAM's inline limit and
// CDK keeps the function's statements in its one policy (no overflow
// managed policy): the regional statements name one ARN per resource type
// and hold the regions in a condition, so their size barely grows with the
// number of regions.
func TestPolicySizes(t *testing.T) {
	regions := []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2",
		"eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ap-southeast-1", "ap-southeast-2", "sa-east-1"}
	// GIVEN an organization over 17 regions, no allow-list, every option
	f := synth(t, "org-wide", map[string]any{CtxMode: "enforce", CtxOrgID: "o-abc123def4", CtxTargetOUs: "r-ab12",
		CtxRegions: strings.Join(regions, ","), CtxSecurityHub: "true", CtxCA: "rds-ca-rsa2048-g1",
		CtxNotifyEmails: "ops@example.com", CtxSlackWorkspaceID: "T0123ABCD", CtxSlackChannelID: "C0123ABCD"})
	refs := map[string]string{"AWS::Partition": "aws-us-gov", "AWS::Region": "ap-southeast-7", "AWS::AccountId": "123456789012",
		ParamCoveredRegions: strings.Join(append(regions, "ap-southeast-7"), ",")}
	// WHEN synthesized THEN no overflow policy, and each role's inline
	// policies within the limit
	if n := len(f.resources("AWS::IAM::ManagedPolicy")); n != 0 {
		t.Errorf("%d managed policies: CDK moved statements out of the function's policy", n)
	}
	sizes := map[string]int{}
	for _, p := range f.resources("AWS::IAM::Policy") {
		for _, r := range asList(p["Properties"].(map[string]any)["Roles"]) {
			sizes[r.(map[string]any)["Ref"].(string)] += resolvedLength(t, p["Properties"].(map[string]any)["PolicyDocument"], refs)
		}
	}
	_, m := member(t, f)
	for id, r := range memberResources(m, "AWS::IAM::Role") {
		for _, p := range asList(r["Properties"].(map[string]any)["Policies"]) {
			sizes["member "+id] += resolvedLength(t, p.(map[string]any)["PolicyDocument"], refs)
		}
	}
	for _, p := range memberResources(m, "AWS::IAM::Policy") {
		for _, r := range asList(p["Properties"].(map[string]any)["Roles"]) {
			sizes["member "+r.(map[string]any)["Ref"].(string)] += resolvedLength(t, p["Properties"].(map[string]any)["PolicyDocument"], refs)
		}
	}
	fn := logicalID(f.stack, f.stack.Remediator.Role)
	if sizes[fn] == 0 || len(sizes) < 4 {
		t.Fatalf("policy sizes %v: is the scan broken?", sizes)
	}
	for role, n := range sizes {
		t.Logf("%s: %d characters", role, n)
		if n > iamInlinePolicyLimit {
			t.Errorf("%s: inline policies of %d characters, over IAM's %d", role, n, iamInlinePolicyLimit)
		}
	}
	if n := len(f.stack.Organization.MemberTemplate); n > MaxTemplateBodyBytes {
		t.Errorf("member template is %d bytes, over the TemplateBody limit %d", n, MaxTemplateBodyBytes)
	}
}
