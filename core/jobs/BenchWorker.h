// Which benchmark worker runs, and how it finds libtorch. The worker links libtorch, whose C++ ABI is one
// release's, so it must be built for the torch the verdicts are about. A built worker records that torch beside
// itself (<worker>.torch, one line: torch.__version__) and finds libtorch through LD_LIBRARY_PATH set to that
// torch's lib/ (no RPATH into the machine it was built on). For another torch, one is built on first use with
// scripts/build_bench_worker.sh (cmake or g++ against the torch wheel) and kept in the cache folder.
#pragma once

#include "core/check/HostInfo.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace aotiscope {

struct BenchWorkerCommand {
    std::string path;
    std::vector<std::string> env; // NAME=VALUE for the worker's environment
    std::string builtFor;         // the torch it was built for ("" unknown)
    std::string error;            // no worker for this torch, and why
    std::string note;             // e.g. "built for torch 2.11.0+cu130 into ~/.cache/aotiscope/bench-worker/..."
};

// The torch a worker binary was built for, from its <worker>.torch record ("" when there is none).
std::string benchWorkerTorch(const std::string& workerPath);

// explicitWorker: --worker or $AOTISCOPE_BENCH_WORKER (used whatever it was built for). `torch`: the configured
// torch (detectTorch()). `progress` hears of a first-use build before it starts (may be null).
BenchWorkerCommand chooseBenchWorker(const std::string& explicitWorker, const std::optional<TorchInstall>& torch,
                                     const std::function<void(const std::string&)>& progress = {});

// "benchmark worker PATH (built for torch X), LD_LIBRARY_PATH=DIR": for the log.
std::string describe(const BenchWorkerCommand& c);

} // namespace aotiscope
