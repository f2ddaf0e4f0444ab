#!/usr/bin/env bash
# Installs everything, builds, and opens AOTIScope's window on the cache PyTorch would use. When there is no
# cache there (a fresh machine), it first compiles a small demo cache with PyTorch into demo-cache/ (about a
# minute, progress printed) and opens that. Without a display it prints the same cache with the CLI instead
# (tree, findings, and the first op's entries timed against eager).
# Arguments: an optional cache root.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash scripts/setup.sh
bash scripts/build.sh
cli=build/app/cli/aotiscope-cli
root="${1:-$("$cli" locate --json | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["root"])')}"
display=""
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "${QT_QPA_PLATFORM:-}" = "offscreen" ]; then display=yes; fi
if [ ! -d "$root/aoti_eager" ]; then
  root="$here/demo-cache"
  if [ -n "$display" ] && [ ! -d "$root/aoti_eager" ]; then
    # The window opens at once and PyTorch compiles the demo's entries in the jobs panel meanwhile.
    echo "No AOTI-eager cache at PyTorch's root: opening a demo cache in $root, compiled in the background."
    exec build/app/gui/aotiscope --demo "$root"
  fi
  echo "No AOTI-eager cache at PyTorch's root; compiling a demo cache with PyTorch into $root ..."
  .venv/bin/python tests/fixtures/generate_cache.py "$root"
fi
if [ -n "$display" ]; then
  exec build/app/gui/aotiscope "$root"
fi
echo "No display: showing the cache with aotiscope-cli (the window needs DISPLAY or WAYLAND_DISPLAY)."
"$cli" ls --root "$root"
echo
"$cli" lint --root "$root" || true  # exit 1 only says that error-level findings exist: they are printed
echo
echo "Timing the first op's entries against eager (aotiscope-cli bench):"
first_op="$("$cli" ls --json --root "$root" | .venv/bin/python -c '
import json, sys
ops = [o["name"] for n in json.load(sys.stdin)["namespaces"] for d in n["devices"] if d["name"] == "cpu" for o in d["ops"]]
print(ops[0] if ops else "")')"
if [ -n "$first_op" ]; then "$cli" bench "$first_op" --root "$root" --max-ms 500 --device cpu || true; fi
