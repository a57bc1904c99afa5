package scp

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// principal is who makes a request. Exempt principals are not subject to
// SCPs at all (AWS Organizations User Guide: SCPs affect neither the
// management account's users and roles nor service-linked roles); the
// table still evaluates the policy for them, so the policy must not deny
// StackSets even where it were applied.
type principal struct {
	arn    string
	exempt bool // a service-linked role, or the management account
}

type call struct {
	who              principal
	action, resource string
}

// evaluate is an SCP evaluator for what these policies use: Deny
// statements with Action and Resource lists (wildcards * and ?, actions
// case-insensitive) and the ArnLike/ArnNotLike/StringLike/StringNotLike
// operators on aws:PrincipalArn. With FullAWSAccess beside it (the
// default), a request is denied exactly when a Deny statement matches. It
// fails the test on anything else in the document (an Allow, NotAction,
// NotResource, another operator), so a policy it cannot judge never
// passes.
func evaluate(t *testing.T, doc []byte, c call) (denied bool, sid string) {
	t.Helper()
	var p struct {
		Version   string
		Statement []map[string]any
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&p); err != nil || p.Version != "2012-10-17" {
		t.Fatalf("policy: %v (version %q)", err, p.Version)
	}
	for _, st := range p.Statement {
		for k := range st {
			if k != "Sid" && k != "Effect" && k != "Action" && k != "Resource" && k != "Condition" {
				t.Fatalf("evaluator cannot judge %s in %v", k, st)
			}
		}
		if st["Effect"] != "Deny" {
			t.Fatalf("statement %v: only Deny statements belong in this SCP", st["Sid"])
		}
		if !anyGlob(st["Action"], c.action, true) || !anyGlob(st["Resource"], c.resource, false) {
			continue
		}
		if conditionsHold(t, st["Condition"], c.who) {
			return true, st["Sid"].(string)
		}
	}
	return false, ""
}

func anyGlob(v any, s string, fold bool) bool {
	var pats []string
	switch x := v.(type) {
	case string:
		pats = []string{x}
	case []any:
		for _, p := range x {
			pats = append(pats, p.(string))
		}
	}
	for _, p := range pats {
		if glob(p, s, fold) {
			return true
		}
	}
	return false
}

func glob(pattern, s string, fold bool) bool {
	re := regexp.QuoteMeta(pattern)
	re = strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(re)
	if fold {
		re = "(?i)" + re
	}
	return regexp.MustCompile("^" + re + "$").MatchString(s)
}

func conditionsHold(t *testing.T, v any, who principal) bool {
	t.Helper()
	if v == nil {
		return true
	}
	ctx := map[string]string{"aws:PrincipalArn": who.arn}
	for op, kv := range v.(map[string]any) {
		for key, want := range kv.(map[string]any) {
			got, ok := ctx[key]
			if !ok {
				t.Fatalf("evaluator has no %s", key)
			}
			var match bool
			switch op {
			case "ArnLike", "StringLike", "ArnNotLike", "StringNotLike":
				match = anyGlob(want, got, false)
			default:
				t.Fatalf("evaluator cannot judge operator %s", op)
			}
			if strings.Contains(op, "Not") {
				match = !match
			}
			if !match {
				return false
			}
		}
	}
	return true
}

const (
	member  = "222222222222"
	mgmt    = "999999999999"
	central = "111111111111"
)

var (
	memberAdmin = principal{arn: "arn:aws:iam::" + member + ":role/Admin"}
	// A role the member admin would create to pass as StackSets' own.
	fakeExec = principal{arn: "arn:aws:iam::" + member + ":role/stacksets-exec-x"}
	// StackSets: its service-linked role in the management account, and
	// the execution role it assumes in the member account.
	stackSetsSLR = principal{arn: "arn:aws:iam::" + mgmt + ":role/" + StackSetsAdminRole, exempt: true}
	execRole     = principal{arn: "arn:aws:iam::" + member + ":role/stacksets-exec-0123456789abcdef0123456789abcdef"}
	// The central function's role (another account).
	functionRole = principal{arn: "arn:aws:iam::" + central + ":role/ForceSSL-FunctionRole111A5701-AbCdEfGhIjKl"}
)

func role(name string) string { return "arn:aws:iam::" + member + ":role/" + name }
func rule(name string) string { return "arn:aws:events:eu-west-1:" + member + ":rule/" + name }
func stack(name string) string {
	return "arn:aws:cloudformation:eu-west-1:" + member + ":stack/" + name + "/6d3c6a40-8f0e-11ef-b5b1-0a1b2c3d4e5f"
}

