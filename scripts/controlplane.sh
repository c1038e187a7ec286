#!/usr/bin/env bash
# The Kubernetes servers the tests run, without a cluster: builds them once
# into $GAMEDAY_CACHE from pinned modules of the Go module proxy, and collects
# the upstream CRDs (Chaos Mesh, prometheus-operator, External Secrets, Argo
# CD) from their Go modules. Nothing is hand-written.
#
# Usage: scripts/controlplane.sh [env]   everything; prints export lines:
#          export KUBEBUILDER_ASSETS=<dir with kube-apiserver and etcd>
#          export GAMEDAY_CRDS=<dir with one folder of CRD YAML per source>
#          export GAMEDAY_CONTROLPLANE=<dir with etcd, kube-apiserver,
#            kube-controller-manager, kube-scheduler, kwok,
#            chaos-controller-manager, kwok-stages/ and the Chaos Mesh
#            chart's values (its webhooks)>
#        scripts/controlplane.sh envtest  only what envtest needs (etcd,
#          kube-apiserver, CRDs); prints the first two lines
#        scripts/controlplane.sh etcd|kubernetes|kwok|chaos-mesh|crds
#          build one part
#
# KUBEBUILDER_ASSETS is controller-runtime's envtest (API server and etcd
# only, ~5 s to start); GAMEDAY_CONTROLPLANE is the whole control plane that
# harness/internal/kube/kubetest starts: etcd, kube-apiserver (RBAC),
# kube-controller-manager, kube-scheduler, kwok (simulated nodes and pods) and
# the real Chaos Mesh controller. Both share the one kube-apiserver build.
# Like every service script, stdout carries only `export VAR=...` lines.
#
# Cold cost (every build niced, so it yields to tests running beside it),
# measured with an empty Go build cache on 2 cores at load average 10-17:
# etcd 100 s, kube-apiserver 435 s, controller-gen 268 s (Chaos Mesh's
# CRDs), kube-controller-manager and kube-scheduler 280 s (sharing the
# apiserver's compiled packages), kwok 337 s, chaos-controller-manager 538 s
# (3.5 GB peak): 32.7 min of wall time, 852 s of CPU. Warm: seconds.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KUBE_VERSION=1.35.4
ETCD_VERSION=3.6.16
KWOK_VERSION=v0.8.0
# Chaos Mesh serves only master pseudo-versions on the proxy (its v2.x tags
# are refused); its api module is required at the version the harness uses.
CHAOS_MESH_VERSION=v0.9.1-0.20260902003049-47411975a8cb
CHAOS_MESH_API_VERSION=v0.0.0-20260906172039-d70b66ad97ac

CONTROLLER_GEN_VERSION=v0.23.0

# Upstream CRD sources: folder, module@version, files inside the module.
# Chaos Mesh's are generated (chaos_mesh_crds), not listed here.
CRD_SOURCES=(
	"prometheus-operator github.com/prometheus-operator/prometheus-operator@v0.85.0 example/prometheus-operator-crd/*.yaml"
	"external-secrets github.com/external-secrets/external-secrets@v1.3.2 deploy/crds/bundle.yaml"
	"argo-cd github.com/argoproj/argo-cd/v3@v3.3.0 manifests/crds/*-crd.yaml"
)

TOOLS="$GAMEDAY_CACHE/tools"
ETCD_DIR="$TOOLS/etcd/v$ETCD_VERSION"
KUBE_DIR="$TOOLS/kubernetes/v$KUBE_VERSION"
KWOK_DIR="$TOOLS/kwok/$KWOK_VERSION"
CHAOS_DIR="$TOOLS/chaos-mesh/$CHAOS_MESH_VERSION"
ASSETS="$TOOLS/envtest/k8s-$KUBE_VERSION-etcd-$ETCD_VERSION"
CONTROLPLANE="$TOOLS/controlplane/k8s-$KUBE_VERSION-kwok-$KWOK_VERSION-chaos-mesh-${CHAOS_MESH_VERSION##*-}"
CRDS="$GAMEDAY_CACHE/crds"

