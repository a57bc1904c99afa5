package stack

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/plan"
)

// Operational limits of the function and its event delivery.
const (
	// eventConcurrency is what the function keeps for events and scheduled
	// reboots beside the sweep (Settings.ReservedConcurrency; 3 + 2 = 5 by
	// default): events arrive in small bursts, and a low limit keeps RDS API
	// calls well under throttling.
	eventConcurrency = 3
	// functionTimeout: an event takes seconds, but a sweep work item pages
	// through every instance of an account-region and may take minutes.
	functionTimeout    = 5 * time.Minute
	asyncRetryAttempts = 2
	eventRetryAttempts = 8
)

// RemediatorProps configure the remediator.
type RemediatorProps struct {
	Settings      Settings
	ModuleRoot    string         // repository root (go.mod); the function is built from here
	Notifications *Notifications // where it publishes, and where its alarms go
	// Regions are the regions forcessl covers (FORCESSL_REGIONS, as a list:
	// regionsWith), where the function may call RDS and Security Hub with
	// its own credentials (aws:RequestedRegion).
	Regions *[]*string
	// WriteRegions (enforce mode) are the regions the role's own RDS writes
	// are held to (newWriteGuard): the stack's and those whose events a
	// forwarder stack sends to the central rules (a list, or a deploy-time
	// value); nil: the stack's region only.
	WriteRegions any
}

// Remediator is the forcessl function and what it runs with: its log group,
// execution role, the dead-letter queue for what it could not process, the
// schedule group and role of its reboot schedules, the default-bus rules
// that wake it, and its alarms.
//
// The function is the construct's default child; everything else keeps the
// construct IDs it had at the root of scope (see the package doc).
type Remediator struct {
	constructs.Construct
	Function      awslambda.Function
	LogGroup      awslogs.LogGroup
	Role          awsiam.Role // the function's execution role
	DeadLetters   awssqs.Queue
	ScheduleGroup awsscheduler.ScheduleGroup
	SchedulerRole awsiam.Role      // assumed by Scheduler to invoke the function
	Rules         []awsevents.Rule // on the account's default bus
	Alarms        RemediatorAlarms

	// Statements of Role's policy, by name; nil where the mode grants none.
	RDS         RDSStatements         // the RDS reads; enforcing: the RDS writes and the exempt Denies
	SecurityHub SecurityHubStatements // securityHub=true only: findings in this account's Security Hub
	// OnlyInCoveredRegions denies the RDS and Security Hub actions outside
	// the regions forcessl covers (newRegionGuard).
	OnlyInCoveredRegions awsiam.PolicyStatement
	// OnlyWriteWhereWatched (enforce mode) denies the role's own RDS writes
	// outside the regions whose calls reach the tripwire and check rules:
	// the stack's and the forwarded ones (newWriteGuard).
	OnlyWriteWhereWatched awsiam.PolicyStatement
	ReadSchedules         awsiam.PolicyStatement // ReadRebootSchedules
	ListSchedules         awsiam.PolicyStatement // ListRebootSchedules
	ManageSchedules       awsiam.PolicyStatement // ManageRebootSchedules (enforcing)
	PassSchedulerRole     awsiam.PolicyStatement // PassSchedulerRole (enforcing)
	AssumeMemberRole      awsiam.PolicyStatement // AssumeMemberRemediationRole (organization mode)
	UseStateTable         awsiam.PolicyStatement // UseStateTable (StateTable.Grant, by the stack)
}

// RemediatorAlarms notify the topic.
type RemediatorAlarms struct {
	Errors      awscloudwatch.Alarm // invocations failed
	Throttles   awscloudwatch.Alarm // reserved concurrency reached
	DeadLetters awscloudwatch.Alarm // the dead-letter queue is not empty
}

