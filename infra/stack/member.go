package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
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

// Member is the template every member account gets in every target region
// (organization mode). It must stay asset-free (it is inlined in the
// StackSet): the BootstraplessSynthesizer refuses assets and adds no
// bootstrap version check, since member accounts are not CDK-bootstrapped.
type Member struct {
	awscdk.Stack
	// RemediationRole is the role the central function assumes; created in
	// PrimaryRegion only (IAM is global, a second region would fail with
	// "already exists").
	RemediationRole awsiam.Role
	// RDS are RemediationRole's statements: the function's own for the
	// mode, over every member region.
	RDS RDSStatements
	// ForwardingRole lets this region's rules put events on the central
	// bus. Unnamed, so CloudFormation gives it a per-stack-instance name and
	// every region has its own: no cross-region dependency.
	ForwardingRole awsiam.Role
	Rules          []awsevents.Rule // the engine's filters, on the default bus, to the central bus

	IsPrimaryRegion      awscdk.CfnCondition
	IsCentralAccountHome awscdk.CfnCondition
}

// NewMember builds the member template. Values known at synth
// (organization ID, role name, exempt tag, mode, regions) are literals;
// the central stack's attributes are parameters.
func NewMember(scope constructs.Construct, id string, s Settings) *Member {
	stack := awscdk.NewStack(scope, &id, &awscdk.StackProps{
		Description: jsii.String("forcessl member account: forwards RDS events to the central forcessl bus " +
			"and holds the role the central remediator assumes"),
		Synthesizer: awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{}),
		// No AWS::CDK::Metadata (and its region list) in every member account.
		AnalyticsReporting: jsii.Bool(false),
	})
	m := &Member{Stack: stack}

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
	// The role is global: it must reach RDS in every region the StackSet
	// forwards events from.
	m.RDS = NewRDSStatements(stack, s.Function, regions)
	statements := m.RDS.All()
	m.RemediationRole = awsiam.NewRole(stack, jsii.String("RemediationRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(s.Function.MemberRoleName),
		Description: jsii.String("Assumed by the central forcessl remediator to act on this account's RDS"),
		AssumedBy: awsiam.NewAccountPrincipal(centralAccount).WithConditions(&map[string]any{
			"ArnEquals":    map[string]any{"aws:PrincipalArn": functionRoleArn},
			"StringEquals": map[string]any{"aws:PrincipalOrgID": s.OrgID},
		}),
		// Inline, so the role and its permissions are one resource under
		// one Condition.
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"rds": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements}),
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
	// No DLQ: EventBridge retries delivery to a bus for 24 h, and a queue
	// here would be one more thing nobody watches.
	m.Rules = newEventRules(stack, "", nil, " (to the central forcessl bus)", nil, func() awsevents.IRuleTarget {
		return awseventstargets.NewEventBus(bus, &awseventstargets.EventBusProps{Role: m.ForwardingRole})
	})
	for _, r := range m.Rules {
		// The central account's home region has the central stack's own
		// default-bus rules; forwarding there too would deliver every event
		// twice. The rule exists (disabled) so no stack instance is empty.
		r.Node().DefaultChild().(awscdk.CfnResource).AddPropertyOverride(jsii.String("State"),
			awscdk.Fn_ConditionIf(m.IsCentralAccountHome.LogicalId(), "DISABLED", "ENABLED"))
	}

	awscdk.Aspects_Of(stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	appliesTo := rdsNagResources(s.Regions)
	cdknag.NagSuppressions_AddResourceSuppressions(m.RemediationRole, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String(rdsWildcardReason("this account, the StackSet's regions only")),
		AppliesTo: &appliesTo,
	}}, jsii.Bool(true))
	return m
}
