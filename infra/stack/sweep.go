package stack

import (
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
// says what the rule is for wherever the payload is seen).
func sweepStartInput() map[string]any {
	return map[string]any{
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

	// Statements of the function role's policy, by name.
	Enqueue      awsiam.PolicyStatement // EnqueueSweepItems
	ListAccounts awsiam.PolicyStatement // ListOrganizationAccounts; organization mode without accounts only
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
		// Without an allow-list the sweep covers the organization's active
		// accounts. ListAccounts has no resource-level permissions: "*" is
		// the only resource it accepts. It reads account IDs and names.
		sw.ListAccounts = awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ListOrganizationAccounts"),
			Actions:   jsii.Strings("organizations:ListAccounts"),
			Resources: jsii.Strings("*"),
		})
		rem.Role.AddToPrincipalPolicy(sw.ListAccounts)
		cdknag.NagSuppressions_AddResourceSuppressions(rem.Role, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("The sweep enumerates the organization's accounts (no accounts allow-list " +
				"given) with organizations:ListAccounts on \"*\": Organizations supports no resource-level " +
				"permissions for ListAccounts, and the action only reads account IDs."),
			AppliesTo: &[]any{"Resource::*"},
		}}, jsii.Bool(true))
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
