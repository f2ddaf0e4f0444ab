#include "core/jobs/RayCompileJobs.h"

#include "core/edit/CacheEditor.h"
#include "core/edit/EntryReplacement.h"
#include "core/edit/OpFileWriter.h"
#include "core/jobs/CompileWorker.h"
#include "core/jobs/WorkerProcess.h"
#include "core/share/Bundle.h"
#include "core/share/Unpack.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <map>

namespace aotiscope {

namespace {

using ojson = nlohmann::ordered_json;

// One finished task into the cache: the old entry out, the bundle checked and placed, the new entry where the
// old one stood. Fills the outcome; on any failure puts back what it took out.
void merge(const CompileJob& job, const std::string& bundle, const ojson& recorded, const HostInfo& host,
           std::chrono::milliseconds lockTimeout, JobOutcome& outcome) {
    TakenOut taken;
    if (job.recompile()) {
        taken = takeOutForRecompile(job, lockTimeout);
        if (!taken.error.empty()) {
            outcome.message = taken.error;
            return;
        }
        outcome.replaced = taken.removedKeys;
        outcome.note = taken.note;
    }
    auto undo = [&](const std::string& why) {
        outcome.ok = false;
        outcome.message = why;
        if (taken.trashId.empty()) return;
        auto back = restoreTrash(job.root, taken.trashId, lockTimeout);
        for (const auto& e : back.errors) spdlog::error("{}: putting back the entry it replaces: {}", job.id, e);
    };
    // The library the old entry named may stand at the new one's path (the same kernel, built again): it goes
    // to the trash with the old entry (and comes back with it), as the compiler would have overwritten it.
    BundleManifest manifest;
    if (auto e = readBundleManifest(bundle, manifest); !e.empty() || manifest.entries.size() != 1 || manifest.entries[0].files.empty()) {
        undo("the cluster's result could not be read: " + e);
        return;
    }
    OpLocation where{job.root, job.ns, job.device, job.op};
    outcome.library = where.deviceDir() + "/" + manifest.entries[0].files[0].relPath;
    if (std::ranges::find(taken.oldLibraries, outcome.library) != taken.oldLibraries.end() && std::filesystem::exists(outcome.library)) {
        auto moved = trashFiles(job.root, taken.trashId, "recompile", {outcome.library});
        if (!moved.errors.empty()) {
            undo(moved.errors.front());
            return;
        }
    }
    UnpackOptions options;
    options.lockTimeout = lockTimeout;
    auto report = unpackBundle(bundle, job.root, host, options);
    if (!report.error.empty() || report.entries.size() != 1) { // read above: only a failure to stage is left
        undo("the cluster's result could not be read: " + report.error);
        return;
    }
    const auto& placed = report.entries.front();
    if (placed.action != "placed" && placed.action != "present") {
        undo("the kernel the cluster built does not run here: " + placed.reason);
        return;
    }
    auto settled = settleCompiledEntry(job, outcome.library, recorded.is_null() ? job.metaInfo : recorded, taken.successorKey, lockTimeout);
    if (!settled.error.empty()) {
        undo(settled.error);
        return;
    }
    outcome.ok = true;
    outcome.entryKey = settled.entryKey;
    if (!settled.note.empty()) outcome.note += (outcome.note.empty() ? "" : "; ") + settled.note;
}

} // namespace

std::vector<JobOutcome> runRayCompileJobs(const std::vector<CompileJob>& jobs, const RayCompileConfig& config, const HostInfo& host,
                                          const JobEventSink& onEvent, const std::atomic<bool>* cancel,
                                          std::chrono::milliseconds lockTimeout) {
    std::vector<JobOutcome> outcomes(jobs.size());
    std::map<std::string, std::size_t> byId;
    std::vector<bool> answered(jobs.size(), false);
    std::size_t open = 0;
    auto finish = [&](std::size_t i, bool ok, const std::string& message) {
        auto& o = outcomes[i];
        o.id = jobs[i].id;
        o.ok = ok;
        if (!ok && o.message.empty()) o.message = message;
        answered[i] = true;
        onEvent(jobs[i], ok ? nlohmann::json{{"event", "finished"}, {"library", o.library}, {"entry_key", o.entryKey},
                                             {"replaced", o.replaced}, {"note", o.note}, {"seconds", o.seconds}}
                            : nlohmann::json{{"event", "failed"}, {"message", o.message}});
    };
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        outcomes[i].id = jobs[i].id;
        // A CUDA wrapper loads its kernel binaries by the absolute path of the cache it was compiled in: one built
        // in a node's temporary cache fails here at its first run.
        if (jobs[i].device != "cpu") {
            finish(i, false, fmt::format("{} kernels load their binaries by the absolute path they were compiled at; a node's "
                                         "temporary cache is not this one: compile them here, without --ray", jobs[i].device));
        } else {
            byId[jobs[i].id] = i;
            ++open;
        }
    }
    if (!open) return outcomes;
    auto failOpen = [&](const std::string& why) {
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            if (!answered[i]) finish(i, false, why);
        }
    };
    StageDir stage(jobs.front().root + "/aotiscope-staging", "ray");
    if (stage.path().empty()) {
        failOpen(stage.error());
        return outcomes;
    }
    const auto& staging = stage.path();
    WorkerProcess driver({{config.python.empty() ? defaultPython() : config.python, workerFile("ray/ray_compile.py"), "--address",
                           config.address, "--stage", staging},
                          "Ray compile driver",
                          config.readyTimeoutMs,
                          {}});
    if (auto e = driver.start(); !e.empty()) {
        failOpen(e);
        return outcomes;
    }
    onEvent(jobs[byId.begin()->second], driver.readyEvent());
    std::map<std::string, std::chrono::steady_clock::time_point> started;
    for (const auto& [id, i] : byId) {
        const auto& job = jobs[i];
        driver.send({{"id", job.id}, {"type", "compile"}, {"ns", job.ns}, {"device", job.device}, {"op", job.op},
                     {"meta_info", nlohmann::json::parse(job.metaInfo.dump())}});
        started[id] = std::chrono::steady_clock::now();
    }
    driver.send({{"type", "quit"}});
    while (open) {
        if (cancel && cancel->load()) {
            driver.kill();
            failOpen("cancelled: its task was cancelled on the cluster, and nothing of it was merged");
            break;
        }
        auto e = driver.nextEvent(200);
        if (!e) {
            if (!driver.running()) {
                failOpen("the Ray compile driver ended without an answer");
                break;
            }
            continue;
        }
        auto kind = e->value("event", "");
        if (kind == "exited") {
            failOpen(fmt::format("the Ray compile driver exited ({}) before answering", e->value("status", -1)));
            break;
        }
        auto it = byId.find(e->value("id", ""));
        if (it == byId.end()) continue; // a log line
        auto i = it->second;
        if (kind == "finished" || kind == "failed") {
            outcomes[i].seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started[it->first]).count();
            if (kind == "finished") {
                merge(jobs[i], e->value("bundle", ""), e->contains("meta_info") ? ojson::parse((*e)["meta_info"].dump()) : ojson(),
                      host, lockTimeout, outcomes[i]);
                if (outcomes[i].ok) outcomes[i].note += (outcomes[i].note.empty() ? "" : "; ") + ("compiled on " + e->value("node", "?"));
                finish(i, outcomes[i].ok, outcomes[i].message);
            } else {
                finish(i, false, e->value("message", "failed on the cluster"));
            }
            --open;
        } else {
            onEvent(jobs[i], *e);
        }
    }
    return outcomes;
}

} // namespace aotiscope