// NewRemediator builds the function and what it runs with. Its environment
// is written later by Configure, once every resource it names exists.
func NewRemediator(scope constructs.Construct, id string, props RemediatorProps) *Remediator {
	s := props.Settings
	r := &Remediator{Construct: constructs.NewConstruct(scope, &id)}

	// Events the function failed on (async invoke or EventBridge delivery)
	// end up here instead of being dropped.
	r.DeadLetters = awssqs.NewQueue(scope, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED, // EventBridge can deliver to it without a key grant
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	r.LogGroup = awslogs.NewLogGroup(scope, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		Retention: s.LogRetention(),
	})
	// Own role instead of the default one, which carries the AWS managed
	// AWSLambdaBasicExecutionRole (logs on every log group).
	r.Role = awsiam.NewRole(scope, jsii.String("FunctionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("forcessl remediator execution role"),
	})
	r.LogGroup.GrantWrite(r.Role)
	r.newScheduler(scope, s)

	r.Function = awslambda.NewFunction(r.Construct, jsii.String("Default"), &awslambda.FunctionProps{
		Description:                  jsii.String("forcessl remediator: enforces TLS on RDS DB instances and clusters"),
		Runtime:                      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:                 awslambda.Architecture_ARM_64(),
		Handler:                      jsii.String("bootstrap"),
		Code:                         RemediatorCode(props.ModuleRoot),
		MemorySize:                   jsii.Number(128),
		Timeout:                      awscdk.Duration_Seconds(jsii.Number(functionTimeout.Seconds())),
		Role:                         r.Role,
		LoggingFormat:                awslambda.LoggingFormat_JSON,
		LogGroup:                     r.LogGroup,
		ReservedConcurrentExecutions: jsii.Number(s.ReservedConcurrency()),
		RetryAttempts:                jsii.Number(asyncRetryAttempts),
		MaxEventAge:                  awscdk.Duration_Hours(jsii.Number(6)),
		OnFailure:                    awslambdadestinations.NewSqsDestination(r.DeadLetters),
	})
	r.grant(s, props.Notifications, props.Regions, props.WriteRegions)
	r.dependOnPolicyOnly()
	r.Rules = newEventRules(scope, "", nil, "", nil, nil, func() awsevents.IRuleTarget { return r.Target(nil) })
	r.addAlarms(scope, props.Notifications)
	r.suppressNag(s)
	return r
}

// newScheduler builds the schedule group of the reboot schedules and the
// role Scheduler assumes to invoke the function.
func (r *Remediator) newScheduler(scope constructs.Construct, s Settings) {
	r.ScheduleGroup = awsscheduler.NewScheduleGroup(scope, jsii.String("ScheduleGroup"), &awsscheduler.ScheduleGroupProps{
		ScheduleGroupName: jsii.String(s.Function.ScheduleGroup),
		// Pending reboot schedules are meaningless once the function is gone.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	r.SchedulerRole = awsiam.NewRole(scope, jsii.String("SchedulerRole"), &awsiam.RoleProps{
		Description: jsii.String("Assumed by EventBridge Scheduler to invoke the forcessl remediator for a scheduled reboot"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), nil).WithConditions(&map[string]any{
			"StringEquals": map[string]any{
				"aws:SourceAccount": awscdk.Stack_Of(scope).Account(),
				"aws:SourceArn":     r.ScheduleGroup.ScheduleGroupArn(),
			},
		}),
	})
	// A scheduled invocation Scheduler finally gives up on goes to the
	// dead-letter queue (alarmed) rather than nowhere.
	r.SchedulerRole.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("DeadLetterUndeliveredReboots"),
		Actions:   jsii.Strings("sqs:SendMessage"),
		Resources: jsii.Strings(*r.DeadLetters.QueueArn()),
	}))
}

// Configure writes the function's environment: c as the engine's own
// config.Config.Env writes it, so the function reads back exactly c.
// c.FunctionARN must stay empty: the function falls back to its invoked
// ARN, and its own Arn attribute here would be a circular reference.
func (r *Remediator) Configure(c config.Config) {
	if c.FunctionARN != "" {
		panic(fmt.Sprintf("%s must stay unset: the function's own ARN would be a circular reference", config.EnvFunctionARN))
	}
	env := c.Env()
	for _, k := range slices.Sorted(maps.Keys(env)) {
		r.Function.AddEnvironment(jsii.String(k), jsii.String(env[k]), nil)
	}
}

// Target invokes the function from a rule, with the delivery settings of
// every rule that does: 8 retries over up to 2 h, then the dead-letter
// queue. input nil: the matched event itself.
func (r *Remediator) Target(input awsevents.RuleTargetInput) awsevents.IRuleTarget {
	return awseventstargets.NewLambdaFunction(r.Function, &awseventstargets.LambdaFunctionProps{
		DeadLetterQueue: r.DeadLetters,
		RetryAttempts:   jsii.Number(eventRetryAttempts),
		MaxEventAge:     awscdk.Duration_Hours(jsii.Number(2)),
		Event:           input,
	})
}

// GrantInvoke lets role invoke the function (unqualified ARN, the one the
// engine targets) and nothing else of it.
func (r *Remediator) GrantInvoke(role awsiam.IRole) {
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeRemediator"),
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &[]*string{r.Function.FunctionArn()},
	}))
}

// schedulesArn covers the reboot schedules: the engine's names
// (plan.SchedulePrefix) in the stack's schedule group.
func schedulesArn(stack awscdk.Stack, c config.Config) *string {
	return stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("scheduler"),
		Resource:     jsii.String("schedule"),
		ResourceName: jsii.String(schedulesPattern(c)),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
}

