package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// applyNag runs the cdk-nag AwsSolutions pack on the stack at every synth
// (an unsuppressed finding is an error annotation: `cdk synth` exits 1) and
// records the few findings that are by design, each with its reason.
func (st *ForceSSLStack) applyNag(s Settings) {
	awscdk.Aspects_Of(st.Stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)

	// The function's own RDS access: its region, and in organization mode
	// the member regions too (see functionRDSRegions).
	regions := []string{""}
	if s.Org() {
		regions = append(regions, s.Regions...)
	}
	appliesTo := append(rdsNagResources(regions),
		"Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/forcessl/forcessl-*")
	where := "this account and region only"
	if s.Org() {
		where = "this account, its own region and the StackSet's regions only"
	}
	reason := rdsWildcardReason(where) + " schedule/forcessl/forcessl-*: one-time reboot schedules named at runtime, " +
		"confined to the stack's schedule group."
	if s.Org() {
		appliesTo = append(appliesTo, "Resource::arn:<AWS::Partition>:iam::*:role/"+s.MemberRoleName)
		reason += " iam::*:role/" + s.MemberRoleName + ": the remediation role of whichever member account an " +
			"event comes from (fixed name, any account), limited to this organization by aws:ResourceOrgID."
	}
	cdknag.NagSuppressions_AddResourceSuppressions(st.Role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String(reason),
		AppliesTo: &appliesTo,
	}}, jsii.Bool(true))

	cdknag.NagSuppressions_AddResourceSuppressions(st.DeadLetters, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is itself the dead-letter queue: the function's on-failure destination and " +
			"the DLQ of every EventBridge rule target. cdk-nag only recognises a DLQ through another queue's " +
			"redrive policy. Its depth is alarmed."),
	}}, jsii.Bool(true))
}
