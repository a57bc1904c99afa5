#!/usr/bin/env bash
# Mutation testing of the decision core with Gremlins (issue 18): one package at
# a time, every mutator type enabled. Prints, per package, test efficacy
# (killed / (killed + lived)) and mutator coverage ((killed + lived) / all), and
# the mutants that lived or are not covered; docs/mutation.md says
# why each one left is harmless. Not run by CI: about half an hour on 2 cores.
#
#   make mutation                        # every package below
#   .ci/mutation.sh pkg/policy pkg/report  # some of them
#
# GOFLAGS=-count=1: a cached coverage run takes ~0 s, and Gremlins derives each
# mutant's timeout from that time, so every mutant would "time out".
# The timeout coefficient covers compiling the mutated package on a loaded
# machine; at the default most mutants time out and the score means nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

GREMLINS_VERSION=v0.6.0
GREMLINS=${GREMLINS:-$(go env GOPATH)/bin/gremlins}
if ! [[ -x "$GREMLINS" ]] || ! go version -m "$GREMLINS" | grep -q "gremlins[[:space:]]*${GREMLINS_VERSION}"; then
	go install "github.com/go-gremlins/gremlins/cmd/gremlins@${GREMLINS_VERSION}"
fi
export GOFLAGS=-count=1
TIMEOUT_COEFFICIENT=${TIMEOUT_COEFFICIENT:-30}
NICE=${NICE:-15}

# Smallest first: a quick signal before the long ones.
packages=("$@")
if [[ ${#packages[@]} -eq 0 ]]; then
	packages=(pkg/maintwindow pkg/paramgroup pkg/policy pkg/config pkg/rdsevent pkg/notify pkg/report pkg/plan)
fi

# MUTATION_LOGS=dir keeps each package's full Gremlins output.
if [[ -n "${MUTATION_LOGS:-}" ]]; then
	out=$MUTATION_LOGS
	mkdir -p "$out"
else
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi
summary=()
status=0
for pkg in "${packages[@]}"; do
	echo "--- $pkg"
	start=$(date +%s)
	log="$out/$(basename "$pkg").log"
	nice -n "$NICE" "$GREMLINS" unleash "./$pkg" \
		--timeout-coefficient "$TIMEOUT_COEFFICIENT" \
		--arithmetic-base --conditionals-boundary --conditionals-negation \
		--increment-decrement --invert-assignments --invert-bitwise \
		--invert-bwassign --invert-logical --invert-loopctrl \
		--invert-negatives --remove-self-assignments \
		>"$log" 2>&1 || status=1
	secs=$(($(date +%s) - start))
	grep -E '^ *(LIVED|NOT COVERED|TIMED OUT)' "$log" || true
	eff=$(sed -n 's/.*Test efficacy: *\([0-9.]*\)%.*/\1/p' "$log" | tail -1)
	cov=$(sed -n 's/.*Mutator coverage: *\([0-9.]*\)%.*/\1/p' "$log" | tail -1)
	counts=$(grep -E '^Killed:|^Timed out:' "$log" | tr '\n' ' ' || true)
	if [[ -z "$eff" || -z "$cov" ]]; then
		cat "$log"
		status=1
	fi
	summary+=("$(printf '%-18s efficacy %6s%%  mutator coverage %6s%%  %4ss  %s' "$pkg" "${eff:-?}" "${cov:-?}" "$secs" "$counts")")
done
echo "--- summary (timeout coefficient $TIMEOUT_COEFFICIENT)"
printf '%s\n' "${summary[@]}"
exit $status
