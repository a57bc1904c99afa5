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

// rdsArn is an RDS ARN in this account and the given region (nil: the
// stack's region), e.g. db:* or pg:forcessl-*.
func rdsArn(stack awscdk.Stack, region *string, resourceType, name string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("rds"),
		Region:       region,
		Resource:     jsii.String(resourceType),
		ResourceName: jsii.String(name),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// rdsStatements are the RDS permissions the engine needs on the instances
// and parameter groups of the stack's account in the given regions (nil
// entry: the stack's own region): reads always, writes only when enforcing.
// One builder serves the function's own role (its account) and, in
// organization mode, the remediation role of every member account, so the
// two can never drift.
//
// The resource patterns that end in "*" are:
//   - db:* and pg:* — the engine must see (and, enforcing, fix) every DB
//     instance and read any parameter group it may use; RDS has no narrower
//     scope for "all instances in scope" than the account and region.
//   - pg:forcessl-* — the compliant groups the engine itself creates; their
//     names are chosen at runtime (per family/source group).
func rdsStatements(stack awscdk.Stack, s Settings, regions []*string) []awsiam.PolicyStatement {
	arns := func(resourceType, name string) []*string {
		var out []*string
		for _, r := range regions {
			out = append(out, rdsArn(stack, r, resourceType, name))
		}
		return out
	}
	dbAll := arns("db", "*")
	pgAll := arns("pg", "*")
	pgOwned := arns("pg", OwnedParameterGroupPrefix+"*")
	cat := func(l ...[]*string) *[]*string {
		out := []*string{}
		for _, x := range l {
			out = append(out, x...)
		}
		return &out
	}
	var out []awsiam.PolicyStatement
	add := func(p *awsiam.PolicyStatementProps) { out = append(out, awsiam.NewPolicyStatement(p)) }

	add(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadRDS"),
		Actions: jsii.Strings("rds:DescribeDBInstances", "rds:DescribeDBParameters",
			"rds:DescribeDBParameterGroups", "rds:ListTagsForResource"),
		Resources: cat(dbAll, pgAll),
	})
	if !s.Enforcing() {
		return out
	}
	add(&awsiam.PolicyStatementProps{
		Sid: jsii.String("WriteOwnParameterGroups"),
		// Create/Copy with Tags also needs AddTagsToResource on the new group.
		Actions: jsii.Strings("rds:CreateDBParameterGroup", "rds:CopyDBParameterGroup",
			"rds:ModifyDBParameterGroup", "rds:AddTagsToResource"),
		Resources: cat(pgOwned),
	})
	add(&awsiam.PolicyStatementProps{
		Sid: jsii.String("CopyFromAnySourceGroup"),
		// CopyDBParameterGroup is also authorized against the source group,
		// which may be any group (default.* included).
		Actions:   jsii.Strings("rds:CopyDBParameterGroup"),
		Resources: cat(pgAll),
	})
	add(&awsiam.PolicyStatementProps{
		Sid: jsii.String("AttachOwnParameterGroups"),
		// Attaching a group is authorized against the instance and the group:
		// only forcessl's own groups can be attached.
		Actions:   jsii.Strings("rds:ModifyDBInstance"),
		Resources: cat(dbAll, pgOwned),
	})
	add(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("RebootInstances"),
		Actions:   jsii.Strings("rds:RebootDBInstance"),
		Resources: cat(dbAll),
	})
	// Defence in depth: whatever the engine decides, an instance tagged
	// exempt cannot be modified or rebooted by it.
	add(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("NeverTouchExemptInstances"),
		Effect:    awsiam.Effect_DENY,
		Actions:   jsii.Strings("rds:ModifyDBInstance", "rds:RebootDBInstance"),
		Resources: cat(dbAll),
		Conditions: &map[string]any{
			"StringEqualsIgnoreCase": map[string]any{"rds:db-tag/" + s.ExemptTag: "true"},
		},
	})
	return out
}

// functionRDSRegions are the regions whose RDS the function may touch with
// its own credentials: its own region and otherRDSRegions.
func functionRDSRegions(stack awscdk.Stack, s Settings) []*string {
	regions := []*string{stack.Region()}
	for _, r := range otherRDSRegions(s) {
		regions = append(regions, jsii.String(r))
	}
	return regions
}

// otherRDSRegions are the regions besides its own where the function reaches
// its own account's RDS: in organization mode every member region, since the
// StackSet forwards the central account's events from those regions too
// when the central account is in a target OU (and the sweep covers them;
// sweepRegions is a subset); in a single account the sweep's regions.
func otherRDSRegions(s Settings) []string {
	if s.Org() {
		return s.Regions
	}
	return s.SweepRegions
}

// grantRemediator writes the function's and the scheduler role's policies.
// Every action is named. Beyond the RDS patterns of rdsStatements:
//   - schedule/<group>/forcessl-* — one-time reboot schedules named at
//     runtime, confined to the stack's schedule group.
//   - iam::*:role/<memberRoleName> (organization mode) — the remediation
//     role of whichever member account an event comes from; confined to
//     the organization by aws:ResourceOrgID.
//
// In report mode the function gets only the read statements: it must not
// be able to change anything, whatever its code does.
func grantRemediator(stack awscdk.Stack, st *ForceSSLStack, s Settings) {
	role := st.Role
	add := func(p *awsiam.PolicyStatementProps) {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(p))
	}
	schedules := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("scheduler"),
		Resource:     jsii.String("schedule"),
		ResourceName: jsii.String(config.DefaultScheduleGroup + "/forcessl-*"),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
	rds := rdsStatements(stack, s, functionRDSRegions(stack, s))

	role.AddToPrincipalPolicy(rds[0]) // ReadRDS
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

	if s.Org() {
		// Read-only or not, the member role carries exactly the RDS
		// statements above for the mode; AssumeRole itself changes nothing.
		add(&awsiam.PolicyStatementProps{
			Sid:     jsii.String("AssumeMemberRemediationRole"),
			Actions: jsii.Strings("sts:AssumeRole"),
			Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{
				Service:      jsii.String("iam"),
				Region:       jsii.String(""),
				Account:      jsii.String("*"),
				Resource:     jsii.String("role"),
				ResourceName: jsii.String(s.MemberRoleName),
				ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
			})},
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"aws:ResourceOrgID": s.OrgID},
			},
		})
	}

	if !s.Enforcing() {
		return
	}
	for _, st := range rds[1:] {
		role.AddToPrincipalPolicy(st)
	}
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
