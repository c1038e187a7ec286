#!/bin/sh
# Publishes the reports of a game day to git, beside the gameday container of
# the same pod (shareProcessNamespace: it sees gameday's process).
#
#   1. wait for the gameday process to start, then to end;
#   2. clone $GIT_REPO, copy /reports/<suite>/<run-id>/ under $GIT_PATH/, and
#      write a ConfigMap manifest per game-day run (run.yaml: report.json and
#      report.md) that the Argo CD `reports` Application syncs; a folder with
#      a report.html only (the SLO report: slo/latest/) is copied as is;
#   3. commit and push, rebasing on a concurrent push (3 attempts).
#
# Env: GIT_REPO (https URL), GIT_BRANCH, GIT_PATH, GIT_USERNAME, GIT_TOKEN,
# REPORTS (default /reports), WAIT_START (seconds, default 120),
# PROC (default /proc), WORK (default /work).
set -eu
REPORTS="${REPORTS:-/reports}"
PROC="${PROC:-/proc}"
WORK="${WORK:-/work}"
WAIT_START="${WAIT_START:-120}"
log() { echo "[publish] $*" >&2; }

# running: a live process named gameday (a zombie, state Z, has ended).
running() {
	for c in "$PROC"/[0-9]*/comm; do
		if [ ! -r "$c" ] || [ "$(cat "$c" 2>/dev/null)" != gameday ]; then continue; fi
		state=$(sed 's/^.*) //' "${c%/comm}/stat" 2>/dev/null | cut -c1)
		[ "$state" = Z ] || return 0
	done
	return 1
}

waited=0
until running; do
	if [ "$waited" -ge "$WAIT_START" ]; then
		log "gameday did not start within ${WAIT_START}s"
		break
	fi
	sleep 1
	waited=$((waited + 1))
done
while running; do sleep 2; done
log "gameday finished"

# One line per folder holding a report (report.json: a game day; report.html
# alone: the SLO report), as <folder>/report.json.
runs=$(find "$REPORTS" -mindepth 3 -maxdepth 3 \( -name report.json -o -name report.html \) 2>/dev/null |
	sed 's#/[^/]*$#/report.json#' | sort -u)
if [ -z "$runs" ]; then
	log "no report in $REPORTS: nothing to publish"
	exit 0
fi

url="$GIT_REPO"
if [ -n "${GIT_TOKEN:-}" ]; then
	# https://user:token@host/...; the token never reaches the log.
	url=$(printf '%s' "$GIT_REPO" | sed "s#^https://#https://${GIT_USERNAME:-git}:${GIT_TOKEN}@#")
fi
mkdir -p "$WORK"
export GIT_TERMINAL_PROMPT=0 HOME="$WORK"
git config --global user.name "gameday"
git config --global user.email "gameday@users.noreply.github.com"
git config --global --add safe.directory "$WORK/repo"
rm -rf "$WORK/repo"
git clone --quiet --depth 1 --branch "$GIT_BRANCH" "$url" "$WORK/repo" 2>&1 | sed "s#${GIT_TOKEN:-@@none@@}#***#g" >&2
[ -d "$WORK/repo/.git" ] || { log "clone of $GIT_REPO failed"; exit 1; }

# indent prefixes every line with four spaces (a YAML block scalar).
indent() { sed 's/^/    /'; }
for report in $runs; do
	dir=$(dirname "$report")
	run=$(basename "$dir")
	suite=$(basename "$(dirname "$dir")")
	dest="$WORK/repo/$GIT_PATH/$suite/$run"
	mkdir -p "$dest"
	cp -R "$dir/." "$dest/"
	if [ ! -f "$dir/report.json" ]; then
		log "report $suite/$run -> $GIT_PATH/$suite/$run (no report.json: no ConfigMap)"
		continue
	fi
	name=$(printf 'gameday-%s-%s' "$suite" "$run" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9\n-' '-' | cut -c1-63 | sed 's/-*$//')
	{
		printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  labels:\n' "$name"
		printf '    app.kubernetes.io/part-of: gameday\n    gameday.dev/report: "true"\n'
		printf '  annotations:\n    gameday.dev/suite: "%s"\n    gameday.dev/run-id: "%s"\ndata:\n' "$suite" "$run"
		printf '  report.json: |\n'
		indent <"$dir/report.json"
		echo
		if [ -f "$dir/report.md" ]; then
			printf '  report.md: |\n'
			indent <"$dir/report.md"
			echo
		fi
	} >"$dest/run.yaml"
	log "report $suite/$run -> $GIT_PATH/$suite/$run"
done

cd "$WORK/repo"
git add -A "$GIT_PATH"
if git diff --cached --quiet; then
	log "reports already published"
	exit 0
fi
git commit --quiet -m "reports: $(echo "$runs" | wc -l | tr -d ' ') report(s)"
i=1
while :; do
	if git push --quiet origin "HEAD:$GIT_BRANCH" 2>&1 | sed "s#${GIT_TOKEN:-@@none@@}#***#g" >&2 && [ "$(git rev-parse HEAD)" = "$(git ls-remote origin "refs/heads/$GIT_BRANCH" | cut -f1)" ]; then
		log "pushed $(git rev-parse --short HEAD) to $GIT_BRANCH"
		exit 0
	fi
	[ "$i" -lt 3 ] || { log "push failed 3 times"; exit 1; }
	i=$((i + 1))
	git pull --quiet --rebase origin "$GIT_BRANCH"
done