# The 31 staging repositories of k8s.io/kubernetes; each needs a replace
# line, since k8s.io/kubernetes requires them at v0.0.0.
STAGING=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
	cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
	cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms
	kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
	mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller)

# module_dir MODULE@VERSION prints the module's folder in the module cache,
# downloading it first.
module_dir() {
	local dir
	dir="$(cd / && GOWORK=off GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
	[ -d "$dir" ] || die "go mod download $1: no module directory"
	printf '%s\n' "$dir"
}

# build_in DIR GOMOD_TEXT OUT LDFLAGS PKG...: builds PKG (one, into the file
# OUT; several, into the folder OUT) from a throwaway module, niced.
build_in() {
	local dir="$1" gomod="$2" out="$3" ldflags="$4"
	shift 4
	rm -rf "$dir" && mkdir -p "$dir"
	printf '%s\n' "$gomod" >"$dir/go.mod"
	{
		printf 'package tools\n\nimport (\n'
		printf '\t_ "%s"\n' "$@"
		printf ')\n'
	} >"$dir/tools.go"
	(
		cd "$dir"
		export GOWORK=off GOFLAGS=-mod=mod
		nice -n 10 go mod tidy >&2
		nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$out" "$@" >&2
	)
}

# built DIR NAME...: whether every NAME is an executable in DIR.
built() {
	local dir="$1" n
	shift
	for n in "$@"; do
		[ -x "$dir/$n" ] || return 1
	done
}

build_etcd() {
	if built "$ETCD_DIR" etcd; then
		log "etcd $ETCD_VERSION cached"
		return 0
	fi
	log "building etcd $ETCD_VERSION (~1 min cold)"
	local start=$SECONDS
	mkdir -p "$ETCD_DIR"
	build_in "$ETCD_DIR.src" "module gamedayetcd

go 1.26

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
" "$ETCD_DIR/etcd.tmp" "" go.etcd.io/etcd/server/v3
	mv "$ETCD_DIR/etcd.tmp" "$ETCD_DIR/etcd"
	rm -rf "$ETCD_DIR.src"
	log "built etcd in $((SECONDS - start))s"
}

kube_gomod() {
	local gomod s
	gomod="module gamedaykube

go 1.26

godebug default=go1.25

require k8s.io/kubernetes v$KUBE_VERSION
"
	for s in "${STAGING[@]}"; do
		gomod+="replace k8s.io/$s => k8s.io/$s v0.${KUBE_VERSION#*.}
"
	done
	printf '%s' "$gomod"
}

# build_kube NAME...: the Kubernetes servers NAME (kube-apiserver, ...),
# built together, with the version stamped in as the release does.
build_kube() {
	local missing=() n minor ldflags start=$SECONDS
	for n in "$@"; do
		built "$KUBE_DIR" "$n" || missing+=("$n")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		log "kubernetes $KUBE_VERSION cached: $*"
		return 0
	fi
	log "building kubernetes $KUBE_VERSION: ${missing[*]} (~6 min cold for the apiserver, ~3 min for the other two)"
	minor="${KUBE_VERSION#*.}"
	minor="${minor%%.*}"
	ldflags="-X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
	mkdir -p "$KUBE_DIR"
	local pkgs=() out="$KUBE_DIR/.tmp"
	for n in "${missing[@]}"; do
		pkgs+=("k8s.io/kubernetes/cmd/$n")
	done
	rm -rf "$out" && mkdir -p "$out"
	build_in "$KUBE_DIR.src" "$(kube_gomod)" "$out/" "$ldflags" "${pkgs[@]}"
	for n in "${missing[@]}"; do
		mv "$out/$n" "$KUBE_DIR/$n"
	done
	rm -rf "$out" "$KUBE_DIR.src"
	log "built ${missing[*]} in $((SECONDS - start))s"
}

