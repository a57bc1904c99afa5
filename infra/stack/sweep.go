package stack

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/forcessl/forcessl/pkg/rdsevent"
	"github.com/forcessl/forcessl/pkg/report"
)

// Sweep work queue settings.
const (
	// sweepBatchSize: one work item (account × region) per invocation. An
	// item pages through a whole region and may take minutes; the handler
	// works a batch sequentially, so a larger batch would share one
	// function timeout between several regions (a big one would time the
	// others out and have them all redelivered), and MaxConcurrency would
	// no longer bound the account-regions swept at once.
	sweepBatchSize = 1
	// sweepMaxReceiveCount: an item that failed three times (each failure
	// is reported alone, ReportBatchItemFailures) goes to the sweep
	// dead-letter queue instead of being retried until it expires.
	sweepMaxReceiveCount = 3
	// sweepVisibilityFactor: AWS's guidance for SQS event sources is a
	// visibility timeout of at least six times the function timeout, so a
	// message is not handed out again while an invocation (and the event
	// source's own retries of a throttled invocation) may still hold it.
	sweepVisibilityFactor = 6
)

// sweepStartInput is what the scheduled rule sends: the engine's explicit
// sweep start (it would also accept the bare "Scheduled Event", but this
// says what the rule is for wherever the payload is seen), carrying the
// scheduled event's own ID and time. The engine names the sweep run after
// them, so a start that Lambda retries (asynchronous invocation, the same
// event again) or EventBridge delivers twice is the same run, not a second
// one (docs/sweep-runs.md). EventField makes the input an input
// transformer: EventBridge fills the values from each event's envelope.
func sweepStartInput() map[string]any {
	return map[string]any{
		"version":     "0",
		"id":          awsevents.EventField_FromPath(jsii.String("$.id")),
		"time":        awsevents.EventField_FromPath(jsii.String("$.time")),
		"source":      rdsevent.SourceForcessl,
		"detail-type": rdsevent.DetailSweep,
		"detail":      map[string]any{},
	}
}

// SweepProps configure the sweep.
type SweepProps struct {
	Settings      Settings
	Remediator    *Remediator    // starts the sweep, fans out to the queue and consumes it
	Notifications *Notifications // where the dead-letter alarm goes
}

// Sweep is the reconciliation sweep's machinery: the schedule that starts a
// sweep, the work queue the function fans out to and consumes (event
// source), its dead-letter queue and alarm, and the function role's
// permissions for them. None of it writes to RDS or Scheduler, so report
// mode gets it too.
type Sweep struct {
	constructs.Construct
	Rule            awsevents.Rule // starts a sweep (sweepSchedule)
	Queue           awssqs.Queue   // one work item per account × region
	DeadLetters     awssqs.Queue
	EventSource     awslambdaeventsources.SqsEventSource
	DeadLetterAlarm awscloudwatch.Alarm

	// NotCoveredAlarm: an account-region the sweep could not read (the
	// engine's NotCovered metric).
	NotCoveredAlarm awscloudwatch.Alarm

	// Statements of the function role's policy, by name.
	Enqueue          awsiam.PolicyStatement // EnqueueSweepItems
	ListOrganization awsiam.PolicyStatement // ListTargetOUAccounts; organization mode without accounts only
	// DescribeOrganization (same condition): the management account, which
	// the listing leaves out.
	DescribeOrganization awsiam.PolicyStatement
}

