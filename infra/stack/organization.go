package stack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudformation"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/scp"
)

// Names in organization mode. Fixed, like the schedule group, so operators
// can find them (README) and one central deployment per account and region.
const (
	CentralEventBusName = "forcessl"
	MemberStackSetName  = scp.StackSetName // its stacks are protected by the SCP by this name
	// MaxTemplateBodyBytes is CloudFormation's limit on an inline
	// TemplateBody (larger templates need TemplateURL, i.e. an S3 asset).
	MaxTemplateBodyBytes = 51200
)

// OrganizationProps configure organization mode.
type OrganizationProps struct {
	Settings   Settings
	Remediator *Remediator // the central function the member accounts' events go to
	// StageScope is where the member stage goes: the central stack's own
	// scope (the app), beside the stack rather than inside it.
	StageScope constructs.Construct
	// CoveredRegions is the function's FORCESSL_REGIONS (comma-separated,
	// possibly a deploy-time value): the member role's regions.
	CoveredRegions string
}

// Organization is what organization mode adds to the central stack: the
// central event bus, its organization-only policy, the rules from it to the
// function, and the StackSet that deploys Member to every account of the
// target OUs in every region.
//
// Its resources keep the construct IDs they had at the root of scope (see
// the package doc). The member stack lives in a sibling Stage of the
// central stack (not inside it), so it synthesizes to its own template,
// which is also written to the cloud assembly (assembly-<stack>Member/) for
// cfn-lint.
type Organization struct {
	constructs.Construct
	Bus       awsevents.EventBus
	BusPolicy awsevents.CfnEventBusPolicy
	Rules     []awsevents.Rule // on Bus, to the function
	StackSet  awscloudformation.CfnStackSet
	Member    *Member
	// MemberTemplate is the member stack's template exactly as embedded in
	// the StackSet's TemplateBody.
	MemberTemplate string
}

// NewOrganization builds organization mode into scope, the central stack.
func NewOrganization(scope awscdk.Stack, id string, props OrganizationProps) *Organization {
	s, rem := props.Settings, props.Remediator
	org := &Organization{Construct: constructs.NewConstruct(scope, &id)}

	org.Bus = awsevents.NewEventBus(scope, jsii.String("OrgEventBus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(CentralEventBusName),
		Description:  jsii.String("forcessl: RDS events forwarded by the organization's member accounts"),
	})
	// The organization's template from the EventBridge guide: anyone in the
	// organization (and nobody else) may put events on this bus. Member
	// accounts put them through their forwarding rules' role. And only the
	// events the rules on it match: events:source and events:detail-type,
	// PutEvents' condition keys (Service Authorization Reference, Amazon
	// EventBridge), in the form of the guide's example "Send events to a
	// custom bus in a different account" (ForAllValues:StringEquals for the
	// source, StringEquals for the detail-type). CloudTrail API-call events
	// keep the source aws.rds.
	// The L1 with the statement as JSON: exactly the documented form
	// (Principal "*"); the L2 EventBusPolicy failed to resolve its
	// PolicyStatement through jsii (circular reference).
	sources, detailTypes := eventSourcesAndTypes()
	org.BusPolicy = awsevents.NewCfnEventBusPolicy(scope, jsii.String("OrgEventBusPolicy"), &awsevents.CfnEventBusPolicyProps{
		EventBusName: org.Bus.EventBusName(),
		StatementId:  jsii.String("PutEventsFromOrganization"),
		Statement: map[string]any{
			"Sid":       "PutEventsFromOrganization",
			"Effect":    "Allow",
			"Principal": "*",
			"Action":    "events:PutEvents",
			"Resource":  org.Bus.EventBusArn(),
			"Condition": map[string]any{
				"StringEquals": map[string]any{
					"aws:PrincipalOrgID": s.OrgID,
					"events:detail-type": detailTypes,
				},
				"ForAllValues:StringEquals": map[string]any{"events:source": sources},
				// Only principals of accounts under the target OUs: an
				// account elsewhere in the organization would consume the
				// function's reserved concurrency and trip its alarms.
				"ForAnyValue:StringLike": map[string]any{"aws:PrincipalOrgPaths": OrgPaths(s.OrgID, s.TargetOUs)},
			},
		},
	})
	org.Rules = newEventRules(scope, "Org", org.Bus, " (forwarded from member accounts)", s.Function.Accounts, nil,
		func() awsevents.IRuleTarget { return rem.Target(nil) })

	stage := awscdk.NewStage(props.StageScope, jsii.String(*scope.Node().Id()+"Member"), nil)
	org.Member = NewMember(stage, "Member", s)
	org.MemberTemplate = synthMemberTemplate(stage, org.Member, scope)

	param := func(k string, v *string) any {
		return &awscloudformation.CfnStackSet_ParameterProperty{ParameterKey: jsii.String(k), ParameterValue: v}
	}
	org.StackSet = awscloudformation.NewCfnStackSet(scope, jsii.String("MemberStackSet"), &awscloudformation.CfnStackSetProps{
		StackSetName: jsii.String(MemberStackSetName),
		Description: jsii.String("forcessl member accounts: forward RDS events to the central forcessl bus; " +
			"role the central remediator assumes"),
		PermissionModel: jsii.String("SERVICE_MANAGED"),
		CallAs:          jsii.String(s.StackSetCallAs),
		// New accounts in the OUs get the stack; accounts leaving them lose it.
		AutoDeployment: &awscloudformation.CfnStackSet_AutoDeploymentProperty{
			Enabled:                      jsii.Bool(true),
			RetainStacksOnAccountRemoval: jsii.Bool(false),
		},
		Capabilities: jsii.Strings("CAPABILITY_NAMED_IAM"), // the remediation role has a fixed name
		// Queues conflicting operations (e.g. auto-deployment during an
		// update) instead of failing them.
		// (Typed as raw JSON in the L1, so spelled as CloudFormation spells it.)
		ManagedExecution: map[string]any{"Active": true},
		OperationPreferences: &awscloudformation.CfnStackSet_OperationPreferencesProperty{
			// Regions are independent (each creates only its own rules and
			// role; the named role only in PrimaryRegion), so in parallel.
			RegionConcurrencyType: jsii.String("PARALLEL"),
			// Half the accounts at a time; one bad account (e.g. an SCP)
			// does not stop the rollout to the others unless more than 10%
			// fail. SOFT keeps the concurrency independent of the tolerance.
			ConcurrencyMode:            jsii.String("SOFT_FAILURE_TOLERANCE"),
			MaxConcurrentPercentage:    jsii.Number(50),
			FailureTolerancePercentage: jsii.Number(10),
		},
		Parameters: &[]any{
			param(ParamCentralEventBusArn, org.Bus.EventBusArn()),
			param(ParamCentralFunctionRoleArn, rem.Role.RoleArn()),
			param(ParamCentralAccountID, scope.Account()),
			param(ParamCentralRegion, scope.Region()),
			param(ParamPrimaryRegion, jsii.String(s.Regions[0])),
			param(ParamCoveredRegions, jsii.String(props.CoveredRegions)),
		},
		StackInstancesGroup: stackInstances(scope, s),
		TemplateBody:        jsii.String(org.MemberTemplate),
	})
	// Member accounts start forwarding as soon as their stack exists: the
	// bus must already admit them and route to the function by then.
	org.StackSet.Node().AddDependency(org.BusPolicy)
	for _, r := range org.Rules {
		org.StackSet.Node().AddDependency(r)
	}
	return org
}

