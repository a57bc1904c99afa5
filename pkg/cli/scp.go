package cli

import (
	"context"

	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/scp"
)

const scpUsage = `forcessl scp [--member-role-name NAME] [--partition aws|aws-us-gov|aws-cn]

Prints the service control policy that protects forcessl's resources in the
member accounts (organization mode): the remediation role, the forwarding
roles and rules, the StackSet's stacks, and the StackSet execution roles
(stacksets-exec-*) themselves. Attach it to the target OUs from the
management account (docs/how-to/attach-the-scp.md). The role name defaults to
FORCESSL_MEMBER_ROLE_NAME, else forcessl-remediation. Reads nothing from
AWS.`

func defineSCP(fs *flagSet) action {
	n := scp.Defaults()
	var role string
	fs.str(&role, "member-role-name", "NAME", "", "the remediation role's name in member accounts (context memberRoleName; default "+
		config.EnvMemberRoleName+", else "+n.MemberRoleName+")")
	fs.choice(&n.Partition, "partition", []string{"aws", "aws-us-gov", "aws-cn"}, n.Partition, "the AWS partition of the ARNs",
		func(p string) (string, bool) { return p, scp.ValidPartition(p) })
	return func(_ context.Context, env Env, args []string) int {
		if code, bad := noArgs(env, "scp", args); bad {
			return code
		}
		switch {
		case fs.set("member-role-name"):
			n.MemberRoleName = role
		case env.Getenv(config.EnvMemberRoleName) != "":
			n.MemberRoleName = env.Getenv(config.EnvMemberRoleName)
		}
		if !scp.ValidRoleName(n.MemberRoleName) {
			return fail(env, usagef("--member-role-name %q is not an IAM role name", n.MemberRoleName))
		}
		if _, err := env.Stdout.Write(scp.Render(n).JSON()); err != nil {
			return fail(env, err)
		}
		return ExitOK
	}
}