// NewSweep builds the sweep and wires it to the remediator. Both queues are
// SSE-SQS encrypted (no key policy to maintain, as for the events'
// dead-letter queue) and TLS-only. The function's FORCESSL_SWEEP_QUEUE_URL
// is Queue's URL (set by the stack with the rest of its configuration).
func NewSweep(scope constructs.Construct, id string, props SweepProps) *Sweep {
	s, rem := props.Settings, props.Remediator
	sw := &Sweep{Construct: constructs.NewConstruct(scope, &id)}
	// A dead-letter queue of its own: it holds only work items, so the
	// console's "Start DLQ redrive" sends them back to the work queue once
	// the cause is fixed, and its alarm says which path failed.
	sw.DeadLetters = awssqs.NewQueue(sw.Construct, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), // longer than the work queue's, as SQS requires for a DLQ to be useful
	})
	sw.Queue = awssqs.NewQueue(sw.Construct, jsii.String("Queue"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL: jsii.Bool(true),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(
			sweepVisibilityFactor * functionTimeout.Seconds())),
		// Reconciling is idempotent and the next sweep enqueues every item
		// again: an item that waited days is stale, not lost.
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(4)),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           sw.DeadLetters,
			MaxReceiveCount: jsii.Number(sweepMaxReceiveCount),
		},
	})

	// Same retries and dead-letter queue as the event rules.
	sw.Rule = awsevents.NewRule(sw.Construct, jsii.String("ScheduleRule"), &awsevents.RuleProps{
		Description: jsii.String("forcessl: starts a reconciliation sweep of every account and region in scope"),
		Schedule:    awsevents.Schedule_Expression(jsii.String(s.SweepSchedule)),
		Targets:     &[]awsevents.IRuleTarget{rem.Target(awsevents.RuleTargetInput_FromObject(sweepStartInput()))},
	})

	sw.Enqueue = sw.GrantEnqueue(rem.Role)
	if s.Org() && len(s.Function.Accounts) == 0 {
		sw.grantListTargetOUs(s, rem.Role)
	}

	// Also grants the role sqs:ReceiveMessage, ChangeMessageVisibility,
	// GetQueueUrl, DeleteMessage and GetQueueAttributes on this queue only.
	// The function itself is not throttled by it: its reserved concurrency
	// is above MaxConcurrency (Settings.ReservedConcurrency).
	sw.EventSource = awslambdaeventsources.NewSqsEventSource(sw.Queue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(sweepBatchSize),
		MaxConcurrency:          jsii.Number(float64(s.SweepConcurrency)),
		ReportBatchItemFailures: jsii.Bool(true),
	})
	rem.Function.AddEventSource(sw.EventSource)

	sw.DeadLetterAlarm = props.Notifications.NewAlarm(scope, "SweepDeadLetterQueueAlarm",
		"forcessl sweep work items (account-regions) failed 3 times and wait in the sweep dead-letter queue; "+
			"see the function's log group, fix the cause, then redrive them to the sweep queue",
		sw.DeadLetters.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum")}),
		0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD)
	sw.NotCoveredAlarm = props.Notifications.NewAlarm(scope, "SweepNotCoveredAlarm",
		"HIGH SEVERITY: forcessl could not read at least one account-region in a sweep (metric "+report.NotCoveredMetric+
			"): its RDS instances are neither checked nor fixed. The sweep digest and the function's log group name "+
			"the account, region and reason (AssumeRole refused, AccessDenied, region not enabled).",
		notCoveredMetric(), 1, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
	cdknag.NagSuppressions_AddResourceSuppressions(sw.DeadLetters, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is itself the dead-letter queue of the sweep work queue (its redrive " +
			"target after 3 receives); a dead-letter queue of a dead-letter queue would only move the problem. " +
			"Its depth is alarmed."),
	}}, jsii.Bool(true))
	return sw
}

// GrantEnqueue lets role put work items on the queue. The sweep start
// enqueues them with SendMessageBatch, which IAM authorizes as
// sqs:SendMessage.
func (sw *Sweep) GrantEnqueue(role awsiam.IRole) awsiam.PolicyStatement {
	st := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("EnqueueSweepItems"),
		Actions:   jsii.Strings("sqs:SendMessage"),
		Resources: &[]*string{sw.Queue.QueueArn()},
	})
	role.AddToPrincipalPolicy(st)
	return st
}

// notCoveredPeriod is the coverage alarm's period: a sweep's work items
// report over roughly an hour, and one period in ALARM is one notification.
const notCoveredPeriod = time.Hour

// notCoveredQuery is the coverage alarm's metric: the largest NotCovered of
// every account-region (the engine's [Account, Region] dimension set), as a
// CloudWatch Metrics Insights query, the one form of metric an alarm can
// evaluate over metrics whose dimensions (the account-regions) are not known
// when the stack is built. It is 1 when any work item of the period could
// not read its account-region.
func notCoveredQuery() string {
	schema := SweepMetrics()
	return fmt.Sprintf(`SELECT MAX(%s) FROM SCHEMA("%s", %s)`, report.NotCoveredMetric, schema.Namespace,
		strings.Join(schema.Dimensions[0], ", "))
}

