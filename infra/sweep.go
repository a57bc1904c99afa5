package main

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

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
	Settings        Settings
	FunctionTimeout time.Duration
}

// Sweep is the reconciliation sweep's machinery: the work queue the
// function fans out to and consumes, its dead-letter queue, and (after
// Connect) the schedule that starts a sweep and the event source mapping.
type Sweep struct {
	constructs.Construct
	Queue       awssqs.Queue
	DeadLetters awssqs.Queue
	Rule        awsevents.Rule                       // set by Connect
	EventSource awslambdaeventsources.SqsEventSource // set by Connect
}

// NewSweep builds the queues. Both are SSE-SQS encrypted (no key policy to
// maintain, as for the events' dead-letter queue) and TLS-only.
func NewSweep(scope constructs.Construct, id string, props SweepProps) *Sweep {
	c := constructs.NewConstruct(scope, &id)
	sw := &Sweep{Construct: c}
	// A dead-letter queue of its own: it holds only work items, so the
	// console's "Start DLQ redrive" sends them back to the work queue once
	// the cause is fixed, and its alarm says which path failed.
	sw.DeadLetters = awssqs.NewQueue(c, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), // longer than the work queue's, as SQS requires for a DLQ to be useful
	})
	sw.Queue = awssqs.NewQueue(c, jsii.String("Queue"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL: jsii.Bool(true),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(
			sweepVisibilityFactor * props.FunctionTimeout.Seconds())),
		// Reconciling is idempotent and the next sweep enqueues every item
		// again: an item that waited days is stale, not lost.
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(4)),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           sw.DeadLetters,
			MaxReceiveCount: jsii.Number(sweepMaxReceiveCount),
		},
	})
	return sw
}

// Connect wires the sweep to the function: the scheduled rule that starts
// a sweep (same retries and dead-letter queue as the event rules), the
// event source mapping that consumes the work queue, and the function
// role's permissions.
//
// None of it writes to RDS or Scheduler, so report mode gets it too.
func (sw *Sweep) Connect(fn awslambda.Function, role awsiam.Role, s Settings, target *awseventstargets.LambdaFunctionProps) {
	t := *target
	t.Event = awsevents.RuleTargetInput_FromObject(sweepStartInput())
	sw.Rule = awsevents.NewRule(sw.Construct, jsii.String("ScheduleRule"), &awsevents.RuleProps{
		Description: jsii.String("forcessl: starts a reconciliation sweep of every account and region in scope"),
		Schedule:    awsevents.Schedule_Expression(jsii.String(s.SweepSchedule)),
		Targets:     &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &t)},
	})

	// The start enqueues the items with SendMessageBatch, which IAM
	// authorizes as sqs:SendMessage.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("EnqueueSweepItems"),
		Actions:   jsii.Strings("sqs:SendMessage"),
		Resources: &[]*string{sw.Queue.QueueArn()},
	}))
	if s.Org() && len(s.Accounts) == 0 {
		// Without an allow-list the sweep covers the organization's active
		// accounts. ListAccounts has no resource-level permissions: "*" is
		// the only resource it accepts. It reads account IDs and names.
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ListOrganizationAccounts"),
			Actions:   jsii.Strings("organizations:ListAccounts"),
			Resources: jsii.Strings("*"),
		}))
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
	fn.AddEventSource(sw.EventSource)
}
