"""AOTIScope's recorder of AOTI-eager activity, loaded into a program by `aotiscope-cli record`.

It wraps PyTorch's own entry points where PyTorch calls them, and writes one JSON line per event to
$AOTISCOPE_RECORD_OUT (schema aotiscope.record/1, docs/json-schema.md):
  process       each process: pid, parent, argv, torch, cache root; "forked": a fork of a recorded process
  registration  Library._impl_with_aoti_compile: the entries PyTorch's loader returned, what the op file held at
                that moment (entries, kernel libraries missing), the loader's own log, PyTorch's error if it failed
  miss          torch._inductor.aoti_eager.aoti_compile_with_persistent_cache, which the kernel holder calls on a
                miss: the call's meta_info (PyTorch's extract_* functions), compile seconds, the library or error
  call          with $AOTISCOPE_RECORD_CALLS=1: every call of a registered op and whether it compiled
  exit          at interpreter exit: calls seen and the seconds the recorder itself took

The C++ kernel holder looks both functions up in torch._inductor.aoti_eager at each use, so wrapping the module's
attributes sees what the holder does. Nothing here changes an argument, a result or an exception: every wrapper
calls PyTorch's function and hands back what it returned or raised, and a fault of the recorder (a full disk, a
bug) stops the recording with one line on stderr, never the program.
"""
import atexit
import functools
import importlib.abc
import importlib.machinery
import importlib.util
import json
import logging
import os
import sys
import threading
import time

SCHEMA = "aotiscope.record/1"
_state = None  # the recorder of this process, once install() ran


def _warn(message):
    try:
        sys.stderr.write(f"aotiscope record: {message}\n")
    except Exception:
        pass


def _jsonable(value):
    """torch.dtype, torch.layout, torch.device and anything else the loader hands back, as PyTorch spells it."""
    return str(value)


def _load_meta_module():
    """workers/aoti_meta.py, loaded by path so that the program's sys.path is left as it was."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "aoti_meta.py")
    spec = importlib.util.spec_from_file_location("_aotiscope_aoti_meta", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _LogCapture(logging.Filter):
    """Keeps what aoti_eager logs during one call. A filter, not a handler: adding a handler would stop Python's
    last-resort handler from printing the same message to stderr, and the program's output would change."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def filter(self, record):
        try:
            self.messages.append(record.getMessage())
        except Exception:
            pass
        return True


