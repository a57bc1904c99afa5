package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// applyNag runs the cdk-nag AwsSolutions pack on the stack at every synth
// (an unsuppressed finding is an error annotation: `cdk synth` exits 1) and
// records the few findings that are by design, each with its reason.
func (st *ForceSSLStack) applyNag() {
	awscdk.Aspects_Of(st.Stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)

	resource := func(arn string) any {
		return "Resource::arn:<AWS::Partition>:" + arn
	}
	cdknag.NagSuppressions_AddResourceSuppressions(st.Role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Every action is named. db:* and pg:* (this account and region only): forcessl must " +
			"read every DB instance and any parameter group an instance may use, and, when enforcing, modify or " +
			"reboot any non-exempt instance (exempt-tagged ones are denied) and copy from any source group; " +
			"instance and group names are not known at deploy time. pg:forcessl-*: the compliant groups the engine " +
			"creates, named at runtime under that prefix. schedule/forcessl/forcessl-*: one-time reboot schedules " +
			"named at runtime, confined to the stack's schedule group."),
		AppliesTo: &[]any{
			resource("rds:<AWS::Region>:<AWS::AccountId>:db:*"),
			resource("rds:<AWS::Region>:<AWS::AccountId>:pg:*"),
			resource("rds:<AWS::Region>:<AWS::AccountId>:pg:" + OwnedParameterGroupPrefix + "*"),
			resource("scheduler:<AWS::Region>:<AWS::AccountId>:schedule/forcessl/forcessl-*"),
		},
	}}, jsii.Bool(true))

	cdknag.NagSuppressions_AddResourceSuppressions(st.DeadLetters, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is itself the dead-letter queue: the function's on-failure destination and " +
			"the DLQ of every EventBridge rule target. cdk-nag only recognises a DLQ through another queue's " +
			"redrive policy. Its depth is alarmed."),
	}}, jsii.Bool(true))
}
