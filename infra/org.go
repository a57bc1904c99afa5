package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudformation"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Names in organization mode. Fixed, like the schedule group, so operators
// can find them (README) and one central deployment per account and region.
const (
	CentralEventBusName = "forcessl"
	MemberStackSetName  = "forcessl-member"
	// MaxTemplateBodyBytes is CloudFormation's limit on an inline
	// TemplateBody (larger templates need TemplateURL, i.e. an S3 asset).
	MaxTemplateBodyBytes = 51200
)

// Parameters of the member template; the central stack fills them in the
// StackSet, so the template carries no central-account token.
const (
	ParamCentralEventBusArn     = "CentralEventBusArn"
	ParamCentralFunctionRoleArn = "CentralFunctionRoleArn"
	ParamCentralAccountID       = "CentralAccountId"
	ParamCentralRegion          = "CentralRegion"
	ParamPrimaryRegion          = "PrimaryRegion"
)

// Organization is what organization mode adds to the central stack.
type Organization struct {
	Bus       awsevents.EventBus
	BusPolicy awsevents.CfnEventBusPolicy
	Rules     []awsevents.Rule // on Bus, to the function
	StackSet  awscloudformation.CfnStackSet
	Member    *MemberStack
	// MemberTemplate is the member stack's template exactly as embedded in
	// the StackSet's TemplateBody.
	MemberTemplate string
}

// addOrganization builds the central bus, its org-only policy, the rules
// from it to the function, and the StackSet that deploys MemberStack to
// every account of the target OUs in every region. scope and id are those
// of the central stack: the member stack lives in a sibling Stage (not
// inside the central stack) so it synthesizes to its own template, which is
// also written to the cloud assembly (assembly-<id>Member/) for cfn-lint.
func (st *ForceSSLStack) addOrganization(scope constructs.Construct, id string, s Settings) {
	stack := st.Stack
	org := &Organization{}
	st.Org = org

	org.Bus = awsevents.NewEventBus(stack, jsii.String("OrgEventBus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(CentralEventBusName),
		Description:  jsii.String("forcessl: RDS events forwarded by the organization's member accounts"),
	})
	// The organization's template from the EventBridge guide: anyone in the
	// organization (and nobody else) may put events on this bus. Member
	// accounts put them through their forwarding rules' role.
	// The L1 with the statement as JSON: exactly the documented form
	// (Principal "*"); the L2 EventBusPolicy failed to resolve its
	// PolicyStatement through jsii (circular reference).
	org.BusPolicy = awsevents.NewCfnEventBusPolicy(stack, jsii.String("OrgEventBusPolicy"), &awsevents.CfnEventBusPolicyProps{
		EventBusName: org.Bus.EventBusName(),
		StatementId:  jsii.String("PutEventsFromOrganization"),
		Statement: map[string]any{
			"Sid":       "PutEventsFromOrganization",
			"Effect":    "Allow",
			"Principal": "*",
			"Action":    "events:PutEvents",
			"Resource":  org.Bus.EventBusArn(),
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": s.OrgID}},
		},
	})

	before := len(st.Rules)
	st.addRules(org.Bus, "Org", " (forwarded from member accounts)", s.Accounts)
	org.Rules = st.Rules[before:]

	stage := awscdk.NewStage(scope, jsii.String(id+"Member"), nil)
	org.Member = NewMemberStack(stage, "Member", s)
	org.MemberTemplate = synthMemberTemplate(stage, org.Member, stack)

	param := func(k string, v *string) any {
		return &awscloudformation.CfnStackSet_ParameterProperty{ParameterKey: jsii.String(k), ParameterValue: v}
	}
	org.StackSet = awscloudformation.NewCfnStackSet(stack, jsii.String("MemberStackSet"), &awscloudformation.CfnStackSetProps{
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
			param(ParamCentralFunctionRoleArn, st.Role.RoleArn()),
			param(ParamCentralAccountID, stack.Account()),
			param(ParamCentralRegion, stack.Region()),
			param(ParamPrimaryRegion, jsii.String(s.Regions[0])),
		},
		StackInstancesGroup: &[]any{&awscloudformation.CfnStackSet_StackInstancesProperty{
			DeploymentTargets: &awscloudformation.CfnStackSet_DeploymentTargetsProperty{
				OrganizationalUnitIds: jsii.Strings(s.TargetOUs...),
			},
			Regions: jsii.Strings(s.Regions...),
		}},
		TemplateBody: jsii.String(org.MemberTemplate),
	})
	// Member accounts start forwarding as soon as their stack exists: the
	// bus must already admit them and route to the function by then.
	org.StackSet.Node().AddDependency(org.BusPolicy)
	for _, r := range org.Rules {
		org.StackSet.Node().AddDependency(r)
	}
}

