#!/usr/bin/env bash
# Checks of the SLOs as code (issue 5), run by `make check-slo`:
#
#   1. the OpenSLO specs in slo/ are valid (gameday slo check: file:line:col: field: message)
#   2. regenerating into a temporary copy changes no committed file in
#      monitoring/prometheus/{rules/_gen,kubernetes/_gen,tests/slo}/ (else: run gameday slo generate)
#   3. promtool check rules of every generated rules file
#   4. promtool test rules of every generated test file (in parallel, one per core)
#   5. the Sloth oracle (TestSlothAgrees): Sloth v0.16.0's rules, generated from the
#      same indicators, agree with ours on every promtool scenario (Sloth is built once
#      into the tool cache by scripts/tools.sh, ~2.5 min cold)
#
# Usage: scripts/slo-check.sh          check, exit 1 on any finding
#        scripts/slo-check.sh fix      regenerate the files first (gameday slo generate)
#
# Needs promtool (apt: prometheus, installed by scripts/tools.sh) and Go. About 65 s of CPU
# (1.5 to 2.5 min wall on 2 cores shared with other work),
# most of it promtool simulating 3 days of clean history + the burst of each of the
# 60 burn-rate cases (5m samples, rules every 15m).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$GAMEDAY_ROOT"
command -v promtool >/dev/null 2>&1 || die "promtool not found: run scripts/tools.sh (apt-get install prometheus)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

log "build gameday"
(cd harness && go build -o "$tmp/gameday" ./cmd/gameday)

if [ "${1:-}" = fix ]; then
	"$tmp/gameday" slo generate --root .
fi

sloth="$(scripts/tools.sh sloth >/dev/null && readlink -f "$GAMEDAY_BIN/sloth")"

log "1/5 specs valid, generated files up to date"
# A copy of what generation reads and writes: the specs and the generated folders.
mkdir -p "$tmp/repo/monitoring/prometheus"
cp -r slo "$tmp/repo/slo"
for d in rules/_gen kubernetes/_gen tests/slo; do
	mkdir -p "$tmp/repo/monitoring/prometheus/$d"
	if [ -d "monitoring/prometheus/$d" ]; then
		cp -r "monitoring/prometheus/$d/." "$tmp/repo/monitoring/prometheus/$d/"
	fi
done
"$tmp/gameday" slo check --root . >&2 || {
	status=$?
	[ "$status" -eq 1 ] && die "generated files are stale: run gameday slo generate (or scripts/slo-check.sh fix) and commit"
	exit "$status"
}
"$tmp/gameday" slo generate --root "$tmp/repo" >/dev/null
for d in rules/_gen kubernetes/_gen tests/slo; do
	diff -ru "monitoring/prometheus/$d" "$tmp/repo/monitoring/prometheus/$d" >&2 ||
		die "regenerating changes monitoring/prometheus/$d: run gameday slo generate and commit"
done

log "2/5 promtool check rules"
promtool check rules monitoring/prometheus/rules/_gen/*.yml >/dev/null

log "3/5 promtool check of the PrometheusRules' groups"
for f in monitoring/prometheus/kubernetes/_gen/*.yml; do
	# The spec of a PrometheusRule is a rules file: check it as one.
	sed -n '/^spec:$/,$p' "$f" | sed '1d; s/^  //' >"$tmp/$(basename "$f")"
	promtool check rules "$tmp/$(basename "$f")" >/dev/null || die "$f: its groups are not valid rules"
done

log "4/5 promtool test rules"
start=$SECONDS
printf '%s\0' monitoring/prometheus/tests/slo/*_test.yml | xargs -0 -P "$(nproc)" -n 1 promtool test rules >"$tmp/promtool.log" 2>&1 || {
	cat "$tmp/promtool.log" >&2
	die "promtool test rules failed"
}
log "promtool: $(grep -c SUCCESS "$tmp/promtool.log") test files passed in $((SECONDS - start)) s"

log "5/5 the Sloth oracle (TestSlothAgrees, $sloth)"
start=$SECONDS
# -v: a skipped oracle must not pass for one that ran.
if ! (cd harness && GAMEDAY_SLOTH_BIN="$sloth" CI=true go test -count=1 -v -run '^TestSlothAgrees$' ./internal/slo) >"$tmp/sloth.log" 2>&1 ||
	! grep -q '^--- PASS: TestSlothAgrees' "$tmp/sloth.log" || grep -q -- '--- SKIP' "$tmp/sloth.log"; then
	cat "$tmp/sloth.log" >&2
	die "the Sloth oracle disagrees with our rules, or did not run"
fi
log "Sloth agrees on $(grep -c '^    --- PASS: TestSlothAgrees/' "$tmp/sloth.log") SLOs in $((SECONDS - start)) s"
log "SLO checks passed"
