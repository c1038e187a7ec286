#!/usr/bin/env bash
# Offline checks of terraform/ (issue 7), run by `make check`:
#
#   1. terraform fmt -check -recursive
#   2. terraform init -backend=false + validate of every module, environment and
#      bootstrap root, against the real hashicorp/aws 6.25.0 schema served by our
#      schema-only provider (terraform/tools/provider-aws-schema) through a
#      filesystem mirror; plus a canary proving that a bad argument is rejected
#   3. tflint (bundled terraform ruleset, preset "all")
#   4. trivy config: zero HIGH/CRITICAL (exceptions are justified inline)
#   5. generated files up to date: README tables, terraform/inventory.json
#      (the cost inventory, regenerated from the environments' variables)
#   6. environments differ only in variables.tf and backend.hcl
#
# Usage: scripts/terraform-check.sh           run every check, exit 1 on any finding
#        scripts/terraform-check.sh fix       rewrite fmt, README tables, inventory.json, then check
#        scripts/terraform-check.sh schema    re-extract provider-aws-schema/schema.json from the
#                                             @cdktf/provider-aws npm package (needs npm)
#
# Tools are built once into $GAMEDAY_CACHE/tools/<name>/<version>/: tflint v0.64.0
# (~4.5-7 min cold), trivy v0.74.0 (~13+ min cold, 3.2 GB peak), our tools module
# (~1 min cold, rebuilt when its sources change). Warm, the whole check takes seconds.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TFLINT_VERSION=v0.64.0
TRIVY_VERSION=v0.74.0
AWS_PROVIDER_VERSION=6.25.0
CDKTF_PROVIDER_AWS_VERSION=21.22.1 # ships the schema of hashicorp/aws 6.25.0

TF_DIR="$GAMEDAY_ROOT/terraform"
TOOLS_DIR="$TF_DIR/tools"
ENVIRONMENTS=(dev staging prod)

export GOWORK=off GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0

# build_our_tools builds terraform/tools (provider plugin + tfdocs) into a
# directory keyed by the hash of its sources, and lays out the filesystem
# mirror there. Prints the directory.
build_our_tools() {
	local hash dir
	hash="$(cd "$TOOLS_DIR" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.json' \) -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
	dir="$GAMEDAY_CACHE/tools/terraform-tools/$hash"
	if [ ! -x "$dir/tfdocs" ]; then
		log "go: building terraform/tools ($hash)"
		local start=$SECONDS plugin="mirror/registry.terraform.io/hashicorp/aws/$AWS_PROVIDER_VERSION/linux_amd64"
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/$plugin"
		(cd "$TOOLS_DIR" && nice -n 10 go build -mod=readonly -trimpath \
			-o "$dir.tmp/$plugin/terraform-provider-aws_v${AWS_PROVIDER_VERSION}_x5" ./provider-aws-schema &&
			nice -n 10 go build -mod=readonly -trimpath -o "$dir.tmp/tfdocs" ./tfdocs) >&2
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
		log "go: built terraform/tools in $((SECONDS - start))s"
		# Older builds of our own tools are never used again.
		find "$GAMEDAY_CACHE/tools/terraform-tools" -mindepth 1 -maxdepth 1 -type d \
			! -name "$hash" -exec rm -rf {} +
	fi
	printf '%s\n' "$dir"
}

# roots lists every directory terraform validates, relative to terraform/.
roots() {
	local d
	for d in "$TF_DIR"/modules/*/ "$TF_DIR"/environments/*/ "$TF_DIR"/bootstrap/; do
		d="${d%/}"
		printf '%s\n' "${d#"$TF_DIR"/}"
	done
}

FAILED=()
PASSED=()
step() {
	local name="$1" start=$SECONDS
	shift
	if "$@"; then
		PASSED+=("$name ($((SECONDS - start))s)")
	else
		FAILED+=("$name")
		warn "FAILED: $name"
	fi
}

check_fmt() {
	terraform fmt -check -recursive -diff "$TF_DIR" >&2
}

