#!/usr/bin/env bash
# Collects what the core and the CLI need from Debian's packages (headers, shared libraries, CMake configs of
# simdjson, spdlog, fmt and nlohmann_json) into .carry/usr (git-ignored), for a machine that has a compiler and
# torch but none of these packages (the GPU machine): carry .carry there, add .carry/usr to CMAKE_PREFIX_PATH
# and its lib/x86_64-linux-gnu to LD_LIBRARY_PATH (scripts/cuda_truth.sh, scripts/cuda_share.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$here/.carry"
rm -rf "$dest"
for p in libsimdjson-dev libsimdjson14 libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 nlohmann-json3-dev; do
  dpkg -L "$p" | while read -r f; do
    [ -f "$f" ] || [ -L "$f" ] || continue
    case "$f" in /usr/share/doc/*|/usr/share/lintian/*) continue ;; esac
    mkdir -p "$dest$(dirname "$f")"
    cp -a "$f" "$dest$f"
  done
done
du -sh "$dest"
