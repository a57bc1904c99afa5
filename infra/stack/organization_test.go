package stack

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/forcessl/forcessl/pkg/config"
)

func TestOrgResourceCounts(t *testing.T) {
	// GIVEN an organization deployment WHEN synthesized THEN bus, policy,
	// StackSet, 4 more rules to the one function, and the tripwire's rules
	// and check rules (to the function) on both buses
	f := orgStack(t)
	tpl := f.template
	for typ, n := range map[string]float64{
		"AWS::Events::EventBus": 1, "AWS::Events::EventBusPolicy": 1, "AWS::CloudFormation::StackSet": 1,
		"AWS::Events::Rule": float64(9 + len(f.stack.Tripwire.Rules) + 2), "AWS::Lambda::Permission": 11,
		"AWS::Lambda::Function": 1, "AWS::IAM::Role": 2, "AWS::DynamoDB::Table": 1,
	} {
		tpl.ResourceCountIs(jsii.String(typ), jsii.Number(n))
	}
}

func TestOrgBusPolicy(t *testing.T) {
	// GIVEN an organization WHEN synthesized THEN only its principals may put
	// events on the bus, and only the source and detail-types its rules match
	f := orgStack(t)
	bus := logicalID(f.stack, f.stack.Organization.Bus)
	f.template.HasResourceProperties(jsii.String("AWS::Events::EventBus"), map[string]any{"Name": CentralEventBusName})
	f.template.HasResourceProperties(jsii.String("AWS::Events::EventBusPolicy"), assertions.Match_ObjectEquals(&map[string]any{
		"EventBusName": map[string]any{"Ref": bus},
		"StatementId":  "PutEventsFromOrganization",
		"Statement": map[string]any{
			"Sid": "PutEventsFromOrganization", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents",
			"Resource": map[string]any{"Fn::GetAtt": []any{bus, "Arn"}},
			"Condition": map[string]any{
				"StringEquals": map[string]any{
					"aws:PrincipalOrgID": "o-abc123def4",
					"events:detail-type": []any{"RDS DB Instance Event", "RDS DB Parameter Group Event", "AWS API Call via CloudTrail",
						"RDS DB Cluster Event"},
				},
				"ForAllValues:StringEquals": map[string]any{"events:source": []any{"aws.rds"}},
				// ... from accounts under the target OUs only
				"ForAnyValue:StringLike": map[string]any{"aws:PrincipalOrgPaths": []any{"o-abc123def4/*/ou-ab12-cdef3456/*",
					"o-abc123def4/*/ou-ab12-7890abcd/*"}},
			},
		},
	}))
	// A root target is the root's whole tree.
	if got := OrgPaths("o-abc123def4", []string{"r-ab12", "ou-ab12-cdef3456"}); !slices.Equal(got,
		[]string{"o-abc123def4/r-ab12/*", "o-abc123def4/*/ou-ab12-cdef3456/*"}) {
		t.Errorf("OrgPaths = %v", got)
	}
	for path, want := range map[string]bool{ // as aws:PrincipalOrgPaths holds an account's path
		"o-abc123def4/r-ab12/ou-ab12-cdef3456/":                  true,
		"o-abc123def4/r-ab12/ou-ab12-cdef3456/ou-ab12-11111111/": true,
		"o-abc123def4/r-ab12/ou-ab12-99999999/":                  false,
		"o-abc123def4/r-ab12/":                                   false,
		"o-zzz/r-ab12/ou-ab12-cdef3456/":                         false,
	} {
		if got := slices.ContainsFunc(OrgPaths("o-abc123def4", f.stack.Settings.TargetOUs), func(p string) bool { return iamGlob(p, path) }); got != want {
			t.Errorf("path %s admitted = %v", path, got)
		}
	}
	// The accepted detail-types are exactly those of the rules on the bus.
	var matched []string
	for _, r := range f.resources("AWS::Events::Rule") {
		props := r["Properties"].(map[string]any)
		if jsonEq(props["EventBusName"], map[string]any{"Ref": bus}) {
			for _, dt := range props["EventPattern"].(map[string]any)["detail-type"].([]any) {
				if !slices.Contains(matched, dt.(string)) {
					matched = append(matched, dt.(string))
				}
			}
		}
	}
	_, admitted := eventSourcesAndTypes()
	slices.Sort(matched)
	admitted = slices.Sorted(slices.Values(admitted))
	if !slices.Equal(matched, admitted) {
		t.Errorf("rules on the bus match %v, the policy admits %v", matched, admitted)
	}
}

