// Compile jobs over one long-lived worker: recompile entries (the old entry goes to the trash first and comes
// back if the compile fails), compile new entries from a spec, compile everything stale. Events stream to a
// callback; a cancel flag ends the worker's process group and leaves the op file as it was.
#pragma once

#include "core/CacheEditor.h"
#include "core/CompileWorker.h"
#include "core/Linter.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace aotiscope {

struct CompileJob {
    std::string id;
    std::string root, ns, device, op;
    nlohmann::ordered_json metaInfo;
    int replacesEntry = -1; // recompile: the index of the entry this job replaces, -1 for a new entry
    std::string title() const;
};

struct JobOutcome {
    std::string id;
    bool ok = false;
    std::string library;
    std::string message;   // why it failed, in words
    std::string traceback;
    double seconds = 0.0;
    nlohmann::json toJson() const;
};

std::vector<CompileJob> jobsForEntries(const CacheSnapshot& snap, const std::string& op, const std::vector<int>& indices);
// Entries PyTorch cannot use as they are: missing or unloadable libraries, another torch's build, an ISA or
// compute capability this machine lacks, dispatch keys the active torch never produces.
std::vector<CompileJob> jobsForStale(const CacheSnapshot& snap, const std::vector<Finding>& findings);
// {"op": "add.Tensor", "ns": "aten", "device": "cpu", "meta_info": [...]} -> a new entry.
CompileJob jobFromSpec(const std::string& root, const nlohmann::json& spec, std::string& error);

using JobEventSink = std::function<void(const CompileJob& job, const nlohmann::json& event)>;

std::vector<JobOutcome> runCompileJobs(const std::vector<CompileJob>& jobs, const CompileWorkerConfig& config,
                                       const JobEventSink& onEvent, const std::atomic<bool>* cancel = nullptr,
                                       std::chrono::milliseconds lockTimeout = std::chrono::seconds(600));

} // namespace aotiscope
