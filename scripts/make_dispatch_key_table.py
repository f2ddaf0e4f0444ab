#!/usr/bin/env python3
"""Writes the dispatch key layout (which bit of a raw set means which key) of the torch this interpreter imports, as data for AOTIScope's decoder.

Entries record `dispatch_key_set` as the raw bits of a c10::DispatchKeySet (`torch._C._dispatch_keys(t).raw_repr()`),
and which bit means which key changes between torch releases. This script asks the torch itself: the raw value of
how it prints each bit, and, as a check, the key sets of real tensors together with torch's own printing of them, which
the decoder must reproduce (tests/tst_dispatchkeys.cpp replays those checks).

    python scripts/make_dispatch_key_table.py [-o resources/dispatch-keys/torch-<major.minor>.json]
"""
import argparse
import json
import os
import sys

import warnings

import torch

C = torch._C


def names(raw):
    """torch's own names for a raw set: "DispatchKeySet(CPU, AutocastCPU)" -> ["CPU", "AutocastCPU"]."""
    text = str(C.DispatchKeySet.from_raw_repr(raw))
    inside = text[text.index("(") + 1:text.rindex(")")]
    return [n for n in inside.split(", ") if n]


def layout():
    """The backend bits and, above them, the functionality bits, each named the way torch prints it."""
    num_backends = C.DispatchKeySet(C.DispatchKey.Dense).raw_repr().bit_length() - 1
    backends = [(names((1 << num_backends) | (1 << b)) or [None])[0] for b in range(num_backends)]
    by_raw = {}
    for name, key in C.DispatchKey.__members__.items():
        try:
            by_raw.setdefault(C.DispatchKeySet(key).raw_repr(), name)
        except Exception:  # alias keys have no set of their own
            pass
    functionality = []
    for bit in range(num_backends, 64):
        try:
            alone, with_cpu = names(1 << bit), names((1 << bit) | 1)
        except Exception:  # past the last functionality key c10's iterator asserts
            continue
        if alone:
            functionality.append({"bit": bit, "name": alone[0]})
        elif with_cpu:  # a per-backend functionality: a name for each backend bit (Dense + CUDA = "CUDA")
            per = [(names((1 << bit) | (1 << b)) or [None])[0] for b in range(num_backends)]
            functionality.append({"bit": bit, "name": by_raw.get(1 << bit, ""), "per_backend": per})
    return num_backends, backends, functionality


def tensors():
    """Tensors whose key sets and torch's own names for them the decoder is checked against."""
    made = []
    devices = ["cpu", "meta"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        for dtype in (torch.float32, torch.float16, torch.int64, torch.bool):
            made.append((f"{device}/{str(dtype).split('.')[-1]}", torch.empty(2, 3, dtype=dtype, device=device)))
        made.append((f"{device}/float32 requires_grad", torch.empty(2, device=device, requires_grad=True)))
        with torch.inference_mode():
            made.append((f"{device}/float32 inference", torch.empty(2, device=device)))
    made.append(("cpu/sparse_coo", torch.zeros(2, 2).to_sparse()))
    with warnings.catch_warnings():  # quantized tensors are deprecated, and still what entries may hold
        warnings.simplefilter("ignore")
        made.append(("cpu/quint8", torch.quantize_per_tensor(torch.rand(2), 0.1, 0, torch.quint8)))
    return made


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output")
    args = ap.parse_args()
    release = ".".join(torch.__version__.split("+")[0].split(".")[:2])
    out = args.output or os.path.join(os.path.dirname(__file__), "..", "resources", "dispatch-keys", f"torch-{release}.json")
    num_backends, backends, functionality = layout()
    checks = []
    for what, t in tensors():
        ks = C._dispatch_keys(t)
        checks.append({"tensor": what, "raw": ks.raw_repr(), "printed": str(ks)})
    table = {
        "torch": torch.__version__,
        "release": release,
        "made_by": "scripts/make_dispatch_key_table.py",
        "num_backends": num_backends,
        "backends": backends,
        "functionality": functionality,
        "checks": checks,
    }
    with open(out, "w") as f:
        json.dump(table, f, indent=1)
        f.write("\n")
    print(f"{out}: torch {torch.__version__}, {len(functionality)} functionality bits, {len(checks)} checks", file=sys.stderr)


if __name__ == "__main__":
    main()
