#!/usr/bin/env python3
"""The benchmark worker's timing against torch.utils.benchmark.Timer, and its start-up overhead, in one run.

Compiles a few CPU kernels large enough to time well (through PyTorch's own AOTI-eager writer, into a fresh
cache), then, in each of many rounds, starts a fresh worker and a fresh Timer process and has them time each
entry back to back, taking turns going first (a shared machine's speed drifts by tens of per cent within
seconds, so each pair is compared and the median of the paired ratios is reported):
  - aotiscope-bench-worker (warm samples, one thread): per-call steady clock, IQR-stopped;
  - torch.utils.benchmark.Timer(num_threads=1).blocked_autorange on the same library loaded with PyTorch's own
    runner (torch._C._aoti.AOTIModelContainerRunnerCpu) and on the eager op, with the same shapes and values.
Both run with the same allocator settings (the worker sets them with mallopt; this script re-executes itself
with GLIBC_TUNABLES), so neither pays page faults the other does not. Prints the medians over the rounds and
their ratio (target: within 5 %), and what starting the worker and loading the first library cost per batch
(target: under 1.5 s).

usage: .venv/bin/python bench/bench_accuracy.py [--cli build/app/cli/aotiscope-cli | --worker PATH] [--rounds 12]
                                                 [--keep DIR]
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

TUNABLES = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1073741824"


OPS = ("abs", "add.Tensor", "sigmoid")


def entry_specs(torch):
    gen = torch.Generator().manual_seed(0)
    # 64 MB per tensor: a few milliseconds per call, so Python's call overhead in Timer stays negligible, and
    # every working set far beyond the last-level cache (32 MB here), whose hit rate would otherwise swing with
    # where the buffers land and with the neighbours sharing it.
    n = 1 << 24
    aten = torch.ops.aten
    x, y = torch.rand(n, generator=gen), torch.rand(n, generator=gen)
    todo = [("abs", aten.abs.default, (x,), {}),
            ("add.Tensor", aten.add.Tensor, (x, y), {"alpha": 2}),
            ("sigmoid", aten.sigmoid.default, (torch.rand(4096, 4096, generator=gen),), {})]
    assert tuple(name for name, *_ in todo) == OPS
    return todo


def compile_entries(torch):
    from torch._inductor.aoti_eager import aoti_compile_with_persistent_cache
    todo = entry_specs(torch)
    for name, op, args, kwargs in todo:
        t0 = time.monotonic()
        path = aoti_compile_with_persistent_cache("aten", name, "cpu", False, op, args, kwargs)
        print(f"compiled {name} in {time.monotonic() - t0:.1f} s -> {os.path.basename(path)}", file=sys.stderr)
    return todo


def timer_child(root, eager_only):
    """torch.utils.benchmark.Timer in this fresh process: for each op name read from stdin, one JSON line
    {t_eager, t_aoti, loop} on stdout."""
    import torch
    from torch.utils.benchmark import Timer
    torch.set_num_threads(1)
    device_dir = os.path.join(root, "aoti_eager", "aten", "cpu")
    specs = {name: (op, args, kwargs) for name, op, args, kwargs in entry_specs(torch)}

    def timer(stmt, env):
        timer = Timer(stmt=stmt, globals=env, num_threads=1)
        # Warm up by time as the worker does (25 ms, at least 3 calls): in a fresh process the first calls grow
        # the heap by a whole output buffer, page faults that blocked_autorange would otherwise partly time.
        start, calls = time.perf_counter(), 0
        while calls < 3 or time.perf_counter() - start < 0.025:
            timer.timeit(1)
            calls += 1
        return timer.blocked_autorange(min_run_time=0.3).median * 1e6

    def plain_loop(runner, inputs, calls=50):
        """Median of single calls timed with perf_counter: a third opinion, in Timer's process."""
        times = []
        for _ in range(calls):
            t0 = time.perf_counter()
            runner.run(inputs)
            times.append(time.perf_counter() - t0)
        return statistics.median(times) * 1e6

    print("ready", flush=True)
    for line in sys.stdin:
        name = line.strip()
        op, args, kwargs = specs[name]
        entry = json.load(open(os.path.join(device_dir, name + ".json")))[0]
        # The worker's inputs: floats uniform in [0, 1) from a CPU generator seeded with 0, in argument order.
        gen = torch.Generator().manual_seed(0)
        inputs = [torch.rand(m["sizes"], generator=gen) for m in entry["meta_info"] if "sizes" in m]
        eager_args = tuple(inputs[i] if isinstance(a, torch.Tensor) else a for i, a in enumerate(args))
        figures = {"t_eager": timer("op(*args, **kwargs)", {"op": op, "args": eager_args, "kwargs": kwargs})}
        if not eager_only:
            runner = torch._C._aoti.AOTIModelContainerRunnerCpu(os.path.join(device_dir, entry["kernel_path"]), 1)
            figures["t_aoti"] = timer("runner.run(inputs)", {"runner": runner, "inputs": inputs})
            figures["loop"] = plain_loop(runner, inputs)
        print(json.dumps(figures), flush=True)
    return 0


