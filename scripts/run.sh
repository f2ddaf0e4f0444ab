#!/usr/bin/env bash
# Installs everything, builds, and runs AOTIScope on the cache PyTorch would use. When there is no cache there
# (a fresh machine), it first compiles a small demo cache with PyTorch into demo-cache/ and uses that.
# Extra arguments are passed to `aotiscope-cli lint` (e.g. --json).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash scripts/setup.sh
bash scripts/build.sh
cli=build/app/cli/aotiscope-cli
root="$("$cli" locate --json | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["root"])')"
if [ ! -d "$root/aoti_eager" ]; then
  root="$here/demo-cache"
  echo "No AOTI-eager cache at PyTorch's root; compiling a demo cache with PyTorch into $root (about a minute)..."
  .venv/bin/python tests/fixtures/generate_cache.py "$root"
fi
"$cli" ls --root "$root"
echo
"$cli" lint --root "$root" "$@"
