package stack

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/forcessl/forcessl/pkg/scp"
)

// iamGlob matches an ARN against an IAM policy pattern ("*" any run of
// characters, "?" one).
func iamGlob(pattern, arn string) bool {
	re := regexp.QuoteMeta(pattern)
	re = strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(re)
	return regexp.MustCompile("^" + re + "$").MatchString(arn)
}

// TestSCP: the SCP a synth writes is rendered from the deployment's names
// (pkg/scp; its own tests evaluate it request by request), and it protects
// exactly what the member template creates under those names: the
// remediation role (a custom memberRoleName too), the forwarding roles, the
// forwarding rules and the StackSet's stacks. The CDK app's fixed names are
// pkg/scp's.
func TestSCP(t *testing.T) {
	if DefaultMemberRoleName != scp.DefaultMemberRoleName || MemberStackSetName != scp.StackSetName {
		t.Fatalf("the app's names (%s, %s) are not pkg/scp's", DefaultMemberRoleName, MemberStackSetName)
	}
	for name, f := range map[string]*fixture{"org": orgStack(t), "org-report": orgReportStack(t)} {
		// GIVEN an organization deployment WHEN its SCP is written
		dir := t.TempDir()
		path, err := WriteSCP(dir, f.stack.Settings)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		names := SCPNames(f.stack.Settings)
		if filepath.Base(path) != SCPFile || !bytes.Equal(raw, scp.Render(names).JSON()) {
			t.Fatalf("%s: %s is not the policy rendered for %+v", name, path, names)
		}
		var doc scp.Policy
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}

		// THEN every name the member template creates is protected
		_, m := member(t, f)
		roleName := memberResources(m, "AWS::IAM::Role")
		var remediation string
		for _, r := range roleName {
			if n, ok := r["Properties"].(map[string]any)["RoleName"].(string); ok {
				remediation = n
			}
		}
		if remediation != f.stack.Settings.Function.MemberRoleName {
			t.Fatalf("%s: member role %q", name, remediation)
		}
		protected := map[string]string{ // ARN: an action that must be denied on it
			"arn:aws:iam::222222222222:role/" + remediation:                                                        "iam:UpdateAssumeRolePolicy",
			"arn:aws:iam::222222222222:role/" + MemberForwardingRolePrefix + "ap-southeast-2":                      "iam:PutRolePolicy",
			"arn:aws:cloudformation:eu-west-1:222222222222:stack/StackSet-" + MemberStackSetName + "-1f2e3d4c/abc": "cloudformation:DeleteStack",
			"arn:aws:iam::222222222222:role/stacksets-exec-x":                                                      "iam:CreateRole",
		}
		for _, r := range memberResources(m, "AWS::Events::Rule") {
			protected["arn:aws:events:eu-west-1:222222222222:rule/"+r["Properties"].(map[string]any)["Name"].(string)] = "events:PutTargets"
		}
		if len(protected) != 4+len(eventPatterns(nil)) {
			t.Fatalf("%s: %d protected ARNs", name, len(protected))
		}
		others := []string{"arn:aws:iam::222222222222:role/Admin", "arn:aws:iam::222222222222:role/forcessl-other",
			"arn:aws:events:eu-west-1:222222222222:rule/team-rule",
			"arn:aws:cloudformation:eu-west-1:222222222222:stack/app/abc"}
		for arn, action := range protected {
			if !slices.ContainsFunc(doc.Statement, func(st scp.Statement) bool {
				return st.Effect == "Deny" && slices.Contains(st.Action, action) &&
					slices.ContainsFunc(st.Resource, func(p string) bool { return iamGlob(p, arn) })
			}) {
				t.Errorf("%s: the SCP does not deny %s on %s", name, action, arn)
			}
		}
		for _, st := range doc.Statement {
			for _, arn := range others {
				if slices.ContainsFunc(st.Resource, func(p string) bool { return iamGlob(p, arn) }) {
					t.Errorf("%s: %s protects %s, which is not forcessl's", name, st.Sid, arn)
				}
			}
		}
	}
	// Single account: no member resources, no SCP.
	if path, err := WriteSCP(t.TempDir(), reportStack(t).stack.Settings); path != "" || err != nil {
		t.Errorf("single account: SCP %q, %v", path, err)
	}
}
