#!/usr/bin/env bash
# Configures and builds AOTIScope in build/ against the libtorch of .venv (run scripts/setup.sh first).
# Extra arguments go to CMake, e.g. -DAOTISCOPE_WERROR=ON.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
torch_prefix="$(.venv/bin/python -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_PREFIX_PATH="$torch_prefix" \
    -DAOTISCOPE_PYTHON="$here/.venv/bin/python" "$@"
elif [ $# -gt 0 ]; then
  cmake -S . -B build "$@"
fi
# Two jobs: the machine has two cores and this keeps memory well under its limit.
cmake --build build -j "${AOTISCOPE_JOBS:-2}"
