#!/usr/bin/env bash
# Fuzzes op-file parsing and the health checks with libFuzzer (clang, ASan, UBSan) for a bounded time, starting
# from the committed hostile corpus plus a generated 50 MB input, and prints the figures.
#   usage: scripts/fuzz.sh [SECONDS]   (default 60)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
seconds="${1:-60}"
if ! command -v clang++ >/dev/null; then
  echo "fuzz: installing clang (libFuzzer)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev
fi
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAOTISCOPE_FUZZ=ON \
  -DAOTISCOPE_BUILD_GUI=OFF -DAOTISCOPE_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz --target aotiscope-fuzz-opfile -j 2 >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"
cp tests/fuzz-corpus/* "$work/corpus/"
python3 - "$work/corpus/big-50mb.json" <<'PY'
import sys
entry = open("tests/fuzz-corpus/ok-pytorch-abs.json").read()
entry = entry[entry.index("{"):entry.rindex("}") + 1]
with open(sys.argv[1], "w") as f:
    f.write("[")
    n = 0
    while n < 50 << 20:
        f.write(entry + ",")
        n += len(entry) + 1
    f.write(entry + "]")
PY
inputs_before=$(ls "$work/corpus" | wc -l)
set +e
build-fuzz/fuzz/aotiscope-fuzz-opfile "$work/corpus" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
  -max_len=65536 -artifact_prefix="$work/artifacts/" -print_final_stats=1 > "$work/log" 2>&1
status=$?
set -e
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo 0)
crashes=$(ls "$work/artifacts" | wc -l)
echo "fuzzing ${seconds}s: ${runs} inputs tried, corpus ${inputs_before} -> $(ls "$work/corpus" | wc -l) inputs, ${crashes} crashes/hangs found (exit ${status})"
if [ "$crashes" -gt 0 ]; then
  mkdir -p fuzz-findings && cp "$work/artifacts"/* fuzz-findings/
  tail -n 40 "$work/log"
  echo "crashing inputs copied to fuzz-findings/"
  exit 1
fi