func notCoveredMetric() awscloudwatch.IMetric {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String(notCoveredQuery()),
		UsingMetrics: &map[string]awscloudwatch.IMetric{},
		Period:       awscdk.Duration_Seconds(jsii.Number(notCoveredPeriod.Seconds())),
		Label:        jsii.String("Account-regions not covered"),
	})
}

// grantListTargetOUs lets the sweep enumerate the active accounts under the
// target OUs, recursively: organizations:ListAccountsForParent and
// ListOrganizationalUnitsForParent, called with a target OU or root and then
// each OU below it. Both accept the parent's ARN, an organizational unit
// (arn:…:organizations::<management account>:ou/o-<org>/ou-…) or a root
// (…:root/o-<org>/r-…) (Service Authorization Reference, AWS Organizations).
// The tightest this gets:
//   - each target root exactly;
//   - ou/o-<org>/ou-*: every OU of this organization, since the OUs below a
//     target are found at runtime and an OU ID does not say where it sits;
//   - the management account: this account when deploying from it
//     (stackSetCallAs SELF), any ("*") from a delegated administrator, whose
//     management account the stack does not know; the organization ID in
//     the ARN already confines it to this organization.
//
// Both actions only read the organization's structure: account IDs and
// names, OU IDs and names.
//
// Before listing, the engine reads the organization
// (organizations:DescribeOrganization, pkg/setup.Accounts) for its
// management account, which it leaves out of a sweep. DescribeOrganization
// has no resource type (Service Authorization Reference, AWS Organizations),
// so "*": it returns the caller's own organization (ID, ARN, management
// account ID and email, feature set) and nothing else.
func (sw *Sweep) grantListTargetOUs(s Settings, role awsiam.IRole) {
	stack := awscdk.Stack_Of(sw.Construct)
	arns, nagKeys := organizationTreeArns(stack, s)
	sw.ListOrganization = awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ListTargetOUAccounts"),
		Actions:   jsii.Strings("organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"),
		Resources: &arns,
	})
	role.AddToPrincipalPolicy(sw.ListOrganization)
	sw.DescribeOrganization = awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("DescribeOrganization"),
		Actions:   jsii.Strings("organizations:DescribeOrganization"),
		Resources: jsii.Strings("*"),
	})
	role.AddToPrincipalPolicy(sw.DescribeOrganization)
	nagKeys = append(nagKeys, "Resource::*")
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("The sweep lists the active accounts under the target OUs (no accounts allow-list given), " +
			"recursively, with organizations:ListAccountsForParent and ListOrganizationalUnitsForParent, which only read " +
			"the organization's structure. ou/o-<org>/ou-*: the OUs below a target are only known at runtime, and an OU " +
			"ID does not say where it sits, so every OU of this organization (the organization ID confines it). The " +
			"management account in the ARN is \"*\" only when deploying from a delegated administrator, which does not " +
			"know it. \"*\" for organizations:DescribeOrganization, which has no resource type (Service Authorization " +
			"Reference, AWS Organizations): it reads the caller's own organization, for its management account."),
		AppliesTo: &nagKeys,
	}}, jsii.Bool(true))
}

// organizationTreeArns are the parents the sweep may list (see
// grantListTargetOUs) and their cdk-nag IAM5 finding keys (wildcard ones).
func organizationTreeArns(stack awscdk.Stack, s Settings) (arns []*string, nagKeys []any) {
	account, nagAccount := stack.Account(), "<AWS::AccountId>"
	if s.StackSetCallAs != "SELF" {
		account, nagAccount = jsii.String("*"), "*"
	}
	arn := func(resource, name string) {
		arns = append(arns, stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("organizations"),
			Region:       jsii.String(""),
			Account:      account,
			Resource:     jsii.String(resource),
			ResourceName: jsii.String(s.OrgID + "/" + name),
			ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
		}))
		if strings.Contains(nagAccount+name, "*") {
			nagKeys = append(nagKeys, "Resource::arn:<AWS::Partition>:organizations::"+nagAccount+":"+resource+"/"+s.OrgID+"/"+name)
		}
	}
	arn("ou", "ou-*")
	for _, t := range s.TargetOUs {
		if strings.HasPrefix(t, "r-") {
			arn("root", t)
		}
	}
	return arns, nagKeys
}
