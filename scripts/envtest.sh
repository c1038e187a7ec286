#!/usr/bin/env bash
# A real Kubernetes API server for the tests, without a cluster: builds
# kube-apiserver and etcd once into $GAMEDAY_CACHE and collects the upstream
# CRDs (Chaos Mesh, prometheus-operator, External Secrets, Argo CD) from their
# Go modules on the module proxy. Nothing is hand-written.
#
# Usage: scripts/envtest.sh [env]   build what is missing, print export lines:
#          export KUBEBUILDER_ASSETS=<dir with kube-apiserver and etcd>
#          export GAMEDAY_CRDS=<dir with one folder of CRD YAML per source>
#        scripts/envtest.sh assets   only the binaries
#        scripts/envtest.sh crds     only the CRDs
#
# controller-runtime's envtest (sigs.k8s.io/controller-runtime/pkg/envtest)
# starts etcd and kube-apiserver from KUBEBUILDER_ASSETS in ~5 s. Like every
# service script, stdout carries only `export VAR=...` lines.
#
# Cold cost on 2 cores: kube-apiserver ~4 min (2.1 GB peak), etcd ~1 min,
# CRDs seconds. Both builds are niced so they yield to tests running beside.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KUBE_VERSION=1.34.4
ETCD_VERSION=3.6.16
# Upstream CRD sources: folder, module@version, files inside the module.
CRD_SOURCES=(
	"chaos-mesh github.com/chaos-mesh/chaos-mesh@v0.9.1-0.20260902003049-47411975a8cb manifests/crd.yaml"
	"prometheus-operator github.com/prometheus-operator/prometheus-operator@v0.85.0 example/prometheus-operator-crd/*.yaml"
	"external-secrets github.com/external-secrets/external-secrets@v1.3.2 deploy/crds/bundle.yaml"
	"argo-cd github.com/argoproj/argo-cd/v3@v3.3.0 manifests/crds/*-crd.yaml"
)

ASSETS="$GAMEDAY_CACHE/tools/envtest/k8s-$KUBE_VERSION-etcd-$ETCD_VERSION"
CRDS="$GAMEDAY_CACHE/crds"

# The 31 staging repositories of k8s.io/kubernetes; each needs a replace
# line, since k8s.io/kubernetes requires them at v0.0.0.
STAGING=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
	cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
	cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms
	kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
	mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller)

# build_in DIR GOMOD_TEXT OUT PKG [LDFLAGS]: builds PKG from a throwaway module.
build_in() {
	local dir="$1" gomod="$2" out="$3" pkg="$4" ldflags="${5:-}"
	rm -rf "$dir" && mkdir -p "$dir"
	printf '%s\n' "$gomod" >"$dir/go.mod"
	printf 'package tools\n\nimport _ "%s"\n' "$pkg" >"$dir/tools.go"
	(
		cd "$dir"
		export GOWORK=off GOFLAGS=-mod=mod
		nice -n 10 go mod tidy >&2
		nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$out" "$pkg" >&2
	)
}

build_kube_apiserver() {
	local out="$1" gomod s minor
	minor="${KUBE_VERSION#*.}"
	minor="${minor%%.*}"
	gomod="module envtesttools

go 1.26

godebug default=go1.24

require k8s.io/kubernetes v$KUBE_VERSION
"
	for s in "${STAGING[@]}"; do
		gomod+="replace k8s.io/$s => k8s.io/$s v0.${KUBE_VERSION#*.}
"
	done
	build_in "$ASSETS.src/kube" "$gomod" "$out" k8s.io/kubernetes/cmd/kube-apiserver \
		"-X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
}

build_etcd() {
	build_in "$ASSETS.src/etcd" "module envtestetcd

go 1.26

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
" "$1" go.etcd.io/etcd/server/v3
}

assets() {
	if [ -x "$ASSETS/kube-apiserver" ] && [ -x "$ASSETS/etcd" ]; then
		log "envtest: kube-apiserver $KUBE_VERSION and etcd $ETCD_VERSION cached"
		return 0
	fi
	command -v go >/dev/null || die "go is not on PATH (Go 1.26 is a prerequisite)"
	mkdir -p "$ASSETS"
	local start=$SECONDS
	if [ ! -x "$ASSETS/etcd" ]; then
		log "envtest: building etcd $ETCD_VERSION (~1 min cold)"
		build_etcd "$ASSETS/etcd.tmp" && mv "$ASSETS/etcd.tmp" "$ASSETS/etcd"
	fi
	if [ ! -x "$ASSETS/kube-apiserver" ]; then
		log "envtest: building kube-apiserver $KUBE_VERSION (~4 min cold, 2 GB)"
		build_kube_apiserver "$ASSETS/kube-apiserver.tmp" && mv "$ASSETS/kube-apiserver.tmp" "$ASSETS/kube-apiserver"
	fi
	rm -rf "$ASSETS.src"
	log "envtest: built in $((SECONDS - start))s"
}

crds() {
	local entry name mod files dir src f n
	for entry in "${CRD_SOURCES[@]}"; do
		read -r name mod files <<<"$entry"
		dir="$CRDS/$name"
		if [ -f "$dir/.source" ] && [ "$(cat "$dir/.source")" = "$mod" ]; then
			continue
		fi
		src="$(cd / && GOWORK=off GOFLAGS=-mod=mod go mod download -json "$mod" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
		[ -d "$src" ] || die "go mod download $mod: no module directory"
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		n=0
		# shellcheck disable=SC2086 # files is a glob pattern
		for f in $(cd "$src" && ls $files); do
			cp "$src/$f" "$dir.tmp/$(basename "$f")"
			chmod 0644 "$dir.tmp/$(basename "$f")"
			n=$((n + 1))
		done
		[ "$n" -gt 0 ] || die "$mod: no CRD files match $files"
		printf '%s\n' "$mod" >"$dir.tmp/.source"
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
		log "crds: $name from $mod ($n files)"
	done
}

case "${1:-env}" in
env)
	assets
	crds
	printf 'export KUBEBUILDER_ASSETS=%s\n' "$ASSETS"
	printf 'export GAMEDAY_CRDS=%s\n' "$CRDS"
	;;
assets) assets ;;
crds) crds ;;
*) die "usage: $0 [env|assets|crds]" ;;
esac
