#!/usr/bin/env bash
# Makes PostgreSQL server binaries available for the wire probe tests
# (pkg/probe TestPostgresAgainstRealServer, pkg/cli TestProbeAgainstRealPostgres):
# internal/pgtest finds the newest /usr/lib/postgresql/*/bin and starts (and
# stops) its own throwaway cluster.
# This script only installs: it never starts a server. CI runs the tests with
# FORCESSL_REQUIRE_POSTGRES=1 so a missing server fails instead of skipping.
set -euo pipefail

find_initdb() {
	# Debian installs one directory per major version; take the newest.
	ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1
}

initdb=$(find_initdb || true)
if [[ -z "$initdb" ]]; then
	echo "--- no PostgreSQL server binaries found: installing Debian's postgresql package"
	sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		if ! command -v sudo >/dev/null; then
			echo "not root and no sudo: cannot install postgresql" >&2
			exit 1
		fi
		sudo=(sudo)
	fi
	# The package's postinst creates a "main" cluster and starts it. A
	# policy-rc.d that answers 101 ("action forbidden") keeps every service
	# down during the install; an existing one (Docker images ship one) is
	# left alone.
	policy=/usr/sbin/policy-rc.d
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# written by .ci/postgres.sh for the duration of an install\nexit 101\n' |
			"${sudo[@]}" tee "$policy" >/dev/null
		"${sudo[@]}" chmod 755 "$policy"
		trap '"${sudo[@]}" rm -f "$policy"' EXIT
	fi
	"${sudo[@]}" apt-get update
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
	initdb=$(find_initdb || true)
	if [[ -z "$initdb" ]]; then
		echo "postgresql is installed but there is no /usr/lib/postgresql/*/bin/initdb" >&2
		exit 1
	fi
fi

bin=$(dirname "$initdb")
echo "PostgreSQL server binaries in $bin: $("$bin/postgres" --version)"
