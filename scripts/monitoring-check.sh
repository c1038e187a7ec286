#!/usr/bin/env bash
# make check-monitoring: checks monitoring/ with the real tools.
#   1. promtool check rules: every rule file under monitoring/prometheus/rules
#      (hand-written and _gen/), promtool test files excepted;
#   2. promtool test rules: every test file under monitoring/prometheus/tests,
#      recursively, except tests/slo/ (generated with the SLO rules: make
#      check-slo runs them, scripts/slo-check.sh); then `gameday cost check`:
#      the price catalog covers terraform's inventory and the generated FinOps
#      files (finops.yml, its test and PrometheusRule, OpenCost's prices) are
#      up to date with monitoring/finops/budgets.yaml;
#   3. amtool check-config of monitoring/alertmanager/alertmanager.yml, its
#      templates rendered, and the routing table below;
#   4. kubectl kustomize of the Grafana dashboards and the Alertmanager Secret;
#   5. the Go checks of harness/internal/dashboards: every dashboard query
#      parses with Prometheus' parser, the PrometheusRule objects are in sync
#      with the rule files, every runbook_url resolves, the runbook index is
#      up to date, the inhibitions hold in a real Alertmanager, the chart
#      values agree with each other and with terraform, and the Kubernetes
#      objects of monitoring/ pass a server-side dry run on a real
#      kube-apiserver with the upstream CRDs (envtest). (The test
#      against the sandbox's Prometheus under load, harness/internal/
#      dashboards/live, runs with the harness's tests, not here.) Under
#      make test, which has just run these packages with the harness's go
#      test (GAMEDAY_GO_TESTS_DONE=1), this step is not repeated.
#
# Usage: scripts/monitoring-check.sh
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$GAMEDAY_ROOT"
MON=monitoring
fail=0

ensure_apt prometheus prometheus-alertmanager
command -v promtool >/dev/null || die "promtool missing (apt package prometheus)"
command -v amtool >/dev/null || die "amtool missing (apt package prometheus-alertmanager)"

# is_promtool_test tells a promtool unit-test file from a rule file.
is_promtool_test() { grep -qE '^(tests|rule_files):' "$1"; }

log "1/5 promtool check rules"
rules=()
while IFS= read -r f; do
	is_promtool_test "$f" || rules+=("$f")
