#!/usr/bin/env bash
# Five recompiles in one long-lived compile worker against the same five in five fresh processes, in one run,
# through aotiscope-cli compile on a cache PyTorch wrote. Compiles real kernels: a few minutes.
#   usage: bench/compile_benchmark.sh   (after scripts/build.sh)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
cli=build/app/cli/aotiscope-cli
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
.venv/bin/python tests/fixtures/generate_cache.py "$work/source" >/dev/null 2>&1
# The five entries: abs #0 and #1, add.Tensor #0, cat #0, div.Tensor_mode #0. Both runs compile into a copy
# of the same cache, whose lib/ already holds inductor's build artifacts: what differs is the worker process.
cp -a "$work/source" "$work/long"
t0=$(date +%s.%N)
"$cli" compile abs add.Tensor cat div.Tensor_mode --root "$work/long" 2> "$work/long.log" >/dev/null
t1=$(date +%s.%N)
cp -a "$work/source" "$work/fresh"
# A recompiled entry is appended again (as PyTorch appends), so abs's other entry is #0 the second time.
for op in abs abs add.Tensor cat div.Tensor_mode; do
  "$cli" compile "$op" --entry 0 --root "$work/fresh" 2>> "$work/fresh.log" >/dev/null
done
t2=$(date +%s.%N)
grep -E "done in" "$work/long.log" | sed 's/^/  long-lived: /'
grep -E "done in" "$work/fresh.log" | sed 's/^/  fresh:      /'
python3 - "$t0" "$t1" "$t2" <<'PY'
import sys
t0, t1, t2 = map(float, sys.argv[1:])
long, fresh = t1 - t0, t2 - t1
print(f"5 recompiles, one long-lived worker: {long:.1f} s; five fresh worker processes: {fresh:.1f} s; "
      f"{fresh / long:.1f}x (target >= 3x)")
PY
