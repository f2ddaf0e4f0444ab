// Compile jobs over one long-lived worker: recompile entries, compile new entries from specs, compile
// everything stale. A recompile names the entry it replaces by identity (EntryKey.h): the entry is found and
// taken out at the moment of removal, under PyTorch's locks, together with every entry of equal meta_info
// (PyTorch's writer appends nothing while one exists); the entry PyTorch then writes is put back where the old
// one stood, so first-match order holds. A job that fails, is cancelled or loses its worker puts back what it
// took out. Events stream to a callback; a cancel flag ends the worker's process group.
#pragma once

#include "core/edit/CacheEditor.h"
#include "core/jobs/CompileWorker.h"
#include "core/check/Linter.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace aotiscope {

struct CompileJob {
    std::string id; // entryId(...) of the entry it replaces, or "<ns>/<device>/<op>+new@<key of its meta_info>"
    std::string root, ns, device, op;
    nlohmann::ordered_json metaInfo;
    std::string replacesKey;         // recompile: the identity of the entry it replaces; empty: a new entry
    int plannedIndex = -1;           // that entry's position when the job was planned (for people only)
    bool recompile() const { return !replacesKey.empty(); }
    std::string title() const;
};

struct JobOutcome {
    std::string id;
    bool ok = false;
    std::string library;
    std::string entryKey;              // the entry that names the library now
    std::vector<std::string> replaced; // keys of the entries taken out
    std::string message;   // why it failed, in words
    std::string note;      // what else happened (duplicates replaced, an entry PyTorch wrote meanwhile kept)
    std::string traceback;
    double seconds = 0.0;
    nlohmann::json toJson() const;
};

std::vector<CompileJob> jobsForEntries(const CacheSnapshot& snap, const std::string& op, const std::vector<int>& indices,
                                       const std::vector<std::string>& keys = {});
// Entries PyTorch cannot use as they are: missing or unloadable libraries, another torch's build, an ISA or
// compute capability this machine lacks, symbol versions its loader lacks. Entries of equal
// meta_info in one op become one job.
std::vector<CompileJob> jobsForStale(const CacheSnapshot& snap, const FindingList& findings);
// {"op": "add.Tensor", "ns": "aten", "device": "cpu", "meta_info": [...]} -> a new entry.
CompileJob jobFromSpec(const std::string& root, const nlohmann::json& spec, std::string& error);
// A spec file's text: one spec, or a list of them.
std::vector<CompileJob> jobsFromSpecText(const std::string& root, const std::string& text, std::string& error);

using JobEventSink = std::function<void(const CompileJob& job, const nlohmann::json& event)>;
// More jobs for a running batch (the window queues into its worker): called after each job; returns the jobs
// to append (none: the batch ends when its list is done).
using JobSource = std::function<std::vector<CompileJob>()>;

std::vector<JobOutcome> runCompileJobs(const std::vector<CompileJob>& jobs, const CompileWorkerConfig& config,
                                       const JobEventSink& onEvent, const std::atomic<bool>* cancel = nullptr,
                                       std::chrono::milliseconds lockTimeout = std::chrono::seconds(600),
                                       const JobSource& more = {});

} // namespace aotiscope
