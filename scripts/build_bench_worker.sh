#!/usr/bin/env bash
# Builds the benchmark worker alone, where torch is installed but Qt and the Debian packages of the full build
# are not (the GPU machine): CMake with the torch wheel's config; nlohmann/json.hpp from $NLOHMANN_INCLUDE (a
# carried folder) when no CMake package is installed. If find_package(Torch) cannot configure (a CUDA torch
# without a CUDA toolkit), g++ builds it directly against the wheel: the worker has no CUDA code of its own.
#   usage: PYTHON=python3 NLOHMANN_INCLUDE=.carry bash scripts/build_bench_worker.sh [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build-bench-worker}"
py="${PYTHON:-python3}"
inc="${NLOHMANN_INCLUDE:-}"
prefix="$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
tdir="$("$py" -c 'import torch, os; print(os.path.dirname(torch.__file__))')"
jobs="$(nproc)"
if cmake -S "$here/workers/bench" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" -DAOTISCOPE_NLOHMANN_INCLUDE="$inc" \
     -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build.cmake.log" 2>&1; then
  cmake --build "$build" -j "$jobs"
  echo "built with CMake: $build/aotiscope-bench-worker"
  exit 0
fi
echo "find_package(Torch) did not configure (see $build.cmake.log); building with g++ against $tdir"
mkdir -p "$build"
cuda_libs=()
[ -e "$tdir/lib/libtorch_cuda.so" ] && cuda_libs=(-ltorch_cuda -lc10_cuda)
objs=()
for src in "$here"/workers/bench/*.cpp; do
  obj="$build/$(basename "${src%.cpp}").o"
  objs+=("$obj")
  g++ -std=c++20 -O2 -g -fPIC -D_GLIBCXX_USE_CXX11_ABI=1 -isystem "$tdir/include" \
      -isystem "$tdir/include/torch/csrc/api/include" ${inc:+-isystem "$inc"} -c "$src" -o "$obj" &
  while (( $(jobs -r | wc -l) >= jobs )); do wait -n; done
done
wait
g++ -o "$build/aotiscope-bench-worker" "${objs[@]}" -L"$tdir/lib" -Wl,-rpath,"$tdir/lib" \
    -Wl,--no-as-needed -ltorch "${cuda_libs[@]}" -ltorch_cpu -lc10 -Wl,--as-needed -lpthread
# The torch it is built for, read by the core before it starts the worker (core/jobs/BenchWorker.h); CMake writes it too.
"$py" -c 'import torch; print(torch.__version__)' > "$build/aotiscope-bench-worker.torch"
echo "built with g++: $build/aotiscope-bench-worker"