class WorkerSession:
    """One aotiscope-bench-worker process, spoken to directly (the JSON-lines protocol the CLI uses)."""

    def __init__(self, path, root):
        self.root, self.dev = root, os.path.join(root, "aoti_eager", "aten", "cpu")
        t0 = time.monotonic()
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = json.loads(self.proc.stdout.readline())
        assert ready["event"] == "ready", ready
        self.start_ms = (time.monotonic() - t0) * 1000

    def bench(self, name, options):
        entry = json.load(open(os.path.join(self.dev, name + ".json")))[0]
        self.proc.stdin.write(json.dumps({"type": "bench", "id": name, "root": self.root, "ns": "aten", "op": name,
                                          "device": "cpu", "library": os.path.join(self.dev, entry["kernel_path"]),
                                          "meta_info": entry["meta_info"], "options": options}) + "\n")
        self.proc.stdin.flush()
        while True:
            e = json.loads(self.proc.stdout.readline())
            if e["event"] in ("finished", "failed"):
                return {"ok": e["event"] == "finished", "message": e.get("message", ""), "result": e.get("result", {})}

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


class TimerSession:
    """This script's --timer-child: Timer in a fresh Python process."""

    def __init__(self, root, eager_only):
        argv = [sys.executable, os.path.abspath(__file__), "--timer-child", "--keep", root]
        self.proc = subprocess.Popen(argv + (["--eager-only"] if eager_only else []), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def time(self, name):
        self.proc.stdin.write(name + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def worker_run(opts, root, ops, extra=()):
    """{op: {ok, message, result, worker_start_ms}} for the first entry of each op: through aotiscope-cli, or
    (--worker, on a machine with torch but without the CLI's packages) speaking to the worker directly."""
    if not opts.worker:
        out = subprocess.run([opts.cli, "bench", *ops, "--root", root, "--json", "--warm", "--kernel-threads", "1", *extra],
                             capture_output=True, text=True)
        return {r["position"].split("/")[2].split(" #")[0]: r for r in json.loads(out.stdout)["results"]}
    options = {"cold": False, "threads": 1}
    for flag, value in zip(extra[::2], extra[1::2]):
        options[{"--max-ms": "max_ms", "--min-rounds": "min_rounds"}[flag]] = float(value) if flag == "--max-ms" else int(value)
    worker = WorkerSession(opts.worker, root)
    results = {name: dict(worker.bench(name, options), worker_start_ms=0) for name in ops}
    results[ops[0]]["worker_start_ms"] = worker.start_ms
    worker.close()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--cli", default=os.path.join(here, "build/app/cli/aotiscope-cli"))
    parser.add_argument("--worker", help="talk to this aotiscope-bench-worker directly instead of through the CLI")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--eager-only", action="store_true",
                        help="compare the eager timings only: for a torch whose Python AOTI runner binding crashes "
                             "(torch 2.11's AOTIModelContainerRunnerCpu segfaults in its constructor on some machines)")
    parser.add_argument("--keep", help="compile into this folder and keep it")
    parser.add_argument("--compile-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--timer-child", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if os.environ.get("GLIBC_TUNABLES") != TUNABLES:
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "GLIBC_TUNABLES": TUNABLES})
    root = os.path.abspath(opts.keep) if opts.keep else tempfile.mkdtemp(prefix="aotiscope-accuracy-")
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = root
    if opts.compile_only:
        import torch
        compile_entries(torch)
        return 0
    if opts.timer_child:
        return timer_child(root, opts.eager_only)
    # Compile in a child: inductor leaves compile workers and threads behind, which would share this
    # 2-core machine with Timer's measurements.
    subprocess.run([sys.executable, os.path.abspath(__file__), "--compile-only", "--keep", root], check=True)
    ops = list(OPS)
    samples = {name: {"w_aoti": [], "w_eager": [], "t_aoti": [], "t_eager": [], "loop": []} for name in ops}
    # The CLI's build folder holds the worker at workers/bench (build/app/cli/aotiscope-cli -> build/).
    build_dir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(opts.cli))))
    worker_path = opts.worker or os.path.join(build_dir, "workers", "bench", "aotiscope-bench-worker")
    options = {"cold": False, "threads": 1, "max_ms": 300}
    for round_index in range(opts.rounds):
        # Fresh processes on both sides every round, so that each round draws new memory pages for both (a
        # kernel's speed here depends on where its buffers land); within a round the two time the same op back
        # to back.
        worker, timer = WorkerSession(worker_path, root), TimerSession(root, opts.eager_only)
        for op_index, name in enumerate(ops):
            # Two pairs per entry in mirrored order (worker, Timer, Timer, worker or the reverse): a drift in
            # the machine's speed over the four measurements falls on both sides alike.
            first, second = ["worker", "timer"] if (round_index + op_index) % 2 == 0 else ["timer", "worker"]
            for side in (first, second, second, first):
                if side == "worker":
                    r = worker.bench(name, options)
                    if not r["ok"] or "aoti" not in r["result"]:
                        sys.exit(f"{name}: the worker failed: {r['message'] or r['result'].get('verdict')}")
                    samples[name]["w_aoti"].append(r["result"]["aoti"]["median_us"])
                    samples[name]["w_eager"].append(r["result"]["eager"]["median_us"])
                else:
                    for key, value in timer.time(name).items():
                        samples[name][key].append(value)
        worker.close()
        timer.close()

    print(f"medians over {opts.rounds} rounds of two mirrored pairs, one thread, warm samples; ratio: median of the "
          f"pairs' worker/Timer ratios")
    print(f"{'entry':<12} {'worker AOTI':>12} {'Timer AOTI':>12} {'ratio':>6}   {'worker eager':>12} {'Timer eager':>12} {'ratio':>6}")
    worst = 0.0
    for name in ops:
        s = {k: statistics.median(v) if v else float("nan") for k, v in samples[name].items()}
        pairs = lambda a, b: [w / t for w, t in zip(samples[name][a], samples[name][b])]
        re = statistics.median(pairs("w_eager", "t_eager"))
        ra = statistics.median(pairs("w_aoti", "t_aoti")) if samples[name]["t_aoti"] else float("nan")
        worst = max(worst, abs(re - 1), 0 if opts.eager_only else abs(ra - 1))
        print(f"{name:<12} {s['w_aoti']:>9.2f} us {s['t_aoti']:>9.2f} us {ra:>6.3f}   "
              f"{s['w_eager']:>9.2f} us {s['t_eager']:>9.2f} us {re:>6.3f}")
        if not opts.eager_only:
            rounds = ", ".join(f"{w:.0f}/{t:.0f}" for w, t in zip(samples[name]["w_aoti"], samples[name]["t_aoti"]))
            print(f"{'':<12} AOTI per round (worker/Timer, us): {rounds}")
            print(f"{'':<12} AOTI, plain perf_counter loop over the same runner in this process: {s['loop']:.2f} us "
                  f"(worker/loop {statistics.median(pairs('w_aoti', 'loop')):.3f})")
    print(f"\nworst disagreement with torch.utils.benchmark.Timer: {worst * 100:.1f} % (target: within 5 %)")

    # Start-up overhead: three batches of one entry each (the first may read libtorch from disk).
    for i in range(3):
        r = worker_run(opts, root, ["abs"], ("--max-ms", "50", "--min-rounds", "2"))["abs"]
        start, load = r["worker_start_ms"], r["result"]["load_ms"]
        print(f"batch {i + 1}: worker start {start:.0f} ms + first library load {load:.0f} ms = {start + load:.0f} ms "
              f"(target: under 1500 ms)")
    if not opts.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if worst <= 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
