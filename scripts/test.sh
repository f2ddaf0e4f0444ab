#!/usr/bin/env bash
# Installs everything, builds with warnings as errors, generates a real cache with PyTorch (once per build
# folder) and runs the whole Qt Test suite through CTest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash scripts/setup.sh
bash scripts/build.sh -DAOTISCOPE_WERROR=ON
cd build
ctest --output-on-failure -j2 "$@"
