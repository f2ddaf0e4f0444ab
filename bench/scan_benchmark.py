#!/usr/bin/env python3
"""Scan speed: aotiscope-cli against PyTorch's own cache loader on a synthetic 100,000-entry cache.

Generates (once) 10,000 op files of 10 entries each, every entry pointing at its own small library: a real
ELF shared object exporting the AOTI runner's entry points, so both PyTorch's loader (which checks that each
library exists) and AOTIScope's lint (which reads each ELF header) do their full work. Then, in one run:
  - PyTorch: torch._inductor.aoti_eager.load_aoti_eager_cache looped over every op (torch import excluded),
  - AOTIScope: `aotiscope-cli ls --json` (made, and remembered for an unchanged cache) and
    `aotiscope-cli lint --json` (whole processes, output discarded),
each repeated, median reported, with the peak resident memory of each process.

With --upgraded, the cache is what a torch upgrade leaves (issue: scale): every library needs a libtorch that
is not there (unresolved DT_NEEDED) and every tensor's dispatch key set is one the torch in use gives no fresh
tensor, so lint reports three findings per entry (300,000 for the default size).

usage: bench/scan_benchmark.py [--root DIR] [--ops 10000] [--entries-per-op 10] [--repeat 3] [--upgraded]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
CLI = os.path.join(PROJECT, "build", "app", "cli", "aotiscope-cli")
PYTHON = os.path.join(PROJECT, ".venv", "bin", "python")

DUMMY_C = r"""
int AOTInductorModelContainerCreateWithDevice(void) { return 0; }
int AOTInductorModelContainerDelete(void) { return 0; }
int AOTInductorModelContainerRun(void) { return 0; }
int AOTInductorModelContainerGetNumOutputs(void) { return 0; }
"""

CPU_FLOAT_KEYS = 635655225345  # torch 2.13: CPU, ADInplaceOrView, AutogradCPU, AutocastCPU
CONJUGATE_KEYS = 637802708993  # torch 2.13: CPU, Conjugate, ADInplaceOrView, AutogradCPU, AutocastCPU


def tensor(sizes, order, keys=CPU_FLOAT_KEYS):
    strides, acc = [], 1
    for s in reversed(sizes):
        strides.insert(0, acc)
        acc *= s
    return {"is_dynamic": False, "device_type": "cpu", "device_index": -1, "dtype": "torch.float32",
            "sizes": sizes, "strides": strides, "requires_grad": False,
            "dispatch_key_set": keys, "arg_order": order}


def generate(root, ops, per_op, upgraded):
    marker = os.path.join(root, f".synthetic-{ops}x{per_op}{'-upgraded' if upgraded else ''}")
    if os.path.exists(marker):
        return
    shutil.rmtree(root, ignore_errors=True)
    dev = os.path.join(root, "aoti_eager", "aten", "cpu")
    os.makedirs(dev)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "dummy.c")
        with open(src, "w") as f:
            f.write(DUMMY_C)
        so = os.path.join(tmp, "dummy.so")
        link = []
        if upgraded:  # needs a library that is gone once this folder is: libtorch_cpu_gone.so
            gone = os.path.join(tmp, "gone.c")
            open(gone, "w").write("int gone(void) { return 0; }\n")
            subprocess.run(["cc", "-shared", "-fPIC", "-o", os.path.join(tmp, "libtorch_cpu_gone.so"), gone], check=True)
            link = ["-Wl,--no-as-needed", "-L" + tmp, "-ltorch_cpu_gone"]
        subprocess.run(["cc", "-shared", "-fPIC", "-s", "-o", so, src, *link], check=True)
        with open(so, "rb") as f:
            library = f.read()
    n = 0
    for op_index in range(ops):
        entries = []
        for e in range(per_op):
            key = f"c{n:051d}"
            rel = f"lib/{key[-2:]}/{key}.wrapper.so"
            path = os.path.join(dev, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(library)
            sizes = [e + 1, 8]
            keys = CONJUGATE_KEYS if upgraded else CPU_FLOAT_KEYS
            entries.append({"meta_info": [tensor(sizes, 0, keys), tensor(sizes, 1, keys),
                                          {"is_dynamic": False, "device_type": "cpu", "device_index": -1,
                                           "dtype": "torch.int32", "scalar_value": 2, "arg_order": 2}],
                            "kernel_path": rel})
            n += 1
        with open(os.path.join(dev, f"synthetic_op_{op_index}.Tensor.json"), "w") as f:
            json.dump(entries, f, indent=4)
    open(marker, "w").close()


def run_child(argv, env=None):
    """Runs a process with output discarded; returns (seconds, peak RSS in MiB, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode()
    if proc.returncode not in (0, 1):
        sys.exit(f"{argv} failed ({proc.returncode}): {err}")
    return took, usage.ru_maxrss / 1024.0, proc.returncode


PYTORCH_LOOP = r"""
import os, resource, sys, time, json
import torch
from torch._inductor.aoti_eager import load_aoti_eager_cache
dev = os.path.join(os.environ["TORCHINDUCTOR_CACHE_DIR"], "aoti_eager", "aten", "cpu")
ops = sorted(f[:-5] for f in os.listdir(dev) if f.endswith(".json"))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
entries = 0
for op in ops:
    entries += len(load_aoti_eager_cache("aten", op, "cpu"))
took = time.perf_counter() - start
print(json.dumps({"seconds": took, "ops": len(ops), "entries": entries,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                  "rss_before_mib": before / 1024.0}))
"""


def floor_seconds(root, repeat):
    """What any tool must do to say what is in the cache: list and stat every library, read every op file; split
    over the cores by lib/ subfolder (find and cat, outputs discarded)."""
    dev = os.path.join(root, "aoti_eager", "aten", "cpu")
    script = (f"cd {dev} && (ls lib | xargs -P {os.cpu_count()} -I{{}} find lib/{{}} -type f -printf '%s\\n' > /dev/null) && "
              f"(ls | grep '\\.json$' | xargs -P {os.cpu_count()} -n 500 cat > /dev/null)")
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(["sh", "-c", script], check=True)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=os.path.join(tempfile.gettempdir(), "aotiscope-bench-cache"))
    parser.add_argument("--ops", type=int, default=10000)
    parser.add_argument("--entries-per-op", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--upgraded", action="store_true", help="libraries not loadable here, foreign key sets")
    opts = parser.parse_args()
    if not os.path.exists(CLI):
        sys.exit(f"{CLI} not built: run scripts/build.sh")

    t0 = time.perf_counter()
    generate(opts.root, opts.ops, opts.entries_per_op, opts.upgraded)
    print(f"cache: {opts.root} ({opts.ops} ops x {opts.entries_per_op} entries, ready in {time.perf_counter() - t0:.1f}s)")
    print(f"machine: {os.cpu_count()} cores")

    env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=opts.root)
    torch_runs = []
    for _ in range(opts.repeat):
        out = subprocess.run([PYTHON, "-c", PYTORCH_LOOP], env=env, capture_output=True, text=True, check=True)
        torch_runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    torch_s = statistics.median(r["seconds"] for r in torch_runs)
    expected = opts.ops * opts.entries_per_op
    assert torch_runs[0]["entries"] == expected, torch_runs[0]

    results = {}
    with tempfile.TemporaryDirectory() as store:
        # The inspection cache (ELF summaries of unchanged libraries) lives in its own folder for this run:
        # "cold" reads every library, "warm" is the second lint of an unchanged cache.
        cli_env = dict(os.environ, AOTISCOPE_CACHE_DIR=store)
        # `ls` remembers its listing there too (core/report/ListingIndex.h): "made" is a listing made by a scan and
        # a lint (the index removed before each run, the inspections warm), "remembered" an unchanged cache's.
        def forget_listings():
            for f in os.listdir(store):
                if f.startswith("listing-"):
                    os.remove(os.path.join(store, f))
        for name, args in [("lint --json (cold)", ["lint", "--json", "--no-inspection-cache"]),
                           ("lint --json (warm)", ["lint", "--json"]),
                           ("ls --json (made)", ["ls", "--json"]),
                           ("ls --json (remembered)", ["ls", "--json"])]:
            if name.endswith("(warm)"):
                run_child([CLI, *args, "--root", opts.root], env=cli_env)  # fills the inspection cache
            if name.endswith("(remembered)"):
                run_child([CLI, *args, "--root", opts.root], env=cli_env)  # remembers the listing
            runs = []
            for _ in range(opts.repeat):
                if name.endswith("(made)"):
                    forget_listings()
                runs.append(run_child([CLI, *args, "--root", opts.root], env=cli_env))
            results[name] = (statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[0][2])

    print(f"\nPyTorch load_aoti_eager_cache over {torch_runs[0]['ops']} ops ({expected} entries): "
          f"{torch_s:.3f} s median of {opts.repeat} (torch import excluded; process peak RSS "
          f"{max(r['rss_mib'] for r in torch_runs):.0f} MiB)")
    for name, (secs, rss, code) in results.items():
        print(f"aotiscope-cli {name:<22} {secs:.3f} s median of {opts.repeat} (whole process), peak RSS {rss:.0f} MiB, "
              f"exit {code}, {torch_s / secs:.1f}x faster than PyTorch's loader")
    floor = floor_seconds(opts.root, opts.repeat)
    print(f"floor (readdir and stat of every file under lib/, and reading every op file, {os.cpu_count()} processes): "
          f"{floor:.3f} s median of {opts.repeat}")
    ls_s = results["ls --json (remembered)"][0]
    made_s = results["ls --json (made)"][0]
    print("\ntargets (ls --json within 1.3x of the floor; lint --json within 1.5x of ls --json and under 600 MB):")
    print(f"  ls --json (remembered)  {ls_s / floor:.2f}x the floor: {'met' if ls_s <= 1.3 * floor else 'NOT met'}")
    print(f"  ls --json (made)        {made_s / floor:.2f}x the floor: {'met' if made_s <= 1.3 * floor else 'NOT met'}")
    for name, (secs, rss, _) in results.items():
        if name.startswith("lint"):
            # Against the listing that does the same work (scan, lint, write); a remembered listing does none of it.
            print(f"  {name:<22}  {secs / made_s:.2f}x ls --json (made), {rss:.0f} MiB: "
                  f"{'met' if secs <= 1.5 * made_s and rss < 600 else 'NOT met'}; {secs / ls_s:.1f}x ls --json (remembered)")

if __name__ == "__main__":
    main()