# check_validate runs init + validate on a scratch copy of terraform/ so that
# no .terraform/ or lock file lands in the work tree.
check_validate() {
	local work="$WORK/validate" root out rc=0
	mkdir -p "$work/plugin-cache"
	cat >"$work/terraformrc" <<-EOF
		plugin_cache_dir = "$work/plugin-cache"
		provider_installation {
		  filesystem_mirror {
		    path    = "$TOOLS/mirror"
		    include = ["registry.terraform.io/hashicorp/aws"]
		  }
		  direct {
		    exclude = ["registry.terraform.io/hashicorp/aws"]
		  }
		}
	EOF
	export TF_CLI_CONFIG_FILE="$work/terraformrc"
	(cd "$TF_DIR" && tar --exclude=.terraform --exclude=.terraform.lock.hcl --exclude=./tools -cf - .) |
		(mkdir -p "$work/terraform" && cd "$work/terraform" && tar -xf -)

	while read -r root; do
		if ! out="$(cd "$work/terraform/$root" && terraform init -backend=false -no-color 2>&1 &&
			terraform validate -no-color 2>&1)"; then
			printf '%s\n' "$out" >&2
			warn "validate: $root is invalid"
			rc=1
		fi
	done < <(roots)

	canary "$work/canary-argument" 'An argument named "storage_encryptd" is not expected here' <<-'EOF' || rc=1
		resource "aws_db_instance" "canary" {
		  instance_class   = "db.t4g.micro"
		  storage_encryptd = true
		}
	EOF
	canary "$work/canary-attribute" 'no argument, nested block, or exported attribute named "endpoint_url"' <<-'EOF' || rc=1
		resource "aws_db_instance" "canary" {
		  instance_class = "db.t4g.micro"
		}
		output "canary" { value = aws_db_instance.canary.endpoint_url }
	EOF
	canary "$work/canary-block" 'At least 1 "vpc_config" blocks are required' <<-'EOF' || rc=1
		resource "aws_eks_cluster" "canary" {
		  name     = "canary"
		  role_arn = "arn:aws:iam::123456789012:role/canary"
		}
	EOF
	canary "$work/canary-type" 'a number is required' <<-'EOF' || rc=1
		resource "aws_db_instance" "canary" {
		  instance_class    = "db.t4g.micro"
		  allocated_storage = "twenty"
		}
	EOF
	log "validate: $(roots | wc -l) roots against hashicorp/aws $AWS_PROVIDER_VERSION ($(schema_types) types served); canaries: bad argument, attribute, block count, type"
	return "$rc"
}

# canary DIR MESSAGE validates the configuration on stdin, which must fail
# with MESSAGE: proof that the served schema is enforced, not just accepted.
canary() {
	local dir="$1" want="$2" out
	mkdir -p "$dir"
	{
		printf 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "%s" }\n  }\n}\n' "$AWS_PROVIDER_VERSION"
		cat
	} >"$dir/main.tf"
	if out="$(cd "$dir" && terraform init -backend=false -no-color >/dev/null 2>&1 && terraform validate -no-color 2>&1)"; then
		warn "validate: canary $(basename "$dir") passed: the served schema is not enforced"
		return 1
	fi
	if ! grep -qF "$want" <<<"$(tr -s ' \n' ' ' <<<"$out")"; then
		printf '%s\n' "$out" >&2
		warn "validate: canary $(basename "$dir") did not fail with: $want"
		return 1
	fi
}

schema_types() {
	grep -c '^    "aws_\|^     "aws_' "$TOOLS_DIR/provider-aws-schema/schema.json" || true
}

check_tflint() {
	(cd "$TF_DIR" && "$TFLINT" --recursive --config="$TF_DIR/.tflint.hcl" --format=compact \
		--minimum-failure-severity=notice) >&2
}

check_trivy() {
	"$TRIVY" config --quiet --skip-check-update --skip-version-check --disable-telemetry \
		--cache-dir "$GAMEDAY_CACHE/trivy" --severity HIGH,CRITICAL --exit-code 1 \
		--table-mode detailed --skip-dirs "$TF_DIR/tools" "$TF_DIR" >&2
}

# shellcheck disable=SC2086 # $mode is empty or -check
generated() {
	local mode="$1" dirs=() r
	while read -r r; do dirs+=("$TF_DIR/$r"); done < <(roots)
	local rc=0
	"$TOOLS/tfdocs" readme $mode "${dirs[@]}" || rc=1
	"$TOOLS/tfdocs" inventory $mode -o "$TF_DIR/inventory.json" \
		"${ENVIRONMENTS[@]/#/$TF_DIR/environments/}" || rc=1
	return "$rc"
}

check_generated() { generated -check; }

check_environments() {
	local env f rc=0
	for env in "${ENVIRONMENTS[@]}"; do
		for f in main.tf outputs.tf versions.tf; do
			if ! cmp -s "$TF_DIR/environments/dev/$f" "$TF_DIR/environments/$env/$f"; then
				warn "environments/$env/$f differs from environments/dev/$f (only variables.tf and backend.hcl may differ)"
				rc=1
			fi
		done
		grep -q "^key *= *\"environments/$env/terraform.tfstate\"" "$TF_DIR/environments/$env/backend.hcl" || {
			warn "environments/$env/backend.hcl: key must be environments/$env/terraform.tfstate"
			rc=1
		}
		grep -q "^ *default *= *\"$env\"" "$TF_DIR/environments/$env/variables.tf" || {
			warn "environments/$env/variables.tf: variable environment must default to \"$env\""
			rc=1
		}
	done
	return "$rc"
}

