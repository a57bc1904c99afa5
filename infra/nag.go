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

	// The function's own RDS access: its region, and the member or sweep
	// regions (see functionRDSRegions).
	regions := append([]string{""}, otherRDSRegions(s)...)
	appliesTo := append(rdsNagResources(regions),
		"Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/forcessl/forcessl-*")
	where := "this account and region only"
	switch {
	case s.Org():
		where = "this account, its own region and the StackSet's regions only"
	case len(s.SweepRegions) > 0:
		where = "this account, its own region and the sweep's regions only"
	}
	reason := rdsWildcardReason(where) + " schedule/forcessl/forcessl-*: one-time reboot schedules named at runtime, " +
		"confined to the stack's schedule group."
	if s.Org() {
		appliesTo = append(appliesTo, "Resource::arn:<AWS::Partition>:iam::*:role/"+s.MemberRoleName)
		reason += " iam::*:role/" + s.MemberRoleName + ": the remediation role of whichever member account an " +
			"event comes from (fixed name, any account), limited to this organization by aws:ResourceOrgID."
	}
	if s.Org() && len(s.Accounts) == 0 {
		appliesTo = append(appliesTo, "Resource::*")
		reason += " organizations:ListAccounts on \"*\": the sweep enumerates the organization's accounts (no " +
			"accounts allow-list given); Organizations supports no resource-level permissions for ListAccounts, " +
			"and the action only reads account IDs."
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
	cdknag.NagSuppressions_AddResourceSuppressions(st.Sweep.DeadLetters, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is itself the dead-letter queue of the sweep work queue (its redrive " +
			"target after 3 receives); a dead-letter queue of a dead-letter queue would only move the problem. " +
			"Its depth is alarmed."),
	}}, jsii.Bool(true))
}
