#!/usr/bin/env bash
# Tests of the shell that decides what `make test` and `make check` run
# (`make check-scripts`): a Go module whose package list go cannot read (an
# import cycle, a bad package clause, a broken go.mod) or that has no package
# must fail go_tests (make test's go test steps), vet.sh (make check-vet) and
# go_packages, naming the module and showing go list's error; a sound module
# passes and its tests really run. Builds small modules in a temporary folder
# (a few seconds, no network).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export GOWORK=off GOFLAGS=-mod=mod
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# module NAME FILE=CONTENT...: a module example.com/NAME in $tmp/NAME.
module() {
	local name="$1" kv
	shift
	mkdir -p "$tmp/$name"
	printf 'module example.com/%s\n\ngo 1.22\n' "$name" >"$tmp/$name/go.mod"
	for kv in "$@"; do
		mkdir -p "$(dirname "$tmp/$name/${kv%%=*}")"
		printf '%s\n' "${kv#*=}" >"$tmp/$name/${kv%%=*}"
	done
}

module sound 'a/a.go=package a
func Two() int { return 2 }' 'a/a_test.go=package a
import "testing"
func TestTwo(t *testing.T) { if Two() != 2 { t.Fatal("two") } }' 'b/b.go=package b' 'docs/README.md=not Go'
module failing 'a/a_test.go=package a
import "testing"
func TestFails(t *testing.T) { t.Fatal("this test fails on purpose") }'
module cycle 'a/a.go=package a
import _ "example.com/cycle/b"' 'b/b.go=package b
import _ "example.com/cycle/a"' 'c/c.go=package c'
module clause 'p/p.go=package p' 'p/x.go=package notp' 'q/q.go=package q'
module gomod 'a/a.go=package a'
printf 'require (\n' >>"$tmp/gomod/go.mod"
module empty

failures=0
# expect NAME WANT_RC CMD... : runs CMD in module NAME; checks its exit status
# (0 or "fail") and that its output holds every line of $want.
expect() {
	local name="$1" want_rc="$2" out rc=0 w
	shift 2
	out="$(cd "$tmp/$name" && "$@" 2>&1)" || rc=$?
	local ok=1
	case "$want_rc" in
	0) [ "$rc" -eq 0 ] || ok=0 ;;
	fail) [ "$rc" -ne 0 ] || ok=0 ;;
	esac
	while IFS= read -r w; do
		[ -z "$w" ] || grep -qF -- "$w" <<<"$out" || ok=0
	done <<<"$want"
	if [ "$ok" -eq 1 ]; then
		log "ok   $name: $* (exit $rc)"
	else
		warn "FAIL $name: $*: exit $rc, want $want_rc and output holding:"
		printf '    want: %s\n' "$want" >&2
		printf '    got:  %s\n' "${out//$'\n'/$'\n    got:  '}" >&2
		failures=$((failures + 1))
	fi
}

want=$'ok  \texample.com/sound/a\n?   \texample.com/sound/b'
expect sound 0 go_tests ""
want=$'ok  \texample.com/sound/a'
expect sound 0 go_tests "./a/..."
want=$'sound (example.com/sound): go list ./docs/... matched no package\nok  \texample.com/sound/a'
expect sound fail go_tests "./a/... ./docs/..."
want=$'sound (example.com/sound): go list ./nope/... failed\nno such file or directory'
expect sound fail go_tests "./nope/..."
want=$'this test fails on purpose\nFAIL\texample.com/failing/a'
expect failing fail go_tests ""

# make test's background compile: every test binary built, none run.
want=$'ok  \texample.com/failing/a'
compile_only() { GO_TEST_FLAGS='-run ^$ -exec /bin/true' go_tests "$@"; }
expect failing 0 compile_only ./...

want=$'cycle (example.com/cycle): go list ./... failed\nimport cycle not allowed'
expect cycle fail go_tests ""
expect cycle fail go_packages
expect cycle fail "$GAMEDAY_ROOT/scripts/vet.sh" "$tmp/cycle"
want=$'clause (example.com/clause): go list ./... failed\nfound packages p (p.go) and notp (x.go)'
expect clause fail go_tests ""
expect clause fail "$GAMEDAY_ROOT/scripts/vet.sh" "$tmp/clause"
want=$'gomod (example.com/gomod): go list ./... failed\nerrors parsing go.mod'
expect gomod fail go_tests ""
expect gomod fail "$GAMEDAY_ROOT/scripts/vet.sh" "$tmp/gomod"
want=$'empty (example.com/empty): go list ./... matched no package'
expect empty fail go_tests ""
expect empty fail "$GAMEDAY_ROOT/scripts/vet.sh" "$tmp/empty"
want=''
expect sound 0 "$GAMEDAY_ROOT/scripts/vet.sh" "$tmp/sound"

[ "$failures" -eq 0 ] || die "$failures case(s) failed"
log "all cases passed"
