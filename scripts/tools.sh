#!/usr/bin/env bash
# Installs what the build and the tests need, idempotently:
#   - Debian packages (services, browser, linters) through apt;
#   - pinned Go tools built with `go install` into $GAMEDAY_CACHE/tools/<name>/<version>/
#     and linked from $GAMEDAY_CACHE/bin. A version already built is never rebuilt;
#   - pinned npm tools (mermaid-cli, for make check-docs): `npm ci` of the lock file in
#     scripts/<dir>/ into $GAMEDAY_CACHE/tools/<name>/<hash of the lock file>/.
#
# Usage: scripts/tools.sh            everything
#        scripts/tools.sh apt        Debian packages only
#        scripts/tools.sh check      what `make check` needs (linters, gosec)
#        scripts/tools.sh NAME...    only these Go tools (e.g. crane)
#
# Put "$GAMEDAY_CACHE/bin" on PATH to use the Go tools (the Makefile does).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Debian packages the tests and checks need.
APT_PACKAGES=(
	chromium chromium-driver # browser e2e (chromedp)
	mariadb-server           # MySQL store integration tests
	redis-server             # Redis cache integration tests
	shellcheck yamllint      # make check
	prometheus               # the sandbox's Prometheus, PromQL probe tests (2.42)
	stress-ng                # StressChaos on the sandbox
	prometheus-alertmanager  # amtool (0.25): check-config and routing tests of monitoring/alertmanager
	wrk                      # make bench: petbench's load generator (and its parser's test)
)

# The one place where Go tool versions are pinned: name, package, version.
# gosec is the slow one (~6 min, 2.4 GB cold); each is built once per version.
GO_TOOLS=(
	"actionlint github.com/rhysd/actionlint/cmd/actionlint v1.7.12"
	"crane github.com/google/go-containerregistry/cmd/crane v0.22.1"
	"gosec github.com/securego/gosec/v2/cmd/gosec v2.30.0"
	"sloth github.com/slok/sloth/cmd/sloth v0.16.0" # the SLO rules' oracle in make check-slo
)

# npm tools: name and the folder of its package.json and package-lock.json.
NPM_TOOLS=(
	"mermaid-cli scripts/mermaid" # make check-docs renders the docs' Mermaid diagrams (~1 min, 500 MB cold)
)

install_npm_tools() {
	local want=("$@") entry name src found
	for entry in "${NPM_TOOLS[@]}"; do
		read -r name src <<<"$entry"
		if [ "${#want[@]}" -gt 0 ]; then
			found=0
			for w in "${want[@]}"; do [ "$w" = "$name" ] && found=1; done
			[ "$found" -eq 1 ] || continue
		fi
		npm_tool "$name" "$GAMEDAY_ROOT/$src" >/dev/null
	done
}

install_go_tools() {
	local want=("$@") entry name pkg version found
	for entry in "${GO_TOOLS[@]}"; do
		read -r name pkg version <<<"$entry"
		if [ "${#want[@]}" -gt 0 ]; then
			found=0
			for w in "${want[@]}"; do [ "$w" = "$name" ] && found=1; done
			[ "$found" -eq 1 ] || continue
		fi
		go_tool "$name" "$pkg" "$version" >/dev/null
	done
}

known_tool() {
	local entry
	for entry in "${GO_TOOLS[@]}" "${NPM_TOOLS[@]}"; do
		[ "${entry%% *}" = "$1" ] && return 0
	done
	return 1
}

main() {
	command -v go >/dev/null || die "go is not on PATH (Go 1.26 is a prerequisite)"
	case "${1:-all}" in
	all)
		ensure_apt "${APT_PACKAGES[@]}"
		install_go_tools
		install_npm_tools
		;;
	apt)
		ensure_apt "${APT_PACKAGES[@]}"
		;;
	check)
		ensure_apt shellcheck yamllint
		install_go_tools actionlint gosec
		;;
	*)
		local t
		for t in "$@"; do known_tool "$t" || die "unknown tool $t"; done
		install_go_tools "$@"
		install_npm_tools "$@"
		;;
	esac
	log "tools ready in $GAMEDAY_BIN"
}

main "$@"
