"""Put first on a program's PYTHONPATH by `aotiscope-cli record`: starts AOTIScope's recorder, then runs the
sitecustomize this one shadows (Debian's, a virtualenv's), so the program starts as it would without it."""


def _start():
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    try:
        sys.path.insert(0, here)
        try:
            import aotiscope_record
        finally:
            sys.path.remove(here)
        aotiscope_record.install()
    except Exception as e:  # the recorder must never stop the program from starting
        sys.stderr.write(f"aotiscope record: not recording: {type(e).__name__}: {e}\n")

    # The sitecustomize Python would have imported without this folder first on the path.
    import importlib.machinery
    import importlib.util

    rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        sys.modules["sitecustomize"] = module
        spec.loader.exec_module(module)


_start()
del _start
