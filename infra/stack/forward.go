package stack

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/tripwire"
)

// ForwarderNamePrefix names the forwarder stacks' rules: fixed, so the
// forwarding role's trust names their ARNs exactly. Not the member
// accounts' prefix: a central account never holds both, but the names
// say which is which.
const ForwarderNamePrefix = "forcessl-forward-"

// forwarderCallsSlug names the rule that forwards the calls only the
// tripwire's check watches (forcessl's parameter group creations and
// copies, not among the engine's API calls).
const forwarderCallsSlug = "tripwire-calls"

// ForwarderStackID is the construct ID (and stack name) of the forwarder
// of region for the central stack named central.
func ForwarderStackID(central, region string) string { return central + "-Forward-" + region }

// ForwardedRegions are the regions of the central account, other than
// central (the stack's own, a literal), in which the function role may
// change RDS with its own credentials: single account, the sweep regions
// (sweepRegions); organization mode, the StackSet's regions when the
// central stack is deployed from the management account (stackSetCallAs
// SELF) and an accounts allow-list may name it. Service-managed StackSets
// never deploy to the management account, so nothing else forwards its
// events there; from a delegated administrator the account, when under a
// target OU, gets the member stack and its forwarding rules like any
// other, and otherwise is not swept (the sweep lists the OUs' accounts).
// Each gets a forwarder stack (NewForwarder), so every region the role may
// write in is watched by the central rules and event-driven.
func (s Settings) ForwardedRegions(central string) []string {
	var listed []string
	switch {
	case !s.Org():
		listed = s.Function.Regions
	case s.StackSetCallAs == DefaultStackSetCallAs && len(s.Function.Accounts) > 0:
		listed = s.Regions
	}
	var out []string
	for _, r := range listed {
		if r != central && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// ForwarderProps configure one region's forwarder.
type ForwarderProps struct {
	Settings Settings
	// CentralRegion is the central stack's region (a literal: the ARN of
	// the bus in it is built here, not referenced: CloudFormation has no
	// cross-region reference).
	CentralRegion string
	// Account is the central stack's account when it is a literal, else
	// "": the forwarder is then deployed with the same credentials as the
	// central stack, so in the same account (AWS::AccountId).
	Account string
}

// Forwarder is the stack that makes one more region of the central account
// watched and event-driven: rules on that region's default bus that send
// the central stack's events (the engine's filters, and the calls the
// tripwire's check watches) to the bus the central rules listen on, in the
// central region of the same account: the default bus in a single
// account, the forcessl bus in organization mode (whose rules filter on
// the accounts allow-list, which then names the central account).
//
// A rule with an event bus of another region as target sends the event
// through an IAM role with events:PutEvents on that bus (EventBridge User
// Guide, "Sending and receiving events between AWS Regions"; the role's
// policy as in "Example policy: Send events to an event bus in the same
// account"). In the same account that identity policy is enough: the
// organization bus's policy (PutEventsFromOrganization) is an Allow for
// other accounts and denies nothing. The events keep their envelope
// (account, region): the central rules filter on neither region nor,
// beyond the allow-list, account, and the engine acts in the event's
// region.
type Forwarder struct {
	awscdk.Stack
	Region      string
	BusArn      *string
	Role        awsiam.Role
	Rules       []awsevents.Rule
	DeadLetters awssqs.Queue
	// Patterns are the rules' patterns as JSON, in rule order.
	Patterns []map[string]any
	// CentralAccountCovered (organization mode): this account is one of
	// the allow-list's; the rules are enabled only then.
	CentralAccountCovered awscdk.CfnCondition
}

// forwarderPatterns are the forwarder's rules: the engine's filters
// (eventPatterns, the central default-bus rules' own patterns), then the
// tripwire check's calls the engine's API-call filter does not hold, by
// anyone (the central check rule filters on the caller). The two sets of
// call names are disjoint, so no event is forwarded twice.
func forwarderPatterns() []rulePattern {
	out := eventPatterns(nil)
	engine := rdsevent.APICalls()
	var extra []string
	for _, c := range slices.Concat(tripwire.APICalls, tripwire.GroupCalls) {
		if !slices.Contains(engine, c) && !slices.Contains(extra, c) {
			extra = append(extra, c)
		}
	}
	if len(extra) == 0 {
		return out
	}
	f := eventFilter{"TripwireCallsRule", forwarderCallsSlug,
		"forcessl: RDS API calls (via CloudTrail) the tripwire's check watches",
		rdsevent.DetailAPICall, "eventName", extra, map[string]any{"eventSource": []any{rdsevent.CloudTrailSource}}}
	return append(out, rulePattern{f.id, f.slug, f.description, f.eventPattern(extra, nil), f.pattern(extra, nil)})
}

// NewForwarder builds the forwarder of region in scope (the app).
func NewForwarder(scope constructs.Construct, id, region string, props ForwarderProps) *Forwarder {
	s := props.Settings
	env := &awscdk.Environment{Region: jsii.String(region)}
	if props.Account != "" {
		env.Account = jsii.String(props.Account)
	}
	stack := awscdk.NewStack(scope, &id, &awscdk.StackProps{
		Env: env,
		Description: jsii.String(fmt.Sprintf("forcessl: forwards this region's RDS events to the central forcessl "+
			"stack's bus in %s", props.CentralRegion)),
		// No assets: deployed with the CLI's credentials, so the region
		// needs no CDK bootstrap.
		Synthesizer:        awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{}),
		AnalyticsReporting: jsii.Bool(false),
	})
	f := &Forwarder{Stack: stack, Region: region}
	busName := "default"
	if s.Org() {
		busName = CentralEventBusName
	}
	f.BusArn = stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("events"),
		Region:       jsii.String(props.CentralRegion),
		Resource:     jsii.String("event-bus"),
		ResourceName: jsii.String(busName),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
	patterns := forwarderPatterns()
	var ruleArns []*string
	for _, p := range patterns {
		ruleArns = append(ruleArns, stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("events"),
			Resource:     jsii.String("rule"),
			ResourceName: jsii.String(ForwarderNamePrefix + p.slug),
			ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
		}))
		f.Patterns = append(f.Patterns, p.json)
	}
	// Trust: EventBridge, for these rules only (aws:SourceArn, aws:SourceAccount).
	f.Role = awsiam.NewRole(stack, jsii.String("ForwardingRole"), &awsiam.RoleProps{
		Description: jsii.String("Lets this region's forcessl rules put events on the central forcessl stack's bus"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil).WithConditions(&map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
			"ArnEquals":    map[string]any{"aws:SourceArn": ruleArns},
		}),
	})
	bus := awsevents.EventBus_FromEventBusArn(stack, jsii.String("CentralEventBus"), f.BusArn)
	// What EventBridge could not deliver (after its 24 h of retries).
	f.DeadLetters = awssqs.NewQueue(stack, jsii.String("ForwardingDeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	if s.Org() {
		var equals []awscdk.ICfnConditionExpression
		for _, a := range s.Function.Accounts {
			equals = append(equals, awscdk.Fn_ConditionEquals(stack.Account(), jsii.String(a)))
		}
		f.CentralAccountCovered = awscdk.NewCfnCondition(stack, jsii.String("CentralAccountCovered"), &awscdk.CfnConditionProps{
			Expression: anyOf(equals),
		})
	}
	for _, p := range patterns {
		rule := awsevents.NewRule(stack, jsii.String(p.id), &awsevents.RuleProps{
			RuleName:     jsii.String(ForwarderNamePrefix + p.slug),
			Description:  jsii.String(p.description + " (to the central forcessl stack's bus in " + props.CentralRegion + ")"),
			EventPattern: p.pattern,
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewEventBus(bus, &awseventstargets.EventBusProps{
				Role:            f.Role,
				DeadLetterQueue: f.DeadLetters,
			})},
		})
		if f.CentralAccountCovered != nil {
			// An account the allow-list does not name is not the
			// function's to change: its events would be refused.
			rule.Node().DefaultChild().(awscdk.CfnResource).AddPropertyOverride(jsii.String("State"),
				awscdk.Fn_ConditionIf(f.CentralAccountCovered.LogicalId(), "ENABLED", "DISABLED"))
		}
		f.Rules = append(f.Rules, rule)
	}

	awscdk.Aspects_Of(stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	cdknag.NagSuppressions_AddResourceSuppressions(f.DeadLetters, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is itself the dead-letter queue of the forwarding rules' targets (the central " +
			"bus); cdk-nag only recognises a DLQ through another queue's redrive policy."),
	}}, jsii.Bool(true))
	return f
}
