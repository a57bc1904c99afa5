// Package scp renders the service control policy that protects forcessl's
// resources in member accounts (organization mode) from those accounts' own
// administrators: the remediation role, the forwarding roles and rules, the
// StackSet's stacks, and the StackSet execution roles (stacksets-exec-*)
// through which StackSets deploys them. It is rendered from the names the
// deployment uses (Names), so a custom memberRoleName is protected too; the
// CDK app writes it beside the templates at synth and `forcessl scp` prints
// it. Pure: no SDK, no CDK.
//
// Why the execution roles: the policy exempts principals whose ARN matches
// role/stacksets-exec-* (StackSets must keep deploying and updating the
// protected resources through them). Without protecting those roles
// themselves, a member administrator could create a role of that name (or
// rewrite the real one's trust) and act through it. So creating, changing,
// deleting, passing or assuming a stacksets-exec-* role is denied to every
// principal of a member account; StackSets is not hindered: it reaches the
// role from the management (or delegated administrator) account through its
// service-linked role AWSServiceRoleForCloudFormationStackSetsOrgAdmin,
// whose policy is sts:AssumeRole on arn:aws:iam::*:role/stacksets-exec-*
// (AWS managed policy CloudFormationStackSetsOrgAdminServiceRolePolicy), and
// SCPs affect neither the management account nor service-linked roles
// (AWS Organizations User Guide, "Service control policies": "SCPs don't
// affect users or roles in the management account" and "SCPs do not affect
// service-linked roles"). The exec role itself is created in each member
// account by StackSets' member service-linked role
// (AWSServiceRoleForCloudFormationStackSetsOrgMember), which the SCP does
// not affect either.
package scp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Fixed names in member accounts (infra/stack uses these constants).
const (
	// MemberNamePrefix prefixes the forwarding rules (forcessl-<filter>)
	// and the forwarding roles.
	MemberNamePrefix = "forcessl-"
	// ForwardingRolePrefix + region names a region's forwarding role.
	ForwardingRolePrefix = MemberNamePrefix + "forwarding-"
	// StackSetName is the StackSet that deploys the member stack.
	StackSetName = "forcessl-member"
	// DefaultMemberRoleName is memberRoleName's default.
	DefaultMemberRoleName = "forcessl-remediation"
	// ExecRolePattern is the StackSet execution role of service-managed
	// StackSets in every member account.
	ExecRolePattern = "stacksets-exec-*"
	// StackSetsAdminRole is StackSets' service-linked role in the
	// management (or delegated administrator) account, the one principal
	// that assumes ExecRolePattern roles.
	StackSetsAdminRole = "aws-service-role/stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgAdmin"
	// MaxChars is the size Organizations allows an SCP ("Maximum size of a
	// policy document: 5,120 characters", AWS Organizations quotas).
	MaxChars = 5120
)

// Names are what a deployment names in member accounts.
type Names struct {
	Partition      string // "aws", "aws-us-gov", "aws-cn"
	MemberRoleName string // memberRoleName (FORCESSL_MEMBER_ROLE_NAME)
}

// Defaults are the names of a deployment with no memberRoleName in the aws
// partition: infra/scp/forcessl-protect.json.
func Defaults() Names { return Names{Partition: "aws", MemberRoleName: DefaultMemberRoleName} }

// Statement is one statement of the policy.
type Statement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// Policy is an SCP document.
type Policy struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// roleWrites change, replace or hand out a role: creating it (a member admin
// pre-creating a protected name is as bad as editing it), its policies,
// trust, boundary, tags, description, deletion and passing it to a service.
var roleWrites = []string{
	"iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary",
	"iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PassRole", "iam:PutRolePermissionsBoundary",
	"iam:PutRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
	"iam:UpdateRoleDescription",
}

