#!/usr/bin/env python3
"""Sharing and fleet figures, printed in one run (issue #18):

1. pack, push, pull and unpack of a 100-entry cache: 100 abs entries of distinct shapes, each with its own
   library (the real abs library of the generated cache with a distinct trailing byte, so every blob differs and
   every one loads), through a local docker-registry on loopback. `pull -o` is the transfer alone; `unpack`
   checks every entry (digests, lint with this host, a load in the isolated worker) and places it.
2. recompile throughput: N entries compiled for real (`compile --spec`, once), their libraries deleted, then
   `compile --stale` by one local worker and by a local Ray cluster with 1, 2 and 4 worker slots.

usage: bench/fleet_benchmark.py [--entries 100] [--recompile 6] [--skip-ray] [--work DIR]
Needs build/ (aotiscope-cli, the benchmark worker), build/real-cache, docker-registry and .venv with ray.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
CLI = os.path.join(PROJECT, "build", "app", "cli", "aotiscope-cli")
PYTHON = os.path.join(PROJECT, ".venv", "bin", "python")
RAY = os.path.join(PROJECT, ".venv", "bin", "ray")
REAL = os.path.join(PROJECT, "build", "real-cache")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cli(*args, check=True):
    start = time.monotonic()
    p = subprocess.run([CLI, *args], capture_output=True, text=True, env=dict(os.environ, AOTISCOPE_PYTHON=PYTHON))
    took = time.monotonic() - start
    if check and p.returncode != 0:
        sys.exit(f"aotiscope-cli {' '.join(args)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return took, p


def hundred_entry_cache(root, count):
    """`count` abs entries of distinct shapes, each naming its own copy of the real abs library."""
    src_dir = os.path.join(REAL, "aoti_eager", "aten", "cpu")
    with open(os.path.join(src_dir, "abs.json")) as f:
        template = json.load(f)[0]
    library_dir = os.path.dirname(os.path.join(src_dir, template["kernel_path"]))
    dev = os.path.join(root, "aoti_eager", "aten", "cpu")
    entries = []
    for i in range(count):
        key = f"cbench{i:046d}"
        target = os.path.join(dev, "lib", key)
        os.makedirs(target)
        stem = os.path.basename(template["kernel_path"]).split(".")[0]
        for name in os.listdir(library_dir):  # the library and its sidecars (the folder holds other kernels too)
            if name.startswith(stem) and os.path.isfile(os.path.join(library_dir, name)):
                shutil.copy(os.path.join(library_dir, name), os.path.join(target, name))
        so = os.path.join(target, os.path.basename(template["kernel_path"]))
        with open(so, "ab") as f:
            f.write(i.to_bytes(4, "little"))  # a distinct blob that still loads
        entry = json.loads(json.dumps(template))
        entry["meta_info"][0]["sizes"] = [4 + i, 8]
        entry["kernel_path"] = os.path.relpath(so, dev)
        entries.append(entry)
    with open(os.path.join(dev, "abs.json"), "w") as f:
        json.dump(entries, f, indent=4)


def sharing(work, count):
    root = os.path.join(work, "source")
    hundred_entry_cache(root, count)
    store = os.path.join(work, "registry")
    port = free_port()
    config = os.path.join(work, "registry.yml")
    with open(config, "w") as f:
        f.write(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {store}\nhttp:\n  addr: 127.0.0.1:{port}\n")
    registry = subprocess.Popen(["docker-registry", "serve", config], stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        bundle = os.path.join(work, "bundle.aotib")
        ref = f"127.0.0.1:{port}/bench/kernels:v1"
        t_pack, _ = cli("pack", "--root", root, "-o", bundle)
        t_push, _ = cli("push", ref, "--root", root, "--insecure")
        t_pull, _ = cli("pull", ref, "--insecure", "-o", os.path.join(work, "pulled.aotib"), "--root", root)
        t_unpack, p = cli("unpack", bundle, "--root", os.path.join(work, "target"), "--json")
        placed = json.loads(p.stdout)["counts"]["placed"]
        t_pull_unpack, p2 = cli("pull", ref, "--insecure", "--root", os.path.join(work, "target2"), "--json")
        size = os.path.getsize(bundle)
        print(f"sharing: {count} entries, bundle {size / 2**20:.1f} MiB")
        print(f"  pack {t_pack:.2f} s | push {t_push:.2f} s | pull (transfer only, -o) {t_pull:.2f} s | "
              f"unpack (digests, lint, {count} loads, place) {t_unpack:.2f} s, {placed} placed | pull + unpack {t_pull_unpack:.2f} s, "
              f"{json.loads(p2.stdout)['counts']['placed']} placed")
    finally:
        registry.kill()


def stale_cache(work, count):
    """`count` real abs entries (distinct shapes) compiled by PyTorch once; returned as a template root."""
    root = os.path.join(work, "compiled")
    specs = []
    for i in range(count):
        meta = {"arg_order": 0, "device_index": -1, "device_type": "cpu", "dispatch_key_set": 0, "dtype": "torch.float32",
                "is_dynamic": False, "requires_grad": False, "sizes": [3 + i, 5], "strides": [5, 1]}
        specs.append({"op": "abs", "ns": "aten", "device": "cpu", "meta_info": [meta]})
    spec = os.path.join(work, "specs.json")
    with open(spec, "w") as f:
        json.dump(specs, f)
    os.makedirs(os.path.join(root, "aoti_eager"), exist_ok=True)
    took, _ = cli("compile", "--spec", spec, "--root", root)
    print(f"recompile: {count} abs entries compiled once through PyTorch in {took:.1f} s (one local worker)")
    return root


def made_stale(template, target):
    shutil.copytree(template, target)
    dev = os.path.join(target, "aoti_eager", "aten", "cpu")
    with open(os.path.join(dev, "abs.json")) as f:
        for e in json.load(f):
            os.remove(os.path.join(dev, e["kernel_path"]))
    return target


def ray_run(*args):
    subprocess.run([RAY, *args], capture_output=True, env=dict(os.environ, RAY_USAGE_STATS_ENABLED="0"), check=True)


def recompiles(work, count, skip_ray):
    template = stale_cache(work, count)
    took, p = cli("compile", "--stale", "--root", made_stale(template, os.path.join(work, "local")))
    print(f"  local worker:    {count} in {took:6.1f} s = {count / took * 60:5.1f} entries/min")
    if skip_ray:
        return
    for slots in (1, 2, 4):
        port = free_port()
        ray_run("start", "--head", f"--port={port}", f"--num-cpus={slots}", "--node-ip-address=127.0.0.1",
                "--include-dashboard=false", "--disable-usage-stats")
        try:
            took, p = cli("compile", "--stale", "--ray", f"127.0.0.1:{port}", "--root",
                          made_stale(template, os.path.join(work, f"ray{slots}")))
            done = p.stderr.strip().splitlines()[-1]
            print(f"  Ray, {slots} worker(s): {count} in {took:6.1f} s = {count / took * 60:5.1f} entries/min ({done})")
        finally:
            ray_run("stop", "--force")
    print(f"  (this machine: {os.cpu_count()} CPUs; each compile runs g++ on one)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--recompile", type=int, default=6)
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--work")
    opts = parser.parse_args()
    work = opts.work or tempfile.mkdtemp(prefix="aotiscope-fleet-bench-")
    try:
        sharing(work, opts.entries)
        recompiles(work, opts.recompile, opts.skip_ray)
    finally:
        if not opts.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
