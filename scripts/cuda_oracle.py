#!/usr/bin/env python3
"""PyTorch as the oracle on a CUDA machine, for scripts/cuda_truth.sh.

  cuda_oracle.py calls ROOT      register abs and add.Tensor for CUDA from the cache at ROOT
                                 (_impl_with_aoti_compile), make calls that should hit and miss, tell a miss by
                                 replacing aoti_compile_with_persistent_cache with a recorder (nothing compiles),
                                 check the hits' outputs against eager; print one JSON object: per call, hit or
                                 miss, correct, and the call's meta_info as PyTorch's writer records it
  cuda_oracle.py kernels ROOT    CUPTI's kernel durations (torch.profiler) of the same eager ops and runners
  cuda_oracle.py dobench ROOT    triton's do_bench (cold, events around each launch) and do_bench_cudagraph (warm,
                                 many calls in one graph replay) on the eager ops of the cache's entries and on the
                                 entries' libraries through PyTorch's own CUDA runner:
                                 {entry: {eager_us, aoti_us, eager_graph_us, aoti_graph_us}}
"""
import json
import os
import sys

import torch
import torch._inductor.aoti_eager as eager

# The project's own copy of the writer's loop (workers/compile_worker.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "workers"))
from aoti_meta import recorded_meta_info  # noqa: E402


def entries_with_inputs(root):
    """(name#i, op, library path, meta_info, tensors, scalars) for each abs and add.Tensor entry of the cuda cache at root whose
    arguments are tensors and scalars: the inputs built from its meta_info (CPU generator seeded with 0)."""
    dev = os.path.join(root, "aoti_eager", "aten", "cuda")
    ops = {"abs": torch.ops.aten.abs.default, "add.Tensor": torch.ops.aten.add.Tensor}
    for name, op in ops.items():
        for i, entry in enumerate(json.load(open(os.path.join(dev, name + ".json")))):
            metas = entry["meta_info"]
            if any("sizes" not in m and "scalar_value" not in m for m in metas):
                continue
            g = torch.Generator().manual_seed(0)
            tensors = [torch.rand(m["sizes"], generator=g).to(getattr(torch, m["dtype"].split(".")[-1])).cuda()
                       for m in metas if "sizes" in m]
            scalars = {"alpha": m["scalar_value"] for m in metas if "scalar_value" in m}
            yield f"{name}#{i}", op, os.path.join(dev, entry["kernel_path"]), metas, tensors, scalars


def calls(root):
    misses = []

    def record(ns, op, device, dynamic, f, args, kwargs, **_):
        misses.append(op)
        return ""

    eager.aoti_compile_with_persistent_cache = record
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(4, 8, generator=g) - 0.5).cuda()
    a, b = torch.rand(16, 16, generator=g).cuda(), torch.rand(16, 16, generator=g).cuda()
    cases = [("abs fp32 4x8", torch.abs, (x,), {}), ("abs fp16 4x8", torch.abs, (x.half(),), {}),
             ("abs fp32 3x3", torch.abs, (torch.rand(3, 3).cuda(),), {}),
             ("add alpha=2", torch.add, (a, b), {"alpha": 2}), ("add alpha=3", torch.add, (a, b), {"alpha": 3})]
    expected = {name: f(*[t.cpu() if isinstance(t, torch.Tensor) else t for t in args], **kwargs) for name, f, args, kwargs in cases}
    out = {"torch": torch.__version__, "registered": {}, "calls": {}}
    with torch.library._scoped_library("aten", "IMPL") as lib:
        for op in ("abs", "add.Tensor"):
            try:
                lib._impl_with_aoti_compile(op, "CUDA")
                out["registered"][op] = None
            except Exception as e:
                out["registered"][op] = f"{type(e).__name__}: {e}".splitlines()[0]
        for name, f, args, kwargs in cases:
            before = len(misses)
            try:
                got = f(*args, **kwargs)
                correct = bool(torch.allclose(got.cpu().float(), expected[name].float(), atol=1e-3))
                error = None
            except Exception as e:
                correct, error = False, f"{type(e).__name__}: {e}".splitlines()[0]
            out["calls"][name] = {"pytorch": "miss" if len(misses) > before else "hit", "correct": correct,
                                  "error": error, "op": "abs" if f is torch.abs else "add.Tensor",
                                  "meta_info": recorded_meta_info(torch, eager, "cuda", args, kwargs)}
    print(json.dumps(out))


