#!/usr/bin/env bash
# make check-docs: the docs hold to the code.
#   1. every Mermaid diagram of every Markdown file renders (mermaid-cli,
#      pinned by scripts/mermaid/package-lock.json, in Debian's Chromium);
#      a canary diagram with a syntax error must fail first;
#   2. every gameday command line of the docs resolves against the CLI's
#      real commands and flags, every local link resolves, the messages of
#      docs/troubleshooting.md are the harness's, and the demo recording in
#      docs/demo/ is well-formed (go test ./internal/docs of the harness; skipped when
#      GAMEDAY_GO_TESTS_DONE=1: make test has just run it).
#
# Usage: scripts/docs-check.sh [--out DIR]   (--out keeps the rendered SVGs)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GAMEDAY_ROOT"

out=()
if [ "${1:-}" = "--out" ]; then
	out=(--out "$2")
fi

ensure_apt chromium
mermaid="$(npm_tool mermaid-cli scripts/mermaid)"
ln -sfn "$mermaid/node_modules/.bin/mmdc" "$GAMEDAY_BIN/mmdc"
cp scripts/mermaid/render.mjs "$mermaid/render.mjs" # beside its node_modules

mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.md' | while read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done)
log "1/2 Mermaid diagrams of ${#files[@]} Markdown files (mermaid-cli, $(command -v chromium))"
CHROMIUM="$(command -v chromium)" node "$mermaid/render.mjs" "${out[@]}" "${files[@]}"

if [ "${GAMEDAY_GO_TESTS_DONE:-}" = 1 ]; then
	log "2/2 go test ./internal/docs: done by make test"
else
	log "2/2 go test ./internal/docs (command lines, links, troubleshooting messages, the demo recording)"
	(cd harness && go test -count=1 ./internal/docs)
fi
log "docs: all checks passed"
