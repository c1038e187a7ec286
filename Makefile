# gameday: a chaos/SRE harness around PetClinic. `make help` lists the targets.
#
# Nothing here relies on a tool installed by hand: scripts/tools.sh installs
# Debian packages with apt and builds pinned Go tools into $(GAMEDAY_CACHE)/bin.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

GAMEDAY_CACHE ?= $(HOME)/.cache/gameday
export GAMEDAY_CACHE
export PATH := $(GAMEDAY_CACHE)/bin:$(PATH)

GO_MODULES := petclinic harness helm/validate
PETCLINIC_BIN := bin/petclinic
# Where `make run` keeps its SQLite database (created and seeded on first start).
RUN_DB ?= out/run/petclinic.db
RUN_ARGS ?=

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: demo
demo: ## the main command: a local game day (sandbox up, pod-kill under load, verdict, HTML report)
	@scripts/demo.sh

.PHONY: demo-record
demo-record: ## record make demo and a tour of the history, reports and web UI into docs/demo/ (asciicast + screenshots; a few minutes)
	@scripts/demo-record.sh

.PHONY: demo-down
demo-down: ## remove the sandbox that make demo left up
	@[ -x bin/gameday ] || (cd harness && go build -trimpath -o ../bin/gameday ./cmd/gameday)
	@bin/gameday sandbox down

.PHONY: run
run: build ## build and run PetClinic on the embedded SQLite database (prints its URL)
	@mkdir -p $(dir $(RUN_DB))
	./$(PETCLINIC_BIN) --sqlite-path $(RUN_DB) $(RUN_ARGS)

.PHONY: build
build: ## build the static petclinic binary into ./bin
	@scripts/build.sh $(PETCLINIC_BIN)

.PHONY: tools
tools: ## install the apt packages and pinned Go tools the tests need (idempotent)
	@scripts/tools.sh

.PHONY: test
test: ## ALL tests: tools, MariaDB+Redis up, go test of the three modules (the harness with -race), make image, make check
	@scripts/test.sh

# ---------------------------------------------------------------------------
# make check: static validation by the real tools. Each area has its script.
# ---------------------------------------------------------------------------
.PHONY: check
check: check-gofmt check-vet check-shell check-scripts check-actions check-yaml check-gosec check-terraform check-experiments check-slo check-monitoring check-platform check-docs ## static checks: gofmt, vet, shellcheck, the scripts' own tests, actionlint, yamllint, gosec, terraform, experiments, SLO rules, monitoring, charts/manifests, docs
	@echo "make check: all checks passed" >&2

.PHONY: check-experiments
check-experiments: ## every experiment and suite in experiments/ validates (gameday validate)
	@cd harness && go run ./cmd/gameday validate ../experiments

.PHONY: check-slo
check-slo: ## SLO specs valid; generated rules up to date (no diff); promtool check + test of the generated rules
	@scripts/slo-check.sh

.PHONY: check-monitoring
check-monitoring: ## promtool check/test of monitoring/prometheus; Alertmanager config; dashboards parse
	@scripts/monitoring-check.sh

.PHONY: check-platform
check-platform: ## helm lint + render of each chart and values; server-side dry-run on a real kube-apiserver; Argo CD apps
	@scripts/platform-check.sh

.PHONY: check-docs
check-docs: ## every Mermaid diagram of the docs renders (mermaid-cli, Chromium); every gameday command line of the docs resolves in the CLI; the demo recording is well-formed
	@scripts/docs-check.sh

.PHONY: test-k8s
test-k8s: ## the Kubernetes engine's tests against the real Chaos Mesh on a local control plane (kwok nodes), and on envtest
	@scripts/test-k8s.sh

.PHONY: check-tools
check-tools:
	@scripts/tools.sh check

.PHONY: check-gofmt
check-gofmt:
	@out="$$(gofmt -l $(GO_MODULES))"; \
	if [ -n "$$out" ]; then echo "gofmt: these files need gofmt -w:" >&2; echo "$$out" >&2; exit 1; fi

.PHONY: check-vet
check-vet:
	@scripts/vet.sh $(GO_MODULES)

.PHONY: check-shell
check-shell: check-tools
	@shellcheck .ci/run $$(find scripts -name '*.sh' | sort)

.PHONY: check-scripts
check-scripts: ## the scripts' own tests: a module go cannot list (import cycle, bad package clause, broken go.mod) fails make test and check-vet, named
	@scripts/lib_test.sh

.PHONY: check-actions
check-actions: check-tools
	@actionlint

.PHONY: check-yaml
check-yaml: check-tools
	@yamllint --strict .

.PHONY: check-gosec
check-gosec: check-tools
	@cd petclinic && gosec -quiet -exclude-generated ./...

.PHONY: check-terraform
check-terraform: ## terraform fmt, offline validate against the AWS 6.25.0 schema, tflint, trivy, generated docs and inventory
	@scripts/terraform-check.sh

.PHONY: bench
bench: build ## PetClinic vs a bare handler; gameday's load generator beside Vegeta's CLI (2,000-12,000/s and the knee); the harness at 2,000 req/s and its memory, 1 vs 5 min; history, UI and idle scheduler over 10,000 runs; the capacity search on a throttled sandbox (~22 min)
	@cd petclinic && go build -o ../bin/petbench ./bench/cmd/petbench
	@cd harness && go build -o ../bin/harnessbench ./bench/cmd/harnessbench
	@cd harness && go build -o ../bin/historybench ./bench/cmd/historybench && go build -trimpath -o ../bin/gameday ./cmd/gameday
	@cd harness && go build -o ../bin/capacitybench ./bench/cmd/capacitybench
	@vegeta=$$(bash -c '. scripts/lib.sh && go_tool vegeta github.com/tsenart/vegeta/v12 v12.13.0') || exit 2; \
	rc=0; bin/petbench --petclinic $(PETCLINIC_BIN) $(BENCH_ARGS) || rc=1; \
	bin/harnessbench --vegeta "$$vegeta" --petclinic $(PETCLINIC_BIN) $(HARNESS_BENCH_ARGS) || rc=1; \
	bin/historybench --gameday bin/gameday $(HISTORY_BENCH_ARGS) || rc=1; \
	bin/capacitybench --vegeta "$$vegeta" --gameday bin/gameday --petclinic $(PETCLINIC_BIN) $(CAPACITY_BENCH_ARGS) || rc=1; exit $$rc

.PHONY: fuzz
fuzz: ## every fuzz target of the three modules for FUZZTIME each (default 30s; 36 targets, ~25 min); not part of make test
	@scripts/fuzz.sh run

.PHONY: image
image: ## OCI image tarball in out/ without Docker (crane), validated
	@scripts/image.sh

.PHONY: clean
clean: ## remove build output (bin/, out/); the tool cache in $GAMEDAY_CACHE stays
	rm -rf bin out
