#!/usr/bin/env bash
# Builds redset's release archives: for each target a static binary
# (CGO_ENABLED=0, -trimpath, the version stamped into `redset version`) with
# its manual pages, the systemd unit, an example configuration, README.md and
# LICENSE; and SHA256SUMS of the archives. The archives are reproducible: the
# same commit, version and Go give the same bytes.
#
#   VERSION  version to stamp (default: git describe --tags --always --dirty, without a leading v)
#   TARGETS  GOOS/GOARCH pairs (default: "linux/amd64 linux/arm64")
#   OUT      output directory (default: dist)
#
# Example: VERSION=1.2.0 scripts/release.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)}
VERSION=${VERSION#v}
TARGETS=${TARGETS:-"linux/amd64 linux/arm64"}
OUT=${OUT:-dist}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
# The build time is the commit's time, so that the archives stay reproducible.
BUILD_TIME=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
ldflags="-s -w -X main.version=$VERSION -X main.buildTime=$BUILD_TIME"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT"

# The manual pages come from a binary for this machine.
CGO_ENABLED=0 go build -buildvcs=true -trimpath -ldflags "$ldflags" -o "$work/redset-here" ./cmd/redset
"$work/redset-here" man --dir "$work/man" >/dev/null

archives=()
for target in $TARGETS; do
  goos=${target%/*} goarch=${target#*/}
  name="redset-$VERSION-$goos-$goarch"
  stage="$work/$name"
  mkdir -p "$stage"
  CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -buildvcs=true -trimpath -ldflags "$ldflags" -o "$stage/redset" ./cmd/redset
  cp -r "$work/man" "$stage/man"
  cp README.md LICENSE packaging/redset.service packaging/redset.yaml "$stage/"
  tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    -C "$work" -cf - "$name" | gzip -n -9 >"$OUT/$name.tar.gz"
  archives+=("$name.tar.gz")
  echo "$OUT/$name.tar.gz"
done
(cd "$OUT" && sha256sum "${archives[@]}" >SHA256SUMS)
echo "$OUT/SHA256SUMS"
