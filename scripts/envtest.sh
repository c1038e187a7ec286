#!/usr/bin/env bash
# A real Kubernetes API server for the tests, without a cluster: etcd and
# kube-apiserver (built once into $GAMEDAY_CACHE by scripts/controlplane.sh,
# which also builds the rest of the test control plane) and the upstream CRDs
# (Chaos Mesh, prometheus-operator, External Secrets, Argo CD) from their Go
# modules on the module proxy. Nothing is hand-written.
#
# Usage: scripts/envtest.sh [env]   build what is missing, print export lines:
#          export KUBEBUILDER_ASSETS=<dir with kube-apiserver and etcd>
#          export GAMEDAY_CRDS=<dir with one folder of CRD YAML per source>
#        scripts/envtest.sh assets   only the binaries (and the CRDs)
#        scripts/envtest.sh crds     only the CRDs
#
# controller-runtime's envtest (sigs.k8s.io/controller-runtime/pkg/envtest)
# starts etcd and kube-apiserver from KUBEBUILDER_ASSETS in ~5 s. Like every
# service script, stdout carries only `export VAR=...` lines.
#
# Cold cost on 2 cores: kube-apiserver ~6 min (2.1 GB peak), etcd ~1 min,
# CRDs seconds, niced.
set -euo pipefail
cp="$(dirname "${BASH_SOURCE[0]}")/controlplane.sh"
case "${1:-env}" in
env) exec "$cp" envtest ;;
assets) "$cp" envtest >/dev/null ;;
crds) exec "$cp" crds ;;
*)
	echo "usage: $0 [env|assets|crds]" >&2
	exit 1
	;;
esac
