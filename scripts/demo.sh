#!/usr/bin/env bash
# `make demo`: a local game day in one command. Installs what the sandbox
# needs, builds petclinic and gameday, brings the sandbox up (3 PetClinic
# replicas over three zones, a balancer, Redis, a real Prometheus), runs the
# pod-kill-under-load experiment (90 s) and prints the verdict and the path of
# the HTML report. The sandbox stays up for a look around; `make demo-down`
# (or `bin/gameday sandbox down`) removes it.
#
# Exit status: gameday's (0 held, 1 failed, 2 invalid, 3 infra, 4 aborted).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GAMEDAY_ROOT"

EXPERIMENT="${EXPERIMENT:-experiments/pod-kill.yaml}"
REPORTS="${REPORTS:-reports}"

log "1/4 packages the sandbox needs (prometheus, redis-server, stress-ng)"
ensure_apt prometheus redis-server stress-ng

log "2/4 build bin/petclinic and bin/gameday"
scripts/build.sh bin/petclinic
(cd harness && go build -trimpath -o ../bin/gameday ./cmd/gameday)
export GAMEDAY_PETCLINIC_BIN="$GAMEDAY_ROOT/bin/petclinic"

log "3/4 sandbox up"
bin/gameday sandbox up

log "4/4 game day: $EXPERIMENT"
rc=0
bin/gameday run --reports-dir "$REPORTS" "$EXPERIMENT" || rc=$?
report="$(find "$REPORTS" -name report.html -newer bin/gameday -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -1 | cut -d' ' -f2-)"
if [ -n "$report" ]; then
	log "HTML report: $GAMEDAY_ROOT/$report"
	# The run is in the history (the reports tree): browse it, its trend and
	# every later run in the web UI.
	run_dir="$(dirname "${report#"$REPORTS"/}")"
	log "browse the run: bin/gameday serve --reports-dir $REPORTS   then open http://127.0.0.1:8089/runs/$run_dir"
fi
log "the sandbox is still up: bin/gameday sandbox status | make demo-down"
exit "$rc"
