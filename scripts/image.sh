#!/usr/bin/env bash
# `make image`: the PetClinic OCI image built without a Docker engine.
#
# What petclinic/Dockerfile does in GitHub Actions, done with crane here:
#   1. build the static binary (scripts/build.sh, same -X flags);
#   2. tar a root filesystem as one layer: the binary (root-owned, read-only),
#      /etc/passwd and /etc/group with the distroless `nonroot` user 65532,
#      CA certificates, /tmp, and /home/nonroot owned by 65532 (the workdir,
#      where the default SQLite file goes);
#   3. `crane append --oci-empty-base`, pushed to a `crane registry serve`
#      bound to 127.0.0.1 (mutate needs a registry), then `crane mutate` sets
#      entrypoint, user, workdir, env, exposed port, platform and the
#      org.opencontainers.image.* labels;
#   4. pull it out as out/petclinic-image.tar (docker-load/crane tarball) and
#      out/petclinic-image.oci.tar (an OCI image layout, tarred), validate
#      both, and run the binary taken back out of the image.
#
# The gameday CLI image (the CronJobs of helm/gameday, the harness's load
# workers) is built the same way from harness/cmd/gameday: `scripts/image.sh
# gameday` writes out/gameday-image{.tar,.oci.tar}. With no argument both
# images are built.
#
# Usage: scripts/image.sh [petclinic|gameday]
# Env: IMAGE (name in the tarball, default ghcr.io/gamedayhq/<app>), VERSION, COMMIT.
# Reproducible: timestamps come from SOURCE_DATE_EPOCH, by default the commit time.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GAMEDAY_ROOT"

if [ $# -eq 0 ]; then
	"$0" petclinic
	"$0" gameday
	exit
fi
app="$1"
case "$app" in
petclinic)
	description="Spring PetClinic in Go, the system under test of gameday"
	source_dir=petclinic
	;;
gameday)
	description="gameday: chaos game days against PetClinic, judged by SLOs"
	source_dir=harness
	;;
*) die "usage: $0 [petclinic|gameday]" ;;
esac

"$GAMEDAY_ROOT/scripts/tools.sh" crane
crane="$GAMEDAY_BIN/crane"

SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH
VERSION="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
COMMIT="${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
export VERSION COMMIT
created="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
arch="$(go env GOARCH)"
uid=65532
IMAGE="${IMAGE:-ghcr.io/gamedayhq/$app}"

