#!/usr/bin/env bash
# `make fuzz`: runs every fuzz target (`func Fuzz...`) of the three Go modules
# for FUZZTIME each, one after the other (the fuzzer uses every core). Not part
# of `make test`, which runs only the seed corpora (f.Add and
# testdata/fuzz/<Target>/) as ordinary tests.
#
# Usage: scripts/fuzz.sh [list|run|keep] [REGEXP]
#   list   print MODULE PACKAGE TARGET for every fuzz target (REGEXP filters targets)
#   run    fuzz each target for FUZZTIME (default)
#   keep   run, then copy the inputs the fuzzer kept for new coverage (Go's
#          fuzz cache) into the package's testdata/fuzz/<Target>/, so that
#          make test replays them; commit what it adds
#
# Env: FUZZTIME (default 30s per target), FUZZMINIMIZETIME (default 5s: Go's
#      60 s default lets the minimizing of one large new input, a Loki answer or
#      an experiment file, eat a whole 30 s run), FUZZ_KEEP_MAX (default 40: keep at
#      most that many inputs per target, the smallest first), FUZZFLAGS (more
#      go test flags, e.g. -parallel 1 on a shared machine).
#
# A target that fails writes its input to testdata/fuzz/<Target>/ (Go does):
# the run goes on with the next target, and ends with exit 1 naming them all.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GAMEDAY_ROOT"

FUZZTIME="${FUZZTIME:-30s}"
FUZZMINIMIZETIME="${FUZZMINIMIZETIME:-5s}"
FUZZ_KEEP_MAX="${FUZZ_KEEP_MAX:-40}"
FUZZFLAGS="${FUZZFLAGS:-}"
MODULES=(petclinic harness helm/validate)
mode="${1:-run}"
filter="${2:-.}"

# targets prints "MODULE PACKAGE TARGET" lines: go test -list (which builds
# the test binaries) of the packages whose tests declare a `func Fuzz`; it
# prints a package's target names, then its "ok <package>" line.
targets() {
	local m dirs pkgs line names=()
	for m in "${MODULES[@]}"; do
		(cd "$m" && go_packages >/dev/null) || return 1
		dirs="$(cd "$m" && grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r -n1 dirname | sort -u)"
		[ -n "$dirs" ] || continue
		# shellcheck disable=SC2086 # one folder per word
		pkgs="$(cd "$m" && go_packages $dirs)" || return 1
		# shellcheck disable=SC2086 # one package path per word
		(cd "$m" && go test -list '^Fuzz' $pkgs) | while IFS= read -r line; do
			case "$line" in
			Fuzz*) names+=("$line") ;;
			ok*)
				read -r _ pkg _ <<<"$line"
				for n in "${names[@]}"; do
					[[ "$n" =~ $filter ]] && printf '%s %s %s\n' "$m" "$pkg" "$n"
				done
				names=()
				;;
			"?"*) ;; # a package without tests
			*) die "go test -list in $m: $line" ;;
			esac
		done
	done
}

# keep MODULE PACKAGE TARGET copies the fuzz cache's inputs of TARGET that
# the seed corpus lacks (file names are hashes of the content), smallest
# first, up to FUZZ_KEEP_MAX in the corpus.
keep() {
	local m="$1" pkg="$2" target="$3" cache dir have f added=0
	cache="$(go env GOCACHE)/fuzz/$pkg/$target"
	[ -d "$cache" ] || return 0
	dir="$(cd "$m" && go list -f '{{.Dir}}' "$pkg")/testdata/fuzz/$target"
	mkdir -p "$dir"
	have="$(find "$dir" -type f | wc -l)"
	while IFS= read -r f; do
		[ "$have" -lt "$FUZZ_KEEP_MAX" ] || break
		[ -e "$dir/$(basename "$f")" ] && continue
		cp "$f" "$dir/"
		have=$((have + 1))
		added=$((added + 1))
	done < <(find "$cache" -type f -printf '%s %p\n' | sort -n | cut -d' ' -f2-)
	log "$target: kept $added new inputs ($have in ${dir#"$GAMEDAY_ROOT"/})"
}

list="$(targets)"
[ -n "$list" ] || die "no fuzz target matches $filter"
if [ "$mode" = list ]; then
	printf '%s\n' "$list"
	exit 0
fi
[ "$mode" = run ] || [ "$mode" = keep ] || die "usage: scripts/fuzz.sh [list|run|keep] [REGEXP]"

n="$(wc -l <<<"$list")"
log "$n fuzz targets, $FUZZTIME each"
start=$SECONDS
failed=()
i=0
while read -r m pkg target; do
	i=$((i + 1))
	log "[$i/$n] $target ($pkg) for $FUZZTIME"
	# shellcheck disable=SC2086 # flags, one per word
	if ! (cd "$m" && go test -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" $FUZZFLAGS "$pkg"); then
		failed+=("$target ($pkg)")
	fi
	[ "$mode" != keep ] || keep "$m" "$pkg" "$target"
done <<<"$list"

if [ "${#failed[@]}" -gt 0 ]; then
	die "fuzzing found failures (inputs in testdata/fuzz/<Target>/): $(printf '[%s] ' "${failed[@]}")"
fi
log "$n fuzz targets passed in $((SECONDS - start))s"