func TestOrgCentralRules(t *testing.T) {
	// GIVEN an allow-list WHEN synthesized THEN the central bus rules filter on it,
	// and the default-bus rules stay as in a single account
	f := orgStack(t)
	fn := logicalID(f.stack, f.stack.Remediator.Function)
	dlq := logicalID(f.stack, f.stack.Remediator.DeadLetters)
	if len(f.stack.Organization.Rules) != 4 {
		t.Fatalf("%d central bus rules, want 4", len(f.stack.Organization.Rules))
	}
	for _, p := range eventPatterns(nil) {
		f.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"EventBusName": map[string]any{"Ref": logicalID(f.stack, f.stack.Organization.Bus)},
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
	// The default-bus rules to the function are still there, without an
	// account filter (4 and the tripwire's check rule).
	f.template.ResourcePropertiesCountIs(jsii.String("AWS::Events::Rule"), map[string]any{
		"EventBusName": assertions.Match_Absent(), "EventPattern": map[string]any{"account": assertions.Match_Absent()},
		"Targets": assertions.Match_ArrayWith(&[]any{like(map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{fn, "Arn"}}})}),
	}, jsii.Number(4+1))
}

func TestOrgFunction(t *testing.T) {
	// GIVEN organization mode (enforce, and report from a delegated admin) WHEN
	// synthesized THEN the member variables, AssumeRole within the organization,
	// and RDS access in every member region
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
				config.EnvTargetOUs:      strings.Join(tc.f.stack.Settings.TargetOUs, ","),
			}},
		})
		sts := functionStatements(t, tc.f)
		if got := sts["AssumeMemberRemediationRole"]; !jsonEq(got, map[string]any{
			"Sid": "AssumeMemberRemediationRole", "Effect": "Allow", "Action": "sts:AssumeRole",
			"Resource": map[string]any{"Fn::Join": []any{"", []any{
				"arn:", map[string]any{"Ref": "AWS::Partition"}, ":iam::*:role/" + tc.roleName}}},
			// In the organization, under the target OUs only.
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": "o-abc123def4"},
				"ForAnyValue:StringLike": map[string]any{"aws:ResourceOrgPaths": OrgPaths("o-abc123def4", tc.f.stack.Settings.TargetOUs)}},
		}) {
			t.Errorf("AssumeMemberRemediationRole = %v", got)
		}
	}
	// Own-account RDS access covers the member regions and the central
	// region, once.
	f := orgStack(t)
	for at, want := range map[string][]string{"eu-west-1": {"us-east-1", "eu-west-1"},
		"ap-south-1": {"us-east-1", "eu-west-1", "ap-south-1"}} {
		checkRegionGuard(t, "org", f.json, functionStatements(t, f), map[string]string{"AWS::Region": at}, want)
	}
}

