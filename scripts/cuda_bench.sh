#!/usr/bin/env bash
# CUDA benchmark verification, on a machine with an NVIDIA GPU and a CUDA torch (no Qt, no Debian packages):
# 1. builds the benchmark worker alone (scripts/build_bench_worker.sh);
# 2. PyTorch writes a real cuda cache: the test entries (generate_cache.py) and three large ones;
# 3. the worker benchmarks every entry, cold (L2 flushed before each sample, the GPU default) and warm,
#    and torch.utils.benchmark.Timer times the large ones with PyTorch's own runner for comparison;
# 4. a library that raises SIGSEGV at load fails its job alone.
# Everything goes to $OUT (or ./cuda-bench).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
out="${OUT:-cuda-bench}"
mkdir -p "$out"
py="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1
root=/tmp/aotiscope-cuda-bench
{
  nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv
  "$py" -c 'import torch, sys; print("torch", torch.__version__, "cuda", torch.version.cuda, "python", sys.version.split()[0])'
  g++ --version | head -1; cmake --version | head -1
} 2>&1 | tee "$out/environment.txt"

start=$(date +%s)
NLOHMANN_INCLUDE="$here/.carry" PYTHON="$py" bash scripts/build_bench_worker.sh /tmp/aotiscope-bench-worker-build \
  > "$out/build.log" 2>&1
echo "worker build: $? in $(( $(date +%s) - start )) s ($(tail -1 "$out/build.log"))" | tee "$out/build.txt"
worker=/tmp/aotiscope-bench-worker-build/aotiscope-bench-worker

if [ ! -e "$root/.large-done" ]; then
  start=$(date +%s)
  "$py" tests/fixtures/generate_cache.py "$root" --device cuda 2>&1 | grep -v Warning > "$out/generate.log"
  TORCHINDUCTOR_CACHE_DIR="$root" "$py" - <<'PY' 2>&1 | grep -v Warning >> "$out/generate.log"
import time, torch
from torch._inductor.aoti_eager import aoti_compile_with_persistent_cache as compile_entry
g = torch.Generator().manual_seed(0)
n = 1 << 24  # 64 MB per float32 tensor: larger than any L2
x, y = torch.rand(n, generator=g).cuda(), torch.rand(n, generator=g).cuda()
aten = torch.ops.aten
for name, op, args, kwargs in [("abs", aten.abs.default, (x,), {}), ("add.Tensor", aten.add.Tensor, (x, y), {"alpha": 2}),
                               ("sigmoid", aten.sigmoid.default, (torch.rand(4096, 4096, generator=g).cuda(),), {})]:
    t0 = time.monotonic()
    compile_entry("aten", name, "cuda", False, op, args, kwargs)
    print(f"large {name}: {time.monotonic() - t0:.1f} s")
PY
  touch "$root/.large-done"
  echo "cache written in $(( $(date +%s) - start )) s" | tee -a "$out/generate.log"
fi

"$py" - "$root" "$worker" "$out" "${MODES:-cold,warm}" <<'PY' 2>&1 | tee "$out/bench.txt"
import json, os, subprocess, sys, time
root, worker, out = sys.argv[1:4]
dev = os.path.join(root, "aoti_eager", "aten", "cuda")
reqs = []
for name in sorted(f[:-5] for f in os.listdir(dev) if f.endswith(".json")):
    for i, entry in enumerate(json.load(open(os.path.join(dev, name + ".json")))):
        reqs.append({"type": "bench", "id": f"{name}#{i}", "root": root, "ns": "aten", "op": name, "device": "cuda",
                     "library": os.path.join(dev, entry["kernel_path"]), "meta_info": entry["meta_info"]})
# A library that crashes at load, inside the root: its job alone fails.
bad = os.path.join(dev, "lib", "crash.so")
subprocess.run(["cc", "-shared", "-fPIC", "-o", bad, "-x", "c", "-"], check=True,
               input=b"#include <signal.h>\n__attribute__((constructor)) static void f(void){ raise(SIGSEGV); }\n")
def run(mode, requests):
    lines = "".join(json.dumps({**r, "id": f"{r['id']}/{mode}", "options": {"cold": mode == "cold"}}) + "\n" for r in requests)
    t0 = time.monotonic()
    p = subprocess.run([worker], input=lines, capture_output=True, text=True)
    events = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    with open(os.path.join(out, f"events-{mode}.jsonl"), "w") as f:
        f.write(p.stdout)
    return events, p.returncode, time.monotonic() - t0, p.stderr
for mode in sys.argv[4].split(","):
    events, rc, secs, err = run(mode, reqs)
    ready = next((e for e in events if e.get("event") == "ready"), {})
    print(f"\n== {mode}: worker exit {rc}, {secs:.1f} s; torch {ready.get('torch')}, runners {ready.get('runners')}")
    for e in events:
        if e.get("event") == "failed":
            print(f"{e.get('id')}: FAILED {e.get('message')}")
        if e.get("event") != "finished":
            continue
        r = e["result"]
        if "aoti" not in r:
            print(f"{e['id']:<26} {r['verdict']}: {r['check']['message']}")
            continue
        a, g = r["aoti"], r["eager"]
        print(f"{e['id']:<26} {r['verdict']:<22} aoti {a['median_us']:9.2f} us [{a['p20_us']:.2f}-{a['p80_us']:.2f}] "
              f"n={a['samples']:<4} eager {g['median_us']:9.2f} us  x{r['speedup']:.2f}  {r['gbps']:8.1f} GB/s "
              f"= {100 * r['fraction_of_ceiling']:5.1f}% of ceiling {r['ceiling']['gbps']:.0f} GB/s, "
              f"{100 * (r['fraction_of_peak'] or 0):5.1f}% of peak {r['peak_gbps']} ({r['device_name']}), load {r['load_ms']:.0f} ms")
crash = [{"type": "bench", "id": "crash", "root": root, "ns": "aten", "op": "abs", "device": "cuda", "library": bad,
          "meta_info": reqs[0]["meta_info"]}]
events, rc, secs, err = run("crash", crash)
print(f"\n== crash library: worker exit status {rc} (negative: killed by signal {-rc}), events {[e.get('event') for e in events]}")

# torch.utils.benchmark.Timer on the large entries, with PyTorch's own runner, for comparison.
import torch
from torch.utils.benchmark import Timer
print("\n== torch.utils.benchmark.Timer (warm, blocked_autorange) on the same libraries")
g = torch.Generator().manual_seed(0)
for name in ("abs", "add.Tensor", "sigmoid"):
    entries = json.load(open(os.path.join(dev, name + ".json")))
    entry = max(entries, key=lambda e: e["meta_info"][0].get("sizes", [0])[0] if "sizes" in e["meta_info"][0] else 0)
    # Inputs first: PyTorch's CUDA runner crashes (SIGSEGV) when it is created before CUDA is initialised.
    inputs = [torch.rand(m["sizes"], generator=g).cuda() for m in entry["meta_info"] if "sizes" in m]
    runner = torch._C._aoti.AOTIModelContainerRunnerCuda(os.path.join(dev, entry["kernel_path"]), 1, "cuda")
    m = Timer("runner.run(inputs)", globals={"runner": runner, "inputs": inputs}).blocked_autorange(min_run_time=1)
    print(f"{name:<12} sizes {entry['meta_info'][0]['sizes']}: Timer median {m.median * 1e6:.2f} us")
PY
ls -la "$out"
