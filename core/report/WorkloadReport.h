// What a recording says: per process and op, calls, hits, misses and compile time, each miss explained by the
// matcher against the entries the kernel holder had at that moment (loaded from disk at registration, plus the
// kernels this torch keeps in memory after a miss), and the entry each miss created.
#pragma once

#include "core/check/Matcher.h"
#include "core/report/Recording.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace aotiscope {

struct ExplainedMiss {
    const RecordedMiss* miss = nullptr;
    std::string reason;       // why no entry ran the call, in words
    int nearestEntry = -1;    // loaded entry closest to the call (position), -1: none loaded or in memory
    bool nearestInMemory = false;
    std::string nearestEntryId; // "aten/cpu/abs@<key>" of that loaded entry, to find it in the cache
    std::vector<GuardDifference> differences; // the nearest entry's guard fields that differ
    std::string createdEntry; // "aten/cpu/abs@<key>": what PyTorch's writer appended; empty when the compile failed
};

struct OpWorkload {
    std::string ns, op, device;
    long pid = 0;
    std::string state;        // "registered", "inherited", "registration failed", "not registered"
    std::string error;        // registration's error, first line
    std::string dropReason;   // the loader returned no entry of an op file that had some: why
    int entriesLoaded = 0;
    long calls = -1, hits = -1; // -1: calls were not recorded (record --calls)
    long misses = 0;
    long eagerCalls = 0; // --calls: calls that ran PyTorch's own kernel (the registration failed)
    double compileSeconds = 0.0;
    double callSeconds = 0.0; // --calls: time in the op's calls, compiles included
    std::vector<ExplainedMiss> explained;
    // --calls: hits the matcher puts on another outcome than PyTorch's (each is a matcher bug to report).
    std::vector<std::string> disagreements;
    std::vector<int> hitsPerEntry; // --calls: hits of each loaded entry (position); in-memory kernels after them
};

struct WorkloadReport {
    const Recording* recording = nullptr;
    std::vector<OpWorkload> ops; // per process, in registration order; ops only compiled (not registered) last
};

WorkloadReport analyzeRecording(const Recording& recording);

nlohmann::json workloadReportJson(const WorkloadReport& report);
std::string workloadReportText(const WorkloadReport& report);

} // namespace aotiscope
