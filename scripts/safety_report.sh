#!/usr/bin/env bash
# Prints the safety figures of cache management: concurrent edits against PyTorch's own writer (operations
# done, entries preserved), killed rewrites, and a bounded libFuzzer run (inputs tried, crashes found).
#   usage: scripts/safety_report.sh [FUZZ_SECONDS]   (default 60; run scripts/build.sh first)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here/build"
echo "== concurrent management against PyTorch's cache writer, Python filelock interop, killed writers"
ctest -R tst_edit -V 2>&1 | grep -E "QINFO|Totals" | sed -e 's/^[0-9]*: //'
cd "$here"
echo "== fuzzing parse + lint + writer round trip"
bash scripts/fuzz.sh "${1:-60}" | tail -n 1
