#!/usr/bin/env python3
"""AOTIScope compile worker: compiles AOTI-eager entries through PyTorch itself, in a long-lived process.

Protocol: JSON lines. Requests on stdin, events on stdout (everything else PyTorch prints goes to stderr).
  request  {"id": "j1", "type": "compile", "root": DIR, "ns": "aten", "op": "add.Tensor", "device": "cpu",
            "meta_info": [...]}         # the entry's meta_info as PyTorch wrote it (or a new entry's spec)
  request  {"id": "q", "type": "quit"}
  events   {"event": "ready", "torch": "2.13.0+cpu", "python": "3.11.7"}   once, at start
           {"id", "event": "started"} | {"id", "event": "progress", "fraction", "stage"}
           {"id", "event": "log", "message"} | {"id", "event": "finished", "library", "seconds", "meta_info"}
           (meta_info: what PyTorch's writer recorded, or compared with an equal entry when it appended nothing)
           {"id", "event": "failed", "message", "traceback"}
Inputs are rebuilt from meta_info for every argument kind; the op is resolved from its overload-qualified
name; the entry is written by torch._inductor.aoti_eager.aoti_compile_with_persistent_cache, so the result is
exactly what PyTorch reads. The first compile in a process pays for imports and header builds; later ones
are several times faster, which is why the worker lives for a whole batch.
"""
import json
import logging
import os
import sys
import time
import traceback

from aoti_meta import recorded_meta_info  # noqa: E402  (beside this script)

MIN_TORCH = (2, 4)
_out = sys.stdout


def emit(**event):
    _out.write(json.dumps(event) + "\n")
    _out.flush()


class ForwardLogs(logging.Handler):
    """Sends PyTorch's log records of the current job as log events."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.job = None

    def emit(self, record):
        if self.job:
            emit(id=self.job, event="log", message=f"{record.levelname} {record.name}: {record.getMessage()}")


def last_part(name):
    return str(name).split(".")[-1]


def build_tensor(torch, meta, generator):
    dtype = getattr(torch, last_part(meta["dtype"]))
    device = torch.device(meta["device_type"], None if meta["device_type"] == "cpu" else meta.get("device_index", 0))
    sizes, strides = list(meta["sizes"]), list(meta["strides"])
    t = torch.empty_strided(sizes, strides, dtype=dtype, device=device)
    with torch.no_grad():
        if dtype.is_floating_point or dtype.is_complex:
            t.copy_(torch.rand(sizes, generator=generator).to(dtype))
        elif dtype == torch.bool:
            t.copy_(torch.rand(sizes, generator=generator) > 0.5)
        else:
            t.copy_(torch.randint(1, 8, sizes, generator=generator).to(dtype))
    if meta.get("requires_grad"):
        t.requires_grad_(True)
    return t


def build_value(torch, meta, generator):
    """(kind, value) of one recorded argument, as aoti_eager.py's extract_*_metadata would have seen it."""
    if not isinstance(meta, dict):
        raise ValueError(f"argument {meta!r} is not an object")
    if "tensor_list" in meta:
        return "Tensor[]", [build_tensor(torch, m, generator) for m in meta["tensor_list"]]
    if "scalar_value" in meta:
        v = meta["scalar_value"]
        dtype = last_part(meta.get("dtype", ""))
        if dtype == "bool":
            return "Scalar", bool(v)
        if dtype in ("int32", "int64", "int"):
            return "Scalar", int(v)
        return "Scalar", float(v)
    if "string_value" in meta:
        return "str", meta["string_value"]
    if "dtype_value" in meta:
        return "ScalarType", getattr(torch, last_part(meta["dtype_value"]))
    if "device_type_value" in meta:
        return "Device", torch.device(meta["device_type_value"], meta.get("device_index_value"))
    if "layout_value" in meta:
        return "Layout", getattr(torch, last_part(meta["layout_value"]))
    if "memory_format_value" in meta:
        return "MemoryFormat", getattr(torch, last_part(meta["memory_format_value"]))
    if "dtype" in meta and "sizes" in meta:
        return "Tensor", build_tensor(torch, meta, generator)
    raise ValueError(f"unsupported argument kind: keys {sorted(meta)}")


def declared_types(schema):
    """The argument types as the schema declares them ("ScalarType?", "Tensor[]"): the Python objects of
    torch._C.Argument report ScalarType and Layout as plain int."""
    text = str(schema)
    inner = text[text.index("(") + 1:text.rindex(") ->")]
    parts, depth, start = [], 0, 0
    for i, c in enumerate(inner):
        depth += c in "([" 
        depth -= c in ")]"
        if c == "," and depth == 0:
            parts.append(inner[start:i].strip())
            start = i + 1
    parts.append(inner[start:].strip())
    return [p.split()[0] for p in parts if p and p != "*"]


