#!/usr/bin/env bash
# Installs everything packdesk needs on a fresh Debian 12 machine, idempotently:
# Debian packages through apt, the pinned cJSON sources through `apt-get source`,
# and the JavaScript tools through npm. Safe to run again: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(build-essential musl-tools emscripten nodejs dpkg-dev valgrind chromium
              libclang-rt-14-dev clang)

need_apt=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_apt+=("$p")
done
# Debian's nodejs comes without npm; NodeSource's brings its own (and conflicts with Debian's).
command -v npm >/dev/null 2>&1 || need_apt+=(npm)

# apt needs root: use sudo when not running as root.
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi

# `apt-get source` needs a deb-src line for bookworm; add one beside the system's own sources.
SRC_LIST=/etc/apt/sources.list.d/packdesk-src.sources
added_src=0
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  "${SUDO[@]}" tee "$SRC_LIST" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  added_src=1
fi

if [ ${#need_apt[@]} -gt 0 ] || [ $added_src = 1 ] || [ ! -d third_party/cjson ]; then
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

# cJSON 1.7.15 with Debian's patches, unpacked into third_party/ (ignored by git).
scripts/fetch-cjson.sh

# JavaScript tools (playwright-core drives Debian's chromium; nothing downloads a browser).
# Reinstalled only when package.json or package-lock.json changed since the last install.
stamp=node_modules/.packdesk-installed
if [ -f package.json ] && { [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] ||
                            { [ -f package-lock.json ] && [ package-lock.json -nt "$stamp" ]; }; }; then
  npm install --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
