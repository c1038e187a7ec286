# shellcheck shell=bash
# Shared shell for the gameday scripts. Source it; do not run it.
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Everything a script prints for humans goes to stderr so that stdout stays
# machine-readable (service scripts print `export VAR=...` lines there).

# Built tools, downloaded data and service state live outside the repository so
# that a clean clone stays clean and CI can cache one directory.
GAMEDAY_CACHE="${GAMEDAY_CACHE:-$HOME/.cache/gameday}"
export GAMEDAY_CACHE
GAMEDAY_BIN="$GAMEDAY_CACHE/bin"
export GAMEDAY_BIN

GAMEDAY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GAMEDAY_ROOT

log() { printf '%s %s\n' "[$(basename "$0")]" "$*" >&2; }
warn() { printf '%s WARN %s\n' "[$(basename "$0")]" "$*" >&2; }
die() {
	printf '%s ERROR %s\n' "[$(basename "$0")]" "$*" >&2
	exit 1
}

# as_root runs a command as root: directly when we are root (CI image, this
# machine), through sudo otherwise (a developer laptop).
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root for: $*"
	fi
}

# apt_installed reports whether a Debian package is fully installed.
apt_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# ensure_apt installs the given Debian packages that are missing, without
# prompts. `apt-get update` runs at most once per run: the flag is exported so
# that scripts started from this one do not repeat it.
ensure_apt() {
	local missing=() pkg
	for pkg in "$@"; do
		apt_installed "$pkg" || missing+=("$pkg")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		log "apt: already installed: $*"
		return 0
	fi
	if [ "${GAMEDAY_APT_UPDATED:-}" != 1 ]; then
		log "apt: apt-get update"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
		GAMEDAY_APT_UPDATED=1
		export GAMEDAY_APT_UPDATED
	fi
	log "apt: installing ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# wait_for polls a command until it succeeds or the timeout (seconds) passes.
wait_for() {
	local timeout="$1" deadline
	shift
	deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# go_tool NAME PACKAGE VERSION [ENV=VALUE...] builds a pinned Go tool once
# into $GAMEDAY_CACHE/tools/NAME/VERSION/ (a version already built is never
# rebuilt), links it from $GAMEDAY_BIN and prints its path. The build runs
# outside the workspace, so that a tool's dependencies never meet ours, and
# niced, so that it yields to tests running beside it.
go_tool() {
	local name="$1" pkg="$2" version="$3"
	shift 3
	local dir="$GAMEDAY_CACHE/tools/$name/$version"
	if [ -x "$dir/$name" ]; then
		log "go: $name $version cached"
	else
		log "go: building $name $version (go install $pkg@$version)"
		local start=$SECONDS
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		(cd / && env GOWORK=off "$@" GOBIN="$dir.tmp" nice -n 10 go install "$pkg@$version") >&2
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
		log "go: built $name $version in $((SECONDS - start))s"
	fi
	mkdir -p "$GAMEDAY_BIN"
	ln -sfn "$dir/$name" "$GAMEDAY_BIN/$name"
	printf '%s\n' "$dir/$name"
}

# go_module names the Go module in the current directory for messages: its
# folder in the repository and the path its go.mod declares, e.g.
# `harness (github.com/gamedayhq/gameday/harness)`. Read with sed, not go, so
# that it works on a go.mod that go refuses.
go_module() {
	local dir="${PWD#"$GAMEDAY_ROOT"/}" path
	path="$(sed -n 's/^module[[:space:]]*//p' go.mod 2>/dev/null | head -1)"
	printf '%s (%s)\n' "$dir" "${path:-no module line in go.mod}"
}

# go_packages [PATTERN...] prints the import paths of the packages of the Go
# module in the current directory that match the patterns (default ./...).
# A `go list` that fails (an import cycle, a bad package clause, a go.mod go
# refuses) or that matches no package is an error naming the module, with go
# list's own message: a test or vet step must never pass having run nothing.
go_packages() {
	local out err rc=0
	err="$(mktemp)"
	out="$(go list "${@:-./...}" 2>"$err")" || rc=$?
	if [ "$rc" -ne 0 ]; then
		printf '%s ERROR %s\n' "[$(basename "$0")]" "$(go_module): go list ${*:-./...} failed (exit $rc):" >&2
		sed 's/^/    /' "$err" >&2
		rm -f "$err"
		return 1
	fi
	rm -f "$err"
	if [ -z "$out" ]; then
		printf '%s ERROR %s\n' "[$(basename "$0")]" "$(go_module): go list ${*:-./...} matched no package" >&2
		return 1
	fi
	printf '%s\n' "$out"
}

# go_tests RACE_PATTERNS runs every test of the Go module in the current
# directory: the packages matching the patterns (space-separated, e.g.
# "./internal/app/... ./internal/cache") with -race, all others without it.
# A package list go cannot read, or a race pattern that matches no package,
# fails the step naming the module (go_packages); every package still runs.
# Env: GO_TEST_TIMEOUT (per test binary, default 10m); GO_TEST_FLAGS (more
# flags, e.g. "-run ^$ -exec /bin/true" compiles and links every test binary
# of both kinds without running one).
go_tests() {
	local all race=() p pkgs rc=0
	all="$(go_packages)" || return 1
	for p in $1; do
		pkgs="$(go_packages "$p")" || {
			rc=1
			continue
		}
		race+=("$pkgs")
	done
	local others="$all"
	if [ "${#race[@]}" -gt 0 ]; then
		others="$(comm -23 <(sort <<<"$all") <(printf '%s\n' "${race[@]}" | sort -u))"
		# shellcheck disable=SC2046,SC2086 # one package path or flag per word
		go test -race -count=1 -timeout "${GO_TEST_TIMEOUT:-10m}" ${GO_TEST_FLAGS:-} $(printf '%s\n' "${race[@]}" | sort -u) || rc=1
	fi
	if [ -n "$others" ]; then
		# shellcheck disable=SC2086 # one package path or flag per word
		go test -count=1 -timeout "${GO_TEST_TIMEOUT:-10m}" ${GO_TEST_FLAGS:-} $others || rc=1
	fi
	return "$rc"
}

# npm_tool NAME DIR installs the npm packages pinned by DIR/package.json and
# DIR/package-lock.json once into $GAMEDAY_CACHE/tools/NAME/<hash of the
# lock file>/ (`npm ci`: exactly the lock file; browsers are never
# downloaded, Debian's Chromium is used) and prints that folder. Node and npm
# come from Debian when missing.
npm_tool() {
	local name="$1" src="$2"
	command -v npm >/dev/null 2>&1 || ensure_apt nodejs npm
	local hash
	hash="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-16)"
	local dir="$GAMEDAY_CACHE/tools/$name/$hash"
	if [ -d "$dir/node_modules" ]; then
		log "npm: $name $hash cached"
	else
		log "npm: installing $name ($src/package-lock.json) into $dir"
		local start=$SECONDS
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		cp "$src/package.json" "$src/package-lock.json" "$dir.tmp/"
		(cd "$dir.tmp" && PUPPETEER_SKIP_DOWNLOAD=1 nice -n 10 npm ci --no-audit --no-fund --loglevel=error) >&2
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
		log "npm: installed $name in $((SECONDS - start))s"
	fi
	printf '%s\n' "$dir"
}