class _Recorder:
    def __init__(self, path, calls):
        self.path = path
        self.calls_wanted = calls
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self.stopped = False
        self.lock = threading.Lock()
        self.local = threading.local()
        self.registered = {}  # (ns, op, device) -> {"entries": [...], "in_memory": [...]} as the holder has them
        self.by_overload = {}  # (ns, schema name, overload) -> (ns, op, device) registrations of that op
        self.meta = None
        self.aoti_eager = None
        self.mode = None
        self.calls = 0
        self.own_seconds = 0.0

    # -- output ------------------------------------------------------------------------------------------------
    def write(self, record):
        if self.stopped:
            return
        try:
            record["pid"] = os.getpid()
            record["time"] = time.time()
            data = (json.dumps(record, default=_jsonable) + "\n").encode()
            with self.lock:
                # One write per line, O_APPEND: the processes of a program share the file, lines never interleave.
                while data:
                    data = data[os.write(self.fd, data):]
        except Exception as e:
            self.stopped = True
            _warn(f"recording stopped: cannot write {self.path}: {e}")

    def process_record(self, forked):
        torch = sys.modules.get("torch")
        record = {"event": "process", "schema": SCHEMA, "ppid": os.getppid(), "argv": list(sys.argv),
                  "executable": sys.executable, "forked": forked, "calls_recorded": self.calls_wanted,
                  "torch": getattr(getattr(torch, "version", None), "__version__", None) if torch else None}
        self.write(record)

    def after_fork(self):
        self.lock = threading.Lock()
        self.local = threading.local()
        self.calls = 0
        self.own_seconds = 0.0
        self.process_record(forked=True)
        # The child has the parent's kernel holders, with the entries they had at the fork.
        for (ns, op, device), held in list(self.registered.items()):
            self.write({"event": "registration", "inherited": True, "ns": ns, "op": op, "device": device,
                        "entries_loaded": len(held["entries"]), "entries": held["entries"],
                        "in_memory": held["in_memory"]})

    # -- patching ----------------------------------------------------------------------------------------------
    def patch_library(self, library_module):
        original = library_module.Library._impl_with_aoti_compile

        @functools.wraps(original)
        def _impl_with_aoti_compile(lib, op_name, dispatch_key=""):
            started = time.perf_counter()
            pending = self.begin_registration(lib, op_name, dispatch_key)
            self.own_seconds += time.perf_counter() - started
            try:
                result = original(lib, op_name, dispatch_key)
            except BaseException as e:
                self.end_registration(pending, e)
                raise
            self.end_registration(pending, None)
            return result

        library_module.Library._impl_with_aoti_compile = _impl_with_aoti_compile

    def patch_aoti_eager(self):
        if self.aoti_eager is not None:
            return
        import torch._inductor.aoti_eager as aoti_eager

        self.meta = _load_meta_module()
        self.aoti_eager = aoti_eager
        load, compile_ = aoti_eager.load_aoti_eager_cache, aoti_eager.aoti_compile_with_persistent_cache

        @functools.wraps(load)
        def load_aoti_eager_cache(ns, op_func_name_with_overload, device_type):
            pending = getattr(self.local, "registration", None)
            if pending is None:
                return load(ns, op_func_name_with_overload, device_type)
            started = time.perf_counter()
            self.safely(lambda: pending.update(self.disk_facts(ns, op_func_name_with_overload, device_type)))
            self.own_seconds += time.perf_counter() - started
            capture = _LogCapture()
            aoti_eager.log.addFilter(capture)
            try:
                result = load(ns, op_func_name_with_overload, device_type)
            finally:
                aoti_eager.log.removeFilter(capture)
            pending.update(ns=ns, op=op_func_name_with_overload, device=device_type, loader_log=capture.messages)
            self.safely(lambda: pending.update(entries_loaded=len(result), entries=json.loads(
                json.dumps(result, default=_jsonable))))
            return result

        @functools.wraps(compile_)
        def aoti_compile_with_persistent_cache(ns, op_func_name_with_overload, device_type, dynamic, f, args, kwargs,
                                               *rest, **options):
            started = time.perf_counter()
            meta_info = self.safely(lambda: self.meta.recorded_meta_info(
                sys.modules["torch"], aoti_eager, device_type, args, kwargs))
            record = {"event": "miss", "ns": ns, "op": op_func_name_with_overload, "device": device_type,
                      "meta_info": meta_info}
            capture = _LogCapture()
            aoti_eager.log.addFilter(capture)
            self.own_seconds += time.perf_counter() - started
            compile_started = time.perf_counter()
            try:
                library = compile_(ns, op_func_name_with_overload, device_type, dynamic, f, args, kwargs,
                                   *rest, **options)
            except BaseException as e:
                record.update(seconds=time.perf_counter() - compile_started, library="",
                              error=f"{type(e).__name__}: {e}")
                self.note_miss(record, capture)
                raise
            record.update(seconds=time.perf_counter() - compile_started, library=library)
            self.note_miss(record, capture)
            return library

        aoti_eager.load_aoti_eager_cache = load_aoti_eager_cache
        aoti_eager.aoti_compile_with_persistent_cache = aoti_compile_with_persistent_cache

    def safely(self, fn):
        """The recorder's own work: a fault in it is reported once and recording stops; the program goes on."""
        try:
            return fn()
        except Exception as e:
            if not self.stopped:
                self.stopped = True
                _warn(f"recording stopped by a fault of the recorder: {type(e).__name__}: {e}")
            return None

    # -- events ------------------------------------------------------------------------------------------------
    def begin_registration(self, lib, op_name, dispatch_key):
        torch = sys.modules.get("torch")
        pending = {"event": "registration", "requested": str(op_name), "torch": torch.__version__,
                   "dispatch_key": dispatch_key or getattr(lib, "dispatch_key", ""), "ns": getattr(lib, "ns", None)}
        # Not the recorder's cost: PyTorch's holder imports the same module a moment later.
        import_started = time.perf_counter()
        self.safely(self.patch_aoti_eager)
        self.own_seconds -= time.perf_counter() - import_started
        self.local.registration = pending
        pending["_started"] = time.perf_counter()
        return pending

    def end_registration(self, pending, error):
        self.local.registration = None
        started = time.perf_counter()

        def finish():
            pending["seconds"] = time.perf_counter() - pending.pop("_started")
            op = pending.get("op") or pending["requested"].split("::")[-1]
            key = (pending["ns"], op, pending.get("device") or pending["dispatch_key"].lower())
            if error is not None:
                pending["error"] = f"{type(error).__name__}: {error}"
            else:
                self.registered[key] = {"entries": pending.get("entries", []), "in_memory": []}
            # Calls of an op whose registration failed run PyTorch's own kernel: recorded as "eager".
            name, _, overload = op.partition(".")
            self.by_overload.setdefault((pending["ns"], f"{pending['ns']}::{name}", overload or "default"),
                                        []).append(key)
            if self.calls_wanted:
                self.start_call_recording()
            self.write(pending)

        self.safely(finish)
        self.own_seconds += time.perf_counter() - started

    def disk_facts(self, ns, op, device):
        """What the op file held when PyTorch's loader read it: the loader says nothing when it drops an op."""
        folder = self.aoti_eager.aoti_eager_cache_dir(ns, device)
        path = folder / f"{op}.json"
        facts = {"op_file": str(path), "op_file_exists": path.exists()}
        if facts["op_file_exists"]:
            try:
                with open(path) as f:
                    entries = json.load(f)
                facts["entries_on_disk"] = len(entries) if isinstance(entries, list) else None
                facts["disk_entries"] = entries  # as written: the entries' identities are made from this text
                facts["missing_libraries"] = [e["kernel_path"] for e in entries if isinstance(e, dict) and
                                              isinstance(e.get("kernel_path"), str) and
                                              not (folder / e["kernel_path"]).exists()]
            except Exception as e:
                facts["op_file_error"] = f"{type(e).__name__}: {e}"
        return facts

    def note_miss(self, record, capture):
        started = time.perf_counter()
        self.aoti_eager.log.removeFilter(capture)

        def finish():
            record["log"] = capture.messages
            key = (record["ns"], record["op"], record["device"])
            if record["library"] and key in self.registered:
                held = self.registered[key]["in_memory"]
                held.append({"meta_info": record["meta_info"], "kernel_path": record["library"]})
            if record["library"]:
                folder = self.aoti_eager.aoti_eager_cache_dir(record["ns"], record["device"])
                try:
                    record["kernel_path"] = os.path.relpath(record["library"], folder)
                except ValueError:
                    record["kernel_path"] = record["library"]
            self.local.misses = getattr(self.local, "misses", 0) + 1
            self.write(record)

        self.safely(finish)
        self.own_seconds += time.perf_counter() - started

    def start_call_recording(self):
        if self.mode is not None:
            return
        from torch.utils._python_dispatch import TorchDispatchMode

        recorder = self

        class _CallRecorder(TorchDispatchMode):
            """Sees every ATen call of the thread that registered; passes each on untouched."""

            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                kwargs = kwargs or {}
                keys = recorder.by_overload.get((func.namespace, func._schema.name, func._overloadname))
                if not keys or recorder.stopped:
                    return func(*args, **kwargs)
                started = time.perf_counter()
                before = getattr(recorder.local, "misses", 0)
                try:
                    result = func(*args, **kwargs)
                except BaseException as e:
                    elapsed = time.perf_counter() - started
                    recorder.safely(lambda: recorder.note_call(func, keys, args, kwargs, before, elapsed, e))
                    raise
                elapsed = time.perf_counter() - started
                recorder.safely(lambda: recorder.note_call(func, keys, args, kwargs, before, elapsed, None))
                return result

        self.mode = _CallRecorder()
        self.mode.__enter__()  # for the rest of the process: never left

    def note_call(self, func, keys, args, kwargs, misses_before, elapsed, error):
        started = time.perf_counter()
        torch = sys.modules["torch"]
        device = _call_device(torch, args, kwargs)
        key = next((k for k in keys if k[2] == device), None)
        if key is not None:
            self.calls += 1
            compiled = getattr(self.local, "misses", 0) != misses_before
            record = {"event": "call", "ns": key[0], "op": key[1], "device": device, "seconds": elapsed,
                      "outcome": "eager" if key not in self.registered else "miss" if compiled else "hit",
                      "meta_info": self.meta.recorded_meta_info(torch, self.aoti_eager, device, args, kwargs)}
            if error is not None:
                record["error"] = f"{type(error).__name__}: {error}"
            self.write(record)
        self.own_seconds += time.perf_counter() - started

    def exit_record(self):
        self.write({"event": "exit", "calls": self.calls, "recorder_seconds": self.own_seconds})