func TestStackSet(t *testing.T) {
	// GIVEN organization mode WHEN synthesized THEN the StackSet's properties,
	// parameters and inline member template
	f := orgStack(t)
	f.template.HasResource(jsii.String("AWS::CloudFormation::StackSet"), map[string]any{
		"DependsOn": assertions.Match_ArrayWith(&[]any{*f.stack.GetLogicalId(f.stack.Organization.BusPolicy)}),
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
			"StackInstancesGroup": assertions.Match_ArrayWith(&[]any{map[string]any{
				"DeploymentTargets": assertions.Match_ObjectEquals(&map[string]any{
					"OrganizationalUnitIds": []any{"ou-ab12-cdef3456", "ou-ab12-7890abcd"}}),
				"Regions": []any{"us-east-1", "eu-west-1"},
			}}), // and the central region (below)
			"Parameters": []any{
				map[string]any{"ParameterKey": ParamCentralEventBusArn, "ParameterValue": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Organization.Bus), "Arn"}}},
				map[string]any{"ParameterKey": ParamCentralFunctionRoleArn, "ParameterValue": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Remediator.Role), "Arn"}}},
				map[string]any{"ParameterKey": ParamCentralAccountID, "ParameterValue": map[string]any{"Ref": "AWS::AccountId"}},
				map[string]any{"ParameterKey": ParamCentralRegion, "ParameterValue": map[string]any{"Ref": "AWS::Region"}},
				map[string]any{"ParameterKey": ParamPrimaryRegion, "ParameterValue": "us-east-1"},
				// The member role acts where the function does.
				map[string]any{"ParameterKey": ParamCoveredRegions, "ParameterValue": functionEnv(t, f)[config.EnvRegions]},
			},
			"TemplateBody": f.stack.Organization.MemberTemplate,
			"TemplateURL":  assertions.Match_Absent(),
		},
	})
	orgReportStack(t).template.HasResourceProperties(jsii.String("AWS::CloudFormation::StackSet"), map[string]any{
		"CallAs": "DELEGATED_ADMIN",
		"StackInstancesGroup": assertions.Match_ArrayWith(&[]any{map[string]any{
			"DeploymentTargets": map[string]any{"OrganizationalUnitIds": []any{"r-ab12"}},
			"Regions":           []any{"eu-west-1"},
		}}),
	})
	// The StackSet deploys to every region the member role may act in (the
	// function's FORCESSL_REGIONS: regions and the central region, once),
	// so each has forwarding rules for the tripwire, evaluated as
	// CloudFormation would deploy it in a listed and an unlisted region.
	for name, g := range map[string]*fixture{"org": f, "org-report": orgReportStack(t)} {
		for _, at := range []string{"eu-west-1", "ap-south-1"} {
			var regions []string
			conditions := g.json["Conditions"].(map[string]any)
			for _, r := range g.resources("AWS::CloudFormation::StackSet") {
				for _, grp := range r["Properties"].(map[string]any)["StackInstancesGroup"].([]any) {
					grp := grp.(map[string]any)
					if branches, ok := grp["Fn::If"].([]any); ok { // the central region's group, unless listed
						if len(grp) != 1 || !jsonEq(branches[1], map[string]any{"Ref": "AWS::NoValue"}) {
							t.Fatalf("%s: group %v", name, grp)
						}
						if evalCfn(t, g, conditions[branches[0].(string)], at).(bool) {
							continue
						}
						grp = branches[2].(map[string]any)
					}
					for _, v := range asList(evalCfn(t, g, grp["Regions"], at)) {
						regions = append(regions, v.(string))
					}
				}
			}
			want := strings.Split(evalCfn(t, g, functionEnv(t, g)[config.EnvRegions], at).(string), ",")
			if !slices.Contains(want, at) || !slices.Equal(regions, want) {
				t.Errorf("%s in %s: StackSet regions %v, want the covered regions %v", name, at, regions, want)
			}
		}
	}
	for name, f := range map[string]*fixture{"enforce": f, "report": orgReportStack(t)} {
		body := f.stack.Organization.MemberTemplate
		if n := len(body); n > MaxTemplateBodyBytes {
			t.Errorf("%s: member template is %d bytes, over the TemplateBody limit %d", name, n, MaxTemplateBodyBytes)
		}
		// The embedded body is the member stack's synthesized template.
		_, m := member(t, f)
		if want := assertions.Template_FromStack(f.stack.Organization.Member.Stack, nil).ToJSON(); !jsonEq(m, *want) {
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

// TestOrgNagClean: cdk-nag is clean on the central stack in organization
// mode and on the member stack.
func TestOrgNagClean(t *testing.T) {
	// GIVEN organization mode WHEN synthesized THEN cdk-nag is clean on both stacks
	for name, f := range map[string]*fixture{"org": orgStack(t), "org-report": orgReportStack(t)} {
		for _, st := range []awscdk.Stack{f.stack.Stack, f.stack.Organization.Member.Stack} {
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