func schedulesPattern(c config.Config) string {
	return c.ScheduleGroup + "/" + plan.SchedulePrefix + "*"
}

// grant writes the function's and the scheduler role's policies. Every
// action is named. Beyond the RDS patterns of RDSStatements:
//   - schedule/<group>/forcessl-* — one-time schedules (one per resource,
//     fire time and action) named at runtime, confined to the stack's
//     schedule group.
//   - "*" for scheduler:ListSchedules, which supports no resource-level
//     permissions (Service Authorization Reference, EventBridge Scheduler:
//     ListSchedules lists no resource type, so "*" is the only resource it
//     accepts); the engine always passes the group and a name prefix.
//   - iam::*:role/<memberRoleName> (organization mode) — the remediation
//     role of whichever member account an event comes from; confined to
//     the organization by aws:ResourceOrgID.
//
// In report mode the function gets only the read statements: it must not
// be able to change anything, whatever its code does. (Two writes are not
// the customer's resources and stay in both modes: its state table, and
// with securityHub=true its findings in Security Hub.)
func (r *Remediator) grant(s Settings, notifications *Notifications, regions *[]*string, writeRegions any) {
	stack := awscdk.Stack_Of(r.Construct)
	add := func(p *awsiam.PolicyStatementProps) awsiam.PolicyStatement {
		st := awsiam.NewPolicyStatement(p)
		r.Role.AddToPrincipalPolicy(st)
		return st
	}
	schedules := schedulesArn(stack, s.Function)

	r.RDS = NewRDSStatements(stack, s.Function)
	for _, st := range r.RDS.Reads() {
		r.Role.AddToPrincipalPolicy(st)
	}
	// Findings about this account's resources, in the regions whose RDS the
	// function reaches with its own credentials (a member account's go
	// through its remediation role). Both modes.
	r.SecurityHub = NewSecurityHubStatements(stack, s)
	for _, st := range r.SecurityHub.All() {
		r.Role.AddToPrincipalPolicy(st)
	}
	// All of it (the writes below too) only in the regions forcessl covers.
	// In a policy of its own, as the write guard below: in the role's
	// default policy it tips CDK's size estimate (TestPolicySizes).
	r.OnlyInCoveredRegions = newRegionGuard(regions, slices.Concat(r.RDS.All(), r.SecurityHub.All())...)
	awsiam.NewPolicy(r.Construct, jsii.String("RegionGuard"), &awsiam.PolicyProps{
		Roles:      &[]awsiam.IRole{r.Role},
		Statements: &[]awsiam.PolicyStatement{r.OnlyInCoveredRegions},
	})
	// Finding a resource's schedules (ListSchedules by group and name
	// prefix) and reading one written by an earlier version (GetSchedule)
	// change nothing; allowed in report mode too so a report can say what
	// is already scheduled.
	r.ReadSchedules = add(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadRebootSchedules"),
		Actions:   jsii.Strings("scheduler:GetSchedule"),
		Resources: &[]*string{schedules},
	})
	r.ListSchedules = add(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ListRebootSchedules"),
		Actions:   jsii.Strings("scheduler:ListSchedules"),
		Resources: jsii.Strings("*"),
	})
	notifications.GrantPublish(r.Role)
	r.GrantInvoke(r.SchedulerRole)

	if s.Org() {
		// Read-only or not, the member role carries exactly the RDS
		// statements above for the mode; AssumeRole itself changes nothing.
		r.AssumeMemberRole = add(&awsiam.PolicyStatementProps{
			Sid:     jsii.String("AssumeMemberRemediationRole"),
			Actions: jsii.Strings("sts:AssumeRole"),
			Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{
				Service:      jsii.String("iam"),
				Region:       jsii.String(""),
				Account:      jsii.String("*"),
				Resource:     jsii.String("role"),
				ResourceName: jsii.String(s.Function.MemberRoleName),
				ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
			})},
			// In the organization, and under the target OUs only (the
			// role's account's path, aws:ResourceOrgPaths).
			Conditions: &map[string]any{
				"StringEquals":           map[string]any{"aws:ResourceOrgID": s.OrgID},
				"ForAnyValue:StringLike": map[string]any{"aws:ResourceOrgPaths": OrgPaths(s.OrgID, s.TargetOUs)},
			},
		})
	}

	if !s.Enforcing() {
		return
	}
	for _, st := range r.RDS.Writes() {
		r.Role.AddToPrincipalPolicy(st)
	}
	for _, st := range r.RDS.EnforceReads() {
		r.Role.AddToPrincipalPolicy(st)
	}
	// In a policy of its own: in the role's default policy it would tip
	// CDK's size estimate (150 characters per token) over and move
	// statements into an overflow managed policy (TestPolicySizes); the
	// role's inline policies together stay within IAM's limit.
	if writeRegions == nil {
		writeRegions = &[]*string{stack.Region()}
	}
	r.OnlyWriteWhereWatched = newWriteGuard(writeRegions, r.RDS.Writes()...)
	awsiam.NewPolicy(r.Construct, jsii.String("WriteGuard"), &awsiam.PolicyProps{
		Roles:      &[]awsiam.IRole{r.Role},
		Statements: &[]awsiam.PolicyStatement{r.OnlyWriteWhereWatched},
	})
	// Every fire time has a schedule of its own: the engine creates them and
	// deletes superseded ones, and never updates one (a schedule that has
	// fired may be deleted by Scheduler at any moment).
	r.ManageSchedules = add(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ManageRebootSchedules"),
		Actions:   jsii.Strings("scheduler:CreateSchedule", "scheduler:DeleteSchedule"),
		Resources: &[]*string{schedules},
	})
	r.PassSchedulerRole = add(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PassSchedulerRole"),
		Actions:   jsii.Strings("iam:PassRole"),
		Resources: &[]*string{r.SchedulerRole.RoleArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"iam:PassedToService": "scheduler.amazonaws.com"},
		},
	})
}

