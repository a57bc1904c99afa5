package stack

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// forwarderRefs deploy a forwarder in testAccount.
const testAccount = "111111111111"

func forwarderRefs(region, account string) map[string]string {
	return map[string]string{"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws"}
}

// forwarderTemplate is a forwarder's synthesized template.
func forwarderTemplate(fw *Forwarder) map[string]any {
	return *assertions.Template_FromStack(fw.Stack, nil).ToJSON()
}

// centralPatterns are the event patterns of the central stack's rules to
// the function on its own bus (the default bus; organization mode the
// forcessl bus), in order.
func centralPatterns(f *fixture) []any {
	var out []any
	rules := f.stack.Remediator.Rules
	if f.stack.Organization != nil {
		rules = f.stack.Organization.Rules
	}
	for _, r := range rules {
		id := *f.stack.GetLogicalId(r.Node().DefaultChild().(awscdk.CfnElement))
		out = append(out, f.json["Resources"].(map[string]any)[id].(map[string]any)["Properties"].(map[string]any)["EventPattern"])
	}
	return out
}

// Issue 19, point 4: every region of the central account that the
// function role may write in besides the stack's own gets a forwarder
// stack whose rules send the central rules' events there, through a role.
func TestForwarders(t *testing.T) {
	for name, tc := range map[string]struct {
		f       *fixture
		regions []string
		bus     string
	}{
		"sweep":   {sweepStack(t), []string{"eu-west-1", "us-east-1"}, "default"},
		"posture": {postureStack(t), []string{"eu-west-1", "us-east-1"}, "default"},
		"org":     {orgStack(t), []string{"us-east-1", "eu-west-1"}, CentralEventBusName},
	} {
		var got []string
		for _, fw := range tc.f.stack.Forwarders {
			got = append(got, fw.Region)
			if *fw.Stack.Region() != fw.Region || *fw.Stack.StackName() != "ForceSSL-Forward-"+fw.Region {
				t.Errorf("%s: forwarder %s in %s", name, *fw.Stack.StackName(), *fw.Stack.Region())
			}
			tpl := forwarderTemplate(fw)
			rules := (&fixture{json: tpl}).resources("AWS::Events::Rule")
			refs := forwarderRefs(fw.Region, testAccount)
			wantBus := "arn:aws:events:" + testDeployRegion + ":" + testAccount + ":event-bus/" + tc.bus
			var patterns []any
			var callNames []string
			roleID := ""
			for id, r := range (&fixture{json: tpl}).resources("AWS::IAM::Role") {
				roleID = id
				trust := r["Properties"].(map[string]any)["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)
				if !jsonEq(trust["Principal"], map[string]any{"Service": "events.amazonaws.com"}) {
					t.Errorf("%s/%s: role trusts %v", name, fw.Region, trust["Principal"])
				}
				arns := evalTemplate(t, tpl, trust["Condition"].(map[string]any)["ArnEquals"].(map[string]any)["aws:SourceArn"], refs)
				if len(asList(arns)) != len(rules) {
					t.Errorf("%s/%s: role trusts %v, want the %d rules", name, fw.Region, arns, len(rules))
				}
			}
			for _, p := range fw.Patterns {
				for _, r := range rules {
					props := r["Properties"].(map[string]any)
					if !jsonEq(props["EventPattern"], p) {
						continue
					}
					patterns = append(patterns, props["EventPattern"])
					target := props["Targets"].([]any)[0].(map[string]any)
					if arn := evalTemplate(t, tpl, target["Arn"], refs); arn != wantBus {
						t.Errorf("%s/%s: target %v, want %s", name, fw.Region, arn, wantBus)
					}
					if !jsonEq(target["RoleArn"], map[string]any{"Fn::GetAtt": []any{roleID, "Arn"}}) {
						t.Errorf("%s/%s: target role %v", name, fw.Region, target["RoleArn"])
					}
					if tc.f.stack.Organization != nil {
						for acc, want := range map[string]string{testAccount: "ENABLED", "999999999999": "DISABLED"} {
							if got := evalTemplate(t, tpl, props["State"], forwarderRefs(fw.Region, acc)); got != want {
								t.Errorf("%s/%s: in account %s the rule is %v, want %s", name, fw.Region, acc, got, want)
							}
						}
					}
					d := p["detail"].(map[string]any)
					if names, ok := d["eventName"]; ok {
						for _, n := range names.([]any) {
							if slices.Contains(callNames, n.(string)) {
								t.Errorf("%s/%s: %s forwarded twice", name, fw.Region, n)
							}
							callNames = append(callNames, n.(string))
						}
					}
				}
			}
			if len(patterns) != len(rules) || len(rules) != len(fw.Patterns) {
				t.Fatalf("%s/%s: %d rules, %d patterns matched", name, fw.Region, len(rules), len(patterns))
			}
			// The central rules' own patterns, exactly (organization mode:
			// the central ones add the allow-list's account filter).
			central := centralPatterns(tc.f)
			for i, p := range central {
				want := p
				if tc.f.stack.Organization != nil {
					m := maps.Clone(p.(map[string]any))
					delete(m, "account")
					want = m
				}
				if !jsonEq(patterns[i], want) {
					t.Errorf("%s/%s: rule %d pattern %v, want the central %v", name, fw.Region, i, patterns[i], want)
				}
			}
			// Every call the central check rule watches is forwarded.
			check := tc.f.json["Resources"].(map[string]any)[*tc.f.stack.GetLogicalId(
				tc.f.stack.Tripwire.Checks[0].Node().DefaultChild().(awscdk.CfnElement))].(map[string]any)
			for _, n := range check["Properties"].(map[string]any)["EventPattern"].(map[string]any)["detail"].(map[string]any)["eventName"].([]any) {
				if !slices.Contains(callNames, n.(string)) {
					t.Errorf("%s/%s: the check's call %s is not forwarded", name, fw.Region, n)
				}
			}
			// The role may put events on the central bus.
			var puts bool
			for _, p := range (&fixture{json: tpl}).resources("AWS::IAM::Policy") {
				for _, s := range asList(p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"]) {
					st := s.(map[string]any)
					if slices.Equal(actions(st), []string{"events:PutEvents"}) && evalTemplate(t, tpl, st["Resource"], refs) == wantBus {
						puts = true
					}
				}
			}
			if !puts {
				t.Errorf("%s/%s: the role cannot put events on %s", name, fw.Region, wantBus)
			}
			ann := assertions.Annotations_FromStack(fw.Stack)
			for _, m := range slices.Concat(*ann.FindError(jsii.String("*"), assertions.Match_AnyValue()),
				*ann.FindWarning(jsii.String("*"), assertions.Match_AnyValue())) {
				t.Errorf("%s/%s: %s: %v", name, fw.Region, *m.Id, m.Entry.Data)
			}
		}
		if !slices.Equal(got, tc.regions) {
			t.Errorf("%s: forwarders in %v, want %v", name, got, tc.regions)
		}
		// Deployed anywhere else, the central stack fails fast.
		rules, _ := tc.f.json["Rules"].(map[string]any)
		if !jsonEq(rules["DeployRegionRule"], map[string]any{"Assertions": []any{map[string]any{
			"Assert": map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "AWS::Region"}, testDeployRegion}},
			"AssertDescription": "This template was synthesized for " + testDeployRegion + ": its forwarder stacks send " +
				"their regions' events there. Synthesize it again with the region you deploy to."}}}) {
			t.Errorf("%s: Rules %v", name, rules)
		}
	}
	// Nothing to forward: no other region, or (delegated administrator) the
	// member stack forwards the central account's regions when it is
	// covered at all.
	for name, f := range map[string]*fixture{"report": reportStack(t), "enforce": enforceStack(t), "org-report": orgReportStack(t)} {
		rules, _ := f.json["Rules"].(map[string]any)
		if len(f.stack.Forwarders) != 0 || rules["DeployRegionRule"] != nil {
			t.Errorf("%s: forwarders %d, Rules %v", name, len(f.stack.Forwarders), rules)
		}
	}
}

