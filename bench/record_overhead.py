#!/usr/bin/env python3
"""What recording costs a program: per-call time of a registered op that hits (abs) and of an op nobody registered
(add), run plain, under `aotiscope-cli record` and under `record --calls`, each in a fresh process.

  record_overhead.py CLI CACHE_ROOT [--calls N]   CACHE_ROOT: a cache with abs fp32 4x8 (tests' real cache)
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile


def child(n):
    import time
    import torch

    lib = torch.library.Library("aten", "IMPL")
    lib._impl_with_aoti_compile("abs", "CPU")
    x = torch.rand(4, 8) - 0.5
    out = {}
    for name, fn in (("abs (registered, hits)", lambda: torch.abs(x)), ("add (not registered)", lambda: torch.add(x, x))):
        for _ in range(200):
            fn()
        best = None
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            per_call = (time.perf_counter() - start) / n
            best = per_call if best is None else min(best, per_call)
        out[name] = best * 1e6
    print(json.dumps(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cli", nargs="?")
    parser.add_argument("root", nargs="?")
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--child", action="store_true")
    opts = parser.parse_args()
    if opts.child:
        return child(opts.calls)
    work = tempfile.mkdtemp()
    try:
        cache = os.path.join(work, "cache")
        shutil.copytree(opts.root, cache, symlinks=True)
        env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=cache)
        me = [sys.executable, os.path.abspath(__file__), "--child", "--calls", str(opts.calls)]
        runs = {"plain": me,
                "record": [opts.cli, "record", "-o", os.path.join(work, "a.jsonl"), "--"] + me,
                "record --calls": [opts.cli, "record", "--calls", "-o", os.path.join(work, "b.jsonl"), "--"] + me}
        results = {}
        for name, cmd in runs.items():
            p = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            results[name] = json.loads(p.stdout.strip().splitlines()[-1])
        print(f"per-call time, best of 5 x {opts.calls} calls, 4x8 fp32 on CPU (us):")
        print(f"{'':26} {'plain':>8} {'record':>8} {'record --calls':>15}")
        for op in results["plain"]:
            row = [results[r][op] for r in runs]
            print(f"{op:26} {row[0]:8.1f} {row[1]:8.1f} {row[2]:15.1f}   (+{row[2] - row[0]:.1f} us with --calls)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
