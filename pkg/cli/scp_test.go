package cli

import (
	"strings"
	"testing"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/scp"
)

// forcessl scp prints the policy for the deployment's names: the role name
// from the flag, else FORCESSL_MEMBER_ROLE_NAME, else the default; and
// refuses names IAM would not take. It reads nothing from AWS.
func TestSCPCommand(t *testing.T) {
	for _, tc := range []struct {
		vars  map[string]string
		args  []string
		names scp.Names
	}{
		{nil, nil, scp.Defaults()},
		{map[string]string{config.EnvMemberRoleName: "ops-forcessl"}, nil, scp.Names{Partition: "aws", MemberRoleName: "ops-forcessl"}},
		{map[string]string{config.EnvMemberRoleName: "ops-forcessl"}, []string{"--member-role-name", "x", "--partition", "aws-us-gov"},
			scp.Names{Partition: "aws-us-gov", MemberRoleName: "x"}},
	} {
		r := command(t, tc.vars, append([]string{"scp"}, tc.args...)...)
		if r.code != ExitOK || r.stdout != string(scp.Render(tc.names).JSON()) || len(r.calls) != 0 {
			t.Errorf("%v %v: exit %d, %d calls, stdout:\n%s\nstderr %s", tc.vars, tc.args, r.code, len(r.calls), r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, ":role/"+tc.names.MemberRoleName+`"`) {
			t.Errorf("%v: the policy does not name role %s", tc.args, tc.names.MemberRoleName)
		}
	}
	for _, args := range [][]string{{"--member-role-name", "a/b"}, {"--partition", "azure"}, {"extra"}} {
		if r := command(t, nil, append([]string{"scp"}, args...)...); r.code != ExitUsage || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
}
