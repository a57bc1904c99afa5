package main

import (
	"slices"

	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
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

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/rdsevent"
)

// ForceSSLStackProps configure the stack. Settings come from context
// (SettingsFromContext) in the app and are set directly in tests.
type ForceSSLStackProps struct {
	awscdk.StackProps
	Settings   Settings
	ModuleRoot string // repository root (go.mod); the Lambda is built from here
}

// Event patterns: exactly the events the engine acts on (pkg/rdsevent is
// the one list), filtered on event IDs and API names so the function is
// never woken for anything else.
var (
	instanceEventIDs       = rdsevent.InstanceEventIDs()
	parameterGroupEventIDs = []string{rdsevent.ParameterGroupEvent}
	apiCallNames           = append(slices.Clone(rdsevent.InstanceAPICalls), rdsevent.ParameterGroupAPICalls...)
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

// ForceSSLStack is the forcessl deployment: single-account, single-region,
// or (organization mode) the central account's stack.
type ForceSSLStack struct {
	awscdk.Stack
	Function      awslambda.Function
	Role          awsiam.Role // the function's execution role
	LogGroup      awslogs.LogGroup
	DeadLetters   awssqs.Queue
	Notifications *Notifications
	ScheduleGroup awsscheduler.ScheduleGroup
	SchedulerRole awsiam.Role
	Rules         []awsevents.Rule // default-bus rules, then (organization mode) central bus rules
	Sweep         *Sweep
	Dashboard     awscloudwatch.Dashboard

	// Organization mode only (nil otherwise).
	Org *Organization
}

// NewForceSSLStack builds the stack. It is environment-agnostic: account
// and region are CloudFormation pseudo parameters, never looked up.
func NewForceSSLStack(scope constructs.Construct, id string, props *ForceSSLStackProps) *ForceSSLStack {
	sprops := props.StackProps
	if sprops.Description == nil {
		sprops.Description = jsii.String("forcessl: enforces TLS on Amazon RDS (rds.force_ssl / require_secure_transport)")
	}
	stack := awscdk.NewStack(scope, &id, &sprops)
	s := props.Settings
	st := &ForceSSLStack{Stack: stack}

	// Events the function failed on (async invoke or EventBridge delivery)
	// end up here instead of being dropped.
	st.DeadLetters = awssqs.NewQueue(stack, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED, // EventBridge can deliver to it without a key grant
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})

	st.Notifications = NewNotifications(stack, "Notifications", NotificationsProps{
		Emails:           s.NotifyEmails,
		SlackWorkspaceID: s.SlackWorkspaceID,
		SlackChannelID:   s.SlackChannelID,
	})

	st.LogGroup = awslogs.NewLogGroup(stack, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		Retention: s.LogRetention(),
	})

	// Own role instead of the default one, which carries the AWS managed
	// AWSLambdaBasicExecutionRole (logs on every log group).
	st.Role = awsiam.NewRole(stack, jsii.String("FunctionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("forcessl remediator execution role"),
	})
	st.LogGroup.GrantWrite(st.Role)

	st.ScheduleGroup = awsscheduler.NewScheduleGroup(stack, jsii.String("ScheduleGroup"), &awsscheduler.ScheduleGroupProps{
		ScheduleGroupName: jsii.String(config.DefaultScheduleGroup),
		// Pending reboot schedules are meaningless once the function is gone.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	st.SchedulerRole = awsiam.NewRole(stack, jsii.String("SchedulerRole"), &awsiam.RoleProps{
		Description: jsii.String("Assumed by EventBridge Scheduler to invoke the forcessl remediator for a scheduled reboot"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), nil).WithConditions(&map[string]any{
			"StringEquals": map[string]any{
				"aws:SourceAccount": stack.Account(),
				"aws:SourceArn":     st.ScheduleGroup.ScheduleGroupArn(),
			},
		}),
	})

	// A scheduled invocation Scheduler finally gives up on goes to the
	// dead-letter queue (alarmed) rather than nowhere.
	st.SchedulerRole.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("DeadLetterUndeliveredReboots"),
		Actions:   jsii.Strings("sqs:SendMessage"),
		Resources: jsii.Strings(*st.DeadLetters.QueueArn()),
	}))

	// The work queue exists before the function: its URL is in the
	// function's environment.
	st.Sweep = NewSweep(stack, "Sweep", SweepProps{Settings: s, FunctionTimeout: functionTimeout})

	env := map[string]*string{}
	for k, v := range s.FunctionEnv(FunctionEnvRefs{
		SchedulerRoleARN: *st.SchedulerRole.RoleArn(),
		TopicARN:         *st.Notifications.Topic.TopicArn(),
		SweepQueueURL:    *st.Sweep.Queue.QueueUrl(),
		ScheduleDLQARN:   *st.DeadLetters.QueueArn(),
	}) {
		env[k] = jsii.String(v)
	}

	st.Function = awslambda.NewFunction(stack, jsii.String("Remediator"), &awslambda.FunctionProps{
		Description:                  jsii.String("forcessl remediator: enforces TLS on RDS DB instances"),
		Runtime:                      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:                 awslambda.Architecture_ARM_64(),
		Handler:                      jsii.String("bootstrap"),
		Code:                         RemediatorCode(props.ModuleRoot),
		MemorySize:                   jsii.Number(128),
		Timeout:                      awscdk.Duration_Seconds(jsii.Number(functionTimeout.Seconds())),
		Role:                         st.Role,
		Environment:                  &env,
		LoggingFormat:                awslambda.LoggingFormat_JSON,
		LogGroup:                     st.LogGroup,
		ReservedConcurrentExecutions: jsii.Number(s.ReservedConcurrency()),
		RetryAttempts:                jsii.Number(asyncRetryAttempts),
		MaxEventAge:                  awscdk.Duration_Hours(jsii.Number(6)),
		OnFailure:                    awslambdadestinations.NewSqsDestination(st.DeadLetters),
	})

	grantRemediator(stack, st, s)
	st.dependOnPolicyOnly()
	st.addRules(nil, "", "", nil)
	if s.Org() {
		st.addOrganization(scope, id, s)
	}
	st.Sweep.Connect(st.Function, st.Role, s, eventTargetProps(st.DeadLetters))
	st.addAlarms()
	st.Dashboard = NewDashboard(stack, "Dashboard", DashboardProps{
		Function:            st.Function,
		ReservedConcurrency: s.ReservedConcurrency(),
		Timeout:             functionTimeout,
		SweepQueue:          st.Sweep.Queue,
		SweepDeadLetters:    st.Sweep.DeadLetters,
		DeadLetters:         st.DeadLetters,
		SweepInterval:       s.SweepInterval(),
	})
	st.applyNag(s)
	return st
}