def fits(declared, kind):
    t = declared.split("(")[0].rstrip("?")  # "Tensor(a!)" -> "Tensor"
    if kind == "Tensor":
        return t == "Tensor"
    if kind == "Tensor[]":
        return t.startswith("Tensor[") or t.startswith("Tensor?[")
    if kind == "Scalar":
        return t in ("Scalar", "int", "float", "bool", "SymInt", "number")
    return t == kind


def resolve_op(torch, ns, op):
    name, _, overload = op.partition(".")
    packet = getattr(getattr(torch.ops, ns), name, None)
    if packet is None:
        raise ValueError(f"torch.ops.{ns} has no operator {name!r}")
    overload = overload or "default"
    if overload not in packet.overloads():
        raise ValueError(f"{ns}::{name} has no overload {overload!r} (it has: {', '.join(packet.overloads())})")
    return getattr(packet, overload)


def place_arguments(overload, values):
    """Maps recorded values (in arg_order) onto the schema: required arguments always, defaulted ones only when
    the next value fits their type (PyTorch records only what differs from the default)."""
    args, kwargs = [], {}
    pending = list(values)
    types = declared_types(overload._schema)
    for a, declared in zip(overload._schema.arguments, types):
        optional = declared.endswith("?") or a.default_value is not None
        if not pending:
            if not optional and not a.kwarg_only:
                raise ValueError(f"no value recorded for required argument {a.name!r} of {overload._schema}")
            break
        kind, value = pending[0]
        if fits(declared, kind):
            pending.pop(0)
            if a.kwarg_only:
                kwargs[a.name] = value
            else:
                args.append(value)
        elif not optional and not a.kwarg_only:
            raise ValueError(f"argument {a.name!r} of {overload._schema} expects {declared}, the entry records {kind}")
    if pending:
        raise ValueError(f"{len(pending)} recorded argument(s) left over that fit no parameter of {overload._schema}")
    return tuple(args), kwargs


def compile_one(torch, aoti_eager, request, logs):
    job = request["id"]
    started = time.monotonic()
    emit(id=job, event="started")
    root = os.path.abspath(request["root"])
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = root  # where PyTorch reads and writes the cache
    metas = sorted(request["meta_info"], key=lambda m: m.get("arg_order", 0) if isinstance(m, dict) else 0)
    generator = torch.Generator().manual_seed(0)
    values = [build_value(torch, m, generator) for m in metas]
    overload = resolve_op(torch, request.get("ns", "aten"), request["op"])
    args, kwargs = place_arguments(overload, values)
    emit(id=job, event="progress", fraction=0.1, stage="inputs built")
    logs.job = job
    try:
        path = aoti_eager.aoti_compile_with_persistent_cache(
            request.get("ns", "aten"), request["op"], request.get("device", "cpu"), False, overload, args, kwargs)
    finally:
        logs.job = None
    if not path:
        raise RuntimeError("aoti_compile_with_persistent_cache failed (see the log events)")
    emit(id=job, event="progress", fraction=1.0, stage="written")
    try:
        recorded = recorded_meta_info(torch, aoti_eager, request.get("device", "cpu"), args, kwargs)
    except Exception:  # an older torch without these helpers: the requested meta_info stands in
        recorded = None
    event = dict(id=job, event="finished", library=path, seconds=round(time.monotonic() - started, 3))
    if recorded is not None:
        event["meta_info"] = recorded
    emit(**event)


def main():
    # PyTorch and the compiler print to stdout too: keep the protocol channel for ourselves.
    global _out
    _out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    try:
        import torch
        from torch._inductor import aoti_eager
    except Exception as e:  # no torch, or a broken install
        emit(event="failed", message=f"cannot import torch with {sys.executable}: {e}", traceback=traceback.format_exc())
        return 3
    version = tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2])
    if version < MIN_TORCH:
        emit(event="failed", message=f"torch {torch.__version__} is too old: AOTI eager needs {'.'.join(map(str, MIN_TORCH))} or newer",
             traceback="")
        return 3
    logs = ForwardLogs()
    logging.getLogger("torch").addHandler(logs)
    emit(event="ready", torch=torch.__version__, python=sys.version.split()[0], pid=os.getpid())
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError as e:
            emit(event="failed", message=f"request is not JSON: {e}", traceback="")
            continue
        if request.get("type") == "quit":
            break
        try:
            compile_one(torch, aoti_eager, request, logs)
        except Exception as e:
            emit(id=request.get("id"), event="failed", message=f"{type(e).__name__}: {e}", traceback=traceback.format_exc())
    return 0


if __name__ == "__main__":
    sys.exit(main())
