#include "core/CompileWorker.h"

#include <cstdlib>
#include <filesystem>

namespace aotiscope {

std::string defaultPython() {
    if (const char* p = std::getenv("AOTISCOPE_PYTHON"); p && *p) {
        return p;
    }
#ifdef AOTISCOPE_SOURCE_DIR
    if (std::filesystem::exists(AOTISCOPE_SOURCE_DIR "/.venv/bin/python")) {
        return AOTISCOPE_SOURCE_DIR "/.venv/bin/python";
    }
#endif
    return "python3";
}

std::string defaultWorkerScript() {
    if (const char* d = std::getenv("AOTISCOPE_WORKERS_DIR"); d && *d) {
        return std::string(d) + "/compile_worker.py";
    }
    // An installed AOTIScope (packaging/): <prefix>/bin/aotiscope-cli and <prefix>/share/aotiscope/workers.
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        auto installed = exe.parent_path().parent_path() / "share/aotiscope/workers/compile_worker.py";
        if (std::filesystem::exists(installed, ec)) {
            return installed.string();
        }
    }
#ifdef AOTISCOPE_SOURCE_DIR
    return AOTISCOPE_SOURCE_DIR "/workers/compile_worker.py";
#else
    return "compile_worker.py";
#endif
}

CompileWorker::CompileWorker(CompileWorkerConfig config)
    : WorkerProcess({{config.python.empty() ? defaultPython() : config.python, "-u",
                      config.script.empty() ? defaultWorkerScript() : config.script},
                     "compile worker", config.readyTimeoutMs}) {}

} // namespace aotiscope