// The stack's own region, listed, gets no forwarder: its default bus holds
// the rules.
func TestForwardedRegions(t *testing.T) {
	s := DefaultSettings()
	s.Function.Regions = []string{"eu-west-1", "ap-southeast-2", "eu-west-1"}
	if got := s.ForwardedRegions("ap-southeast-2"); !slices.Equal(got, []string{"eu-west-1"}) {
		t.Errorf("single account: %v", got)
	}
	org := s
	org.OrgID, org.Regions = "o-abc123def4", []string{"us-east-1", "ap-southeast-2"}
	if got := org.ForwardedRegions("ap-southeast-2"); got != nil {
		t.Errorf("organization without an allow-list (the management account is never swept): %v", got)
	}
	org.Function.Accounts = []string{testAccount}
	if got := org.ForwardedRegions("ap-southeast-2"); !slices.Equal(got, []string{"us-east-1"}) {
		t.Errorf("organization from the management account: %v", got)
	}
	org.StackSetCallAs = "DELEGATED_ADMIN"
	if got := org.ForwardedRegions("ap-southeast-2"); got != nil {
		t.Errorf("organization from a delegated administrator: %v", got)
	}
}

// Without the deploy region, sweep regions cannot be forwarded: the synth
// fails rather than leave them unwatched.
func TestForwardingNeedsDeployRegion(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Context: cdkJSONContext(t, map[string]any{CtxSweepRegions: "eu-west-1"})})
	settings, err := SettingsFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	root, err := FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	st := NewForceSSL(app, "ForceSSL", &ForceSSLProps{Settings: settings, ModuleRoot: root})
	msg := func() (msg string) {
		// The synth is expected to fail (an error annotation fails
		// validation: annotationsInValidationReport, TestNagIsWired).
		defer func() {
			if r := recover(); r != nil {
				msg = fmt.Sprint(r)
			}
		}()
		app.Synth(nil)
		return ""
	}()
	m := regexp.MustCompile(`found in: (\S+validation-report\.json)`).FindStringSubmatch(msg)
	if m == nil || len(st.Forwarders) != 0 {
		t.Fatalf("synth without a deploy region did not fail validation (%q), forwarders %d", msg, len(st.Forwarders))
	}
	report, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(report), "the deploy region is unknown") {
		t.Errorf("validation report does not name the missing region: %s", report)
	}
}