const stackInstance = "StackSet-" + StackSetName + "-1f2e3d4c-5b6a-4789-8abc-def012345678"

// TestSCPTable: principal × action × resource → allowed/denied, for the
// policy rendered with the default names and with a custom role name. A
// scenario is a sequence of calls; it is allowed only if every call is.
func TestSCPTable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		names   Names
		steps   []call
		allowed bool
	}{
		// The bypass of issue 19: a role named like StackSets' is exempt
		// from the forcessl statements, so creating one (or taking over
		// the real one) must itself be denied.
		{"member admin creates stacksets-exec-x and edits the remediation role", Defaults(), []call{
			{memberAdmin, "iam:CreateRole", role("stacksets-exec-x")},
			{fakeExec, "iam:PutRolePolicy", role(DefaultMemberRoleName)},
		}, false},
		{"member admin rewrites the real exec role's trust", Defaults(), []call{
			{memberAdmin, "iam:UpdateAssumeRolePolicy", execRole.arn}}, false},
		{"member admin assumes the real exec role", Defaults(), []call{
			{memberAdmin, "sts:AssumeRole", execRole.arn}}, false},
		{"member admin attaches a policy to the exec role", Defaults(), []call{
			{memberAdmin, "iam:AttachRolePolicy", execRole.arn}}, false},
		{"member admin passes the exec role to CloudFormation", Defaults(), []call{
			{memberAdmin, "iam:PassRole", execRole.arn}}, false},
		{"member admin tags the exec role", Defaults(), []call{
			{memberAdmin, "iam:TagRole", execRole.arn}}, false},
		{"member admin deletes the exec role", Defaults(), []call{
			{memberAdmin, "iam:DeleteRole", execRole.arn}}, false},
		{"the exec role changes an exec role", Defaults(), []call{
			{execRole, "iam:UpdateAssumeRolePolicy", role("stacksets-exec-x")}}, false},
		{"StackSets deploys the member stack", Defaults(), []call{
			{stackSetsSLR, "sts:AssumeRole", execRole.arn},
			{execRole, "cloudformation:CreateStack", stack(stackInstance)},
			{execRole, "iam:CreateRole", role(DefaultMemberRoleName)},
			{execRole, "iam:PutRolePolicy", role(DefaultMemberRoleName)},
			{execRole, "iam:CreateRole", role(ForwardingRolePrefix + "eu-west-1")},
			{execRole, "iam:PassRole", role(ForwardingRolePrefix + "eu-west-1")},
			{execRole, "events:PutRule", rule("forcessl-api-calls")},
			{execRole, "events:PutTargets", rule("forcessl-api-calls")},
		}, true},
		{"StackSets updates and deletes the member stack", Defaults(), []call{
			{stackSetsSLR, "sts:AssumeRole", execRole.arn},
			{execRole, "cloudformation:UpdateStack", stack(stackInstance)},
			{execRole, "iam:UpdateAssumeRolePolicy", role(DefaultMemberRoleName)},
			{execRole, "events:DeleteRule", rule("forcessl-instance-events")},
			{execRole, "iam:DeleteRole", role(ForwardingRolePrefix + "eu-west-1")},
			{execRole, "cloudformation:DeleteStack", stack(stackInstance)},
		}, true},
		{"member admin edits the remediation role", Defaults(), []call{
			{memberAdmin, "iam:PutRolePolicy", role(DefaultMemberRoleName)}}, false},
		{"member admin pre-creates the remediation role", Defaults(), []call{
			{memberAdmin, "iam:CreateRole", role(DefaultMemberRoleName)}}, false},
		{"member admin widens a forwarding role's trust", Defaults(), []call{
			{memberAdmin, "iam:UpdateAssumeRolePolicy", role(ForwardingRolePrefix + "us-east-1")}}, false},
		{"member admin disables a forwarding rule", Defaults(), []call{
			{memberAdmin, "events:DisableRule", rule("forcessl-api-calls")}}, false},
		{"member admin retargets a forwarding rule", Defaults(), []call{
			{memberAdmin, "events:PutTargets", rule("forcessl-cluster-events")}}, false},
		{"member admin deletes the StackSet's stack", Defaults(), []call{
			{memberAdmin, "cloudformation:DeleteStack", stack(stackInstance)}}, false},
		{"member admin updates the StackSet's stack", Defaults(), []call{
			{memberAdmin, "cloudformation:UpdateStack", stack(stackInstance)}}, false},
		// What stays open.
		{"member admin reads forcessl's roles, rules and stack", Defaults(), []call{
			{memberAdmin, "iam:GetRole", role(DefaultMemberRoleName)},
			{memberAdmin, "iam:GetRole", execRole.arn},
			{memberAdmin, "events:DescribeRule", rule("forcessl-api-calls")},
			{memberAdmin, "events:ListTargetsByRule", rule("forcessl-api-calls")},
			{memberAdmin, "cloudformation:DescribeStacks", stack(stackInstance)},
		}, true},
		{"member admin manages their own roles, rules and stacks", Defaults(), []call{
			{memberAdmin, "iam:CreateRole", role("app-role")},
			{memberAdmin, "iam:PutRolePolicy", role("app-role")},
			{memberAdmin, "sts:AssumeRole", role("app-role")},
			{memberAdmin, "events:PutRule", rule("team-rule")},
			{memberAdmin, "cloudformation:UpdateStack", stack("app")},
			{memberAdmin, "cloudformation:DeleteStack", stack("StackSet-other-1f2e3d4c")},
		}, true},
		{"the central function assumes the remediation role", Defaults(), []call{
			{functionRole, "sts:AssumeRole", role(DefaultMemberRoleName)}}, true},
		// A custom memberRoleName is protected; the old hard-coded
		// forcessl-remediation policy would not have protected it.
		{"custom role name: member admin edits it", Names{"aws", "ops-forcessl"}, []call{
			{memberAdmin, "iam:PutRolePolicy", role("ops-forcessl")}}, false},
		{"custom role name: StackSets deploys it", Names{"aws", "ops-forcessl"}, []call{
			{stackSetsSLR, "sts:AssumeRole", execRole.arn},
			{execRole, "iam:CreateRole", role("ops-forcessl")}}, true},
		{"default names do not cover a custom role name", Defaults(), []call{
			{memberAdmin, "iam:PutRolePolicy", role("ops-forcessl")}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// GIVEN the policy for the deployment's names
			doc := Render(tc.names).JSON()
			// WHEN each step is evaluated, in order
			allowed := true
			for _, s := range tc.steps {
				denied, sid := evaluate(t, doc, s)
				if s.who.exempt && denied {
					t.Errorf("%s %s on %s: denied by %s, though StackSets must never be", s.who.arn, s.action, s.resource, sid)
				}
				if denied {
					t.Logf("%s %s on %s: denied by %s", s.who.arn, s.action, s.resource, sid)
					allowed = false
					break
				}
			}
			// THEN the scenario is allowed or stopped as the table says
			if allowed != tc.allowed {
				t.Errorf("allowed = %v, want %v", allowed, tc.allowed)
			}
		})
	}
}

