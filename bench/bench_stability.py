#!/usr/bin/env python3
"""Do benchmark verdicts hold? The same entries benchmarked N times in a row, each run in a fresh worker process
(the CLI starts one), every later run compared with the first as its baseline through `bench --against` (the
statistics the window's baselines use). Prints, per entry, the verdict of each run, the speedup with its 95 %
interval, the rounds and seconds each run took against the cap, and the change against the first run.

Targets (issue: benchmark verdicts that hold on a busy machine): the same verdict N of N; "no significant change"
against the first run N-1 of N-1; a series that meets its interval target stops well before the cap.

usage: bench/bench_stability.py [--cli build/app/cli/aotiscope-cli] [--root build/real-cache] [--runs 5]
                                [--max-ms 2000] [ops...]      (default ops: abs add.Tensor div.Tensor_mode)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default=os.path.join(here, "build/app/cli/aotiscope-cli"))
    ap.add_argument("--root", default=os.path.join(here, "build/real-cache"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--max-ms", default="2000")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("ops", nargs="*", default=["abs", "add.Tensor", "div.Tensor_mode"])
    o = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="aotiscope-stability-")
    runs, changes = [], []
    for i in range(o.runs):
        path = os.path.join(tmp, f"run{i}.json")
        cmd = [o.cli, "bench", *o.ops, "--root", o.root, "--device", o.device, "--json", "--max-ms", o.max_ms]
        if i > 0:
            cmd += ["--against", os.path.join(tmp, "run0.json")]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode not in (0, 1):
            print(p.stderr, file=sys.stderr)
            return 2
        open(path, "w").write(p.stdout)
        runs.append({r["key"]: r for r in json.loads(p.stdout)["results"]})
        # --against with --json prints its lines on stderr: "<position> <change>"
        if i > 0:
            lines = p.stderr.split("\nagainst ", 1)[1].splitlines()[1:] if "\nagainst " in p.stderr else []
            changes.append({l[:30].strip(): l[31:].strip() for l in lines})
    keys = list(runs[0])
    same_verdict = no_change = compared = 0
    cap = float(o.max_ms) / 1000
    print(f"{o.runs} runs of {len(keys)} entries in {o.root} (cap {cap:.1f} s per entry)\n")
    for key in keys:
        pos = runs[0][key]["position"] if "position" in runs[0][key] else key
        print(pos)
        verdicts = []
        for i, run in enumerate(runs):
            r = run.get(key, {})
            x = r.get("result", {})
            if not r.get("ok"):
                print(f"  run {i + 1}: FAILED {r.get('message')}")
                verdicts.append("failed")
                continue
            verdicts.append(x["verdict"])
            ci = x.get("speedup_ci", [0, 0])
            change = "" if i == 0 else changes[i - 1].get(pos, "?")
            print(f"  run {i + 1}: {x['verdict']:<22} speedup {x['speedup']:.3f} [{ci[0]:.3f}-{ci[1]:.3f}]  "
                  f"aoti {x['aoti']['median_us']:.3f} us  rounds {x['rounds']:<3} {'converged' if x['converged'] else 'capped'} "
                  f"in {r['seconds']:.2f} s  {change}")
            if i > 0:
                compared += 1
                no_change += change.startswith("no significant change")
        # A run that failed has no verdict to agree with: the entry counts as not stable.
        same_verdict += len(set(verdicts)) == 1 and "failed" not in verdicts
    print(f"\nsame verdict in every run: {same_verdict} of {len(keys)} entries")
    print(f"no significant change against the first run: {no_change} of {compared} comparisons")
    return 0


if __name__ == "__main__":
    sys.exit(main())
