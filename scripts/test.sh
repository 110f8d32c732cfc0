#!/usr/bin/env bash
# Runs every test: the sanitizer build's suite (ASan + UBSan), the libFuzzer smoke runs and a
# minute of fuzzing per target (their slow tier), the format check, and last the developer
# build's suite (warnings as errors; unit, golden, slow and browser tiers). Installs
# dependencies (Chromium included, for the report's rendering test) and builds as needed. Exit
# status is non-zero if any part fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export TZ=UTC LC_ALL=C

./scripts/install-deps.sh --with-browser

echo "== sanitizer build (ASan + UBSan)"
./scripts/build.sh asan >/dev/null
ctest --test-dir build-asan --output-on-failure --parallel "$(nproc)" | tail -n 3

echo "== fuzz smoke and campaigns (libFuzzer, clang)"
./scripts/build.sh fuzz >/dev/null
ctest --test-dir build-fuzz --output-on-failure --parallel "$(nproc)" | tail -n 3

echo "== format check"
./scripts/lint.sh --check-format

echo "== developer build"
./scripts/build.sh dev >/dev/null
ctest --test-dir build --output-on-failure --parallel "$(nproc)"
