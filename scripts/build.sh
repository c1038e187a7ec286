#!/usr/bin/env bash
# Builds the static petclinic binary with its version, commit and build time
# stamped in, the same way for `make build`, `make run`, `make bench` and
# `make image` (the Dockerfile passes the same -X flags).
#
# Usage: scripts/build.sh OUTPUT
# Env:   VERSION, COMMIT, BUILD_TIME override what git and the clock say;
#        SOURCE_DATE_EPOCH, when set, fixes BUILD_TIME for reproducible builds.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out="${1:?usage: scripts/build.sh OUTPUT}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

cd "$GAMEDAY_ROOT"
version="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
commit="${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
if [ -n "${BUILD_TIME:-}" ]; then
	build_time="$BUILD_TIME"
elif [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	build_time="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
else
	build_time="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
fi

pkg=github.com/gamedayhq/gameday/petclinic/internal/app
ldflags="-s -w -X $pkg.version=$version -X $pkg.commit=$commit -X $pkg.buildTime=$build_time"

mkdir -p "$(dirname "$out")"
log "building $out ($version, $commit)"
cd petclinic
CGO_ENABLED=0 go build -trimpath -ldflags="$ldflags" -o "$out" ./cmd/petclinic
