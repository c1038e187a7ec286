#!/usr/bin/env bash
# `make check-platform`: the Helm charts and Argo CD manifests, checked by the
# real tools.
#
#   1. synced copies: helm/petclinic/files/prometheus-rules/ equals
#      monitoring/prometheus/rules/_gen/*.yml; helm/gameday/files/experiments/
#      equals experiments/{*.yaml,suites/*.yaml,schedules/*.yaml}; helm/gameday/files/rbac/
#      equals harness/deploy/rbac/*.yaml, helm/gameday/files/slo/ equals
#      slo/*.yaml, helm/gameday/files/cost/ holds monitoring/finops/budgets.yaml
#      and terraform/inventory.json (a chart cannot read outside itself);
#   2. helm lint --strict and render of every chart with each ci/*-values.yaml
#      (helm v3.22 as a library: helm/validate/cmd/platformcheck), the Chaos
#      Mesh and External Secrets charts (from their Go modules) rendered with
#      argocd/values/; Argo CD Applications point at paths of this repository
#      or pinned upstream charts, the ApplicationSets' generators yield dev,
#      staging and prod;
#   3. every rendered object, every Argo CD manifest and monitoring's
#      PrometheusRules created with server-side dry-run (dryRun=All, strict
#      field validation) on a real kube-apiserver 1.34 with the upstream CRDs
#      (scripts/envtest.sh).
#
# Usage: scripts/platform-check.sh        check
#        scripts/platform-check.sh fix    re-copy the synced files, then check
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GAMEDAY_ROOT"

mode="${1:-check}"
case "$mode" in check | fix) ;; *) die "usage: $0 [check|fix]" ;; esac

# SYNCS: destination folder, source folder, file pattern. A missing source
# folder means "nothing yet": the copy must then be empty too.
SYNCS=(
	"helm/petclinic/files/prometheus-rules monitoring/prometheus/rules/_gen *.yml"
	"helm/gameday/files/experiments experiments *.yaml"
	"helm/gameday/files/experiments/suites experiments/suites *.yaml"
	"helm/gameday/files/experiments/schedules experiments/schedules *.yaml"
	"helm/gameday/files/rbac harness/deploy/rbac *.yaml"
	"helm/gameday/files/slo slo *.yaml"
	"helm/gameday/files/cost monitoring/finops budgets.yaml"
	"helm/gameday/files/cost terraform inventory.json"
)

# files_in DIR PATTERN: the matching file names in DIR (not recursive), sorted.
files_in() {
	[ -d "$1" ] || return 0
	(cd "$1" && find . -maxdepth 1 -type f -name "$2" -printf '%f\n' | LC_ALL=C sort)
}

sync_check() {
	local entry dst src pat f stale=0
	for entry in "${SYNCS[@]}"; do
		read -r dst src pat <<<"$entry"
		if [ "$mode" = fix ]; then
			mkdir -p "$dst"
			while read -r f; do [ -z "$f" ] || rm -f "$dst/$f"; done < <(files_in "$dst" "$pat")
			while read -r f; do [ -z "$f" ] || cp "$src/$f" "$dst/$f"; done < <(files_in "$src" "$pat")
			log "sync: $dst <- $src/$pat ($(files_in "$dst" "$pat" | wc -l) files)"
			continue
		fi
		if ! diff <(files_in "$src" "$pat") <(files_in "$dst" "$pat") >/dev/null; then
			warn "sync: $dst and $src differ in files ($pat):"
			diff <(files_in "$src" "$pat") <(files_in "$dst" "$pat") | sed -n 's/^</  only in source:/p; s/^>/  only in copy:  /p' >&2
			stale=1
			continue
		fi
		while read -r f; do
			[ -n "$f" ] || continue
			if ! cmp -s "$src/$f" "$dst/$f"; then
				warn "sync: $dst/$f differs from $src/$f"
				stale=1
			fi
		done < <(files_in "$src" "$pat")
	done
	[ "$stale" = 0 ] || die "synced copies are stale: run scripts/platform-check.sh fix (and commit the copies)"
	log "sync: $(printf '%s\n' "${SYNCS[@]}" | wc -l) copies equal their sources"
}

sync_check

eval "$("$GAMEDAY_ROOT/scripts/envtest.sh")"
start=$SECONDS
(cd helm/validate && go run ./cmd/platformcheck -root ../..)
log "platform check passed in $((SECONDS - start))s"
