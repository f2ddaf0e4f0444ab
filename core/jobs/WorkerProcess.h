// A worker process spoken to in JSON lines over stdin/stdout (the compile worker, the benchmark worker). It
// runs in its own process group, so that cancelling a job ends whatever it started too (compilers), and a
// crash, an abort or a hang in it takes down only this process.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace aotiscope {

struct WorkerCommand {
    std::vector<std::string> argv;
    std::string label;             // "compile worker": for messages
    int readyTimeoutMs = 120000;
    std::vector<std::string> env; // NAME=VALUE set in the worker's environment (over this process's)
};

class WorkerProcess {
public:
    explicit WorkerProcess(WorkerCommand command);
    virtual ~WorkerProcess();
    WorkerProcess(const WorkerProcess&) = delete;
    WorkerProcess& operator=(const WorkerProcess&) = delete;

    // Starts the process and waits for its "ready" event; returns "" or why it cannot work (no torch,
    // torch too old, program missing), with the worker's own words.
    std::string start();
    const nlohmann::json& readyEvent() const { return ready_; }
    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }

    std::string send(const nlohmann::json& request);
    // The next event, waiting up to timeoutMs; stderr lines arrive as {"event":"log","stream":"stderr"}.
    // When the process has ended: {"event":"exited","status":...,"signal":...,"signal_name":...}, then nullopt.
    std::optional<nlohmann::json> nextEvent(int timeoutMs);
    // Ends the worker's whole process group: SIGTERM, then SIGKILL after graceMs.
    void kill(int graceMs = 2000);

private:
    bool readSome(int timeoutMs);
    std::optional<nlohmann::json> popLine();
    void reap(bool wait);

    WorkerCommand command_;
    pid_t pid_ = -1;
    int in_ = -1, out_ = -1, err_ = -1;
    std::string outBuf_, errBuf_;
    nlohmann::json ready_;
    std::optional<nlohmann::json> exitEvent_;
    bool exitReported_ = false;
};

} // namespace aotiscope
