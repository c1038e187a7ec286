#!/usr/bin/env bash
# `make check-vet`: go vet of every package of the given Go modules (folders
# of the repository). A module whose package list go cannot read (an import
# cycle, a bad package clause, a broken go.mod) or that has no package fails,
# named, with go list's error: vet never passes having vetted nothing.
#
# Usage: scripts/vet.sh MODULE_DIR...   (relative to the repository or absolute,
#        e.g. petclinic harness helm/validate)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$#" -gt 0 ] || die "usage: scripts/vet.sh MODULE_DIR..."
rc=0
for m in "$@"; do
	(
		case "$m" in
		/*) cd "$m" ;;
		*) cd "$GAMEDAY_ROOT/$m" ;;
		esac || exit 1
		pkgs="$(go_packages)" || exit 1
		# shellcheck disable=SC2086 # one package path per word
		go vet $pkgs || {
			printf '%s ERROR %s\n' "[$(basename "$0")]" "$(go_module): go vet found problems" >&2
			exit 1
		}
	) || rc=1
done
exit "$rc"