// dependOnPolicyOnly keeps the function's DependsOn on its role policy (so it
// is never invoked before it may act) and drops the one on the role, which
// the Role GetAtt already implies (cfn-lint W3005).
func (r *Remediator) dependOnPolicyOnly() {
	policy := r.Role.Node().FindChild(jsii.String("DefaultPolicy")).Node().DefaultChild().(awscdk.CfnResource)
	fn := r.Function.Node().DefaultChild().(awscdk.CfnResource)
	fn.AddOverride(jsii.String("DependsOn"), []*string{awscdk.Stack_Of(r.Construct).GetLogicalId(policy)})
}

func (r *Remediator) addAlarms(scope constructs.Construct, n *Notifications) {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	r.Alarms.Errors = n.NewAlarm(scope, "FunctionErrorsAlarm", "forcessl remediator invocations failed; see its log group",
		r.Function.MetricErrors(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}),
		1, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
	r.Alarms.Throttles = n.NewAlarm(scope, "FunctionThrottlesAlarm", "forcessl remediator was throttled (reserved concurrency reached)",
		r.Function.MetricThrottles(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}),
		1, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
	r.Alarms.DeadLetters = n.NewAlarm(scope, "DeadLetterQueueAlarm", "forcessl events could not be processed and wait in the dead-letter queue",
		r.DeadLetters.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}),
		0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD)
}

// suppressNag records the cdk-nag findings that are by design, each with
// its reason: the role's resource wildcards (exactly those grant wrote) and
// the dead-letter queue having no dead-letter queue of its own.
func (r *Remediator) suppressNag(s Settings) {
	// The function's own RDS (and Security Hub) access: this account, in the
	// regions forcessl covers.
	appliesTo := append(rdsNagResources(), securityHubNagResources(s)...)
	appliesTo = append(appliesTo,
		"Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/"+schedulesPattern(s.Function))
	where := "this account, in its own region only"
	switch {
	case s.Org():
		where = "this account, in its own region and the StackSet's regions only"
	case len(s.Function.Regions) > 0:
		where = "this account, in its own region and the sweep's regions only"
	}
	reason := rdsWildcardReason(where) + securityHubWildcardReason(s) + " schedule/" + schedulesPattern(s.Function) + ": one-time schedules " +
		"named at runtime, confined to the stack's schedule group. \"*\" also for scheduler:ListSchedules, which " +
		"supports no resource-level permissions (the Service Authorization Reference lists no resource type for it); " +
		"it lists schedule names, and the engine always filters by the stack's group and a name prefix."
	if s.Org() {
		role := s.Function.MemberRoleName
		appliesTo = append(appliesTo, "Resource::arn:<AWS::Partition>:iam::*:role/"+role)
		reason += " iam::*:role/" + role + ": the remediation role of whichever member account an " +
			"event comes from (fixed name, any account), limited to this organization by aws:ResourceOrgID."
	}
	cdknag.NagSuppressions_AddResourceSuppressions(r.Role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String(reason),
		AppliesTo: &appliesTo,
	}}, jsii.Bool(true))

	cdknag.NagSuppressions_AddResourceSuppressions(r.DeadLetters, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is itself the dead-letter queue: the function's on-failure destination and " +
			"the DLQ of every EventBridge rule target. cdk-nag only recognises a DLQ through another queue's " +
			"redrive policy. Its depth is alarmed."),
	}}, jsii.Bool(true))
}
