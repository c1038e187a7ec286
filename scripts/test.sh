#!/usr/bin/env bash
# `make test`: every test of the repository against real services, then the
# static checks. Installs what it needs, starts MariaDB and Redis through the
# service scripts, and stops those it started on the way out, also on failure
# or Ctrl-C.
#
# Env: PETCLINIC_RACE_PKGS, HARNESS_RACE_PKGS  packages tested with -race
#      GO_TEST_TIMEOUT  per-binary go test timeout (default 10m)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GAMEDAY_ROOT"

# Integration tests skip when their service variable is unset, except under
# CI where a skip would hide a broken setup: make test runs everything.
export CI="${CI:-true}"
export PATH="$GAMEDAY_BIN:$PATH"

# -race multiplies CPU time ~10x on code that runs SQLite: in PetClinic it is
# kept for the packages with real concurrency (server lifecycle and graceful
# shutdown, cache, telemetry, actuator). The harness runs whole with -race: its
# tests wait on clocks, processes and servers, not on the CPU (warm: 165 s of
# CPU with -race, 141 s without); race-compiling its Kubernetes, Prometheus and
# Helm dependencies costs ~320 s of CPU once, cold (README, "make test").
PETCLINIC_RACE_PKGS="${PETCLINIC_RACE_PKGS:-./internal/app/... ./internal/cache/... ./internal/telemetry/... ./internal/actuator/...}"
HARNESS_RACE_PKGS="${HARNESS_RACE_PKGS:-./...}"
GO_TEST_TIMEOUT="${GO_TEST_TIMEOUT:-10m}"

started=$SECONDS
step() { log "== $* (+$((SECONDS - started))s)"; }

step "tools"
# Debian packages now (the services and tests need them); the pinned Go tools
# (gosec alone ~6 min cold) build in the background, niced, while the tests
# run: make image and make check wait for them.
scripts/tools.sh apt
go_tools_log="$(mktemp)"
scripts/tools.sh actionlint crane gosec sloth mermaid-cli >"$go_tools_log" 2>&1 &
go_tools_pid=$!

services=(scripts/services/mariadb.sh scripts/services/redis.sh)
# Leave things as we found them: stop what we started, not a service that was
# already running (a developer's, or another run's on a shared machine).
started_here=()
stop_services() {
	local rc=$? s
	for s in "${started_here[@]}"; do
		"$s" stop || warn "$s stop: exit $?"
	done
	exit "$rc"
}
trap stop_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The terraform check's tools (trivy alone takes ~13 min cold) build in the
# background, niced, while the tests run; make check waits for them.
tf_tools_log="$(mktemp)"
scripts/terraform-check.sh tools >"$tf_tools_log" 2>&1 &
tf_tools_pid=$!

# Cold caches: compile (and link) the test binaries of the harness and of
# helm/validate in the background while PetClinic's tests run, so that their
# Kubernetes, Prometheus and Helm dependencies are built in the idle time of
# those tests (`-exec true` runs none of them). Warm, this is a few seconds.
# The race set compiles with -race here too, as the go test step will want it.
precompile_log="$(mktemp)"
(
	renice -n 10 -p "$BASHPID" >/dev/null
	export GO_TEST_FLAGS='-run ^$ -exec /bin/true'
	(cd harness && go_tests "$HARNESS_RACE_PKGS") && (cd helm/validate && go_tests "")
) >"$precompile_log" 2>&1 &
precompile_pid=$!

# The Kubernetes servers (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kwok, Chaos Mesh's controller: ~20 min of CPU cold, cached
# after) build in the background too; the Kubernetes tests wait for them.
envtest_log="$(mktemp)"
scripts/controlplane.sh >"$envtest_log.env" 2>"$envtest_log" &
envtest_pid=$!

step "services"
for s in "${services[@]}"; do
	[ -x "$s" ] || die "$s is missing or not executable"
	if "$s" status >/dev/null 2>&1; then
		log "$s: already running, left running afterwards"
	else
		started_here+=("$s")
	fi
	env_lines="$("$s" start)" || die "$s start: exit $?"
	# The contract: start prints `export VAR=...` lines on stdout, nothing else.
	if grep -qv '^export [A-Z_][A-Z0-9_]*=' <<<"$env_lines"; then
		die "$s start printed something other than export lines: $env_lines"
	fi
	eval "$env_lines"
	log "$s: $(sed -E 's/(:\/\/[^:]*:)[^@]*@/\1***@/; s/^export ([A-Z_0-9]+)=.*/\1 set/' <<<"$env_lines" | tr '\n' ' ')"
done

failed=()
# run LABEL CMD...: one step; a failure is recorded and the next step runs.
run() {
	local label="$1"
	shift
	step "$label"
	"$@" || failed+=("$label")
}

# go_tests (lib.sh) runs a module's tests; a package list go cannot read (an
# import cycle, a bad package clause, a broken go.mod) or that comes back
# empty fails its step, naming the module.
run_in() { (cd "$1" && shift && "$@"); }

# The harness drives the real petclinic binary (sandbox replicas, journeys).
step "build petclinic for the harness"
scripts/build.sh bin/petclinic
export GAMEDAY_PETCLINIC_BIN="$GAMEDAY_ROOT/bin/petclinic"

run "go test petclinic (-race: $PETCLINIC_RACE_PKGS)" run_in petclinic go_tests "$PETCLINIC_RACE_PKGS"
step "waiting for the background compile of the harness and helm/validate tests"
# A compile error shows again (and fails) in the go test steps below.
wait "$precompile_pid" || log "background compile: exit $? (the go test steps below report it)"
step "waiting for the control plane's binaries (envtest, kwok, Chaos Mesh, upstream CRDs)"
if wait "$envtest_pid"; then
	eval "$(cat "$envtest_log.env")"
	log "control plane: KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS GAMEDAY_CRDS=$GAMEDAY_CRDS GAMEDAY_CONTROLPLANE=$GAMEDAY_CONTROLPLANE"
else
	cat "$envtest_log" >&2
	failed+=("control plane binaries")
fi
run "go test harness (-race: ${HARNESS_RACE_PKGS:-none})" run_in harness go_tests "$HARNESS_RACE_PKGS"
run "go test helm/validate" run_in helm/validate go_tests ""
# make check's scripts need not repeat Go tests that have just run.
export GAMEDAY_GO_TESTS_DONE=1
step "waiting for the pinned Go tools (actionlint, crane, gosec, sloth) and mermaid-cli"
if ! wait "$go_tools_pid"; then
	cat "$go_tools_log" >&2
	failed+=("go tools")
fi
# The image make image builds must stay valid (crane validate, binary runs).
run "make image" scripts/image.sh
step "waiting for the terraform check's tools"
if ! wait "$tf_tools_pid"; then
	cat "$tf_tools_log" >&2
	failed+=("terraform tools")
fi
run "make check" make --no-print-directory --keep-going check

step "done"
if [ "${#failed[@]}" -gt 0 ]; then
	log "FAILED: $(printf '[%s] ' "${failed[@]}")"
	exit 1
fi
log "all tests and checks passed in $((SECONDS - started))s"
