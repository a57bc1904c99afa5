package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/policy"
)

// RDSStatements are the RDS permissions the engine needs on the instances
// and parameter groups of one account in some regions: reads always, writes
// only when enforcing (nil in report mode). One builder serves the
// function's own role (its account) and, in organization mode, the
// remediation role of every member account, so the two can never drift.
//
// The resource patterns that end in "*" are:
//   - db:* and pg:* — the engine must see (and, enforcing, fix) every DB
//     instance and read any parameter group it may use; RDS has no narrower
//     scope for "all instances in scope" than the account and region.
//   - pg:forcessl-* (paramgroup.Prefix) — the compliant groups the engine
//     itself creates; their names are chosen at runtime (per source group).
type RDSStatements struct {
	Read awsiam.PolicyStatement // ReadRDS: the only one in report mode

	// Enforce mode only.
	WriteOwnGroups   awsiam.PolicyStatement // WriteOwnParameterGroups: create, copy, modify, tag pg:forcessl-*
	CopyFromAnyGroup awsiam.PolicyStatement // CopyFromAnySourceGroup: the copy's source may be any group
	AttachOwnGroups  awsiam.PolicyStatement // AttachOwnParameterGroups: ModifyDBInstance, only to forcessl's groups
	Reboot           awsiam.PolicyStatement // RebootInstances
	DenyExempt       awsiam.PolicyStatement // NeverTouchExemptInstances: Deny on exempt-tagged instances
}

// NewRDSStatements builds the statements for the account of stack in the
// given regions (a nil entry: the stack's own region).
func NewRDSStatements(stack awscdk.Stack, c config.Config, regions []*string) RDSStatements {
	arns := func(resourceType, name string) *[]*string {
		out := []*string{}
		for _, r := range regions {
			out = append(out, rdsArn(stack, r, resourceType, name))
		}
		return &out
	}
	cat := func(l ...*[]*string) *[]*string {
		out := []*string{}
		for _, x := range l {
			out = append(out, *x...)
		}
		return &out
	}
	dbAll, pgAll, pgOwned := arns("db", "*"), arns("pg", "*"), arns("pg", paramgroup.Prefix+"*")
	st := func(p *awsiam.PolicyStatementProps) awsiam.PolicyStatement { return awsiam.NewPolicyStatement(p) }

	var r RDSStatements
	r.Read = st(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadRDS"),
		Actions: jsii.Strings("rds:DescribeDBInstances", "rds:DescribeDBParameters",
			"rds:DescribeDBParameterGroups", "rds:ListTagsForResource"),
		Resources: cat(dbAll, pgAll),
	})
	if c.Mode != policy.ModeEnforce {
		return r
	}
	r.WriteOwnGroups = st(&awsiam.PolicyStatementProps{
		Sid: jsii.String("WriteOwnParameterGroups"),
		// Create/Copy with Tags also needs AddTagsToResource on the new group.
		Actions: jsii.Strings("rds:CreateDBParameterGroup", "rds:CopyDBParameterGroup",
			"rds:ModifyDBParameterGroup", "rds:AddTagsToResource"),
		Resources: pgOwned,
	})
	r.CopyFromAnyGroup = st(&awsiam.PolicyStatementProps{
		Sid: jsii.String("CopyFromAnySourceGroup"),
		// CopyDBParameterGroup is also authorized against the source group,
		// which may be any group (default.* included).
		Actions:   jsii.Strings("rds:CopyDBParameterGroup"),
		Resources: pgAll,
	})
	r.AttachOwnGroups = st(&awsiam.PolicyStatementProps{
		Sid: jsii.String("AttachOwnParameterGroups"),
		// Attaching a group is authorized against the instance and the group:
		// only forcessl's own groups can be attached.
		Actions:   jsii.Strings("rds:ModifyDBInstance"),
		Resources: cat(dbAll, pgOwned),
	})
	r.Reboot = st(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("RebootInstances"),
		Actions:   jsii.Strings("rds:RebootDBInstance"),
		Resources: dbAll,
	})
	// Defence in depth: whatever the engine decides, an instance tagged
	// exempt cannot be modified or rebooted by it.
	r.DenyExempt = st(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("NeverTouchExemptInstances"),
		Effect:    awsiam.Effect_DENY,
		Actions:   jsii.Strings("rds:ModifyDBInstance", "rds:RebootDBInstance"),
		Resources: dbAll,
		Conditions: &map[string]any{
			"StringEqualsIgnoreCase": map[string]any{"rds:db-tag/" + c.ExemptTag: "true"},
		},
	})
	return r
}

// Writes are the enforce-mode statements, in order; none in report mode.
func (r RDSStatements) Writes() []awsiam.PolicyStatement {
	if r.WriteOwnGroups == nil {
		return nil
	}
	return []awsiam.PolicyStatement{r.WriteOwnGroups, r.CopyFromAnyGroup, r.AttachOwnGroups, r.Reboot, r.DenyExempt}
}

// All is every statement, the read first.
func (r RDSStatements) All() []awsiam.PolicyStatement {
	return append([]awsiam.PolicyStatement{r.Read}, r.Writes()...)
}

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

// rdsNagResources are the cdk-nag IAM5 finding keys of RDSStatements'
// wildcard resources in the given regions ("" = the stack's region).
func rdsNagResources(regions []string) []any {
	var out []any
	for _, r := range regions {
		if r == "" {
			r = "<AWS::Region>"
		}
		for _, res := range []string{"db:*", "pg:*", "pg:" + paramgroup.Prefix + "*"} {
			out = append(out, "Resource::arn:<AWS::Partition>:rds:"+r+":<AWS::AccountId>:"+res)
		}
	}
	return out
}

// rdsWildcardReason explains RDSStatements' wildcards; where says which
// account and regions they cover.
func rdsWildcardReason(where string) string {
	return "Every action is named. db:* and pg:* (" + where + "): forcessl must " +
		"read every DB instance and any parameter group an instance may use, and, when enforcing, modify or " +
		"reboot any non-exempt instance (exempt-tagged ones are denied) and copy from any source group; " +
		"instance and group names are not known at deploy time. pg:" + paramgroup.Prefix + "*: the compliant " +
		"groups the engine creates, named at runtime under that prefix."
}
