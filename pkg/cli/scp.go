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
management account (infra/README.md, Security). The role name defaults to
FORCESSL_MEMBER_ROLE_NAME, else forcessl-remediation. Reads nothing from
AWS.`

func scpCmd(_ context.Context, args []string, env Env) int {
	fs := flags("scp", scpUsage, env)
	n := scp.Defaults()
	if v := env.Getenv(config.EnvMemberRoleName); v != "" {
		n.MemberRoleName = v
	}
	fs.StringVar(&n.MemberRoleName, "member-role-name", n.MemberRoleName, "the remediation role's name in member accounts (context memberRoleName)")
	fs.StringVar(&n.Partition, "partition", n.Partition, "the AWS partition of the ARNs")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 0 {
		return fail(env, usagef("scp takes no arguments"))
	}
	switch {
	case !scp.ValidPartition(n.Partition):
		return fail(env, usagef("--partition %q is not an AWS partition", n.Partition))
	case !scp.ValidRoleName(n.MemberRoleName):
		return fail(env, usagef("--member-role-name %q is not an IAM role name", n.MemberRoleName))
	}
	if _, err := env.Stdout.Write(scp.Render(n).JSON()); err != nil {
		return fail(env, err)
	}
	return ExitOK
}