def _call_device(torch, args, kwargs):
    """The device type the dispatcher picks for these inputs: that of the first tensor, else a device argument."""
    values = list(args) + list(kwargs.values())
    for v in values:
        if isinstance(v, torch.Tensor):
            return v.device.type
        if isinstance(v, (list, tuple)):
            for item in v:
                if isinstance(item, torch.Tensor):
                    return item.device.type
    for v in values:
        if isinstance(v, torch.device):
            return v.type
    return "cpu"


class _TorchLibraryHook(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Patches torch.library as it is imported, so the program's own import of torch stays where it is."""

    def __init__(self, recorder):
        self.recorder = recorder

    def find_spec(self, fullname, path, target=None):
        if fullname != "torch.library":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        inner = spec.loader
        recorder = self.recorder

        class _Patching(importlib.abc.Loader):
            def __getattr__(self, name):  # get_source, get_filename, ...: the real loader's
                return getattr(inner, name)

            def create_module(self, spec):
                return inner.create_module(spec)

            def exec_module(self, module):
                inner.exec_module(module)
                recorder.safely(lambda: recorder.patch_library(module))

        spec.loader = _Patching()
        sys.meta_path.remove(self)
        return spec


def install():
    global _state
    path = os.environ.get("AOTISCOPE_RECORD_OUT")
    if not path or _state is not None:
        return
    _state = _Recorder(path, os.environ.get("AOTISCOPE_RECORD_CALLS") == "1")
    _state.process_record(forked=False)
    os.register_at_fork(after_in_child=lambda: _state.safely(_state.after_fork))
    atexit.register(lambda: _state.safely(_state.exit_record))
    if "torch.library" in sys.modules:
        _state.safely(lambda: _state.patch_library(sys.modules["torch.library"]))
    else:
        sys.meta_path.insert(0, _TorchLibraryHook(_state))