// synthMemberTemplate synthesizes the member stage now (the StackSet needs
// the template as a string) and returns the template as compact JSON. Any
// error or warning annotation on the member stack (cdk-nag included) is
// repeated on the central stack, so `cdk synth --strict` fails on it: the
// CLI only checks the stacks it deploys.
func synthMemberTemplate(stage awscdk.Stage, member *MemberStack, central awscdk.Stack) string {
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

// MemberStack is the template every member account gets in every target
// region. It must stay asset-free (it is inlined in the StackSet): the
// BootstraplessSynthesizer refuses assets and adds no bootstrap version
// check, since member accounts are not CDK-bootstrapped.
type MemberStack struct {
	awscdk.Stack
	// RemediationRole is the role the central function assumes; created in
	// PrimaryRegion only (IAM is global, a second region would fail with
	// "already exists").
	RemediationRole awsiam.Role
	// ForwardingRole lets this region's rules put events on the central
	// bus. Unnamed, so CloudFormation gives it a per-stack-instance name and
	// every region has its own: no cross-region dependency.
	ForwardingRole awsiam.Role
	Rules          []awsevents.Rule

	IsPrimaryRegion      awscdk.CfnCondition
	IsCentralAccountHome awscdk.CfnCondition
}

// NewMemberStack builds the member template. Values known at synth
// (organization ID, role name, exempt tag, mode, regions) are literals;
// the central stack's attributes are parameters.
func NewMemberStack(scope constructs.Construct, id string, s Settings) *MemberStack {
	stack := awscdk.NewStack(scope, &id, &awscdk.StackProps{
		Description: jsii.String("forcessl member account: forwards RDS events to the central forcessl bus " +
			"and holds the role the central remediator assumes"),
		Synthesizer: awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{}),
		// No AWS::CDK::Metadata (and its region list) in every member account.
		AnalyticsReporting: jsii.Bool(false),
	})
	m := &MemberStack{Stack: stack}

	p := func(name, description, pattern string) *string {
		return awscdk.NewCfnParameter(stack, jsii.String(name), &awscdk.CfnParameterProps{
			Type:           jsii.String("String"),
			Description:    jsii.String(description),
			AllowedPattern: jsii.String(pattern),
		}).ValueAsString()
	}
	busArn := p(ParamCentralEventBusArn, "ARN of the central forcessl event bus",
		`^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[\w.-]+$`)
	functionRoleArn := p(ParamCentralFunctionRoleArn, "ARN of the central forcessl remediator's execution role",
		`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)
	centralAccount := p(ParamCentralAccountID, "Account of the central forcessl deployment", `^[0-9]{12}$`)
	centralRegion := p(ParamCentralRegion, "Region of the central forcessl deployment", `^[a-z0-9-]+$`)
	primary := awscdk.NewCfnParameter(stack, jsii.String(ParamPrimaryRegion), &awscdk.CfnParameterProps{
		Type:          jsii.String("String"),
		Description:   jsii.String("The one region (of the StackSet's) that creates the account-global remediation role"),
		AllowedValues: jsii.Strings(s.Regions...),
		Default:       jsii.String(s.Regions[0]),
	}).ValueAsString()

	m.IsPrimaryRegion = awscdk.NewCfnCondition(stack, jsii.String("IsPrimaryRegion"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(stack.Region(), primary),
	})
	m.IsCentralAccountHome = awscdk.NewCfnCondition(stack, jsii.String("IsCentralAccountHome"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionAnd(
			awscdk.Fn_ConditionEquals(stack.Account(), centralAccount),
			awscdk.Fn_ConditionEquals(stack.Region(), centralRegion),
		),
	})

	// Trust: the central account as principal, narrowed by conditions to
	// exactly the remediator's role (aws:PrincipalArn) in our organization.
	// A role ARN as Principal would be tighter on paper but IAM stores it as
	// the role's unique ID: if the central role is ever replaced, the trust
	// silently stops matching and only a redeploy of every member fixes it.
	// The condition is compared as a string at request time, so the StackSet
	// parameter update that follows a replacement is enough.
	regions := make([]*string, len(s.Regions))
	for i, r := range s.Regions {
		regions[i] = jsii.String(r)
	}
	m.RemediationRole = awsiam.NewRole(stack, jsii.String("RemediationRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(s.MemberRoleName),
		Description: jsii.String("Assumed by the central forcessl remediator to act on this account's RDS"),
		AssumedBy: awsiam.NewAccountPrincipal(centralAccount).WithConditions(&map[string]any{
			"ArnEquals":    map[string]any{"aws:PrincipalArn": functionRoleArn},
			"StringEquals": map[string]any{"aws:PrincipalOrgID": s.OrgID},
		}),
		// Inline, so the role and its permissions are one resource under
		// one Condition.
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"rds": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
				// The role is global: it must reach RDS in every region the
				// StackSet forwards events from.
				Statements: toStatementList(rdsStatements(stack, s, regions)),
			}),
		},
	})
	m.RemediationRole.Node().DefaultChild().(awscdk.CfnResource).CfnOptions().SetCondition(m.IsPrimaryRegion)

	m.ForwardingRole = awsiam.NewRole(stack, jsii.String("ForwardingRole"), &awsiam.RoleProps{
		Description: jsii.String("Lets this region's forcessl rules put events on the central forcessl bus"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil).WithConditions(&map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
		}),
	})
	bus := awsevents.EventBus_FromEventBusArn(stack, jsii.String("CentralEventBus"), busArn)
	for _, pt := range eventPatterns(nil) {
		r := awsevents.NewRule(stack, jsii.String(pt.id), &awsevents.RuleProps{
			Description:  jsii.String(pt.description + " (to the central forcessl bus)"),
			EventPattern: pt.pattern,
			// No DLQ: EventBridge retries delivery to a bus for 24 h, and a
			// queue here would be one more thing nobody watches.
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewEventBus(bus, &awseventstargets.EventBusProps{
				Role: m.ForwardingRole,
			})},
		})
		// The central account's home region has the central stack's own
		// default-bus rules; forwarding there too would deliver every event
		// twice. The rule exists (disabled) so no stack instance is empty.
		r.Node().DefaultChild().(awscdk.CfnResource).AddPropertyOverride(jsii.String("State"),
			awscdk.Fn_ConditionIf(m.IsCentralAccountHome.LogicalId(), "DISABLED", "ENABLED"))
		m.Rules = append(m.Rules, r)
	}

	m.applyNag(s)
	return m
}

func toStatementList(l []awsiam.PolicyStatement) *[]awsiam.PolicyStatement { return &l }

func toAnyList(l []any) *[]any { return &l }

// rdsNagResources are the cdk-nag IAM5 finding keys of rdsStatements'
// wildcard resources in the given regions ("" = the stack's region).
func rdsNagResources(regions []string) []any {
	var out []any
	for _, r := range regions {
		if r == "" {
			r = "<AWS::Region>"
		}
		for _, res := range []string{"db:*", "pg:*", "pg:" + OwnedParameterGroupPrefix + "*"} {
			out = append(out, "Resource::arn:<AWS::Partition>:rds:"+r+":<AWS::AccountId>:"+res)
		}
	}
	return out
}

// rdsWildcardReason explains rdsStatements' wildcards; where says which
// account and regions they cover.
func rdsWildcardReason(where string) string {
	return "Every action is named. db:* and pg:* (" + where + "): forcessl must " +
		"read every DB instance and any parameter group an instance may use, and, when enforcing, modify or " +
		"reboot any non-exempt instance (exempt-tagged ones are denied) and copy from any source group; " +
		"instance and group names are not known at deploy time. pg:forcessl-*: the compliant groups the engine " +
		"creates, named at runtime under that prefix."
}

func (m *MemberStack) applyNag(s Settings) {
	awscdk.Aspects_Of(m.Stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	cdknag.NagSuppressions_AddResourceSuppressions(m.RemediationRole, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String(rdsWildcardReason("this account, the StackSet's regions only")),
		AppliesTo: toAnyList(rdsNagResources(s.Regions)),
	}}, jsii.Bool(true))
}
