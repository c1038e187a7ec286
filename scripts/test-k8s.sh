#!/usr/bin/env bash
# The Kubernetes engine's tests (harness/internal/kube and its kubetest
# control plane) against a real control plane on this machine: etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, kwok's simulated
# nodes in three zones and the real Chaos Mesh controller with the upstream
# CRDs and its admission webhooks (scripts/controlplane.sh builds them once).
#
# Usage: scripts/test-k8s.sh [go test flags...]   (e.g. -run TestShippedRBAC -v)
#
# Cold: builds the servers once (~20 min of CPU, scripts/controlplane.sh)
# and compiles the test binaries (~4.5 min). One control plane per test
# binary, shared by its tests. CI=true makes the tests fail instead of
# skipping when the control plane cannot start.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

eval "$("$GAMEDAY_ROOT/scripts/controlplane.sh")"
export CI="${CI:-true}"
cd "$GAMEDAY_ROOT/harness"
start=$SECONDS
go test -count=1 "$@" ./internal/kube/...
log "kubernetes engine tests passed in $((SECONDS - start))s"
