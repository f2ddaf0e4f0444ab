#!/usr/bin/env bash
# CUDA verification, run on a machine with an NVIDIA GPU and a CUDA torch (no build needed: Python only).
# 1. PyTorch writes a real cuda cache (tests/fixtures/generate_cache.py --device cuda).
# 2. The compile worker recompiles every entry of it into a fresh root, from the meta_info alone, in one
#    long-lived process; the meta_info it produces must equal PyTorch's, entry for entry.
# Results go to $OUT (or ./cuda-verify): events, timings, the op files and the libraries' metadata.
set -uo pipefail
out="${OUT:-cuda-verify}"
mkdir -p "$out"
py="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1
{
  nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv
  "$py" -c 'import torch, sys; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), "python", sys.version.split()[0])'
} 2>&1 | tee "$out/environment.txt"
pytorch_root=/tmp/aotiscope-cuda-pytorch
worker_root=/tmp/aotiscope-cuda-worker
rm -rf "$pytorch_root" "$worker_root"
start=$(date +%s)
"$py" tests/fixtures/generate_cache.py "$pytorch_root" --device cuda 2>&1 | grep -v Warning | tee "$out/generate.log"
echo "generate_cache.py --device cuda: $(( $(date +%s) - start )) s" | tee -a "$out/generate.log"
"$py" - "$pytorch_root" "$worker_root" > "$out/requests.jsonl" <<'PY'
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]
dev = os.path.join(src, "aoti_eager", "aten", "cuda")
for name in sorted(f[:-5] for f in os.listdir(dev) if f.endswith(".json")):
    for i, entry in enumerate(json.load(open(os.path.join(dev, name + ".json")))):
        print(json.dumps({"id": f"{name}#{i}", "type": "compile", "root": dst, "ns": "aten", "op": name,
                          "device": "cuda", "meta_info": entry["meta_info"]}))
PY
start=$(date +%s)
"$py" workers/compile_worker.py < "$out/requests.jsonl" > "$out/worker-events.jsonl" 2> "$out/worker-stderr.log"
echo "worker: $(( $(date +%s) - start )) s for $(wc -l < "$out/requests.jsonl") entries" | tee "$out/worker.txt"
"$py" - "$pytorch_root" "$worker_root" "$out/worker-events.jsonl" <<'PY' | tee -a "$out/worker.txt"
import json, os, sys
src, dst, events = sys.argv[1:4]
for line in open(events):
    e = json.loads(line)
    if e.get("event") in ("ready", "finished", "failed"):
        print(e.get("id", "-"), e["event"], e.get("seconds", ""), e.get("message", e.get("torch", "")))
dev = lambda root: os.path.join(root, "aoti_eager", "aten", "cuda")
same = total = 0
for f in sorted(os.listdir(dev(src))):
    if not f.endswith(".json"):
        continue
    a = [e["meta_info"] for e in json.load(open(os.path.join(dev(src), f)))]
    b = [e["meta_info"] for e in json.load(open(os.path.join(dev(dst), f)))] if os.path.exists(os.path.join(dev(dst), f)) else []
    for m in a:
        total += 1
        same += m in b
print(f"meta_info identical to PyTorch's for {same} of {total} entries")
PY
cd "$pytorch_root/aoti_eager/aten/cuda" && tar czf "$out/pytorch-cuda-cache-metadata.tgz" *.json $(find lib -name '*_metadata.json' | head -50) 2>/dev/null
ls -la "$out"
