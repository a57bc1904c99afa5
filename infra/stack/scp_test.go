package stack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// iamGlob matches an ARN against an IAM policy pattern ("*" any run of
// characters, "?" one).
func iamGlob(pattern, arn string) bool {
	re := regexp.QuoteMeta(pattern)
	re = strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(re)
	return regexp.MustCompile("^" + re + "$").MatchString(arn)
}

// TestSCP: infra/scp/forcessl-protect.json is a valid policy document that
// denies, to everyone but the StackSet execution role, every write to the
// member remediation role, the forwarding roles and the forwarding rules
// the member template creates, and nothing else.
func TestSCP(t *testing.T) {
	root, err := FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "infra", "scp", "forcessl-protect.json"))
	if err != nil {
		t.Fatal(err)
	}
	// GIVEN the example SCP WHEN parsed strictly
	var scp struct {
		Version   string
		Statement []struct {
			Sid       string
			Effect    string
			Action    []string
			Resource  any
			Condition map[string]map[string]string
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&scp); err != nil {
		t.Fatalf("forcessl-protect.json: %v", err)
	}
	if scp.Version != "2012-10-17" || len(scp.Statement) != 2 {
		t.Fatalf("SCP %+v", scp)
	}
	if len(raw) > 5120 {
		t.Errorf("SCP is %d characters, over the 5,120 Organizations allows", len(raw))
	}

	// The names the member stack gives its resources.
	f := orgStack(t)
	_, m := member(t, f)
	var ruleNames []string
	for _, r := range memberResources(m, "AWS::Events::Rule") {
		ruleNames = append(ruleNames, r["Properties"].(map[string]any)["Name"].(string))
	}
	protectedArns := map[string][]string{
		"iam": {"arn:aws:iam::222222222222:role/" + DefaultMemberRoleName,
			"arn:aws:iam::222222222222:role/" + MemberForwardingRolePrefix + "eu-west-1",
			"arn:aws:iam::222222222222:role/" + MemberForwardingRolePrefix + "ap-southeast-2"},
	}
	for _, n := range ruleNames {
		for _, r := range []string{"eu-west-1", "us-east-1"} {
			protectedArns["events"] = append(protectedArns["events"], "arn:aws:events:"+r+":222222222222:rule/"+n)
		}
	}
	others := []string{"arn:aws:iam::222222222222:role/Admin", "arn:aws:iam::222222222222:role/stacksets-exec-0123",
		"arn:aws:iam::111111111111:role/ForceSSL-FunctionRole111A5701-AbCdEfGhIjKl",
		"arn:aws:events:eu-west-1:222222222222:rule/team-rule",
		"arn:aws:events:eu-west-1:111111111111:rule/ForceSSL-InstanceEventsRuleB414D143-AbCd"}

	covered := map[string]bool{}
	for _, st := range scp.Statement {
		// THEN each statement denies, except to the StackSet execution role
		if st.Effect != "Deny" || !slices.Equal(keysOf(st.Condition), []string{"ArnNotLike"}) ||
			st.Condition["ArnNotLike"]["aws:PrincipalArn"] != "arn:aws:iam::*:role/stacksets-exec-*" {
			t.Errorf("%s: effect %s, condition %v", st.Sid, st.Effect, st.Condition)
		}
		service := strings.Split(st.Action[0], ":")[0]
		// ... only writes (reads stay open: ops verify the roles and rules)
		for _, a := range st.Action {
			verb := strings.SplitN(a, ":", 2)[1]
			if !strings.HasPrefix(a, service+":") || strings.Contains(verb, "*") ||
				slices.ContainsFunc([]string{"Get", "List", "Describe"}, func(p string) bool { return strings.HasPrefix(verb, p) }) {
				t.Errorf("%s: action %s", st.Sid, a)
			}
		}
		// ... on exactly the member stack's roles and rules
		var patterns []string
		switch r := st.Resource.(type) {
		case string:
			patterns = []string{r}
		case []any:
			for _, p := range r {
				patterns = append(patterns, p.(string))
			}
		}
		hits := func(arn string) bool {
			return slices.ContainsFunc(patterns, func(p string) bool { return iamGlob(p, arn) })
		}
		for _, arn := range protectedArns[service] {
			if hits(arn) {
				covered[arn] = true
			}
		}
		for _, arn := range others {
			if hits(arn) {
				t.Errorf("%s protects %s, which is not forcessl's member resource", st.Sid, arn)
			}
		}
	}
	for _, arns := range protectedArns {
		for _, arn := range arns {
			if !covered[arn] {
				t.Errorf("the SCP does not protect %s", arn)
			}
		}
	}
	// The writes that would let a member admin widen, repoint or remove
	// what forcessl relies on are all denied.
	var all []string
	for _, st := range scp.Statement {
		all = append(all, st.Action...)
	}
	for _, a := range []string{"iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRole",
		"iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PassRole",
		"events:PutRule", "events:PutTargets", "events:RemoveTargets", "events:DeleteRule", "events:DisableRule"} {
		if !slices.Contains(all, a) {
			t.Errorf("the SCP does not deny %s", a)
		}
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