out="$GAMEDAY_ROOT/out"
work="$out/image-build-$app"
rm -rf "$work" && mkdir -p "$work/rootfs"
registry_pid=""
cleanup() {
	[ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true
}
trap cleanup EXIT

log "1/4 binary ($app)"
if [ "$app" = petclinic ]; then
	GOARCH="$arch" scripts/build.sh "$work/rootfs/usr/local/bin/petclinic"
else
	(cd harness && CGO_ENABLED=0 GOARCH="$arch" go build -trimpath \
		-ldflags "-s -w -X github.com/gamedayhq/gameday/harness/internal/cli.Version=$VERSION" \
		-o "$work/rootfs/usr/local/bin/gameday" ./cmd/gameday)
fi

log "2/4 layer"
root="$work/rootfs"
mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/home/nonroot"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n' "$uid" "$uid" >"$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:%d:\n' "$uid" >"$root/etc/group"
[ -r /etc/ssl/certs/ca-certificates.crt ] || ensure_apt ca-certificates
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
chmod 0555 "$root/usr/local/bin/$app"
chmod 1777 "$root/tmp"
chmod 0700 "$root/home/nonroot"

# One layer, two ownerships: everything root-owned except the home directory.
# The binary stays root-owned so that the process cannot rewrite it.
# shellcheck disable=SC2054 # the commas belong to --pax-option
tar_opts=(--format=posix --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" --sort=name
	--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime)
layer="$work/layer.tar"
(cd "$root" && tar "${tar_opts[@]}" --owner=0 --group=0 -cf "$layer" etc tmp usr &&
	tar "${tar_opts[@]}" --owner=0 --group=0 --no-recursion -rf "$layer" home &&
	tar "${tar_opts[@]}" --owner="$uid" --group="$uid" -rf "$layer" home/nonroot)

log "3/4 image (crane, loopback registry)"
"$crane" registry serve --address 127.0.0.1:0 >"$work/registry.log" 2>&1 &
registry_pid=$!
port_of_registry() { sed -n 's/.*serving on port \([0-9][0-9]*\).*/\1/p' "$work/registry.log"; }
wait_for 10 grep -q 'serving on port' "$work/registry.log" || die "crane registry did not start: $(cat "$work/registry.log")"
reg="127.0.0.1:$(port_of_registry)"
repo="$reg/gamedayhq/$app"

"$crane" append --oci-empty-base -f "$layer" -t "$repo:layer" >/dev/null 2>&1
source_url="https://github.com/gamedayhq/gameday"
labels=(
	"org.opencontainers.image.title=$app"
	"org.opencontainers.image.description=$description"
	"org.opencontainers.image.source=$source_url"
	"org.opencontainers.image.url=$source_url/tree/main/$source_dir"
	"org.opencontainers.image.version=$VERSION"
	"org.opencontainers.image.revision=$COMMIT"
	"org.opencontainers.image.created=$created"
)
mutate=(--entrypoint "/usr/local/bin/$app" --user "$uid:$uid" --workdir /home/nonroot
	--env PATH=/usr/local/bin:/usr/bin:/bin --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
	--set-platform "linux/$arch")
if [ "$app" = petclinic ]; then mutate+=(--env PORT=8080 --exposed-ports 8080/tcp); fi
for l in "${labels[@]}"; do mutate+=(--label "$l" --annotation "$l"); done
"$crane" mutate "$repo:layer" "${mutate[@]}" -t "$repo:$VERSION" >/dev/null 2>&1
"$crane" validate --remote "$repo:$VERSION" >&2
digest="$("$crane" digest "$repo:$VERSION")"

log "4/4 tarballs"
tarball="$out/$app-image.tar"
oci_tar="$out/$app-image.oci.tar"
rm -rf "$tarball" "$oci_tar" "$work/oci"
# A no-op mutate writes the tarball under the image's public name instead of
# the throwaway loopback one; the image config must not change
"$crane" mutate "$repo:$VERSION" -t "$IMAGE:$VERSION" -o "$tarball" >/dev/null 2>&1
# (a docker tarball keeps no manifest, so compare the config digest).
config_digest="sha256:$("$crane" config "$repo:$VERSION" | sha256sum | cut -d' ' -f1)"
grep -q "\"Config\":\"$config_digest\"" <(tar -xOf "$tarball" manifest.json) || die "$tarball does not hold $config_digest"
"$crane" validate --tarball "$tarball" >&2
"$crane" pull --format=oci "$repo:$VERSION" "$work/oci"
(cd "$work/oci" && tar "${tar_opts[@]}" --owner=0 --group=0 -cf "$oci_tar" .)
# The OCI layout pushed back must be the very same image.
"$crane" push "$work/oci" "$repo:roundtrip" >/dev/null 2>&1
[ "$("$crane" digest "$repo:roundtrip")" = "$digest" ] || die "OCI layout does not round-trip to $digest"

# The image's own binary runs and carries the stamped version.
"$crane" export "$repo:$VERSION" - | tar -xOf - "usr/local/bin/$app" >"$work/$app-from-image"
chmod +x "$work/$app-from-image"
ver_line="$("$work/$app-from-image" --version)"

config="$("$crane" config "$repo:$VERSION")"
rm -rf "$work"
cat <<EOF
image:    $IMAGE:$VERSION ($digest)
tarball:  out/$app-image.tar ($(du -h "$tarball" | cut -f1); crane validate --tarball ok; for docker load -i)
oci:      out/$app-image.oci.tar ($(du -h "$oci_tar" | cut -f1), OCI layout; round-trips to the same digest)
binary:   $ver_line
config:   $config
EOF