// dependOnPolicyOnly keeps the function's DependsOn on its role policy (so it
// is never invoked before it may act) and drops the one on the role, which
// the Role GetAtt already implies (cfn-lint W3005).
func (st *ForceSSLStack) dependOnPolicyOnly() {
	policy := st.Role.Node().FindChild(jsii.String("DefaultPolicy")).Node().DefaultChild().(awscdk.CfnResource)
	fn := st.Function.Node().DefaultChild().(awscdk.CfnResource)
	fn.AddOverride(jsii.String("DependsOn"), []*string{st.GetLogicalId(policy)})
}

// rulePattern is one of the engine's event filters, as a rule.
type rulePattern struct {
	id, description string
	pattern         *awsevents.EventPattern
}

// eventPatterns are the three filters of the events the engine handles. The
// default-bus rules, the central bus rules and the member accounts'
// forwarding rules all use them; accounts (optional) restricts the
// pattern's account field.
func eventPatterns(accounts []string) []rulePattern {
	var account *[]*string
	if len(accounts) > 0 {
		account = jsii.Strings(accounts...)
	}
	return []rulePattern{
		{"InstanceEventsRule", "forcessl: RDS DB instance events that may leave an instance without forced TLS",
			&awsevents.EventPattern{
				Source:     jsii.Strings("aws.rds"),
				DetailType: jsii.Strings("RDS DB Instance Event"),
				Account:    account,
				Detail:     &map[string]any{"EventID": jsii.Strings(instanceEventIDs...)},
			}},
		{"ParameterGroupEventsRule", "forcessl: RDS DB parameter changes",
			&awsevents.EventPattern{
				Source:     jsii.Strings("aws.rds"),
				DetailType: jsii.Strings("RDS DB Parameter Group Event"),
				Account:    account,
				Detail:     &map[string]any{"EventID": jsii.Strings(parameterGroupEventIDs...)},
			}},
		{"ApiCallsRule", "forcessl: RDS API calls (via CloudTrail) that create or reconfigure instances and parameter groups",
			&awsevents.EventPattern{
				Source:     jsii.Strings("aws.rds"),
				DetailType: jsii.Strings("AWS API Call via CloudTrail"),
				Account:    account,
				Detail: &map[string]any{
					"eventSource": jsii.Strings("rds.amazonaws.com"),
					"eventName":   jsii.Strings(apiCallNames...),
				},
			}},
	}
}

