package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// ForceSSLProps configure the stack. Settings come from context
// (SettingsFromContext) in the app and are set directly in tests.
type ForceSSLProps struct {
	awscdk.StackProps
	Settings   Settings
	ModuleRoot string // repository root (go.mod); the function is built from here
	// DeployRegion is the region the stack is deployed to when its own is
	// a deploy-time value (no env): the CDK CLI's CDK_DEFAULT_REGION, the
	// region of the credentials `cdk deploy` uses. The forwarder stacks
	// need it as a literal (their target bus's ARN); the stack asserts it
	// at deploy time (DeployRegionRule).
	DeployRegion string
}

// ForceSSL is the forcessl deployment: single-account, single-region, or
// (organization mode) the central account's stack. It composes the
// constructs and writes the function's environment.
type ForceSSL struct {
	awscdk.Stack
	Settings      Settings
	Notifications *Notifications
	Remediator    *Remediator
	Organization  *Organization // organization mode only (nil otherwise)
	Sweep         *Sweep
	State         *StateTable
	Tripwire      *Tripwire
	Dashboard     *Dashboard
	// Forwarders send the events of the central account's other regions
	// that the function role may write in (Settings.ForwardedRegions) to
	// the central rules, one stack per region, in the app beside this one.
	Forwarders []*Forwarder
	// DeployRegionRule (forwarders and no env only) fails the deployment
	// in any region other than the one the forwarders send to.
	DeployRegionRule awscdk.CfnRule
}

