// A long-lived compile worker process (workers/compile_worker.py) and its JSON-lines protocol. The worker
// runs in its own process group, so that cancelling a job ends the compiler processes it started too.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <sys/types.h>

namespace aotiscope {

struct CompileWorkerConfig {
    std::string python;  // interpreter with torch; empty: defaultPython()
    std::string script;  // empty: defaultWorkerScript()
    int readyTimeoutMs = 120000;
};

std::string defaultPython();       // $AOTISCOPE_PYTHON, else the project's .venv, else python3
std::string defaultWorkerScript(); // $AOTISCOPE_WORKERS_DIR/compile_worker.py, else the source tree's

class CompileWorker {
public:
    explicit CompileWorker(CompileWorkerConfig config = {});
    ~CompileWorker();
    CompileWorker(const CompileWorker&) = delete;
    CompileWorker& operator=(const CompileWorker&) = delete;

    // Starts the process and waits for its "ready" event; returns "" or why it cannot work (no torch,
    // torch too old, interpreter missing), with the worker's own words.
    std::string start();
    const nlohmann::json& readyEvent() const { return ready_; }
    bool running() const { return pid_ > 0; }

    std::string send(const nlohmann::json& request);
    // The next event, waiting up to timeoutMs; stderr lines arrive as {"event":"log","stream":"stderr"}.
    // When the process has ended: {"event":"exited","status":...,"signal":...}, then nullopt.
    std::optional<nlohmann::json> nextEvent(int timeoutMs);
    // Ends the worker's whole process group: SIGTERM, then SIGKILL after graceMs.
    void kill(int graceMs = 2000);

private:
    bool readSome(int timeoutMs);
    std::optional<nlohmann::json> popLine();
    void reap(bool wait);

    CompileWorkerConfig config_;
    pid_t pid_ = -1;
    int in_ = -1, out_ = -1, err_ = -1;
    std::string outBuf_, errBuf_;
    nlohmann::json ready_;
    std::optional<nlohmann::json> exitEvent_;
    bool exitReported_ = false;
};

} // namespace aotiscope
