#!/usr/bin/env python3
"""AOTIScope's distributed compile driver: compile jobs as Ray tasks, each in its own temporary cache on a node of
the cluster, with the compile worker's own code (compile_worker.compile_one, through PyTorch's writer).

usage: ray_compile.py --address HOST:PORT --stage DIR

Protocol: as compile_worker.py (JSON lines; requests on stdin, events on stdout), so the tool drives it like
its local worker, except that every request is submitted at once and answered as tasks finish:
  request  {"id", "type": "compile", "ns", "op", "device", "meta_info"}   | {"type": "quit"}
  events   {"event": "ready", "ray", "torch", "nodes", "cpus"}
           {"id", "event": "started", "stage": "queued on the cluster"}
           {"id", "event": "finished", "bundle": DIR, "meta_info", "seconds", "node"}
           {"id", "event": "failed", "message"}
A finished task's entry and files come back as a one-entry bundle folder under --stage (core/share/Bundle.h:
aotiscope-bundle.json and blobs named by SHA-256); the tool checks it against this host and merges it under
PyTorch's locks as it unpacks any bundle. Nothing here touches the cache. SIGTERM cancels every task.
"""
import argparse
import hashlib
import json
import os
import queue
import signal
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKERS = os.path.dirname(HERE)
_out = sys.stdout


def emit(**event):
    _out.write(json.dumps(event) + "\n")
    _out.flush()


def compile_in_temporary_cache(request):
    """Runs on a cluster node: compiles one entry into a fresh cache and returns the entry and its files."""
    import io
    import shutil
    import socket
    import tempfile

    import compile_worker  # shipped with the job's runtime environment (the workers folder)
    import torch
    from torch._inductor import aoti_eager

    root = tempfile.mkdtemp(prefix="aotiscope-ray-")
    started = time.monotonic()
    try:
        events = io.StringIO()
        compile_worker._out = events  # the worker's events, read back here
        compile_worker.compile_one(torch, aoti_eager, dict(request, root=root), compile_worker.ForwardLogs())
        finished = [e for e in map(json.loads, events.getvalue().splitlines()) if e.get("event") == "finished"][-1]
        ns, device, op = request.get("ns", "aten"), request.get("device", "cpu"), request["op"]
        folder = os.path.join(root, "aoti_eager", ns, device)
        with open(os.path.join(folder, op + ".json")) as f:
            entries = json.load(f)
        kernel_path = os.path.relpath(finished["library"], folder)
        entry = next(e for e in entries if e.get("kernel_path") == kernel_path)
        # The library's folder holds it and its sidecars (metadata, sources with the compile command).
        files = {}
        library_dir = os.path.dirname(finished["library"])
        for name in sorted(os.listdir(library_dir)):
            path = os.path.join(library_dir, name)
            if os.path.isfile(path) and not name.endswith(".lock"):
                with open(path, "rb") as f:
                    files[os.path.relpath(path, folder)] = (f.read(), os.access(path, os.X_OK))
        return {"entry": entry, "files": files, "meta_info": finished.get("meta_info"), "node": socket.gethostname(),
                "torch": torch.__version__, "seconds": round(time.monotonic() - started, 3)}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def write_bundle(stage, job, request, result):
    """The task's result as a one-entry bundle folder (the format of core/share/Bundle.h)."""
    folder = os.path.join(stage, hashlib.sha256(job.encode()).hexdigest()[:16])
    os.makedirs(folder)
    kernel_path = result["entry"]["kernel_path"]
    files = []
    for rel, (data, executable) in sorted(result["files"].items(), key=lambda kv: kv[0] != kernel_path):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(folder, digest), "wb") as f:
            f.write(data)
        files.append({"path": rel, "sha256": digest, "size": len(data), "executable": executable})
    manifest = {
        "schema": "aotiscope.bundle/1",
        "source": {"root": f"ray-node:{result['node']}", "node": result["node"], "torch": {"version": result["torch"]},
                   "tool": "aotiscope ray_compile.py"},
        "entries": [{"ns": request.get("ns", "aten"), "device": request.get("device", "cpu"), "op": request["op"],
                     "key": "", "position": 0, "entry": result["entry"], "files": files, "needs": {}}],
    }
    with open(os.path.join(folder, "aotiscope-bundle.json"), "w") as f:
        json.dump(manifest, f)
    return folder


def main():
    global _out
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--address", required=True)
    parser.add_argument("--stage", required=True)
    opts = parser.parse_args()
    # Ray and PyTorch print to stdout too: keep the protocol channel for ourselves.
    _out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    try:
        import ray
    except ImportError as e:
        emit(event="failed", message=f"Ray is not installed for {sys.executable}: {e}")
        return 3
    # ray.init retries an address nobody answers at for minutes: a plain connect says it at once.
    host, _, port = opts.address.rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=10).close()
    except (OSError, ValueError) as e:
        emit(event="failed", message=f"cannot connect to the Ray cluster at {opts.address}: {e}")
        return 3
    try:
        ray.init(address=opts.address, logging_level="ERROR", log_to_driver=False,
                 runtime_env={"working_dir": WORKERS, "excludes": ["bench/", "record/", "*.pyc", "__pycache__"]})
    except Exception as e:
        emit(event="failed", message=f"cannot connect to the Ray cluster at {opts.address}: {type(e).__name__}: {e}")
        return 3
    resources = ray.cluster_resources()
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    emit(event="ready", ray=ray.__version__, nodes=len(nodes), cpus=resources.get("CPU", 0), torch="", pid=os.getpid())
    # A worker that dies fails its task (no silent retry): the tool says so, and nothing of it is merged.
    remote = ray.remote(num_cpus=1, max_retries=0)(compile_in_temporary_cache)
    requests = queue.Queue()

    def read_requests():
        for line in sys.stdin:
            if line.strip():
                requests.put(json.loads(line))
        requests.put({"type": "quit"})

    threading.Thread(target=read_requests, daemon=True).start()
    pending = {}  # object ref -> (job id, request)
    quitting = False
    cancelled = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: cancelled.set())
    while not (quitting and not pending) and not cancelled.is_set():
        try:
            while True:
                request = requests.get(timeout=0 if pending else 0.2)
                if request.get("type") == "quit":
                    quitting = True
                    break
                ref = remote.remote({k: request[k] for k in ("id", "ns", "op", "device", "meta_info") if k in request})
                pending[ref] = (request.get("id"), request)
                emit(id=request.get("id"), event="started", stage="queued on the cluster")
        except queue.Empty:
            pass
        if not pending:
            continue
        done, _ = ray.wait(list(pending), num_returns=1, timeout=0.2)
        for ref in done:
            job, request = pending.pop(ref)
            try:
                result = ray.get(ref)
                bundle = write_bundle(opts.stage, job, request, result)
                emit(id=job, event="finished", bundle=bundle, meta_info=result["meta_info"], seconds=result["seconds"],
                     node=result["node"])
            except ray.exceptions.WorkerCrashedError as e:
                emit(id=job, event="failed", message=f"the Ray worker compiling it died (nothing of it was merged): {e}")
            except ray.exceptions.RayTaskError as e:
                cause = e.cause if getattr(e, "cause", None) is not None else e
                emit(id=job, event="failed", message=f"{type(cause).__name__}: {str(cause).splitlines()[-1] if str(cause) else ''}")
            except ray.exceptions.RayError as e:
                emit(id=job, event="failed", message=f"the cluster lost it ({type(e).__name__}): {str(e).splitlines()[0]}")
    if cancelled.is_set():
        for ref in pending:
            ray.cancel(ref, force=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