# build_kwok: kwok and the Stage documents of its module (node initialize
# and heartbeat, pod ready/complete/delete) beside it.
build_kwok() {
	local bin src
	bin="$(go_tool kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION")"
	[ "$bin" = "$KWOK_DIR/kwok" ] || die "kwok built at $bin, expected $KWOK_DIR/kwok"
	if [ -d "$KWOK_DIR/stages" ]; then
		return 0
	fi
	src="$(module_dir "sigs.k8s.io/kwok@$KWOK_VERSION")/kustomize/stage"
	rm -rf "$KWOK_DIR/stages.tmp" && mkdir -p "$KWOK_DIR/stages.tmp"
	local d f
	for d in node/fast node/heartbeat-with-lease pod/fast pod/general; do
		mkdir -p "$KWOK_DIR/stages.tmp/$d"
		for f in "$src/$d"/*.yaml; do
			[ "$(basename "$f")" = kustomization.yaml ] && continue
			cp "$f" "$KWOK_DIR/stages.tmp/$d/" && chmod 0644 "$KWOK_DIR/stages.tmp/$d/$(basename "$f")"
		done
	done
	mv "$KWOK_DIR/stages.tmp" "$KWOK_DIR/stages"
	log "kwok $KWOK_VERSION stages from its module: $(cd "$KWOK_DIR/stages" && find . -name '*.yaml' | sort | tr '\n' ' ')"
}

# build_chaos_mesh: the real chaos-controller-manager, through a tools module
# that requires Chaos Mesh and copies its replace lines (k8s.io/* at the
# versions it tests with, runtime-spec), its ./api replaced by the served api
# module.
build_chaos_mesh() {
	if [ ! -f "$CHAOS_DIR/chart-values.yaml" ]; then
		# The chart's values say which admission webhooks it registers;
		# kubetest registers the same.
		mkdir -p "$CHAOS_DIR"
		cp "$(module_dir "github.com/chaos-mesh/chaos-mesh@$CHAOS_MESH_VERSION")/helm/chaos-mesh/values.yaml" "$CHAOS_DIR/chart-values.yaml"
		chmod 0644 "$CHAOS_DIR/chart-values.yaml"
	fi
	if built "$CHAOS_DIR" chaos-controller-manager; then
		log "chaos-controller-manager $CHAOS_MESH_VERSION cached"
		return 0
	fi
	log "building chaos-controller-manager $CHAOS_MESH_VERSION (~7 min cold, 3.3 GB peak)"
	local start=$SECONDS src replaces gomod
	src="$(module_dir "github.com/chaos-mesh/chaos-mesh@$CHAOS_MESH_VERSION")"
	# Every replace of its go.mod (block or single line) but the local ./api.
	replaces="$(awk '
		/^replace \($/ { block = 1; next }
		block && /^\)$/ { block = 0; next }
		block { print "replace " $0; next }
		/^replace / { print }
	' "$src/go.mod" | sed 's/^replace[[:space:]]*/replace /' | grep -v '=> \./')"
	[ -n "$replaces" ] || die "$src/go.mod: no replace lines"
	gomod="module gamedaychaosmesh

go 1.26

require (
	github.com/chaos-mesh/chaos-mesh $CHAOS_MESH_VERSION
	github.com/chaos-mesh/chaos-mesh/api $CHAOS_MESH_API_VERSION
)

replace github.com/chaos-mesh/chaos-mesh/api => github.com/chaos-mesh/chaos-mesh/api $CHAOS_MESH_API_VERSION

$replaces
"
	mkdir -p "$CHAOS_DIR"
	build_in "$CHAOS_DIR.src" "$gomod" "$CHAOS_DIR/chaos-controller-manager.tmp" "" \
		github.com/chaos-mesh/chaos-mesh/cmd/chaos-controller-manager
	mv "$CHAOS_DIR/chaos-controller-manager.tmp" "$CHAOS_DIR/chaos-controller-manager"
	rm -rf "$CHAOS_DIR.src"
	log "built chaos-controller-manager in $((SECONDS - start))s"
}