def relaxed_graph_us(fn, calls=100):
    """fn captured `calls` times in one CUDA graph with capture_error_mode="relaxed" (do_bench_cudagraph uses the
    default, "global"), the median of 10 replays per call: whether a relaxed capture makes a call capturable."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        fn()
        torch.cuda.synchronize()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, stream=stream, capture_error_mode="relaxed"):
            for _ in range(calls):
                fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(10):
        start.record()
        graph.replay()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) * 1000 / calls)
    return sorted(times)[len(times) // 2]


def dobench(root):
    from triton.testing import do_bench, do_bench_cudagraph
    out = {}
    for name, op, library, metas, tensors, scalars in entries_with_inputs(root):
        figures = {"sizes": metas[0]["sizes"]}
        fns = {"eager": lambda: op(*tensors, **scalars)}
        try:
            runner = torch._C._aoti.AOTIModelContainerRunnerCuda(library, 1, "cuda")
            fns["aoti"] = lambda: runner.run(tensors)
        except Exception as e:
            figures["aoti_error"] = str(e).splitlines()[0]
        for label, fn in fns.items():
            figures[f"{label}_us"] = do_bench(fn, return_mode="median") * 1000
            try:
                figures[f"{label}_graph_us"] = do_bench_cudagraph(fn, return_mode="median") * 1000
            except Exception as e:
                figures[f"{label}_graph_error"] = f"{type(e).__name__}: {e}".splitlines()[0]
                try:
                    figures[f"{label}_relaxed_graph_us"] = relaxed_graph_us(fn)
                except Exception as e2:
                    figures[f"{label}_relaxed_graph_error"] = f"{type(e2).__name__}: {e2}".splitlines()[0]
        out[name] = figures
    print(json.dumps(out))


def kernel_times(root):
    """CUPTI's own kernel durations (torch.profiler) for the eager ops and the AOTI runners of the cache's
    entries, each call preceded by the same 256 MiB flush: what the GPU spent in the kernels alone, the
    reference that event-based timings (the worker's, do_bench's) add their own overhead to."""
    from torch.profiler import ProfilerActivity, profile
    flush = torch.empty(256 << 20, dtype=torch.uint8, device="cuda")
    out = {}
    for name, op, library, metas, tensors, scalars in entries_with_inputs(root):
        runner = torch._C._aoti.AOTIModelContainerRunnerCuda(library, 1, "cuda")
        figures = {"sizes": metas[0]["sizes"]}
        for label, fn in (("eager", lambda: op(*tensors, **scalars)), ("aoti", lambda: runner.run(tensors))):
            for _ in range(10):
                fn()
            torch.cuda.synchronize()
            with profile(activities=[ProfilerActivity.CUDA]) as prof:
                for _ in range(100):
                    flush.fill_(1)
                    fn()
                torch.cuda.synchronize()
            durations = [e.time_range.elapsed_us() for e in prof.events()
                         if e.device_type == torch.autograd.DeviceType.CUDA and "fill" not in e.name.lower()
                         and "memset" not in e.name.lower()]
            durations.sort()
            figures[f"{label}_kernel_us"] = durations[len(durations) // 2] if durations else None
            figures[f"{label}_kernels_per_call"] = len(durations) / 100
        out[name] = figures
    print(json.dumps(out))


if __name__ == "__main__":
    {"calls": calls, "dobench": dobench, "kernels": kernel_times}[sys.argv[1]](sys.argv[2])
