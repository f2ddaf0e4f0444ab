#!/usr/bin/env python3
"""The benchmark worker's timing against torch.utils.benchmark.Timer, and its start-up overhead, in one run.

Compiles a few CPU kernels large enough to time well (through PyTorch's own AOTI-eager writer, into a fresh
cache), then for each entry, in alternating rounds (a shared machine drifts between processes):
  - `aotiscope-cli bench --json --warm --kernel-threads 1`: the worker, per-call steady clock, IQR-stopped;
  - torch.utils.benchmark.Timer(num_threads=1).blocked_autorange on the same library loaded with PyTorch's own
    runner (torch._C._aoti.AOTIModelContainerRunnerCpu) and on the eager op, with the same shapes and values.
Both run with the same allocator settings (the worker sets them with mallopt; this script re-executes itself
with GLIBC_TUNABLES), so neither pays page faults the other does not. Prints the medians over the rounds and
their ratio (target: within 10 %), and what starting the worker and loading the first library cost per batch
(target: under 1.5 s).

usage: .venv/bin/python bench/bench_accuracy.py [--cli build/app/cli/aotiscope-cli] [--rounds 3] [--keep DIR]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824"


def compile_entries(torch):
    from torch._inductor.aoti_eager import aoti_compile_with_persistent_cache
    gen = torch.Generator().manual_seed(0)
    n = 1 << 22  # 16 MB per tensor: a millisecond-scale kernel, so that Python's call overhead in Timer stays small
    aten = torch.ops.aten
    x, y = torch.rand(n, generator=gen), torch.rand(n, generator=gen)
    todo = [("abs", aten.abs.default, (x,), {}),
            ("add.Tensor", aten.add.Tensor, (x, y), {"alpha": 2}),
            ("sigmoid", aten.sigmoid.default, (torch.rand(2048, 2048, generator=gen),), {})]
    for name, op, args, kwargs in todo:
        t0 = time.monotonic()
        path = aoti_compile_with_persistent_cache("aten", name, "cpu", False, op, args, kwargs)
        print(f"compiled {name} in {time.monotonic() - t0:.1f} s -> {os.path.basename(path)}", file=sys.stderr)
    return todo


def worker_run(cli, root, ops, extra=()):
    out = subprocess.run([cli, "bench", *ops, "--root", root, "--json", "--warm", "--kernel-threads", "1", *extra],
                         capture_output=True, text=True)
    return {r["id"].split("/")[2].split("#")[0]: r for r in json.loads(out.stdout)["results"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--cli", default=os.path.join(here, "build/app/cli/aotiscope-cli"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", help="compile into this folder and keep it")
    opts = parser.parse_args()
    if os.environ.get("GLIBC_TUNABLES") != TUNABLES:
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "GLIBC_TUNABLES": TUNABLES})
    root = os.path.abspath(opts.keep) if opts.keep else tempfile.mkdtemp(prefix="aotiscope-accuracy-")
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = root
    import torch
    from torch.utils.benchmark import Timer
    todo = compile_entries(torch)
    torch.set_num_threads(1)
    device_dir = os.path.join(root, "aoti_eager", "aten", "cpu")
    # The worker's inputs: floats uniform in [0, 1) from a CPU generator seeded with 0, in argument order.
    gen = torch.Generator().manual_seed(0)
    prepared = {}
    for name, op, args, kwargs in todo:
        entry = json.load(open(os.path.join(device_dir, name + ".json")))[0]
        runner = torch._C._aoti.AOTIModelContainerRunnerCpu(os.path.join(device_dir, entry["kernel_path"]), 1)
        inputs = [torch.rand(m["sizes"], generator=gen) for m in entry["meta_info"] if "sizes" in m]
        eager_args = tuple(inputs[i] if isinstance(a, torch.Tensor) else a for i, a in enumerate(args))
        prepared[name] = (runner, inputs, op, eager_args, kwargs)

    def timer(stmt, env):
        return Timer(stmt=stmt, globals=env, num_threads=1).blocked_autorange(min_run_time=1.0).median * 1e6

    ops = [name for name, *_ in todo]
    samples = {name: {"w_aoti": [], "w_eager": [], "t_aoti": [], "t_eager": []} for name in ops}
    for _ in range(opts.rounds):
        results = worker_run(opts.cli, root, ops)
        for name in ops:
            r = results[name]
            if not r["ok"] or "aoti" not in r["result"]:
                sys.exit(f"{name}: the worker failed: {r['message'] or r['result'].get('verdict')}")
            samples[name]["w_aoti"].append(r["result"]["aoti"]["median_us"])
            samples[name]["w_eager"].append(r["result"]["eager"]["median_us"])
            runner, inputs, op, eager_args, kwargs = prepared[name]
            samples[name]["t_aoti"].append(timer("runner.run(inputs)", {"runner": runner, "inputs": inputs}))
            samples[name]["t_eager"].append(timer("op(*args, **kwargs)", {"op": op, "args": eager_args, "kwargs": kwargs}))

    print(f"medians over {opts.rounds} alternating rounds, one thread, warm samples")
    print(f"{'entry':<12} {'worker AOTI':>12} {'Timer AOTI':>12} {'ratio':>6}   {'worker eager':>12} {'Timer eager':>12} {'ratio':>6}")
    worst = 0.0
    for name in ops:
        s = {k: statistics.median(v) for k, v in samples[name].items()}
        ra, re = s["w_aoti"] / s["t_aoti"], s["w_eager"] / s["t_eager"]
        worst = max(worst, abs(ra - 1), abs(re - 1))
        print(f"{name:<12} {s['w_aoti']:>9.2f} us {s['t_aoti']:>9.2f} us {ra:>6.3f}   "
              f"{s['w_eager']:>9.2f} us {s['t_eager']:>9.2f} us {re:>6.3f}")
        rounds = ", ".join(f"{w:.0f}/{t:.0f}" for w, t in zip(samples[name]["w_aoti"], samples[name]["t_aoti"]))
        print(f"{'':<12} AOTI per round (worker/Timer, us): {rounds}")
    print(f"\nworst disagreement with torch.utils.benchmark.Timer: {worst * 100:.1f} % (target: within 10 %)")

    # Start-up overhead: three batches of one entry each (the first may read libtorch from disk).
    for i in range(3):
        r = worker_run(opts.cli, root, ["abs"], ("--max-ms", "50", "--min-samples", "5"))["abs"]
        start, load = r["worker_start_ms"], r["result"]["load_ms"]
        print(f"batch {i + 1}: worker start {start:.0f} ms + first library load {load:.0f} ms = {start + load:.0f} ms "
              f"(target: under 1500 ms)")
    if not opts.keep:
        subprocess.run(["rm", "-rf", root])
    return 0 if worst <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
