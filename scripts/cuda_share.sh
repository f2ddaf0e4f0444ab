#!/usr/bin/env bash
# Sharing CUDA kernels, on a machine with an NVIDIA GPU and a CUDA torch (no Qt; .carry from
# scripts/make_carry.sh): a CUDA wrapper loads its .cubin files by the absolute path of the cache it was compiled
# in, so `unpack` must place such an entry only where that path is where its files land, and recompile it
# elsewhere. Checked here against PyTorch and the kernel itself:
#  1. PyTorch writes a cuda cache (abs, two entries) in A; `pack` it;
#  2. `unpack` into another root B: the entries must be recompiled there, and `bench` runs them;
#  3. A moved away, the bundle unpacked into A's own path: placed as they are, and `bench` runs them.
# Everything goes to $OUT (or ./cuda-share): log.txt and the unpack reports.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
out="${OUT:-cuda-share}"
mkdir -p "$out" /tmp/cs
py="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1 LD_LIBRARY_PATH="$here/.carry/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}" AOTISCOPE_PYTHON="$(command -v "$py")"
exec > >(tee "$out/log.txt") 2>&1
step() { echo; echo "== $(date +%T) $*"; }
step environment
nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv
"$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
step build
prefix="$here/.carry/usr;$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
cmake -S . -B /tmp/cs/build -DAOTISCOPE_BUILD_GUI=OFF -DAOTISCOPE_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$prefix" -DAOTISCOPE_PYTHON="$AOTISCOPE_PYTHON" > /tmp/cs/cmake.log 2>&1 || tail -30 /tmp/cs/cmake.log
cmake --build /tmp/cs/build -j 16 > /tmp/cs/build.log 2>&1 || tail -30 /tmp/cs/build.log
cli=/tmp/cs/build/app/cli/aotiscope-cli
a=/tmp/cs/origin b=/tmp/cs/elsewhere
rm -rf "$a" "$b" "$a-moved"
step "1. PyTorch writes abs on cuda in $a; pack"
"$py" - "$a" <<'PY'
import os, sys, torch
os.environ["TORCHINDUCTOR_CACHE_DIR"] = sys.argv[1]
from torch._inductor.aoti_eager import aoti_compile_with_persistent_cache as write
for dtype in (torch.float32, torch.float16):
    x = torch.rand(64, 64, device="cuda").to(dtype) - 0.5
    print(write("aten", "abs", "cuda", False, torch.ops.aten.abs.default, (x,), {}))
PY
$cli show abs --root "$a"
$cli pack abs --root "$a" -o /tmp/cs/abs.aotib
step "2. unpack into $b (another folder): recompiled there"
time $cli unpack /tmp/cs/abs.aotib --root "$b" --json > "$out/unpack-elsewhere.json"; echo "exit $?"
cat "$out/unpack-elsewhere.json"
$cli lint --root "$b"
$cli bench abs --root "$b" --max-ms 300
step "3. $a moved away; the bundle unpacked into $a itself: placed"
mv "$a" "$a-moved"
time $cli unpack /tmp/cs/abs.aotib --root "$a" --json > "$out/unpack-same-path.json"; echo "exit $?"
cat "$out/unpack-same-path.json"
$cli lint --root "$a"
$cli bench abs --root "$a" --max-ms 300
