#!/usr/bin/env bash
# Style checks for our C++ sources (src/, tests/, perf/, fuzz/).
#   scripts/lint.sh --check-format   fail if clang-format would change anything
#   scripts/lint.sh --format         reformat in place
#   scripts/lint.sh --tidy           clang-tidy with .clang-tidy over src/ (needs build/)
set -euo pipefail
cd "$(dirname "$0")/.."
# Untracked new files count too (not ignored ones), so a file is formatted before its first commit.
mapfile -t files < <(git ls-files --cached --others --exclude-standard 'src/*.cc' 'src/*.h' \
  'tests/*.cc' 'tests/*.h' 'perf/*.cc' 'fuzz/*.cc')
case "${1:---check-format}" in
  --check-format)
    clang-format --dry-run --Werror "${files[@]}"
    echo "format: ${#files[@]} files clean"
    ;;
  --format)
    clang-format -i "${files[@]}"
    ;;
  --tidy)
    [[ -f build/compile_commands.json ]] || ./scripts/build.sh dev >/dev/null
    mapfile -t sources < <(git ls-files 'src/*.cc')
    clang-tidy -p build --quiet "${sources[@]}"
    ;;
  *)
    echo "usage: scripts/lint.sh [--check-format|--format|--tidy]" >&2
    exit 2
    ;;
esac
