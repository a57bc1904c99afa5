package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/config"
)

// OwnedParameterGroupPrefix is the name prefix of the parameter groups the
// engine creates; it may write only to those.
const OwnedParameterGroupPrefix = "forcessl-"

// rdsArn is an RDS ARN in this account and region, e.g. db:* or pg:forcessl-*.
func rdsArn(stack awscdk.Stack, resourceType, name string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("rds"),
		Resource:     jsii.String(resourceType),
		ResourceName: jsii.String(name),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// grantRemediator writes the function's and the scheduler role's policies.
// Every action is named. The resource patterns that end in "*" are:
//   - db:* and pg:* — the engine must see (and, enforcing, fix) every DB
//     instance and read any parameter group it may use; RDS has no narrower
//     scope for "all instances in scope" than the account and region.
//   - pg:forcessl-* — the compliant groups the engine itself creates; their
//     names are chosen at runtime (per family/source group).
//   - schedule/<group>/forcessl-* — one-time reboot schedules named at
//     runtime, confined to the stack's schedule group.
//
// In report mode the function gets only the read statements: it must not
// be able to change anything, whatever its code does.
func grantRemediator(stack awscdk.Stack, st *ForceSSLStack, s Settings) {
	role := st.Role
	add := func(p *awsiam.PolicyStatementProps) {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(p))
	}
	dbAll := rdsArn(stack, "db", "*")
	pgAll := rdsArn(stack, "pg", "*")
	pgOwned := rdsArn(stack, "pg", OwnedParameterGroupPrefix+"*")
	schedules := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("scheduler"),
		Resource:     jsii.String("schedule"),
		ResourceName: jsii.String(config.DefaultScheduleGroup + "/forcessl-*"),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})

	add(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadRDS"),
		Actions: jsii.Strings("rds:DescribeDBInstances", "rds:DescribeDBParameters",
			"rds:DescribeDBParameterGroups", "rds:ListTagsForResource"),
		Resources: &[]*string{dbAll, pgAll},
	})
	// Reading a pending reboot schedule changes nothing; allowed in report
	// mode too so a report can say what is already scheduled.
	add(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadRebootSchedules"),
		Actions:   jsii.Strings("scheduler:GetSchedule"),
		Resources: &[]*string{schedules},
	})
	st.Notifications.GrantPublish(role)

	// The scheduler role may only invoke this function (unqualified ARN, the
	// one the engine targets).
	st.SchedulerRole.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeRemediator"),
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &[]*string{st.Function.FunctionArn()},
	}))

	if !s.Enforcing() {
		return
	}
	add(&awsiam.PolicyStatementProps{
		Sid: jsii.String("WriteOwnParameterGroups"),
		// Create/Copy with Tags also needs AddTagsToResource on the new group.
		Actions: jsii.Strings("rds:CreateDBParameterGroup", "rds:CopyDBParameterGroup",
			"rds:ModifyDBParameterGroup", "rds:AddTagsToResource"),
		Resources: &[]*string{pgOwned},
	})
	add(&awsiam.PolicyStatementProps{
		Sid: jsii.String("CopyFromAnySourceGroup"),
		// CopyDBParameterGroup is also authorized against the source group,
		// which may be any group (default.* included).
		Actions:   jsii.Strings("rds:CopyDBParameterGroup"),
		Resources: &[]*string{pgAll},
	})
	add(&awsiam.PolicyStatementProps{
		Sid: jsii.String("AttachOwnParameterGroups"),
		// Attaching a group is authorized against the instance and the group:
		// only forcessl's own groups can be attached.
		Actions:   jsii.Strings("rds:ModifyDBInstance"),
		Resources: &[]*string{dbAll, pgOwned},
	})
	add(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("RebootInstances"),
		Actions:   jsii.Strings("rds:RebootDBInstance"),
		Resources: &[]*string{dbAll},
	})
	// Defence in depth: whatever the engine decides, an instance tagged
	// exempt cannot be modified or rebooted by it.
	add(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("NeverTouchExemptInstances"),
		Effect:    awsiam.Effect_DENY,
		Actions:   jsii.Strings("rds:ModifyDBInstance", "rds:RebootDBInstance"),
		Resources: &[]*string{dbAll},
		Conditions: &map[string]any{
			"StringEqualsIgnoreCase": map[string]any{"rds:db-tag/" + s.ExemptTag: "true"},
		},
	})
	add(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ManageRebootSchedules"),
		Actions: jsii.Strings("scheduler:CreateSchedule", "scheduler:UpdateSchedule",
			"scheduler:DeleteSchedule"),
		Resources: &[]*string{schedules},
	})
	add(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PassSchedulerRole"),
		Actions:   jsii.Strings("iam:PassRole"),
		Resources: &[]*string{st.SchedulerRole.RoleArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"iam:PassedToService": "scheduler.amazonaws.com"},
		},
	})
}