// ruleWrites change, disable, retarget or delete a rule.
var ruleWrites = []string{
	"events:DeleteRule", "events:DisableRule", "events:EnableRule", "events:PutRule", "events:PutTargets",
	"events:RemoveTargets", "events:TagResource", "events:UntagResource",
}

// stackWrites change or delete a stack in the account (a member
// administrator deleting the StackSet's stack instance with their own
// credentials, or updating it, detaching the stack from the StackSet).
var stackWrites = []string{
	"cloudformation:CancelUpdateStack", "cloudformation:ContinueUpdateRollback", "cloudformation:CreateChangeSet",
	"cloudformation:DeleteStack", "cloudformation:ExecuteChangeSet", "cloudformation:RollbackStack",
	"cloudformation:SetStackPolicy", "cloudformation:TagResource", "cloudformation:UntagResource",
	"cloudformation:UpdateStack", "cloudformation:UpdateTerminationProtection",
}

// Render is the policy for names. Every statement denies; reads stay open.
func Render(n Names) Policy {
	arn := func(service, region, resource string) string {
		return fmt.Sprintf("arn:%s:%s:%s:*:%s", n.Partition, service, region, resource)
	}
	exceptExec := map[string]map[string]string{
		"ArnNotLike": {"aws:PrincipalArn": arn("iam", "", "role/"+ExecRolePattern)},
	}
	return Policy{Version: "2012-10-17", Statement: []Statement{
		{
			Sid: "ProtectForcesslRoles", Effect: "Deny", Action: roleWrites,
			Resource:  []string{arn("iam", "", "role/"+n.MemberRoleName), arn("iam", "", "role/"+ForwardingRolePrefix+"*")},
			Condition: exceptExec,
		},
		{
			Sid: "ProtectForcesslRules", Effect: "Deny", Action: ruleWrites,
			Resource:  []string{arn("events", "*", "rule/"+MemberNamePrefix+"*")},
			Condition: exceptExec,
		},
		{
			// Stack instances of a service-managed StackSet are named
			// StackSet-<StackSet name>-<UUID>.
			Sid: "ProtectForcesslStacks", Effect: "Deny", Action: stackWrites,
			Resource:  []string{arn("cloudformation", "*", "stack/StackSet-"+StackSetName+"-*/*")},
			Condition: exceptExec,
		},
		{
			// No member principal, the exec roles included, creates or
			// changes an exec role: only StackSets' service-linked roles do,
			// which the SCP does not affect.
			Sid: "ProtectStackSetExecRoles", Effect: "Deny", Action: roleWrites,
			Resource: []string{arn("iam", "", "role/"+ExecRolePattern)},
		},
		{
			// Only StackSets (its management-account service-linked role)
			// assumes an exec role; the condition also keeps the policy
			// right should it ever be attached where that role lives.
			Sid: "OnlyStackSetsAssumeExecRoles", Effect: "Deny",
			Action:   []string{"sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"},
			Resource: []string{arn("iam", "", "role/"+ExecRolePattern)},
			Condition: map[string]map[string]string{
				"ArnNotLike": {"aws:PrincipalArn": arn("iam", "", "role/"+StackSetsAdminRole)},
			},
		},
	}}
}

// JSON is the policy as the document to attach: indented with one space,
// which keeps it readable and well under MaxChars.
func (p Policy) JSON() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(p); err != nil {
		panic(err) // only strings and slices: cannot fail
	}
	return b.Bytes()
}

// ValidRoleName is IAM's RoleName pattern, [\w+=,.@-]{1,64} (IAM API
// reference, CreateRole); the SCP is only as right as the name it protects.
func ValidRoleName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || strings.ContainsRune("+=,.@-", c)) {
			return false
		}
	}
	return true
}

// ValidPartition accepts a partition name: aws, or aws- and lower-case
// letters and hyphens (aws-cn, aws-us-gov, aws-iso-b, …).
func ValidPartition(s string) bool {
	if s == "aws" {
		return true
	}
	rest, ok := strings.CutPrefix(s, "aws-")
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}
