#include "core/jobs/BenchWorker.h"

#include "core/jobs/BenchJobs.h"
#include "core/jobs/CompileWorker.h"
#include "core/base/FileUtil.h"
#include "core/base/Subprocess.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace aotiscope {

namespace fs = std::filesystem;

namespace {

std::string trimmed(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
}

// A folder name for a torch version: "2.11.0+cu130" stays readable, anything odd becomes '_'.
std::string folderFor(const std::string& version) {
    std::string out;
    for (char c : version) out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-' ? c : '_';
    return out;
}

std::vector<std::string> libraryPathFor(const std::optional<TorchInstall>& torch) {
    if (!torch || torch->dir.empty()) return {};
    return {prependedToPath("LD_LIBRARY_PATH", torch->dir + "/lib")};
}

// Builds a worker for `torch` into `dir` (through a temporary folder renamed into place, so that two programs
// building at once never start a half-built one). Returns an error, or "".
std::string buildWorker(const TorchInstall& torch, const fs::path& dir) {
    auto script = fs::path(workerFile("bench")).parent_path().parent_path() / "scripts/build_bench_worker.sh";
    std::error_code ec;
    if (!fs::exists(script, ec)) return fmt::format("the worker's build script is not at {}", script.string());
    fs::create_directories(dir.parent_path(), ec);
    auto tmp = dir.string() + fmt::format(".building-{}", ::getpid());
    fs::remove_all(tmp, ec);
    auto r = runProcess({"env", "PYTHON=" + torch.python, "bash", script.string(), tmp}, 1800000);
    auto log = tmp + ".log";
    std::ofstream(log) << r.out << r.err;
    if (r.exitCode != 0) {
        return fmt::format("building the benchmark worker for torch {} failed (needs cmake or g++, and nlohmann-json3-dev): "
                           "see {}", torch.version, log);
    }
    fs::rename(tmp, dir, ec); // another program may have finished first: its worker is as good
    if (ec && !fs::exists(dir / "aotiscope-bench-worker")) return fmt::format("cannot place the worker in {}: {}", dir.string(), ec.message());
    fs::remove_all(tmp, ec);
    return {};
}

} // namespace

std::string benchWorkerTorch(const std::string& workerPath) {
    std::string text;
    if (!readWholeFile(workerPath + ".torch", text).empty()) return {};
    return trimmed(text);
}

BenchWorkerCommand chooseBenchWorker(const std::string& explicitWorker, const std::optional<TorchInstall>& torch,
                                     const std::function<void(const std::string&)>& progress) {
    BenchWorkerCommand c;
    c.env = libraryPathFor(torch);
    const char* fromEnv = std::getenv("AOTISCOPE_BENCH_WORKER");
    if (!explicitWorker.empty() || (fromEnv && *fromEnv)) {
        c.path = !explicitWorker.empty() ? explicitWorker : fromEnv;
        c.builtFor = benchWorkerTorch(c.path);
        return c;
    }
    c.path = defaultBenchWorker();
    c.builtFor = benchWorkerTorch(c.path);
    std::error_code ec;
    if (!torch || torch->version.empty() || (c.builtFor == torch->version && fs::exists(c.path, ec))) return c;

    // Another torch than the one this worker was built for: its own worker, from the cache folder or built now.
    auto cacheDir = aotiscopeCacheDir();
    if (cacheDir.empty()) {
        c.error = fmt::format("the benchmark worker {} is built for torch {}, not the configured {}, and there is no cache "
                              "folder to build one in (set AOTISCOPE_CACHE_DIR or HOME)", c.path, c.builtFor, torch->version);
        return c;
    }
    auto dir = fs::path(cacheDir) / "bench-worker" / folderFor(torch->version);
    auto built = (dir / "aotiscope-bench-worker").string();
    if (!fs::exists(built, ec) || benchWorkerTorch(built) != torch->version) {
        if (progress) {
            progress(fmt::format("building the benchmark worker for torch {} into {} (once; a few minutes)", torch->version, dir.string()));
        }
        if (auto error = buildWorker(*torch, dir); !error.empty()) {
            c.error = fmt::format("the benchmark worker {} is built for torch {}, the configured torch is {} ({}); {}", c.path,
                                  c.builtFor.empty() ? "unknown" : c.builtFor, torch->version, torch->python, error);
            return c;
        }
        c.note = fmt::format("built the benchmark worker for torch {} into {}", torch->version, dir.string());
    }
    c.path = built;
    c.builtFor = torch->version;
    return c;
}

std::string describe(const BenchWorkerCommand& c) {
    return fmt::format("benchmark worker {} (built for torch {}){}", c.path, c.builtFor.empty() ? "unknown" : c.builtFor,
                       c.env.empty() ? "" : ", " + c.env.front().substr(0, c.env.front().find(':')));
}

} // namespace aotiscope
