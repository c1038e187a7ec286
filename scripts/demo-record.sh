#!/usr/bin/env bash
# `make demo-record`: a demo anyone can watch, regenerated, never hand-edited.
# Records `make demo` and a short tour of the run history, the reports and the
# web UI as a terminal cast (asciicast v2, Debian's asciinema, headless: it
# gives the recorded commands a pseudo-terminal of its own), then takes
# screenshots of the web UI (`gameday serve`) and of the SLO and cost reports
# with headless Chromium, and writes them with a manifest (sha256 and size of
# every file, the commit, the machine's load) into docs/demo/. The files are
# replaced only when the game day held and every screenshot was taken; the
# test in harness/internal/docs checks them against the manifest.
#
# The sandbox and the reports live in out/demo-record/ (never the user's
# ~/.gameday or reports/), and the sandbox is brought down at the end, also
# on failure.
#
# Usage: scripts/demo-record.sh          record (about 3 minutes on an idle machine)
#        scripts/demo-record.sh tour     what the cast records (run by asciinema)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GAMEDAY_ROOT"

OUT=docs/demo
WORK=out/demo-record
COLS=110
ROWS=34
SHOT_WIDTH=1280
SHOT_HEIGHT=800
# The pages of the tour: file name, then path on the web UI or a report file.
SHOTS=(
	"01-runs.png /runs"
	"02-run.png /runs/{run}"
	"03-report.png /runs/{run}/report.html"
	"04-trends.png /trends/pod-kill"
	"05-schedules.png /schedules"
	"06-slo.png /slo"
	"07-cost-report.png file://{work}/cost.html"
)

export GAMEDAY_HOME="$GAMEDAY_ROOT/$WORK/home"
export REPORTS="$WORK/reports"
port_file="$WORK/serve.port"
pid_file="$WORK/serve.pid"

# shown CMD...: prints the command as typed at a prompt, then runs it.
shown() {
	printf '\033[1;32m$\033[0m %s\n' "$*"
	sleep 1
	"$@"
}

# tour is what the cast shows. It leaves `gameday serve` running (its pid in
# $pid_file) for the screenshots.
tour() {
	unset MAKELEVEL MAKEFLAGS MFLAGS # make demo as a user types it, not as a sub-make
	shown make demo
	local run
	run="$(latest_run)"
	echo
	shown bin/gameday history list --reports-dir "$REPORTS"
	echo
	shown bin/gameday history show --reports-dir "$REPORTS" "${run#*/}"
	echo
	shown bin/gameday slo report --format html --out "$WORK/slo.html"
	shown bin/gameday cost --window 15m --reports-dir "$REPORTS" --format html --out "$WORK/cost.html"
	echo
	local port
	port="$(free_port)"
	echo "$port" >"$port_file"
	printf '\033[1;32m$\033[0m %s\n' "bin/gameday serve --reports-dir $REPORTS --addr 127.0.0.1:$port --schedules experiments/schedules/sandbox.yaml &"
	setsid nohup bin/gameday serve --reports-dir "$REPORTS" --addr "127.0.0.1:$port" \
		--schedules experiments/schedules/sandbox.yaml >"$WORK/serve.log" 2>&1 </dev/null &
	echo $! >"$pid_file"
	wait_for 30 curl -fsS "http://127.0.0.1:$port/readyz" || die "gameday serve did not become ready: $(cat "$WORK/serve.log")"
	cat "$WORK/serve.log"
	shown curl -s "http://127.0.0.1:$port/runs.json?limit=1"
	printf 'the web UI: http://127.0.0.1:%s/runs (screenshots in %s/)\n' "$port" "$OUT"
}

# latest_run is <suite>/<run-id> of the newest report in $REPORTS.
latest_run() {
	local f
	f="$(find "$REPORTS" -name report.json -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2-)"
	[ -n "$f" ] || die "no report in $REPORTS"
	f="${f#"$REPORTS"/}"
	dirname "$f"
}

