#include "core/CompileJobs.h"

#include "core/CacheScanner.h"
#include "core/FileUtil.h"
#include "core/OpFileWriter.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

namespace aotiscope {

namespace {

void addJobsFor(const NamespaceDir& ns, const DeviceDir& dev, const OpFile& op, const std::set<int>& indices,
                const std::string& root, std::vector<CompileJob>& out) {
    auto entries = readOpEntries(op.path); // once per op file, not once per entry
    for (const auto& e : op.entries) {
        if (!indices.empty() && !indices.contains(e.index)) continue;
        if (std::size_t(e.index) >= entries.size()) continue;
        const auto& entry = entries[std::size_t(e.index)];
        if (!entry.is_object() || !entry.contains("meta_info")) continue;
        out.push_back({entryId(ns.name, dev.name, op.name, e.index), root, ns.name, dev.name, op.name,
                       entry["meta_info"], e.index});
    }
}

// PyTorch waits for nothing when a compile dies: it may leave <op>.json half written. Keep the text from
// before the job and put it back (atomically, under the locks) when the file no longer parses.
void restoreIfTorn(const CompileJob& job, const std::string& before, std::chrono::milliseconds lockTimeout) {
    OpLocation where{job.root, job.ns, job.device, job.op};
    std::string text, error;
    if (!readWholeFile(where.jsonPath(), text).empty()) return;
    auto parsed = parseOpJson(text, error);
    if (error.empty() && parsed.is_array()) return;
    auto previous = parseOpJson(before, error);
    if (!error.empty()) previous = nlohmann::ordered_json::array();
    spdlog::warn("{}: the op file was left torn by a stopped compile; putting back its previous content", where.jsonPath());
    rewriteOpFile(where, [&](nlohmann::ordered_json& list) { list = previous; }, lockTimeout);
}

} // namespace

std::string CompileJob::title() const {
    return replacesEntry >= 0 ? fmt::format("recompile {}/{}/{} #{}", ns, device, op, replacesEntry)
                              : fmt::format("compile a new {}/{}/{} entry", ns, device, op);
}

nlohmann::json JobOutcome::toJson() const {
    return {{"id", id}, {"ok", ok}, {"library", library}, {"message", message}, {"traceback", traceback}, {"seconds", seconds}};
}

std::vector<CompileJob> jobsForEntries(const CacheSnapshot& snap, const std::string& opName, const std::vector<int>& indices) {
    std::vector<CompileJob> out;
    std::set<int> wanted(indices.begin(), indices.end());
    forEachOp(snap, [&](const NamespaceDir& ns, const DeviceDir& dev, const OpFile& op) {
        if (op.name == opName) addJobsFor(ns, dev, op, wanted, snap.root, out);
    });
    return out;
}

std::vector<CompileJob> jobsForStale(const CacheSnapshot& snap, const std::vector<Finding>& findings) {
    static const std::set<std::string> staleRules{"AOTI001", "AOTI010", "AOTI011", "AOTI012", "AOTI013",
                                                  "AOTI014", "AOTI015", "AOTI016"};
    std::map<std::tuple<std::string, std::string, std::string>, std::set<int>> stale;
    for (const auto& f : findings) {
        if (staleRules.contains(f.ruleId) && !f.op.empty() && f.entry >= 0) {
            stale[{f.ns, f.device, f.op}].insert(f.entry);
        }
    }
    std::vector<CompileJob> out;
    forEachOp(snap, [&](const NamespaceDir& ns, const DeviceDir& dev, const OpFile& op) {
        if (auto it = stale.find({ns.name, dev.name, op.name}); it != stale.end()) {
            addJobsFor(ns, dev, op, it->second, snap.root, out);
        }
    });
    return out;
}

CompileJob jobFromSpec(const std::string& root, const nlohmann::json& spec, std::string& error) {
    CompileJob job;
    if (!spec.is_object() || !spec.contains("op") || !spec["op"].is_string() || !spec.contains("meta_info") ||
        !spec["meta_info"].is_array()) {
        error = R"(a new-entry spec is {"op": "add.Tensor", "ns": "aten", "device": "cpu", "meta_info": [...]})";
        return job;
    }
    job.root = absolutePath(root);
    job.op = spec["op"].get<std::string>();
    job.ns = spec.value("ns", "aten");
    job.device = spec.value("device", "cpu");
    job.metaInfo = nlohmann::ordered_json::parse(spec["meta_info"].dump());
    job.id = fmt::format("{}/{}/{}+new", job.ns, job.device, job.op);
    return job;
}

std::vector<JobOutcome> runCompileJobs(const std::vector<CompileJob>& jobs, const CompileWorkerConfig& config,
                                       const JobEventSink& onEvent, const std::atomic<bool>* cancel,
                                       std::chrono::milliseconds lockTimeout) {
    std::vector<JobOutcome> outcomes;
    std::unique_ptr<CompileWorker> worker;
    auto cancelled = [&] { return cancel && cancel->load(); };
    for (const auto& job : jobs) {
        JobOutcome outcome;
        outcome.id = job.id;
        auto started = std::chrono::steady_clock::now();
        auto finish = [&](bool ok, std::string message) {
            outcome.ok = ok;
            outcome.message = std::move(message);
            outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            onEvent(job, ok ? nlohmann::json{{"event", "finished"}, {"library", outcome.library}, {"seconds", outcome.seconds}}
                            : nlohmann::json{{"event", "failed"}, {"message", outcome.message}, {"traceback", outcome.traceback}});
            outcomes.push_back(outcome);
        };
        if (cancelled()) {
            finish(false, "cancelled before it started");
            continue;
        }
        if (!worker || !worker->running()) {
            onEvent(job, {{"event", "log"}, {"message", "starting the compile worker (the first compile of a process takes longest)"}});
            worker = std::make_unique<CompileWorker>(config);
            if (auto error = worker->start(); !error.empty()) {
                finish(false, error);
                worker.reset();
                continue;
            }
            onEvent(job, worker->readyEvent()); // {"event":"ready","torch":...,"pid":...}
        }
        OpLocation where{job.root, job.ns, job.device, job.op};
        std::string before;
        readWholeFile(where.jsonPath(), before);
        // A recompile takes the old entry out first (PyTorch keeps an entry with equal meta_info as it is, so
        // its stale library would never be replaced); it goes to the trash and comes back on failure.
        std::string trashId;
        if (job.replacesEntry >= 0) {
            auto plan = planDeleteEntries(scanCache(job.root, ScanOptions{}), job.ns, job.device, job.op, {job.replacesEntry});
            auto removed = applyPlan(plan, lockTimeout);
            if (!removed.errors.empty() || removed.entriesRemoved != 1) {
                finish(false, removed.errors.empty() ? "the entry changed since it was chosen" : removed.errors.front());
                continue;
            }
            trashId = removed.trashId;
            before.clear();
            readWholeFile(where.jsonPath(), before);
        }
        auto undo = [&] {
            restoreIfTorn(job, before, lockTimeout);
            if (!trashId.empty()) restoreTrash(job.root, trashId, lockTimeout);
        };
        worker->send({{"id", job.id}, {"type", "compile"}, {"root", job.root}, {"ns", job.ns}, {"device", job.device},
                      {"op", job.op}, {"meta_info", nlohmann::json::parse(job.metaInfo.dump())}});
        bool done = false;
        while (!done) {
            if (cancelled()) {
                worker->kill();
                worker.reset();
                undo();
                finish(false, "cancelled: the worker and the compilers it started were stopped");
                break;
            }
            auto e = worker->nextEvent(200);
            if (!e) {
                if (!worker->running()) {
                    undo();
                    finish(false, "the compile worker ended without an answer");
                    worker.reset();
                    break;
                }
                continue;
            }
            auto kind = e->value("event", "");
            if (kind == "exited") {
                undo();
                auto signal = e->value("signal_name", std::string());
                finish(false, signal.empty() ? fmt::format("the compile worker exited ({})", e->value("status", -1))
                                             : fmt::format("the compile worker was killed ({})", signal));
                worker.reset();
                break;
            }
            if (kind == "finished") {
                outcome.library = e->value("library", "");
                finish(true, {});
                done = true;
            } else if (kind == "failed") {
                outcome.traceback = e->value("traceback", "");
                undo();
                finish(false, e->value("message", "the compile failed"));
                done = true;
            } else {
                onEvent(job, *e);
            }
        }
    }
    return outcomes;
}

} // namespace aotiscope
