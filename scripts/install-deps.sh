#!/usr/bin/env bash
# Installs everything trailreplay needs to build, test and benchmark, from Debian 12 packages.
# Idempotent: packages already present are not touched, and apt is not called at all when
# nothing is missing. Runs as root, or through sudo when that is available.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  zlib1g-dev libdeflate-dev libisal-dev libarchive-dev libsimdjson-dev libsqlite3-dev libcli11-dev
  libzstd-dev
  libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang clang-format clang-tidy libclang-rt-dev
  sqlite3 python3
  dpkg-dev man-db zsh fish
)

# --with-browser: what the test tiers need beyond the build (scripts/test.sh): Chromium for the
# report's rendering test, and Debian's awscli and python3-cryptography for verify's tamper
# matrix (it signs archives with a fresh key and runs the AWS CLI's own validator beside verify).
if [[ "${1:-}" == "--with-browser" ]]; then
  packages+=(chromium awscli python3-cryptography python3-sqlglot)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
