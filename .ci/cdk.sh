#!/usr/bin/env bash
# CDK checks for CI, run from .ci/run: unit tests of the CDK app, then a real
# offline synth with the pinned CLI (cdk-nag runs inside it; any unsuppressed
# finding fails the synth), then cfn-lint on every synthesized template.
# Needs: Go, Node + npm, cfn-lint. No AWS account, credentials or Docker.
set -euo pipefail
cd "$(dirname "$0")/.."

# jsii warns that Node 20 is end-of-life; silence exactly that banner.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
# Never talk to AWS from CI, even if the runner happens to have credentials.
export AWS_EC2_METADATA_DISABLED=true CDK_DISABLE_VERSION_CHECK=true

echo "--- infra: gofmt, vet, unit tests"
unformatted=$(gofmt -l infra)
if [[ -n "$unformatted" ]]; then
	echo "gofmt needed:" "$unformatted" >&2
	exit 1
fi
go vet ./infra/...
# An explicit, generous timeout: Go's default 10 minutes is the whole test
# binary's, and a cold build plus every synth on a loaded 2-core runner
# has run past it (issue 19).
go test -timeout 30m ./infra/...

echo "--- cdk synth (with cdk-nag AwsSolutions)"
npm ci --no-audit --no-fund
rm -rf cdk.out
# Exits non-zero on an error annotation (cdk-nag) or a failed validation;
# --strict makes warning annotations fail it too.
npx cdk synth --quiet --strict --no-notices
# The synth must also be clean with every optional feature switched on.
npx cdk synth --quiet --strict --no-notices --output cdk.out/full \
	-c mode=enforce -c reboot=immediate -c notifyEmails=ops@example.com \
	-c slackWorkspaceId=T0123ABCD -c slackChannelId=C0123ABCD \
	-c 'sweepSchedule=cron(0 3 * * ? *)' -c sweepConcurrency=4 -c sweepParallelism=8 \
	-c sweepRegions=eu-west-1,us-east-1 \
	-c tlsProfile=modern -c caWarn=60d -c ca=rds-ca-rsa2048-g1 -c noticeLead=48h -c securityHub=true
# Organization mode: central stack with bus, StackSet and the member
# template (synthesized as the nested assembly ForceSSLMember, whose
# template is what the StackSet embeds; cdk-nag findings on it fail the
# synth through the central stack), with Security Hub and a CA to apply
# (the member role's Security Hub statements, the tripwire without CA keys).
npx cdk synth --quiet --strict --no-notices --output cdk.out/org \
	-c orgId=o-abc123def4 -c targetOus=ou-ab12-cdef3456 -c regions=us-east-1,eu-west-1 \
	-c mode=enforce -c accounts=111111111111,222222222222 -c securityHub=true -c ca=rds-ca-rsa4096-g1
# Organization mode without an accounts allow-list, from a delegated
# administrator, targeting a root: the sweep lists the OUs' accounts.
npx cdk synth --quiet --strict --no-notices --output cdk.out/org-ous \
	-c orgId=o-abc123def4 -c targetOus=r-ab12,ou-ab12-cdef3456 -c regions=eu-west-1 \
	-c stackSetCallAs=DELEGATED_ADMIN

echo "--- cfn-lint"
shopt -s nullglob
templates=(cdk.out/*.template.json cdk.out/full/*.template.json cdk.out/org/*.template.json
	cdk.out/org/assembly-ForceSSLMember/*.template.json cdk.out/org-ous/*.template.json
	cdk.out/org-ous/assembly-ForceSSLMember/*.template.json)
if ((${#templates[@]} < 6)); then
	echo "no synthesized templates found" >&2
	exit 1
fi
if ! compgen -G 'cdk.out/org/assembly-ForceSSLMember/*.template.json' >/dev/null; then
	echo "member (StackSet) template not found" >&2
	exit 1
fi
# Errors and warnings both fail (exit codes 2 and 4); informational (8) does not.
cfn-lint --non-zero-exit-code warning -- "${templates[@]}"
echo "cdk: OK"
