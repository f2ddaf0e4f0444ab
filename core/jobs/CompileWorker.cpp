#include "core/jobs/CompileWorker.h"

#include "core/check/HostInfo.h"

#include <cstdlib>
#include <filesystem>

namespace aotiscope {

std::string defaultPython() {
    // The same interpreter whose torch the verdicts are about (HostInfo's detectTorch), else the first there is.
    if (auto torch = detectTorch(); torch && !torch->python.empty()) return torch->python;
    for (const auto& [source, py] : pythonCandidates()) {
        if (py.find('/') == std::string::npos || std::filesystem::exists(py)) return py;
    }
    return "python3";
}

std::string workerFile(const std::string& relative) {
    if (const char* d = std::getenv("AOTISCOPE_WORKERS_DIR"); d && *d) {
        return std::string(d) + "/" + relative;
    }
    // An installed AOTIScope (packaging/): <prefix>/bin/aotiscope-cli and <prefix>/share/aotiscope/workers.
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        auto installed = exe.parent_path().parent_path() / "share/aotiscope/workers" / relative;
        if (std::filesystem::exists(installed, ec)) {
            return installed.string();
        }
    }
#ifdef AOTISCOPE_SOURCE_DIR
    return AOTISCOPE_SOURCE_DIR "/workers/" + relative;
#else
    return relative;
#endif
}

std::string defaultWorkerScript() { return workerFile("compile_worker.py"); }

CompileWorker::CompileWorker(CompileWorkerConfig config)
    : WorkerProcess({{config.python.empty() ? defaultPython() : config.python, "-u",
                      config.script.empty() ? defaultWorkerScript() : config.script},
                     "compile worker", config.readyTimeoutMs, {}}) {}

} // namespace aotiscope
