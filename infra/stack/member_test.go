package stack

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestMemberTemplateSelfContained: deployable by a StackSet into accounts
// that were never CDK-bootstrapped and from an inline body.
func TestMemberTemplateSelfContained(t *testing.T) {
	// GIVEN organization mode WHEN the member template is synthesized THEN no
	// bootstrap check, asset or import, and every parameter set by the StackSet
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
	if want := []string{ParamCentralAccountID, ParamCentralEventBusArn, ParamCentralFunctionRoleArn, ParamCentralRegion,
		ParamCoveredRegions, ParamPrimaryRegion}; !slices.Equal(keys, want) {
		t.Errorf("member parameters = %v, want %v", keys, want)
	}
	for _, s := range []string{"cdk-bootstrap", "AWS::CDK::Metadata", "Fn::ImportValue", "S3Key", "${Token", "aws:asset"} {
		if strings.Contains(f.stack.Organization.MemberTemplate, s) {
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
	// GIVEN organization mode WHEN synthesized THEN the member role trusts only
	// the central function's role, and carries the function's RDS statements
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
			sid, _ := st["Sid"].(string)
			memberSts[sid] = st
		}
	}
	fnSts := functionStatements(t, enforceStack(t))
	var sids []string
	for sid, st := range memberSts {
		sids = append(sids, sid)
		if !slices.Equal(actions(st), actions(fnSts[sid])) || st["Effect"] != fnSts[sid]["Effect"] {
			t.Errorf("member %s = %v, function has %v", sid, st, fnSts[sid])
		}
		// The function's resources, in this account.
		if !jsonEq(st["Resource"], fnSts[sid]["Resource"]) {
			t.Errorf("member %s resources %v, the function's %v", sid, st["Resource"], fnSts[sid]["Resource"])
		}
	}
	slices.Sort(sids)
	// Only in the regions forcessl covers, as the central stack passes them
	// (TestStackSet: the function's FORCESSL_REGIONS: every member region,
	// and the central region, always covered, swept even where the StackSet
	// does not forward).
	checkRegionGuard(t, "member", m, memberSts, map[string]string{ParamCoveredRegions: "us-east-1,eu-west-1,ap-south-1"},
		[]string{"us-east-1", "eu-west-1", "ap-south-1"})
	if want := []string{"AttachOwnClusterParameterGroups", "AttachOwnParameterGroups", "CopyFromAnySourceClusterGroup",
		"CopyFromAnySourceGroup", "NeverTouchExemptClusters", "NeverTouchExemptInstances", "OnlyInCoveredRegions", "ReadCACertificates", "ReadGlobalDatabases", "ReadRDS",
		"ReadRDSClusters", "ReadRestartEvents", "RebootClusters", "RebootInstances", "WriteOwnClusterParameterGroups",
		"WriteOwnParameterGroups"}; !slices.Equal(sids, want) {
		t.Errorf("member role statements %v, want exactly the RDS ones %v", sids, want)
	}
	if !jsonEq(memberSts["NeverTouchExemptInstances"]["Condition"], map[string]any{
		"StringEqualsIgnoreCase": map[string]any{"rds:db-tag/forcessl:exempt": "true"}}) {
		t.Errorf("exempt Deny = %v", memberSts["NeverTouchExemptInstances"])
	}
	if !jsonEq(memberSts["NeverTouchExemptClusters"]["Condition"], map[string]any{
		"StringEqualsIgnoreCase": map[string]any{"rds:cluster-tag/forcessl:exempt": "true"}}) {
		t.Errorf("exempt cluster Deny = %v", memberSts["NeverTouchExemptClusters"])
	}

	// Report mode: read only, custom name.
	tpl, m = member(t, orgReportStack(t))
	tpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), map[string]any{
		"RoleName": "ops-forcessl",
		"Policies": []any{map[string]any{"PolicyDocument": map[string]any{"Statement": []any{
			like(map[string]any{"Sid": "ReadRDS"}), like(map[string]any{"Sid": "ReadRDSClusters"}),
			like(map[string]any{"Sid": "ReadCACertificates"}), like(map[string]any{"Sid": "ReadGlobalDatabases"}),
			like(map[string]any{"Sid": "OnlyInCoveredRegions"})}}}},
	})
}

// TestMemberGlobalResources: IAM is account-global and the StackSet deploys
// the template to several regions of each account. Any named IAM resource
// must exist in one region only (or the second region fails with "already
// exists"), or carry the region in its name.
func TestMemberGlobalResources(t *testing.T) {
	// GIVEN a multi-region StackSet WHEN synthesized THEN named IAM only in
	// the primary region, or named per region
	_, m := member(t, orgStack(t))
	perRegion := map[string]any{"Fn::Join": []any{"", []any{MemberForwardingRolePrefix, map[string]any{"Ref": "AWS::Region"}}}}
	var primary, regional int
	for id, r := range m["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if !strings.HasPrefix(r["Type"].(string), "AWS::IAM::") {
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		name, hasName := props["RoleName"]
		for _, k := range []string{"PolicyName", "ManagedPolicyName", "UserName", "GroupName", "InstanceProfileName"} {
			if _, ok := props[k]; ok && r["Type"] != "AWS::IAM::Policy" {
				hasName = true
			}
		}
		switch {
		case !hasName:
		case jsonEq(name, perRegion):
			regional++
		case r["Condition"] == "IsPrimaryRegion":
			primary++
		default:
			t.Errorf("%s (%s) is named but neither limited to the primary region nor named per region", id, r["Type"])
		}
	}
	if primary != 1 || regional != 1 {
		t.Errorf("%d primary-region and %d per-region named IAM resources, want the remediation role and the forwarding role", primary, regional)
	}
}