// NewForceSSL builds the stack. It is environment-agnostic: account and
// region are CloudFormation pseudo parameters, never looked up. cdk-nag's
// AwsSolutions pack runs on it at every synth (an unsuppressed finding is
// an error annotation: `cdk synth` exits 1); each construct records its
// by-design findings with the reason.
func NewForceSSL(scope constructs.Construct, id string, props *ForceSSLProps) *ForceSSL {
	sprops := props.StackProps
	if sprops.Description == nil {
		sprops.Description = jsii.String("forcessl: enforces TLS on Amazon RDS (rds.force_ssl / require_secure_transport)")
	}
	stack := awscdk.NewStack(scope, &id, &sprops)
	s := props.Settings
	st := &ForceSSL{Stack: stack, Settings: s}

	// The regions forcessl covers (FORCESSL_REGIONS): the listed ones and
	// the stack's own, decided at deploy time when the region is.
	covered, coveredList := regionsWith(stack, s.Function.Regions, stack.Region(), stackRegionListedID)

	// The regions the role may write in besides the stack's own each get a
	// forwarder stack; the role's writes are held to the stack's region and
	// those (OnlyWriteWhereWatched).
	central := centralRegion(stack, s, props.DeployRegion)
	var forwarded []string
	if central != "" {
		forwarded = s.ForwardedRegions(central)
	}
	var writeRegions any // nil: the stack's region
	if len(forwarded) > 0 {
		list := &[]*string{stack.Region()}
		for _, r := range forwarded {
			*list = append(*list, jsii.String(r))
		}
		writeRegions = list
		if s.Org() && s.Enforcing() {
			// Forwarded only when the allow-list names this account (the
			// forwarders' rules are disabled otherwise), so written only then.
			var equals []awscdk.ICfnConditionExpression
			for _, a := range s.Function.Accounts {
				equals = append(equals, awscdk.Fn_ConditionEquals(stack.Account(), jsii.String(a)))
			}
			covered := awscdk.NewCfnCondition(stack, jsii.String("CentralAccountCovered"), &awscdk.CfnConditionProps{
				Expression: anyOf(equals),
			})
			writeRegions = awscdk.Fn_ConditionIf(covered.LogicalId(), list, &[]*string{stack.Region()})
		}
	}

	st.Notifications = NewNotifications(stack, "Notifications", NotificationsProps{
		Emails:           s.NotifyEmails,
		SlackWorkspaceID: s.SlackWorkspaceID,
		SlackChannelID:   s.SlackChannelID,
	})
	st.Remediator = NewRemediator(stack, "Remediator", RemediatorProps{
		Settings:      s,
		ModuleRoot:    props.ModuleRoot,
		Notifications: st.Notifications,
		Regions:       coveredList,
		WriteRegions:  writeRegions,
	})
	// Organization before Sweep: the dead-letter queue's policy lists the
	// rules that may write to it in creation order, as it always has.
	if s.Org() {
		st.Organization = NewOrganization(stack, "Organization", OrganizationProps{
			Settings: s, Remediator: st.Remediator, StageScope: scope,
			CoveredRegions: strings.Join(covered, ","),
		})
	}
	st.Sweep = NewSweep(stack, "Sweep", SweepProps{Settings: s, Remediator: st.Remediator, Notifications: st.Notifications})
	// forcessl's memory: read and written in report mode too.
	st.State = NewStateTable(stack, "StateTable")
	st.Remediator.UseStateTable = st.State.Grant(st.Remediator.Role)
	tripwireProps := TripwireProps{Settings: s, Remediator: st.Remediator, Notifications: st.Notifications}
	if st.Organization != nil {
		tripwireProps.OrgBus = st.Organization.Bus
	}
	st.Tripwire = NewTripwire(stack, "Tripwire", tripwireProps)

	// The function's environment: its configuration from context, with the
	// stack's own resources, as the engine writes it (config.Config.Env).
	st.Remediator.Configure(s.FunctionConfig(DeployTime{
		SchedulerRoleARN: *st.Remediator.SchedulerRole.RoleArn(),
		TopicARN:         *st.Notifications.Topic.TopicArn(),
		SweepQueueURL:    *st.Sweep.Queue.QueueUrl(),
		ScheduleDLQARN:   *st.Remediator.DeadLetters.QueueArn(),
		StateTable:       *st.State.Table.TableName(),
		Regions:          covered,
	}))

	st.Dashboard = NewDashboard(stack, "Dashboard", DashboardProps{
		Remediator:          st.Remediator,
		Sweep:               st.Sweep,
		ReservedConcurrency: s.ReservedConcurrency(),
		SweepInterval:       s.SweepInterval(),
	})
	awscdk.Aspects_Of(stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)

	if len(forwarded) == 0 {
		return st
	}
	if *awscdk.Token_IsUnresolved(stack.Region()) {
		st.DeployRegionRule = awscdk.NewCfnRule(stack, jsii.String("DeployRegionRule"), &awscdk.CfnRuleProps{
			Assertions: &[]*awscdk.CfnRuleAssertion{{
				Assert: awscdk.Fn_ConditionEquals(stack.Region(), jsii.String(central)),
				AssertDescription: jsii.String("This template was synthesized for " + central + ": its forwarder stacks " +
					"send their regions' events there. Synthesize it again with the region you deploy to."),
			}},
		})
	}
	account := ""
	if !*awscdk.Token_IsUnresolved(stack.Account()) {
		account = *stack.Account()
	}
	for _, r := range forwarded {
		fw := NewForwarder(scope, ForwarderStackID(id, r), r, ForwarderProps{Settings: s, CentralRegion: central, Account: account})
		// The central stack first: in organization mode it creates the bus
		// the forwarder sends to (`cdk deploy --all` keeps the order).
		fw.AddStackDependency(stack, jsii.String("the forwarder sends to the central stack's bus"))
		st.Forwarders = append(st.Forwarders, fw)
	}
	return st
}

// centralRegion is the central stack's region as a literal (the stack's
// own, else deployRegion; "" when neither is known). Without a known
// region no forwarder can be built: listed regions that would need one are
// an error annotation (`cdk synth` fails), not a silent gap.
func centralRegion(stack awscdk.Stack, s Settings, deployRegion string) string {
	central := *stack.Region()
	if *awscdk.Token_IsUnresolved(central) {
		central = deployRegion
	}
	if central == "" && len(s.ForwardedRegions("")) > 0 {
		awscdk.Annotations_Of(stack).AddError(jsii.String("forcessl: the deploy region is unknown (CDK_DEFAULT_REGION: " +
			"set a region in the AWS profile or AWS_REGION), so the events of the other regions forcessl may change " +
			"cannot be forwarded to it"))
	}
	return central
}
