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
	return st
}
