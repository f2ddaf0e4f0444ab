#!/usr/bin/env bash
# Host, registration and benchmark truth on a machine with an NVIDIA GPU and a CUDA torch (no Qt): what
# docs/cuda-verification.md records. Run from the repository root with the Debian packages' headers, libraries
# and CMake configs of simdjson, spdlog, fmt and nlohmann_json carried in .carry/usr (see that doc).
#  1. the dispatch key table of this torch (scripts/make_dispatch_key_table.py), built into the CLI;
#  2. the CLI and the benchmark worker, built against this torch;
#  3. PyTorch writes a cuda cache (the test entries, and abs and add.Tensor on 2^24 floats);
#  4. lint, show and verify in place; the cache moved to another folder: lint again (kernel-binary-missing),
#     and a benchmark of a moved entry (which cubin it names);
#  5. PyTorch's registration and calls on CUDA (scripts/cuda_oracle.py calls) with and without the system
#     libstdc++ preloaded, against `aotiscope-cli explain` for the same calls;
#  6. the worker's timings against triton's do_bench in the same run, and bench/bench_stability.py on cuda.
# Everything goes to $OUT (or ./cuda-truth): log.txt, the table, one wrapper source, results.tgz.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
out="${OUT:-cuda-truth}"
mkdir -p "$out" /tmp/ct
py="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1 LD_LIBRARY_PATH="$here/.carry/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
exec > >(tee "$out/log.txt") 2>&1
step() { echo; echo "== $(date +%T) $*"; }
step environment
nvidia-smi --query-gpu=name,compute_cap,driver_version,clocks.max.sm --format=csv
"$py" -c 'import torch, sys; print("torch", torch.__version__, "cuda", torch.version.cuda, "python", sys.version.split()[0])'
ldd --version | head -1; strings /usr/lib/x86_64-linux-gnu/libstdc++.so.6 | grep -c '^GLIBCXX_3' ; g++ --version | head -1

step "1. dispatch key table"
"$py" scripts/make_dispatch_key_table.py && cp resources/dispatch-keys/torch-2.11.json "$out/" 2>/dev/null

step "2. build"
prefix="$here/.carry/usr;$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
start=$(date +%s)
cmake -S . -B /tmp/ct/build -DAOTISCOPE_BUILD_GUI=OFF -DAOTISCOPE_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$prefix" -DAOTISCOPE_PYTHON="$(command -v "$py")" > /tmp/ct/cmake.log 2>&1 || tail -30 /tmp/ct/cmake.log
cmake --build /tmp/ct/build -j 16 > /tmp/ct/build.log 2>&1 || tail -30 /tmp/ct/build.log
echo "build: $(( $(date +%s) - start )) s"
cli=/tmp/ct/build/app/cli/aotiscope-cli
ls -la $cli /tmp/ct/build/workers/bench/aotiscope-bench-worker