func TestMemberForwarding(t *testing.T) {
	// GIVEN organization mode WHEN synthesized THEN the engine's filters forward
	// to the central bus through a role only these rules may use, dead-letter
	// what cannot be delivered, and are disabled in the central home
	tpl, m := member(t, orgStack(t))
	roles := memberResources(m, "AWS::IAM::Role")
	var fwd string
	for id, r := range roles {
		if r["Properties"].(map[string]any)["RoleName"] != DefaultMemberRoleName {
			fwd = id
		}
	}
	if fwd == "" || len(roles) != 2 {
		t.Fatalf("member roles %v: want the remediation role and one forwarding role", slices.Collect(maps.Keys(roles)))
	}
	ruleArn := func(name string) any {
		return map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":events:",
			map[string]any{"Ref": "AWS::Region"}, ":", map[string]any{"Ref": "AWS::AccountId"}, ":rule/" + name}}}
	}
	tpl.HasResource(jsii.String("AWS::IAM::Role"), map[string]any{
		"Condition": assertions.Match_Absent(),
		"Properties": map[string]any{
			"RoleName": map[string]any{"Fn::Join": []any{"", []any{MemberForwardingRolePrefix, map[string]any{"Ref": "AWS::Region"}}}},
			"AssumeRolePolicyDocument": map[string]any{"Statement": []any{map[string]any{
				"Action": "sts:AssumeRole", "Effect": "Allow",
				"Principal": map[string]any{"Service": "events.amazonaws.com"},
				"Condition": assertions.Match_ObjectEquals(&map[string]any{
					"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}},
					// Exactly this stack's forwarding rules.
					"ArnEquals": map[string]any{"aws:SourceArn": []any{
						ruleArn("forcessl-instance-events"), ruleArn("forcessl-parameter-group-events"), ruleArn("forcessl-api-calls"),
						ruleArn("forcessl-cluster-events")}},
				}),
			}}},
		},
	})
	tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
		"Roles": []any{map[string]any{"Ref": fwd}},
		"PolicyDocument": map[string]any{"Statement": []any{map[string]any{
			"Action": "events:PutEvents", "Effect": "Allow", "Resource": map[string]any{"Ref": ParamCentralEventBusArn},
		}}},
	})
	// The dead-letter queue: SSE-SQS, 14 days, TLS-only, and EventBridge may
	// send to it on behalf of these rules only.
	queues := memberResources(m, "AWS::SQS::Queue")
	if len(queues) != 1 {
		t.Fatalf("member queues: %v", queues)
	}
	var dlq string
	for id := range queues {
		dlq = id
	}
	tpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), assertions.Match_ObjectEquals(&map[string]any{
		"SqsManagedSseEnabled": true, "MessageRetentionPeriod": 14 * 86400,
	}))
	tpl.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(4))
	var ruleIDs []any
	for id := range memberResources(m, "AWS::Events::Rule") {
		ruleIDs = append(ruleIDs, id)
	}
	var allowed []any
	for _, p := range memberResources(m, "AWS::SQS::QueuePolicy") {
		for _, st := range p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			if st["Effect"] == "Deny" {
				if !jsonEq(st["Condition"], map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}) {
					t.Errorf("dead-letter queue Deny %v", st)
				}
				continue
			}
			if st["Action"] != "sqs:SendMessage" || !jsonEq(st["Principal"], map[string]any{"Service": "events.amazonaws.com"}) {
				t.Errorf("dead-letter queue statement %v", st)
			}
			allowed = append(allowed, st["Condition"].(map[string]any)["ArnEquals"].(map[string]any)["aws:SourceArn"].(map[string]any)["Fn::GetAtt"].([]any)[0])
		}
	}
	slices.SortFunc(allowed, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	slices.SortFunc(ruleIDs, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	if !slices.Equal(allowed, ruleIDs) {
		t.Errorf("EventBridge may dead-letter for %v, the rules are %v", allowed, ruleIDs)
	}
	for _, p := range eventPatterns(nil) {
		tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"Name":         memberRuleName(p),
			"EventBusName": assertions.Match_Absent(), // the member account's default bus
			"EventPattern": map[string]any{"source": []any{"aws.rds"}, "detail-type": *p.pattern.DetailType, "account": assertions.Match_Absent()},
			"State":        map[string]any{"Fn::If": []any{"IsCentralAccountHome", "DISABLED", "ENABLED"}},
			"Targets": []any{assertions.Match_ObjectEquals(&map[string]any{
				"Arn":              map[string]any{"Ref": ParamCentralEventBusArn},
				"RoleArn":          map[string]any{"Fn::GetAtt": []any{fwd, "Arn"}},
				"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{dlq, "Arn"}}},
				"Id":               assertions.Match_AnyValue(),
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
