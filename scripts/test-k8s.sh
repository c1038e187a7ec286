#!/usr/bin/env bash
# The Kubernetes engine's tests (harness/internal/kube) against a real etcd
# and kube-apiserver (controller-runtime envtest) with the upstream Chaos
# Mesh CRDs: rendering of every experiment, inject/observe/recover,
# abort/pause/delete, a SIGKILLed harness and cleanup, the shipped RBAC,
# preflight refusals, the kill switch, the load Job.
#
# Usage: scripts/test-k8s.sh [go test flags...]   (e.g. -run TestShippedRBAC -v)
#
# Cold: builds kube-apiserver and etcd once (~5 min, scripts/envtest.sh)
# and compiles the test binary (~4.5 min); warm: ~35 s on 2 cores (one API
# server, started in 5-13 s, shared by the package's parallel tests). CI=true makes the tests fail instead of skipping when
# the API server cannot start.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

eval "$("$GAMEDAY_ROOT/scripts/envtest.sh")"
export CI="${CI:-true}"
cd "$GAMEDAY_ROOT/harness"
start=$SECONDS
go test -count=1 "$@" ./internal/kube/...
log "kubernetes engine tests passed in $((SECONDS - start))s"
