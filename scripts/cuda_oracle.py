#!/usr/bin/env python3
"""PyTorch as the oracle on a CUDA machine, for scripts/cuda_truth.sh.

  cuda_oracle.py calls ROOT      register abs and add.Tensor for CUDA from the cache at ROOT
                                 (_impl_with_aoti_compile), make calls that should hit and miss, tell a miss by
                                 replacing aoti_compile_with_persistent_cache with a recorder (nothing compiles),
                                 check the hits' outputs against eager; print one JSON object: per call, hit or
                                 miss, correct, and the call's meta_info as PyTorch's writer records it
  cuda_oracle.py kernels ROOT    CUPTI's kernel durations (torch.profiler) of the same eager ops and runners
  cuda_oracle.py dobench ROOT    triton's do_bench on the eager ops of the cache's entries and on the entries'
                                 libraries through PyTorch's own CUDA runner: {entry: {eager_us, aoti_us}}
"""
import json
import os
import sys

import torch
import torch._inductor.aoti_eager as eager

# The project's own copy of the writer's loop (workers/compile_worker.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "workers"))
from compile_worker import recorded_meta_info  # noqa: E402


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


def dobench(root):
    from triton.testing import do_bench
    out = {}
    for name, op, library, metas, tensors, scalars in entries_with_inputs(root):
        figures = {"sizes": metas[0]["sizes"],
                   "eager_us": do_bench(lambda: op(*tensors, **scalars), return_mode="median") * 1000}
        try:
            runner = torch._C._aoti.AOTIModelContainerRunnerCuda(library, 1, "cuda")
            figures["aoti_us"] = do_bench(lambda: runner.run(tensors), return_mode="median") * 1000
        except Exception as e:
            figures["aoti_error"] = str(e).splitlines()[0]
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
            figures[f"{label}_kernels"] = len(durations)
        out[name] = figures
    print(json.dumps(out))


if __name__ == "__main__":
    {"calls": calls, "dobench": dobench, "kernels": kernel_times}[sys.argv[1]](sys.argv[2])