free_port() {
	/usr/bin/env python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# screenshot URL FILE: headless Chromium, a fresh profile, no network beyond
# loopback, a fixed window.
screenshot() {
	local url="$1" file="$2" profile
	profile="$(mktemp -d)"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" --window-size="$SHOT_WIDTH,$SHOT_HEIGHT" \
		--screenshot="$file" "$url" >/dev/null 2>&1 || true
	rm -rf "$profile"
	[ -s "$file" ] || die "no screenshot of $url"
}

cleanup() {
	local rc=$?
	if [ -f "$pid_file" ]; then
		kill "$(cat "$pid_file")" 2>/dev/null || true
		rm -f "$pid_file"
	fi
	if [ -x bin/gameday ]; then
		bin/gameday sandbox down >/dev/null 2>&1 || warn "sandbox down failed: bin/gameday sandbox down --sandbox-dir $GAMEDAY_HOME/sandbox"
	fi
	exit "$rc"
}

record() {
	ensure_apt asciinema chromium curl
	rm -rf "$WORK" && mkdir -p "$WORK/new"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	local load_start started=$SECONDS
	load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
	log "recording make demo and the tour into $WORK/new/demo.cast (load average $load_start on $(nproc) cores)"
	TERM=xterm-256color asciinema rec --overwrite --quiet --cols "$COLS" --rows "$ROWS" --idle-time-limit 3 \
		--title "gameday: make demo, the run history, the reports and the web UI" \
		--command "scripts/demo-record.sh tour" "$WORK/new/demo.cast" </dev/null
	# asciinema exits 0 whatever the command did: the cast must show the verdict.
	grep -q 'HELD (exit 0)' "$WORK/new/demo.cast" || die "the recorded game day did not hold: see $WORK/new/demo.cast (nothing replaced in $OUT)"
	[ -f "$pid_file" ] || die "the tour did not start gameday serve: see $WORK/new/demo.cast"

	local run port entry name target
	run="$(latest_run)"
	port="$(cat "$port_file")"
	for entry in "${SHOTS[@]}"; do
		read -r name target <<<"$entry"
		target="${target//\{run\}/$run}"
		target="${target//\{work\}/$GAMEDAY_ROOT/$WORK}"
		case "$target" in /*) target="http://127.0.0.1:$port$target" ;; esac
		log "screenshot $name: $target"
		screenshot "$target" "$WORK/new/$name"
	done
	local load_end
	load_end="$(cut -d' ' -f1-3 /proc/loadavg)"
	describe "$run" "$load_start" "$load_end" "$((SECONDS - started))"

	rm -rf "$OUT.tmp" && mv "$WORK/new" "$OUT.tmp"
	rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
	log "recorded in $((SECONDS - started))s: $OUT/ ($(du -sh "$OUT" | cut -f1)); load average $load_start at the start, $load_end at the end"
}

# describe RUN LOAD_START LOAD_END SECONDS writes manifest.json (what was
# recorded, when, on what machine, the sha256 and size of every file) and
# README.md (the page that shows them) into $WORK/new.
describe() {
	local dirty=false
	[ -z "$(git status --porcelain --untracked-files=no)" ] || dirty=true
	/usr/bin/env python3 - "$WORK/new" "$1" "$2" "$3" "$4" "$COLS" "$ROWS" "$SHOT_WIDTH" "$SHOT_HEIGHT" \
		"$(git rev-parse HEAD)" "$dirty" "$WORK" "${SHOTS[@]}" <<'EOF'
import datetime, hashlib, json, os, sys
d, run, l0, l1, secs, cols, rows, w, h, commit, dirty, work, *shots = sys.argv[1:]
files = {}
for name in sorted(os.listdir(d)):
    data = open(os.path.join(d, name), "rb").read()
    entry = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    if name.endswith(".png"):
        entry.update({"width": int(w), "height": int(h)})
    if name.endswith(".cast"):
        entry.update({"cols": int(cols), "rows": int(rows)})
    files[name] = entry
m = {
    "generatedBy": "make demo-record (scripts/demo-record.sh): do not edit, regenerate",
    "recordedAt": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "commit": commit, "dirty": dirty == "true", "run": run,
    "cores": os.cpu_count(), "loadAverageStart": l0, "loadAverageEnd": l1, "seconds": int(secs),
    "files": files,
}
with open(os.path.join(d, "manifest.json"), "w") as f:
    json.dump(m, f, indent=2)
    f.write("\n")
rows_md = []
for s in shots:
    name, target = s.split(" ", 1)
    target = target.replace("{run}", run).replace("file://{work}/", work + "/")
    rows_md.append(f"| [`{name}`]({name}) — `{target}` | ![{name}]({name}) |")
with open(os.path.join(d, "README.md"), "w") as f:
    f.write(f"""# The demo, recorded

**Generated by `make demo-record` (`scripts/demo-record.sh`): do not edit, regenerate.** The test
`TestDemoRecording` (`harness/internal/docs`) checks every file against `manifest.json`: the cast
parses as asciicast v2 and shows the verdict, each screenshot is a PNG of its size, and the sha256
of each file is the one recorded.

Recorded {m["recordedAt"]} at commit `{commit[:12]}`{" (with uncommitted changes)" if m["dirty"] else ""}, in {secs} s
on a machine of {m["cores"]} cores shared with other work: load average {l0} at the start, {l1} at the
end (the timings in the cast are that machine's).

## The terminal cast

[`demo.cast`](demo.cast) (asciicast v2, {cols}×{rows}; idle pauses cut to 3 s): `make demo` (build, the
sandbox up, the pod-kill game day with its live progress, the verdict), then `gameday history list`
and `history show` of the run, the SLO and cost reports written as HTML, and `gameday serve`. Watch
it in a terminal:

    asciinema play docs/demo/demo.cast

or in any asciicast player (asciinema-player, asciinema.org).

## The web UI and the reports

Headless Chromium, {w}×{h}, after the cast (`gameday serve` of the run's reports tree, with the
schedules of `experiments/schedules/sandbox.yaml`; the SLO page reads the sandbox's Prometheus).

| page | screenshot |
|---|---|
""" + "\n".join(rows_md) + "\n")
EOF
}

case "${1:-record}" in
record) record ;;
tour) tour ;;
*) die "usage: $0 [record|tour]" ;;
esac