// TestExampleIsRendered: infra/scp/forcessl-protect.json is Render's output
// for the default names, byte for byte, so the example cannot drift.
func TestExampleIsRendered(t *testing.T) {
	got, err := os.ReadFile(filepath.Join("..", "..", "infra", "scp", "forcessl-protect.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := Render(Defaults()).JSON(); !bytes.Equal(got, want) {
		t.Errorf("infra/scp/forcessl-protect.json is not the rendered policy; regenerate it with `go run ./cmd/forcessl scp > infra/scp/forcessl-protect.json`\nwant:\n%s", want)
	}
}

// TestSize: with the longest role name and partition name the policy stays
// within Organizations' 5,120 characters.
func TestSize(t *testing.T) {
	n := Names{Partition: "aws-us-gov", MemberRoleName: strings.Repeat("r", 64)}
	if got := len(Render(n).JSON()); got > MaxChars {
		t.Errorf("SCP is %d characters, over %d", got, MaxChars)
	}
}

func TestValidNames(t *testing.T) {
	for s, want := range map[string]bool{"forcessl-remediation": true, "ops+x=y,z.a@b_c": true, "": false,
		strings.Repeat("r", 65): false, "a/b": false, "a*": false} {
		if ValidRoleName(s) != want {
			t.Errorf("ValidRoleName(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{"aws": true, "aws-us-gov": true, "aws-cn": true, "aws-": false, "azure": false, "aws-X": false} {
		if ValidPartition(s) != want {
			t.Errorf("ValidPartition(%q) = %v", s, !want)
		}
	}
}
