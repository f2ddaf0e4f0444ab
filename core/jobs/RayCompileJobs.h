// Compile jobs on a Ray cluster (workers/ray/ray_compile.py): every job is a task that compiles into its own
// temporary cache on some node, with the compile worker's code; each result comes back as a one-entry bundle and
// is merged as it arrives, as a local recompile would be: the entry it replaces taken out under PyTorch's locks,
// the bundle checked against this host and placed (core/share/Unpack.h: digests, lint, the loader), the new entry
// moved to the old one's position. A job that fails, is cancelled or whose worker dies changes nothing here.
#pragma once

#include "core/check/HostInfo.h"
#include "core/jobs/CompileJobs.h"

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace aotiscope {

struct RayCompileConfig {
    std::string address;   // the cluster's head, host:port
    std::string python;    // an interpreter with ray and torch; empty: the active torch's
    int readyTimeoutMs = 180000;
};

std::vector<JobOutcome> runRayCompileJobs(const std::vector<CompileJob>& jobs, const RayCompileConfig& config, const HostInfo& host,
                                          const JobEventSink& onEvent, const std::atomic<bool>* cancel = nullptr,
                                          std::chrono::milliseconds lockTimeout = std::chrono::seconds(600));

} // namespace aotiscope
