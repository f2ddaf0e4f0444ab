// The long-lived compile worker process (workers/compile_worker.py): the user's Python with torch.
#pragma once

#include "core/jobs/WorkerProcess.h"

#include <string>

namespace aotiscope {

struct CompileWorkerConfig {
    std::string python;  // interpreter with torch; empty: defaultPython()
    std::string script;  // empty: defaultWorkerScript()
    int readyTimeoutMs = 120000;
};

std::string defaultPython();       // the interpreter of the active torch (HostInfo.h, pythonCandidates)
// A file of the workers folder: $AOTISCOPE_WORKERS_DIR/<relative>, else an installed AOTIScope's
// <prefix>/share/aotiscope/workers/<relative>, else the source tree's.
std::string workerFile(const std::string& relative);
std::string defaultWorkerScript(); // $AOTISCOPE_WORKERS_DIR/compile_worker.py, else the source tree's

class CompileWorker : public WorkerProcess {
public:
    explicit CompileWorker(CompileWorkerConfig config = {});
};

} // namespace aotiscope