// synthMemberTemplate synthesizes the member stage now (the StackSet needs
// the template as a string) and returns the template as compact JSON. Any
// error or warning annotation on the member stack (cdk-nag included) is
// repeated on the central stack, so `cdk synth --strict` fails on it: the
// CLI only checks the stacks it deploys.
func synthMemberTemplate(stage awscdk.Stage, member *Member, central awscdk.Stack) string {
	asm := stage.Synth(nil)
	art := asm.GetStackArtifact(member.ArtifactId())
	for _, m := range *art.Messages() {
		if m.Level == cxapi.SynthesisMessageLevel_ERROR || m.Level == cxapi.SynthesisMessageLevel_WARNING {
			awscdk.Annotations_Of(central).AddError(jsii.String(fmt.Sprintf(
				"member template %s: %v", *m.Id, m.Entry.Data)))
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(art.Template()); err != nil {
		panic(fmt.Errorf("member template: %w", err))
	}
	return strings.TrimSpace(buf.String())
}

// OrgPaths are the aws:PrincipalOrgPaths / aws:ResourceOrgPaths patterns
// of the accounts under targets: the keys hold an account's full path,
// o-ID/r-ID/ou-ID/…/ (IAM User Guide, global condition context keys, whose
// examples match with ForAnyValue:StringLike), so an OU anywhere in the
// tree is o-ID/*/ou-ID/* (the account in it or in an OU below), and a
// root o-ID/r-ID/*.
func OrgPaths(orgID string, targets []string) []string {
	var out []string
	for _, t := range targets {
		if strings.HasPrefix(t, "r-") {
			out = append(out, orgID+"/"+t+"/*")
			continue
		}
		out = append(out, orgID+"/*/"+t+"/*")
	}
	return out
}

// stackInstances are the StackSet's instances: the target OUs in every
// covered region, the listed ones and the central region, once. The member
// role may act in all of them (CoveredRegions), so each gets the forwarding
// rules: a region without them would let the role write there unseen by
// the tripwire. (In the central account's own region they are created
// disabled: IsCentralAccountHome.) The central region is a group of its
// own, left out by the StackRegionListed condition when it is listed:
// CloudFormation refuses a region twice in one group's list.
func stackInstances(scope awscdk.Stack, s Settings) *[]any {
	group := func(regions *[]*string) *awscloudformation.CfnStackSet_StackInstancesProperty {
		return &awscloudformation.CfnStackSet_StackInstancesProperty{
			DeploymentTargets: &awscloudformation.CfnStackSet_DeploymentTargetsProperty{
				OrganizationalUnitIds: jsii.Strings(s.TargetOUs...),
			},
			Regions: regions,
		}
	}
	groups := []any{group(jsii.Strings(s.Regions...))}
	region := scope.Region()
	switch {
	case *awscdk.Token_IsUnresolved(region):
		listed := scope.Node().FindChild(jsii.String(stackRegionListedID)).(awscdk.CfnCondition)
		// Inside Fn::If the L1's property names are not mapped: spelled as
		// CloudFormation spells them.
		raw := map[string]any{"DeploymentTargets": map[string]any{"OrganizationalUnitIds": s.TargetOUs}, "Regions": []any{region}}
		groups = append(groups, awscdk.Fn_ConditionIf(listed.LogicalId(), awscdk.Aws_NO_VALUE(), raw))
	case !slices.Contains(s.Regions, *region):
		groups = append(groups, group(&[]*string{region}))
	}
	return &groups
}