// addRules routes the engine's events on bus (nil: the account's default
// bus) to the function, with the same retries and dead-letter queue
// everywhere. idPrefix keeps the construct IDs of the default-bus rules
// unchanged ("").
func (st *ForceSSLStack) addRules(bus awsevents.IEventBus, idPrefix, descriptionSuffix string, accounts []string) {
	for _, p := range eventPatterns(accounts) {
		st.Rules = append(st.Rules, awsevents.NewRule(st.Stack, jsii.String(idPrefix+p.id), &awsevents.RuleProps{
			EventBus:     bus,
			Description:  jsii.String(p.description + descriptionSuffix),
			EventPattern: p.pattern,
			Targets:      &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(st.Function, eventTargetProps(st.DeadLetters))},
		}))
	}
}

// eventTargetProps are the delivery settings of every rule that targets the
// function: 8 retries over up to 2 h, then the dead-letter queue.
func eventTargetProps(dlq awssqs.IQueue) *awseventstargets.LambdaFunctionProps {
	return &awseventstargets.LambdaFunctionProps{
		DeadLetterQueue: dlq,
		RetryAttempts:   jsii.Number(eventRetryAttempts),
		MaxEventAge:     awscdk.Duration_Hours(jsii.Number(2)),
	}
}

func (st *ForceSSLStack) addAlarms() {
	action := awscloudwatchactions.NewSnsAction(st.Notifications.Topic)
	five := awscdk.Duration_Minutes(jsii.Number(5))
	alarm := func(id, description string, metric awscloudwatch.IMetric, threshold float64, op awscloudwatch.ComparisonOperator) {
		a := awscloudwatch.NewAlarm(st.Stack, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			ComparisonOperator: op,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
	}
	alarm("FunctionErrorsAlarm", "forcessl remediator invocations failed; see its log group",
		st.Function.MetricErrors(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}),
		1, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
	alarm("FunctionThrottlesAlarm", "forcessl remediator was throttled (reserved concurrency reached)",
		st.Function.MetricThrottles(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}),
		1, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
	alarm("DeadLetterQueueAlarm", "forcessl events could not be processed and wait in the dead-letter queue",
		st.DeadLetters.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}),
		0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD)
	alarm("SweepDeadLetterQueueAlarm", "forcessl sweep work items (account-regions) failed 3 times and wait in the "+
		"sweep dead-letter queue; see the function's log group, fix the cause, then redrive them to the sweep queue",
		st.Sweep.DeadLetters.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}),
		0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD)
}