# chaos_mesh_crds generates Chaos Mesh's CRDs from its api module, as its
# Makefile does (controller-gen crd:ignoreUnexportedFields=true,crdVersions=v1),
# into one crd.yaml: the controller is built with that api module (the only
# one the proxy serves), and the CRDs of the chaos-mesh module's
# manifests/crd.yaml lag it (fields the api defaults, such as NetworkChaos's
# partitionBehavior, would be pruned by the API server, and Chaos Mesh's own
# update webhook would then refuse every update of the object).
chaos_mesh_crds() {
	local dir="$CRDS/chaos-mesh" source cg src
	source="github.com/chaos-mesh/chaos-mesh/api@$CHAOS_MESH_API_VERSION controller-gen $CONTROLLER_GEN_VERSION"
	if [ -f "$dir/.source" ] && [ "$(cat "$dir/.source")" = "$source" ]; then
		return 0
	fi
	cg="$(go_tool controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen "$CONTROLLER_GEN_VERSION")"
	src="$(module_dir "github.com/chaos-mesh/chaos-mesh/api@$CHAOS_MESH_API_VERSION")"
	rm -rf "$dir.tmp" "$dir.src" && mkdir -p "$dir.tmp"
	cp -r "$src" "$dir.src" && chmod -R u+w "$dir.src"
	(cd "$dir.src" && GOWORK=off GOFLAGS=-mod=mod nice -n 10 "$cg" crd:ignoreUnexportedFields=true,crdVersions=v1 \
		paths=./... output:crd:artifacts:config="$dir.tmp/bases") >&2
	cat "$dir.tmp/bases"/*.yaml >"$dir.tmp/crd.yaml"
	rm -rf "$dir.tmp/bases" "$dir.src"
	printf '%s\n' "$source" >"$dir.tmp/.source"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
	log "crds: chaos-mesh generated from $source ($(grep -c '^kind: CustomResourceDefinition' "$dir/crd.yaml") CRDs)"
}

crds() {
	local entry name mod files dir src f n
	chaos_mesh_crds
	for entry in "${CRD_SOURCES[@]}"; do
		read -r name mod files <<<"$entry"
		dir="$CRDS/$name"
		if [ -f "$dir/.source" ] && [ "$(cat "$dir/.source")" = "$mod" ]; then
			continue
		fi
		src="$(module_dir "$mod")"
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

# link DIR TARGET...: DIR holds a symlink to each TARGET, by its base name.
link() {
	local dir="$1" t
	shift
	mkdir -p "$dir"
	for t in "$@"; do
		ln -sfn "$t" "$dir/$(basename "$t")"
	done
}

envtest() {
	command -v go >/dev/null || die "go is not on PATH (Go 1.26 is a prerequisite)"
	build_etcd
	build_kube kube-apiserver
	link "$ASSETS" "$ETCD_DIR/etcd" "$KUBE_DIR/kube-apiserver"
	crds
}

controlplane() {
	envtest
	build_kube kube-controller-manager kube-scheduler
	build_kwok
	build_chaos_mesh
	link "$CONTROLPLANE" "$ETCD_DIR/etcd" "$KUBE_DIR/kube-apiserver" "$KUBE_DIR/kube-controller-manager" \
		"$KUBE_DIR/kube-scheduler" "$KWOK_DIR/kwok" "$CHAOS_DIR/chaos-controller-manager"
	ln -sfn "$KWOK_DIR/stages" "$CONTROLPLANE/kwok-stages"
	ln -sfn "$CHAOS_DIR/chart-values.yaml" "$CONTROLPLANE/chaos-mesh-values.yaml"
}

case "${1:-env}" in
env)
	controlplane
	printf 'export KUBEBUILDER_ASSETS=%s\n' "$ASSETS"
	printf 'export GAMEDAY_CRDS=%s\n' "$CRDS"
	printf 'export GAMEDAY_CONTROLPLANE=%s\n' "$CONTROLPLANE"
	;;
envtest)
	envtest
	printf 'export KUBEBUILDER_ASSETS=%s\n' "$ASSETS"
	printf 'export GAMEDAY_CRDS=%s\n' "$CRDS"
	;;
etcd) build_etcd ;;
kubernetes) build_kube kube-apiserver kube-controller-manager kube-scheduler ;;
kwok) build_kwok ;;
chaos-mesh) build_chaos_mesh ;;
crds) crds ;;
*) die "usage: $0 [env|envtest|etcd|kubernetes|kwok|chaos-mesh|crds]" ;;
esac
