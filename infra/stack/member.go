package stack

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/forcessl/forcessl/pkg/scp"
)

// Fixed names in member accounts: the forwarding rules are MemberNamePrefix
// + their filter's slug (forcessl-instance-events, …) and the forwarding
// role MemberForwardingRolePrefix + the region, so the role's trust names
// its rules exactly and an SCP can protect both (pkg/scp renders it from
// these same constants).
const (
	MemberNamePrefix           = scp.MemberNamePrefix
	MemberForwardingRolePrefix = scp.ForwardingRolePrefix
)

// Parameters of the member template; the central stack fills them in the
// StackSet, so the template carries no central-account token.
const (
	ParamCentralEventBusArn     = "CentralEventBusArn"
	ParamCentralFunctionRoleArn = "CentralFunctionRoleArn"
	ParamCentralAccountID       = "CentralAccountId"
	ParamCentralRegion          = "CentralRegion"
	ParamPrimaryRegion          = "PrimaryRegion"
	// ParamCoveredRegions are the regions forcessl covers, comma-separated:
	// the central function's FORCESSL_REGIONS (the StackSet's regions and
	// the central region, each once), where the remediation role may act.
	ParamCoveredRegions = "CoveredRegions"
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
	// SecurityHub (securityHub=true only): the function's Security Hub
	// statements for this account, over the same regions; Security Hub
	// takes a finding only from the account it is about.
	SecurityHub SecurityHubStatements
	// OnlyInCoveredRegions denies all of RemediationRole's actions outside
	// the regions forcessl covers (newRegionGuard).
	OnlyInCoveredRegions awsiam.PolicyStatement
	// ForwardingRole lets this region's rules put events on the central
	// bus. Named per region (MemberForwardingRolePrefix + region): every
	// region has its own, no cross-region dependency.
	ForwardingRole awsiam.Role
	Rules          []awsevents.Rule // the engine's filters, on the default bus, to the central bus
	// ForwardingDeadLetters holds what the rules could not deliver to the
	// central bus (after EventBridge's 24 h of retries).
	ForwardingDeadLetters awssqs.Queue

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
	covered := p(ParamCoveredRegions, "The regions forcessl covers (the central function's FORCESSL_REGIONS): where "+
		"the remediation role may act", `^[a-z0-9-]+(,[a-z0-9-]+)*$`)
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
	// The role is global: it must reach RDS in every region the StackSet
	// forwards events from, and in the central region, which forcessl
	// always covers (FORCESSL_REGIONS, CoveredRegions) even when it is not
	// one of the StackSet's: there member accounts are swept, not
	// forwarded. Whether it is one of them is known at deploy time, so the
	// central stack passes the list it computes for its function
	// (ParamCoveredRegions): the role acts exactly where the function does.
	regions := awscdk.Fn_Split(jsii.String(","), covered, nil)
	m.RDS = NewRDSStatements(stack, s.Function)
	m.SecurityHub = NewSecurityHubStatements(stack, s)
	statements := slices.Concat(m.RDS.All(), m.SecurityHub.All())
	m.OnlyInCoveredRegions = newRegionGuard(regions, statements...)
	statements = append(statements, m.OnlyInCoveredRegions)
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

	// Trust: EventBridge, for this account's forwarding rules only
	// (aws:SourceArn, "the ARN of the rule that is sending the event", and
	// aws:SourceAccount, the account the rule is in: EventBridge User
	// Guide, "Using IAM policy conditions"). The rules have fixed names, so
	// their ARNs are known here without a reference to them (which, with
	// theirs to this role, would be a cycle).
	var ruleArns []*string
	for _, p := range eventPatterns(nil) {
		ruleArns = append(ruleArns, stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("events"),
			Resource:     jsii.String("rule"),
			ResourceName: jsii.String(memberRuleName(p)),
			ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
		}))
	}
	m.ForwardingRole = awsiam.NewRole(stack, jsii.String("ForwardingRole"), &awsiam.RoleProps{
		RoleName:    awscdk.Fn_Join(jsii.String(""), jsii.Strings(MemberForwardingRolePrefix, *stack.Region())),
		Description: jsii.String("Lets this region's forcessl rules put events on the central forcessl bus"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil).WithConditions(&map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
			"ArnEquals":    map[string]any{"aws:SourceArn": ruleArns},
		}),
	})
	bus := awsevents.EventBus_FromEventBusArn(stack, jsii.String("CentralEventBus"), busArn)
	// Events EventBridge could not deliver to the central bus (it retries
	// for 24 h) land here instead of nowhere: SSE-SQS (EventBridge needs no
	// key grant), TLS-only, 14 days. The target adds the queue policy that
	// lets EventBridge send to it on behalf of these rules only.
	m.ForwardingDeadLetters = awssqs.NewQueue(stack, jsii.String("ForwardingDeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	m.Rules = newEventRules(stack, "", nil, " (to the central forcessl bus)", nil, memberRuleName, func() awsevents.IRuleTarget {
		return awseventstargets.NewEventBus(bus, &awseventstargets.EventBusProps{
			Role:            m.ForwardingRole,
			DeadLetterQueue: m.ForwardingDeadLetters,
		})
	})
	for _, r := range m.Rules {
		// The central account's home region has the central stack's own
		// default-bus rules; forwarding there too would deliver every event
		// twice. The rule exists (disabled) so no stack instance is empty.
		r.Node().DefaultChild().(awscdk.CfnResource).AddPropertyOverride(jsii.String("State"),
			awscdk.Fn_ConditionIf(m.IsCentralAccountHome.LogicalId(), "DISABLED", "ENABLED"))
	}

	awscdk.Aspects_Of(stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	appliesTo := append(rdsNagResources(), securityHubNagResources(s)...)
	cdknag.NagSuppressions_AddResourceSuppressions(m.RemediationRole, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String(rdsWildcardReason("this account, the StackSet's regions and the central region only") +
			securityHubWildcardReason(s)),
		AppliesTo: &appliesTo,
	}}, jsii.Bool(true))
	cdknag.NagSuppressions_AddResourceSuppressions(m.ForwardingDeadLetters, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is itself the dead-letter queue of the forwarding rules' targets (the central " +
			"bus); cdk-nag only recognises a DLQ through another queue's redrive policy."),
	}}, jsii.Bool(true))
	return m
}