step "3. PyTorch writes a cuda cache"
root=/tmp/ct/cache
start=$(date +%s)
"$py" tests/fixtures/generate_cache.py "$root" --device cuda 2>&1 | grep -v Warning | tail -3
TORCHINDUCTOR_CACHE_DIR="$root" "$py" - <<'PY' 2>&1 | grep -v Warning
import torch
from torch._inductor.aoti_eager import aoti_compile_with_persistent_cache as compile_entry
g = torch.Generator().manual_seed(0)
x, y = torch.rand(1 << 24, generator=g).cuda(), torch.rand(1 << 24, generator=g).cuda()
compile_entry("aten", "abs", "cuda", False, torch.ops.aten.abs.default, (x,), {})
compile_entry("aten", "add.Tensor", "cuda", False, torch.ops.aten.add.Tensor, (x, y), {"alpha": 2})
PY
echo "cache written in $(( $(date +%s) - start )) s"
w=$(ls "$root"/aoti_eager/aten/cuda/lib/*/*.wrapper.cpp 2>/dev/null | head -1)
[ -n "$w" ] && cp "$w" "$out/sample.wrapper.cpp"
echo "cubin paths in wrappers:"; grep -ho '"[^"]*\.cubin"' "$root"/aoti_eager/aten/cuda/lib/*/*.wrapper.cpp | sort -u | head -5
echo "cubin strings in one library:"; strings "$(ls "$root"/aoti_eager/aten/cuda/lib/*/*.wrapper.so | head -1)" | grep '\.cubin' | head -3

step "4. lint, show and verify in place, then moved"
$cli doctor --root "$root" | head -30
$cli lint --root "$root" ; $cli lint --root "$root" --json > /tmp/ct/lint-inplace.json
$cli show abs --root "$root" --json > /tmp/ct/show-abs.json
"$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); [print(op["device"], e["index"], a["tensor"].get("dispatch_key_set"), a["tensor"].get("dispatch_keys"), a["tensor"].get("dispatch_keys_numbering")) for op in d["ops"] for e in op["entries"] for a in e["args"] if "tensor" in a]' /tmp/ct/show-abs.json
$cli verify --root "$root"
mv "$root" /tmp/ct/moved
$cli lint --root /tmp/ct/moved; $cli lint --root /tmp/ct/moved --json > /tmp/ct/lint-moved.json
$cli bench abs --root /tmp/ct/moved --max-ms 200
mv /tmp/ct/moved "$root"

step "5. registration and calls on CUDA, with and without the system libstdc++ preloaded"
for pre in "" /usr/lib/x86_64-linux-gnu/libstdc++.so.6; do
  echo "-- LD_PRELOAD=${pre:-(none)}"
  LD_PRELOAD="$pre" TORCHINDUCTOR_CACHE_DIR="$root" timeout 300 "$py" scripts/cuda_oracle.py calls "$root" > /tmp/ct/oracle.json 2> /tmp/ct/oracle.err
  rc=$?; echo "exit status $rc$([ $rc -gt 128 ] && echo " (signal $((rc - 128)))")"; tail -3 /tmp/ct/oracle.err
  [ -s /tmp/ct/oracle.json ] && cp /tmp/ct/oracle.json "/tmp/ct/oracle${pre:+-preload}.json"
done
if [ -s /tmp/ct/oracle-preload.json ] || [ -s /tmp/ct/oracle.json ]; then
  f=$(ls /tmp/ct/oracle-preload.json /tmp/ct/oracle.json 2>/dev/null | head -1)
  "$py" - "$f" "$cli" "$root" <<'PY'
import json, subprocess, sys
d = json.load(open(sys.argv[1]))
print("registered:", d["registered"])
agree = total = 0
for name, c in d["calls"].items():
    r = subprocess.run([sys.argv[2], "explain", c["op"], "--root", sys.argv[3], "--device", "cuda", "--json",
                        "--call", json.dumps(c["meta_info"])], capture_output=True, text=True)
    try:
        tool = "hit" if any(x["hit"] for x in json.loads(r.stdout)["results"]) else "miss"
    except Exception:
        tool = "error: " + (r.stderr or r.stdout)[:200]
    total += 1; agree += tool == c["pytorch"]
    print(f"{name:<14} PyTorch {c['pytorch']:<5} correct={c['correct']} error={c['error']}  explain: {tool}")
print(f"agree {agree} of {total}")
PY
fi

step "6. worker against do_bench, same run"
$cli bench abs add.Tensor --root "$root" --device cuda --json > /tmp/ct/bench.json 2>/tmp/ct/bench.err || tail -5 /tmp/ct/bench.err
LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libstdc++.so.6 "$py" scripts/cuda_oracle.py dobench "$root" > /tmp/ct/dobench.json 2>/tmp/ct/dobench.err || tail -5 /tmp/ct/dobench.err
"$py" - <<'PY'
import json
b = json.load(open("/tmp/ct/bench.json"))["results"]
d = json.load(open("/tmp/ct/dobench.json"))
print(f"{'entry':<16} {'sizes':<12} {'worker aoti':>12} {'do_bench aoti':>14} {'worker eager':>13} {'do_bench eager':>15}  speedup [CI]  rounds  s")
for r in b:
    x = r.get("result", {})
    name = r["position"].split("/")[-1].replace(" #", "#")
    f = d.get(name, {})
    if "aoti" not in x:
        print(name, r.get("message")); continue
    print(f"{name:<16} {str(f.get('sizes')):<12} {x['aoti']['median_us']:10.2f}us {f.get('aoti_us', float('nan')):12.2f}us "
          f"{x['eager']['median_us']:11.2f}us {f.get('eager_us', float('nan')):13.2f}us  {x['speedup']:.2f} "
          f"[{x['speedup_ci'][0]:.2f}-{x['speedup_ci'][1]:.2f}] {x['rounds']:>4} {r['seconds']:5.2f} {x['verdict']} {x['noise']['signs']}")
PY
"$py" bench/bench_stability.py --cli "$cli" --root "$root" --device cuda --runs 3 abs add.Tensor
tar czf "$out/results.tgz" -C /tmp/ct $(cd /tmp/ct && ls *.json 2>/dev/null) 2>/dev/null
ls -la "$out"
