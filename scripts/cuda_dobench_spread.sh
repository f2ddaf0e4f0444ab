#!/usr/bin/env bash
# How far apart are the worker and triton's do_bench on tiny CUDA kernels, against how far do_bench is from
# itself? On a machine with an NVIDIA GPU (see docs/cuda-verification.md for the carried packages): builds the
# CLI and worker, has PyTorch write abs (4x8) and add.Tensor (16x16) for cuda, then three times in turn: the
# worker's `bench --json` and do_bench (scripts/cuda_oracle.py dobench), printing each run's medians; and
# CUPTI's own kernel durations (scripts/cuda_oracle.py kernels) as the reference both add overhead to.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
py="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1 LD_LIBRARY_PATH="$here/.carry/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
prefix="$here/.carry/usr;$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
cmake -S . -B /tmp/cs/build -DAOTISCOPE_BUILD_GUI=OFF -DAOTISCOPE_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$prefix" > /tmp/cs.cmake.log 2>&1 && cmake --build /tmp/cs/build -j 16 > /tmp/cs.build.log 2>&1 || tail -20 /tmp/cs.build.log
cli=/tmp/cs/build/app/cli/aotiscope-cli root=/tmp/cs/cache
TORCHINDUCTOR_CACHE_DIR="$root" "$py" - <<'PY' 2>&1 | grep -v -i warn | tail -1
import torch
from torch._inductor.aoti_eager import aoti_compile_with_persistent_cache as c
g = torch.Generator().manual_seed(0)
c("aten", "abs", "cuda", False, torch.ops.aten.abs.default, ((torch.rand(4, 8, generator=g) - 0.5).cuda(),), {})
a, b = torch.rand(16, 16, generator=g).cuda(), torch.rand(16, 16, generator=g).cuda()
print(c("aten", "add.Tensor", "cuda", False, torch.ops.aten.add.Tensor, (a, b), {"alpha": 2}))
PY
LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libstdc++.so.6 "$py" scripts/cuda_oracle.py kernels "$root" > /tmp/cs/k.json 2>/tmp/cs/k.err || tail -5 /tmp/cs/k.err
echo "CUPTI kernel durations (median of 100 flushed calls): $(cat /tmp/cs/k.json)"
for i in 1 2 3; do
  $cli bench abs add.Tensor --root "$root" --device cuda --json > /tmp/cs/w$i.json 2>/dev/null
  LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libstdc++.so.6 "$py" scripts/cuda_oracle.py dobench "$root" > /tmp/cs/d$i.json 2>/dev/null
done
"$py" - <<'PY'
import json
print(f"{'entry':<14} {'run':>3} {'worker aoti':>12} {'do_bench aoti':>14} {'worker eager':>13} {'do_bench eager':>15}")
for i in (1, 2, 3):
    w = json.load(open(f"/tmp/cs/w{i}.json"))["results"]
    d = json.load(open(f"/tmp/cs/d{i}.json"))
    for r in w:
        name = r["position"].split("/")[-1].replace(" #", "#")
        x, f = r["result"], d.get(name, {})
        print(f"{name:<14} {i:>3} {x['aoti']['median_us']:10.2f}us {f.get('aoti_us', 0):12.2f}us {x['eager']['median_us']:11.2f}us {f.get('eager_us', 0):13.2f}us")
PY
