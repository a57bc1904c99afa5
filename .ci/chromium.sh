#!/usr/bin/env bash
# Makes headless Chromium available for pkg/report's browser test
# (TestReportInChromium drives Debian's chromium with chromedp). Installs
# Debian's chromium package when no browser is on PATH. CI runs the tests
# with CI=true, so a missing browser fails the test instead of skipping it.
set -euo pipefail

find_chromium() {
	for name in chromium chromium-browser google-chrome google-chrome-stable; do
		command -v "$name" && return 0
	done
	return 1
}

if ! browser=$(find_chromium); then
	echo "--- no Chromium on PATH: installing Debian's chromium package"
	sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		if ! command -v sudo >/dev/null; then
			echo "not root and no sudo: cannot install chromium" >&2
			exit 1
		fi
		sudo=(sudo)
	fi
	"${sudo[@]}" apt-get update
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
	browser=$(find_chromium) || { echo "chromium is installed but not on PATH" >&2; exit 1; }
fi
echo "Chromium for the report's browser test: $browser ($("$browser" --version 2>/dev/null || echo 'version unknown'))"
