#include "core/jobs/CompileJobs.h"

#include "core/read/EntryKey.h"
#include "core/edit/EntryReplacement.h"
#include "core/base/FileUtil.h"
#include "core/edit/OpFileWriter.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <map>
#include <set>

namespace aotiscope {

using ojson = nlohmann::ordered_json;

namespace {

// One job per wanted entry, named by its identity; entries whose meta_info equals an earlier wanted entry's are
// covered by that job (PyTorch keeps one entry per meta_info).
void addJobsFor(const NamespaceDir& ns, const DeviceDir& dev, const OpFile& op, const std::set<std::string>& wanted,
                const std::string& root, std::vector<CompileJob>& out) {
    auto entries = readOpEntries(op.path); // once per op file, not once per entry
    auto keys = entryKeysOf(entries);
    auto firstOfOp = out.size();
    for (const auto& e : op.entries) {
        if (!wanted.empty() && !wanted.contains(e.key)) continue;
        auto at = std::ranges::find(keys, e.key);
        if (at == keys.end()) continue; // changed since the scan: the next scan plans it
        const auto& entry = entries[std::size_t(at - keys.begin())];
        if (!entry.is_object() || !entry.contains("meta_info")) continue;
        // Covered by that job: its take-out removes every entry of equal meta_info (EntryReplacement.h).
        if (std::any_of(out.begin() + std::ptrdiff_t(firstOfOp), out.end(),
                        [&](const CompileJob& j) { return pythonEqual(j.metaInfo, entry["meta_info"]); })) {
            continue;
        }
        CompileJob job;
        job.id = entryId(ns.name, dev.name, op.name, e.key);
        job.root = root;
        job.ns = ns.name;
        job.device = dev.name;
        job.op = op.name;
        job.metaInfo = entry["meta_info"];
        job.replacesKey = e.key;
        job.plannedIndex = e.index;
        out.push_back(std::move(job));
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
    if (!error.empty()) previous = ojson::array();
    spdlog::warn("{}: the op file was left torn by a stopped compile; putting back its previous content", where.jsonPath());
    rewriteOpFile(where, [&](ojson& list) { list = previous; return std::string(); }, lockTimeout);
}

} // namespace

std::string CompileJob::title() const {
    return recompile() ? fmt::format("recompile {}/{}/{} #{} ({})", ns, device, op, plannedIndex, replacesKey)
                       : fmt::format("compile a new {}/{}/{} entry", ns, device, op);
}

nlohmann::json JobOutcome::toJson() const {
    return {{"id", id},           {"ok", ok},         {"library", library}, {"entry_key", entryKey},
            {"replaced", replaced}, {"message", message}, {"note", note},     {"traceback", traceback},
            {"seconds", seconds}};
}

std::vector<CompileJob> jobsForEntries(const CacheSnapshot& snap, const std::string& opName, const std::vector<int>& indices,
                                       const std::vector<std::string>& keys) {
    std::vector<CompileJob> out;
    forEachOp(snap, [&](const NamespaceDir& ns, const DeviceDir& dev, const OpFile& op) {
        if (op.name != opName) return;
        auto wanted = entryKeysNamed(op, indices, keys);
        if (wanted.empty() && (!indices.empty() || !keys.empty())) return; // asked for entries this op lacks
        addJobsFor(ns, dev, op, wanted, snap.root, out);
    });
    return out;
}

std::vector<CompileJob> jobsForStale(const CacheSnapshot& snap, const FindingList& findings) {
    // Not AOTI016: a foreign dispatch key set does not stop a disk entry from matching.
    static const std::set<std::string> staleRules{"AOTI001", "AOTI026", "AOTI010", "AOTI011", "AOTI012", "AOTI013",
                                                  "AOTI014", "AOTI015", "AOTI021"};
    std::map<std::tuple<std::string, std::string, std::string>, std::vector<int>> stale;
    for (const auto& f : findings) {
        if (staleRules.contains(f.ruleId) && !f.op.empty() && f.entry >= 0) {
            stale[{f.ns, f.device, f.op}].push_back(f.entry);
        }
    }
    std::vector<CompileJob> out;
    forEachOp(snap, [&](const NamespaceDir& ns, const DeviceDir& dev, const OpFile& op) {
        if (auto it = stale.find({ns.name, dev.name, op.name}); it != stale.end()) {
            // Positions of this snapshot's findings, turned into identities here.
            addJobsFor(ns, dev, op, entryKeysNamed(op, it->second, {}), snap.root, out);
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
    job.metaInfo = ojson::parse(spec["meta_info"].dump());
    std::string canonicalMeta;
    canonical::appendJson(canonicalMeta, job.metaInfo);
    job.id = fmt::format("{}+new@{}", entryId(job.ns, job.device, job.op, ""), entryKeyFromCanonical(canonicalMeta, std::nullopt));
    return job;
}

std::vector<CompileJob> jobsFromSpecText(const std::string& root, const std::string& text, std::string& error) {
    std::vector<CompileJob> jobs;
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded()) {
        error = "not JSON";
        return jobs;
    }
    auto specs = parsed.is_array() && !parsed.empty() && parsed.front().is_object() ? parsed : nlohmann::json::array({parsed});
    for (std::size_t i = 0; i < specs.size(); ++i) {
        auto job = jobFromSpec(root, specs[i], error);
        if (!error.empty()) {
            if (specs.size() > 1) error = fmt::format("spec {} of {}: {}", i + 1, specs.size(), error);
            return {};
        }
        jobs.push_back(std::move(job));
    }
    return jobs;
}

std::vector<JobOutcome> runCompileJobs(const std::vector<CompileJob>& initial, const CompileWorkerConfig& config,
                                       const JobEventSink& onEvent, const std::atomic<bool>* cancel,
                                       std::chrono::milliseconds lockTimeout, const JobSource& more) {
    std::vector<JobOutcome> outcomes;
    std::unique_ptr<CompileWorker> worker;
    auto cancelled = [&] { return cancel && cancel->load(); };
    std::deque<CompileJob> queue(initial.begin(), initial.end());
    auto refill = [&] {
        if (!more) return;
        for (auto& j : more()) queue.push_back(std::move(j));
    };
    refill();
    while (!queue.empty()) {
        auto job = std::move(queue.front());
        queue.pop_front();
        JobOutcome outcome;
        outcome.id = job.id;
        auto started = std::chrono::steady_clock::now();
        auto finish = [&](bool ok, std::string message) {
            outcome.ok = ok;
            outcome.message = std::move(message);
            outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            onEvent(job, ok ? nlohmann::json{{"event", "finished"}, {"library", outcome.library}, {"entry_key", outcome.entryKey},
                                             {"replaced", outcome.replaced}, {"note", outcome.note}, {"seconds", outcome.seconds}}
                            : nlohmann::json{{"event", "failed"}, {"message", outcome.message}, {"traceback", outcome.traceback}});
            outcomes.push_back(outcome);
            refill();
        };
        if (cancelled()) {
            finish(false, "cancelled before it started");
            continue;
        }
        OpLocation where{job.root, job.ns, job.device, job.op};
        // A recompile takes the old entry out first (PyTorch keeps an entry with equal meta_info as it is, so
        // its stale library would never be replaced); it goes to the trash and comes back on failure.
        TakenOut taken;
        if (job.recompile()) {
            taken = takeOutForRecompile(job, lockTimeout);
            if (!taken.error.empty()) {
                finish(false, taken.error);
                continue;
            }
            outcome.replaced = taken.removedKeys;
            outcome.note = taken.note;
        }
        std::string before;
        readWholeFile(where.jsonPath(), before);
        auto undo = [&] {
            restoreIfTorn(job, before, lockTimeout);
            if (taken.trashId.empty()) return;
            auto back = restoreTrash(job.root, taken.trashId, lockTimeout);
            for (const auto& e : back.errors) spdlog::error("{}: putting back the entry it replaces: {}", job.id, e);
        };
        // The worker starts after the job's entry was found: a job that cannot run costs no start-up.
        if (!worker || !worker->running()) {
            onEvent(job, {{"event", "log"}, {"message", "starting the compile worker (the first compile of a process takes longest)"}});
            worker = std::make_unique<CompileWorker>(config);
            if (auto error = worker->start(); !error.empty()) {
                worker.reset();
                undo();
                finish(false, error);
                continue;
            }
            onEvent(job, worker->readyEvent()); // {"event":"ready","torch":...,"pid":...}
        }
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
                done = true;
                outcome.library = e->value("library", "");
                auto recorded = e->contains("meta_info") ? ojson::parse((*e)["meta_info"].dump()) : job.metaInfo;
                auto settled = settleCompiledEntry(job, outcome.library, recorded, taken.successorKey, lockTimeout);
                if (!settled.error.empty()) {
                    undo();
                    finish(false, settled.error);
                    break;
                }
                outcome.entryKey = settled.entryKey;
                if (!settled.note.empty()) outcome.note += (outcome.note.empty() ? "" : "; ") + settled.note;
                // The old libraries (no entry names them now) and an unused new one go to the job's trash record.
                auto files = taken.oldLibraries;
                files.insert(files.end(), settled.unusedFiles.begin(), settled.unusedFiles.end());
                if (!files.empty()) {
                    auto moved = trashFiles(job.root, taken.trashId, "recompile", files);
                    for (const auto& err : moved.errors) spdlog::info("{}: {}", job.id, err);
                }
                finish(true, {});
            } else if (kind == "failed") {
                done = true;
                outcome.traceback = e->value("traceback", "");
                undo();
                finish(false, e->value("message", "the compile failed"));
            } else {
                onEvent(job, *e);
            }
        }
    }
    return outcomes;
}

} // namespace aotiscope
