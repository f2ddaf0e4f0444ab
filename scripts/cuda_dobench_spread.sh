#!/usr/bin/env bash
# The worker against triton's do_bench and do_bench_cudagraph and CUPTI, on tiny and 64 MB CUDA kernels, three
# times in turn. On a machine with an NVIDIA GPU (see docs/cuda-verification.md for the carried packages): builds
# the CLI and worker, has PyTorch write abs and add.Tensor for cuda (4x8 / 16x16 and 16M elements), then three
# times: the worker's `bench --json` (events around each flushed call, and the profiler's kernel durations),
# do_bench and do_bench_cudagraph (scripts/cuda_oracle.py dobench); CUPTI's kernel durations through
# torch.profiler once (scripts/cuda_oracle.py kernels); and bench/bench_stability.py's verdicts.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
py="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1 LD_LIBRARY_PATH="$here/.carry/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
torch_dir="$("$py" -c 'import torch, os; print(os.path.dirname(torch.__file__))')"
echo "torch $("$py" -c 'import torch; print(torch.__version__)'), triton $("$py" -c 'import triton; print(triton.__version__)' 2>&1 | tail -1)," \
     "ATen/accelerator/Graph.h: $(test -f "$torch_dir/include/ATen/accelerator/Graph.h" && echo present || echo absent)"
prefix="$here/.carry/usr;$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
t0=$SECONDS
cmake -S . -B /tmp/cs/build -DAOTISCOPE_BUILD_GUI=OFF -DAOTISCOPE_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$prefix" > /tmp/cs.cmake.log 2>&1 && cmake --build /tmp/cs/build -j 16 > /tmp/cs.build.log 2>&1 \
  || { tail -30 /tmp/cs.cmake.log /tmp/cs.build.log; exit 1; }
echo "built in $((SECONDS - t0)) s"
cli=/tmp/cs/build/app/cli/aotiscope-cli root=/tmp/cs/cache
t0=$SECONDS
TORCHINDUCTOR_CACHE_DIR="$root" "$py" - <<'PY' 2>&1 | grep -v -i warn | tail -1
import torch
from torch._inductor.aoti_eager import aoti_compile_with_persistent_cache as c
g = torch.Generator().manual_seed(0)
for shape in ((4, 8), (16777216,)):
    c("aten", "abs", "cuda", False, torch.ops.aten.abs.default, ((torch.rand(*shape, generator=g) - 0.5).cuda(),), {})
for shape in ((16, 16), (16777216,)):
    a, b = torch.rand(*shape, generator=g).cuda(), torch.rand(*shape, generator=g).cuda()
    print(c("aten", "add.Tensor", "cuda", False, torch.ops.aten.add.Tensor, (a, b), {"alpha": 2}))
PY
echo "PyTorch wrote the cache in $((SECONDS - t0)) s"
LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libstdc++.so.6 "$py" scripts/cuda_oracle.py kernels "$root" > /tmp/cs/k.json 2>/tmp/cs/k.err || tail -5 /tmp/cs/k.err
echo "CUPTI kernel durations (median of 100 flushed calls): $(cat /tmp/cs/k.json)"
for i in 1 2 3; do
  $cli bench abs add.Tensor --root "$root" --device cuda --json > /tmp/cs/w$i.json 2>/tmp/cs/w$i.err || tail -3 /tmp/cs/w$i.err
  LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libstdc++.so.6 "$py" scripts/cuda_oracle.py dobench "$root" > /tmp/cs/d$i.json 2>/tmp/cs/d$i.err || tail -3 /tmp/cs/d$i.err
done
$cli bench abs add.Tensor --root "$root" --device cuda | tail -12
cp /tmp/cs/*.json "${OUT:-/tmp}/" 2>/dev/null
"$py" - <<'PY'
import json
k = json.load(open("/tmp/cs/k.json"))
cell = lambda v, w=8: f"{v:{w}.2f}" if isinstance(v, (int, float)) else f"{'-':>{w}}"
print("us per call; worker: events (its timing) and profiler (its kernels); oracle: do_bench, do_bench_cudagraph, CUPTI")
print(f"{'entry':<14} {'run':>3} | {'aoti: events':>12} {'profiler':>8} {'do_bench':>8} {'cudagraph':>9} {'CUPTI':>6} | "
      f"{'eager: events':>13} {'profiler':>8} {'do_bench':>8} {'cudagraph':>9} {'CUPTI':>6} | {'speedup [95% CI]':>18} {'kernels':>7}")
for i in (1, 2, 3):
    w = json.load(open(f"/tmp/cs/w{i}.json"))["results"]
    d = json.load(open(f"/tmp/cs/d{i}.json"))
    for r in w:
        name = r["position"].split("/")[-1].replace(" #", "#")
        x, f, c = r.get("result", {}), d.get(name, {}), k.get(name, {})
        if "aoti" not in x:
            print(name, i, "no result:", r.get("message", x.get("verdict")))
            continue
        kp = x.get("kernels", {})
        line = f"{name:<14} {i:>3} |"
        for side in ("aoti", "eager"):
            line += (f" {x[side]['median_us']:{12 if side == 'aoti' else 13}.2f} {cell(kp.get(side, {}).get('median_us'))} "
                     f"{cell(f.get(side + '_us'))} {cell(f.get(side + '_graph_us'), 9)} {cell(c.get(side + '_kernel_us'), 6)} |")
        line += f" {x['speedup']:5.2f} [{x['speedup_ci'][0]:.2f}-{x['speedup_ci'][1]:.2f}] {cell(kp.get('speedup'), 7)}"
        for side in ("aoti", "eager"):
            if "unavailable" in kp.get(side, {}):
                line += f"  {side} not profiled: {kp[side]['unavailable']}"
        print(line)
print("oracle errors:", {n: {k: v for k, v in f.items() if k.endswith("error")} for n, f in json.load(open("/tmp/cs/d1.json")).items()})
PY
"$py" bench/bench_stability.py --cli "$cli" --root "$root" --device cuda --runs 3 abs add.Tensor 2>&1 | tail -15
