#!/usr/bin/env bash
# Installs everything AOTIScope needs on a fresh Debian 12/13 machine, idempotently:
#   - Debian packages: compiler toolchain, CMake, Ninja, Qt6 (Widgets, Concurrent, Test, Charts, SQL with SQLite), nlohmann_json,
#     spdlog/fmt, simdjson, a font for the offscreen window tests, the validators and man for the package test
#   - Debian's docker-registry: the local OCI registry the sharing tests start on loopback
#   - a Python virtual environment at .venv with torch==2.13.0 (CPU), which also provides libtorch for CMake, and
#     oras (oras-py, the OCI registry client of `push` and `pull`) and ray (`compile --ray`, its tests start a
#     local cluster).
# Quick when all is present: it checks before it installs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-base-dev-tools qt6-charts-dev libqt6opengl6-dev libqt6sql6-sqlite
  nlohmann-json3-dev libspdlog-dev libfmt-dev libsimdjson-dev fonts-dejavu-core
  desktop-file-utils appstream man-db groff-base file docker-registry
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PY="${AOTISCOPE_PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $PY"
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c 'import torch, filelock, numpy, oras.client, ray; assert torch.__version__.startswith("2.13.0")' 2>/dev/null; then
  echo "setup: installing torch==2.13.0, oras and ray into .venv"
  .venv/bin/pip install -q --disable-pip-version-check torch==2.13.0 filelock numpy oras==0.2.43 ray==2.60.0
fi
echo "setup: ok ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