check_tools_module() {
	local out pkgs
	# A package list go cannot read (or an empty one) fails, naming the module.
	pkgs="$(cd "$TOOLS_DIR" && go_packages)" || return 1
	# go test also runs go vet's default analyzers; a separate go vet would
	# double the cold cost of this step.
	# shellcheck disable=SC2086 # one package path per word
	out="$(cd "$TOOLS_DIR" && go test -count=1 $pkgs 2>&1)" || {
		printf '%s\n' "$out" >&2
		return 1
	}
}

# extract_schema regenerates schema.json from the npm package (maintainers only:
# needs the npm registry; the check itself never does this).
extract_schema() {
	command -v npm >/dev/null || die "npm is needed to fetch @cdktf/provider-aws"
	local dir="$GAMEDAY_CACHE/npm/cdktf-provider-aws/$CDKTF_PROVIDER_AWS_VERSION"
	if [ ! -d "$dir/package/lib" ]; then
		rm -rf "$dir" && mkdir -p "$dir"
		(cd "$dir" && npm pack --silent "@cdktf/provider-aws@$CDKTF_PROVIDER_AWS_VERSION" >/dev/null &&
			tar -xzf ./*.tgz && rm -f ./*.tgz)
	fi
	# The extractor must read every type of the package, not only ours.
	(cd "$TOOLS_DIR" && CDKTF_PROVIDER_AWS_LIB="$dir/package/lib" go test -count=1 \
		-run TestEveryTypeOfThePackage ./provider-aws-schema/extract >&2)
	(cd "$TOOLS_DIR" && go run ./cmd/extract-aws-schema -lib "$dir/package/lib" -scan "$TF_DIR" \
		-o provider-aws-schema/schema.json)
	log "schema: wrote terraform/tools/provider-aws-schema/schema.json"
}

main() {
	local mode="${1:-check}" start=$SECONDS
	command -v terraform >/dev/null || die "terraform is not on PATH (1.11 is on the machine image)"
	command -v go >/dev/null || die "go is not on PATH"
	case "$mode" in
	check | fix) ;;
	tools)
		# Build what the check needs and stop: make test starts this in the
		# background (niced) so that trivy's long cold build overlaps the tests.
		build_our_tools >/dev/null
		go_tool tflint github.com/terraform-linters/tflint "$TFLINT_VERSION" >/dev/null
		go_tool trivy github.com/aquasecurity/trivy/cmd/trivy "$TRIVY_VERSION" GOEXPERIMENT=jsonv2 >/dev/null
		return
		;;
	schema)
		extract_schema
		return
		;;
	*) die "usage: $0 [check|fix|tools|schema]" ;;
	esac

	WORK="$(mktemp -d)"
	# shellcheck disable=SC2064
	trap "rm -rf '$WORK'" EXIT
	# No user CLI configuration: fmt and version read none, validate gets its own.
	: >"$WORK/empty.tfrc"
	export TF_CLI_CONFIG_FILE="$WORK/empty.tfrc"

	TOOLS="$(build_our_tools)"
	TFLINT="$(go_tool tflint github.com/terraform-linters/tflint "$TFLINT_VERSION")"
	TRIVY="$(go_tool trivy github.com/aquasecurity/trivy/cmd/trivy "$TRIVY_VERSION" GOEXPERIMENT=jsonv2)"

	if [ "$mode" = fix ]; then
		terraform fmt -recursive "$TF_DIR" >/dev/null
		generated ""
	fi

	log "$(terraform version | head -1), tflint $TFLINT_VERSION, trivy $TRIVY_VERSION"
	step "fmt" check_fmt
	step "tools module test" check_tools_module
	step "validate" check_validate
	step "tflint" check_tflint
	step "trivy HIGH/CRITICAL" check_trivy
	step "generated docs+inventory" check_generated
	step "environments consistent" check_environments

	log "passed: ${PASSED[*]/%/;}"
	if [ "${#FAILED[@]}" -gt 0 ]; then
		die "terraform check FAILED in $((SECONDS - start))s: ${FAILED[*]}"
	fi
	log "terraform check ok in $((SECONDS - start))s"
}

main "$@"
