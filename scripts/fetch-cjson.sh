#!/usr/bin/env bash
# Unpacks Debian's cJSON source package (1.7.15 with Debian's patches applied) into
# third_party/cjson. The version is pinned: a different one is refused, not silently used.
set -euo pipefail
cd "$(dirname "$0")/.."
WANT_VERSION=1.7.15
DEST=third_party/cjson
if [ -f "$DEST/cJSON.c" ] && grep -q "CJSON_VERSION_PATCH 15" "$DEST/cJSON.h"; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source -q "cjson=${WANT_VERSION}*" >/dev/null 2>&1 || (cd "$work" && apt-get source -q cjson))
dir=$(find "$work" -maxdepth 1 -type d -name 'cjson-*' | head -n 1)
[ -n "$dir" ] || { echo "fetch-cjson: apt-get source cjson gave no source tree" >&2; exit 1; }
grep -q "CJSON_VERSION_MINOR 7" "$dir/cJSON.h" && grep -q "CJSON_VERSION_PATCH 15" "$dir/cJSON.h" \
  || { echo "fetch-cjson: expected cJSON $WANT_VERSION in $dir" >&2; exit 1; }
mkdir -p "$DEST"
cp "$dir/cJSON.c" "$dir/cJSON.h" "$dir/LICENSE" "$DEST/"
echo "fetch-cjson: cJSON $WANT_VERSION (Debian source) in $DEST"