done < <(find "$MON/prometheus/rules" -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
[ "${#rules[@]}" -gt 0 ] || die "no rule file under $MON/prometheus/rules"
if ! promtool check rules "${rules[@]}" >/dev/null 2>"$GAMEDAY_CACHE/promtool-check.err"; then
	cat "$GAMEDAY_CACHE/promtool-check.err" >&2
	promtool check rules "${rules[@]}" >&2 || true
	fail=1
fi
log "    ${#rules[@]} rule files"

log "2/5 promtool test rules"
tests=()
while IFS= read -r f; do tests+=("$f"); done < <(find "$MON/prometheus/tests" -path "$MON/prometheus/tests/slo" -prune -o -type f \( -name '*.yml' -o -name '*.yaml' \) -print | sort)
[ "${#tests[@]}" -gt 0 ] || die "no promtool test under $MON/prometheus/tests"
for t in "${tests[@]}"; do
	# promtool resolves rule_files against the test file's directory.
	if out="$(cd "$(dirname "$t")" && promtool test rules "$(basename "$t")" 2>&1)"; then
		log "    ok   $t"
	else
		printf '%s\n' "$out" >&2
		log "    FAIL $t"
		fail=1
	fi
done
if out="$(cd harness && go run ./cmd/gameday cost check --root .. 2>&1)"; then
	log "    $out"
else
	printf '%s\n' "$out" >&2
	log "    FAIL gameday cost check"
	fail=1
fi

log "3/5 Alertmanager: amtool check-config, templates, routes"
am="$MON/alertmanager/alertmanager.yml"
if ! amtool check-config "$am" >/dev/null; then
	amtool check-config "$am" >&2 || true
	fail=1
fi
for tmpl in gameday.slack.title gameday.slack.text; do
	amtool template render --template.glob="$MON/alertmanager/*.tmpl" \
		--template.text="{{ template \"$tmpl\" . }}" >/dev/null 2>&1 ||
		{
			warn "template $tmpl does not render"
			fail=1
		}
done
# Routing table: labels of an alert → the receivers it reaches, in order.
routes=(
	"pager,slack-petclinic        alertname=PetClinicZoneDown severity=critical team=petclinic namespace=prod zone=eu-west-1a"
	"slack-petclinic-tickets      alertname=PetClinicReplicaDown severity=warning team=petclinic namespace=prod"
	"pager,slack-petclinic        alertname=PetclinicAPIAvailabilityBudgetBurn severity=page slo_service=petclinic slo_id=petclinic-api-availability"
	"slack-petclinic-tickets      alertname=PetclinicAPIAvailabilityBudgetBurn severity=ticket slo_service=petclinic slo_id=petclinic-api-availability"
	"pager,slack-platform         alertname=ProbeFailing severity=critical team=platform instance=https://petclinic.gameday.example.com/"
	"slack-platform               alertname=TLSCertificateExpiringSoon severity=warning team=platform"
	"slack-platform               alertname=GamedayFailed severity=warning team=platform experiment=pod-kill suite=k8s-preprod-gate target=kubernetes environment=staging"
	"deadmans-switch              alertname=Watchdog severity=none"
	"blackhole                    alertname=InfoInhibitor severity=none"
	"pager,slack-default          alertname=KubeAPIDown severity=critical"
	"slack-default                alertname=KubePodCrashLooping severity=warning namespace=kube-system"
	"blackhole                    alertname=KubeQuotaAlmostFull severity=info"
)
for r in "${routes[@]}"; do
	read -r want labels <<<"$r"
	# shellcheck disable=SC2086 # labels are words on purpose
	got="$(amtool config routes test --config.file="$am" $labels 2>/dev/null)"
	if [ "$got" = "$want" ]; then
		log "    ok   $labels → $got"
	else
		warn "route of {$labels}: got $got, want $want"
		fail=1
	fi
done

log "4/5 kubectl kustomize (dashboards ConfigMaps, Alertmanager Secret)"
if command -v kubectl >/dev/null; then
	for k in "$MON/grafana" "$MON/alertmanager"; do
		if n="$(kubectl kustomize "$k" | grep -c '^kind:')"; then
			log "    ok   $k: $n objects"
		else
			warn "kubectl kustomize $k failed"
			fail=1
		fi
	done
else
	warn "kubectl not on PATH: kustomizations not rendered"
fi

if [ "${GAMEDAY_GO_TESTS_DONE:-}" = 1 ]; then
	log "5/5 go test harness/internal/dashboards: ran with make test's go test of the harness (-count=1), not repeated"
	[ "$fail" -eq 0 ] || die "monitoring checks failed"
	log "monitoring: all checks passed"
	exit 0
fi
# The dry run needs a kube-apiserver and the upstream CRDs (built once into
# $GAMEDAY_CACHE by scripts/envtest.sh, ~5 min cold; seconds when cached).
if [ -z "${KUBEBUILDER_ASSETS:-}" ] || [ -z "${GAMEDAY_CRDS:-}" ]; then
	eval "$(scripts/envtest.sh)"
fi
log "5/5 go test harness/internal/dashboards (queries parse, PrometheusRule in sync, runbooks, inhibitions in a real Alertmanager, values cross-checked, server-side dry run)"
if ! (cd harness && go test -count=1 ./internal/dashboards ./internal/dashboards/promrule ./internal/dashboards/runbooks ./internal/dashboards/alertmanager ./internal/dashboards/values ./internal/dashboards/dryrun) >&2; then
	fail=1
fi

[ "$fail" -eq 0 ] || die "monitoring checks failed"
log "monitoring: all checks passed"
