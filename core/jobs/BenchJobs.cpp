#include "core/jobs/BenchJobs.h"

#include "core/jobs/BenchWorker.h"

#include "core/read/CacheScanner.h"
#include "core/check/EntryGuard.h"
#include "core/edit/OpFileWriter.h"
#include "core/jobs/WorkerProcess.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cmath>
#include <optional>
#include <filesystem>
#include <set>

namespace aotiscope {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// What the scan read from the library's sidecars, when the library is one of the folder's files.
const LibraryArtifacts* artifactsOf(const DeviceDir& dev, const std::string& libraryPath) {
    auto prefix = dev.path + "/";
    if (!libraryPath.starts_with(prefix)) return nullptr;
    auto rel = libraryPath.substr(prefix.size());
    auto it = std::ranges::lower_bound(dev.libFiles, rel, {}, relPathOf);
    return it != dev.libFiles.end() && it->relPath == rel ? it->artifacts.get() : nullptr;
}

void addJobsFor(const CacheSnapshot& snap, const NamespaceDir& ns, const DeviceDir& dev, const OpFile& op,
                const std::set<std::string>& wanted, std::vector<BenchJob>& out) {
    auto entries = readOpEntries(op.path);
    for (const auto& e : op.entries) {
        if (!wanted.empty() && !wanted.contains(e.key)) continue;
        BenchJob job;
        job.id = entryId(ns.name, dev.name, op.name, e.key);
        job.key = fmt::format("{}/{}/{}/{:016x}", ns.name, dev.name, op.name, entryGuardHash(e));
        job.root = snap.root;
        job.ns = ns.name;
        job.device = dev.name;
        job.op = op.name;
        job.entry = e.index;
        if (std::size_t(e.index) < entries.size() && entries[std::size_t(e.index)].is_object()) {
            job.metaInfo = nlohmann::json::parse(entries[std::size_t(e.index)].value("meta_info", nlohmann::ordered_json::array()).dump());
        }
        if (!e.kernelPath) {
            job.refusal = "the entry has no kernel_path";
        } else {
            auto where = resolveKernelPath(snap.root, dev.path, *e.kernelPath);
            job.library = where.exists ? where.resolved : where.joined;
            if (const auto* artifacts = artifactsOf(dev, where.joined)) {
                job.kernelThreads = artifacts->kernelThreads;
                std::error_code ec;
                for (const auto& p : artifacts->kernelBinaries) {
                    if (!std::filesystem::exists(p, ec)) job.missingKernelBinaries.push_back(p);
                }
            }
            if (where.escapesRoot) {
                job.refusal = fmt::format("refused: kernel_path {} leaves the cache root ({}); loading it would run code "
                                          "from outside the cache", *e.kernelPath, where.escapeReason);
            } else if (!where.exists) {
                job.refusal = fmt::format("the library {} does not exist", where.joined);
            }
        }
        out.push_back(std::move(job));
    }
}

std::string failureFromExit(const nlohmann::json& exited, const std::string& stderrTail) {
    auto signal = exited.value("signal_name", std::string());
    auto what = signal.empty() ? fmt::format("the benchmark worker exited with status {}", exited.value("status", -1))
                               : fmt::format("the library crashed the benchmark worker: {}", signal);
    return stderrTail.empty() ? what : fmt::format("{}; last words: {}", what, stderrTail);
}

} // namespace

nlohmann::json BenchOptions::toRequestJson(const std::string& device) const {
    return {{"warmup_ms", warmupMs}, {"max_ms", maxMs}, {"min_rounds", minRounds}, {"target_rel_ci", targetRelCi},
            {"cold", cold.value_or(device != "cpu")}, {"threads", threads}};
}

std::string BenchJob::title() const {
    return fmt::format("benchmark {}/{}/{} #{}", ns, device, op, entry);
}

nlohmann::json BenchOutcome::toJson() const {
    return {{"id", id}, {"key", key}, {"position", position}, {"ok", ok}, {"message", message}, {"seconds", seconds},
            {"worker_start_ms", workerStartMs}, {"result", result}};
}

std::string defaultBenchWorker() {
    if (const char* p = std::getenv("AOTISCOPE_BENCH_WORKER"); p && *p) return p;
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        // Installed (packaging/): <prefix>/bin/aotiscope-cli and <prefix>/lib/aotiscope/aotiscope-bench-worker.
        auto installed = exe.parent_path().parent_path() / "lib/aotiscope/aotiscope-bench-worker";
        if (std::filesystem::exists(installed, ec)) return installed.string();
    }
#ifdef AOTISCOPE_BENCH_WORKER_PATH
    return AOTISCOPE_BENCH_WORKER_PATH;
#else
    return "aotiscope-bench-worker";
#endif
}

std::string threadMismatchNote(const nlohmann::json& result) {
    int fixed = result.value("kernel_threads", 0), eager = result.value("threads", 0);
    if (fixed <= 0 || fixed == eager) return {};
    return fmt::format("the kernel runs {} threads, fixed when it was compiled; eager ran on {}, so its speedup "
                       "compares different thread counts (rule AOTI020)", fixed, eager);
}

std::string durationText(double us) {
    if (us >= 1000.0) return fmt::format("{:.3g} ms", us / 1000.0);
    return fmt::format("{:.3g} us", us);
}

std::string kernelsNote(const nlohmann::json& result) {
    if (!result.contains("kernels") || !result.contains("aoti") || !result.contains("eager")) return {};
    const auto& k = result["kernels"];
    for (const char* side : {"aoti", "eager"}) {
        if (k.contains(side) && k[side].contains("unavailable")) {
            return fmt::format("{} not profiled: {}", side, k[side].value("unavailable", ""));
        }
    }
    if (!k.contains("speedup") || !k.contains("aoti") || !k.contains("eager")) return {};
    return fmt::format("kernels alone (profiler): aoti {}, eager {}, {:.2f}x; a call between events: aoti {}, "
                       "eager {}, {:.2f}x",
                       durationText(k["aoti"].value("median_us", 0.0)), durationText(k["eager"].value("median_us", 0.0)),
                       k.value("speedup", 0.0), durationText(result["aoti"].value("median_us", 0.0)),
                       durationText(result["eager"].value("median_us", 0.0)), result.value("speedup", 0.0));
}

std::vector<BenchJob> benchJobsForEntries(const CacheSnapshot& snap, const std::string& op, const std::vector<int>& indices,
                                          const std::vector<std::string>& keys) {
    std::vector<BenchJob> out;
    forEachOp(snap, [&](const NamespaceDir& ns, const DeviceDir& dev, const OpFile& file) {
        if (file.name != op) return;
        auto wanted = entryKeysNamed(file, indices, keys);
        if (wanted.empty() && (!indices.empty() || !keys.empty())) return;
        addJobsFor(snap, ns, dev, file, wanted, out);
    });
    return out;
}

std::vector<BenchOutcome> runBenchJobs(const std::vector<BenchJob>& jobs, const BenchOptions& options,
                                       const BenchEventSink& onEvent, const std::atomic<bool>* cancel) {
    std::vector<BenchOutcome> outcomes;
    std::unique_ptr<WorkerProcess> worker;
    std::optional<BenchWorkerCommand> chosen; // once per batch: the worker for the configured torch
    auto cancelled = [&] { return cancel && cancel->load(); };
    for (const auto& job : jobs) {
        BenchOutcome outcome;
        outcome.id = job.id;
        outcome.key = job.key;
        outcome.position = entryPosition(job.ns, job.device, job.op, job.entry);
        auto started = Clock::now();
        auto finish = [&](bool ok, std::string message) {
            outcome.ok = ok;
            outcome.message = std::move(message);
            if (!ok && !job.missingKernelBinaries.empty()) {
                outcome.message += fmt::format(" (the library loads its GPU kernels by absolute path, and {} is missing: "
                                               "kernel-binary-missing, AOTI026)",
                                               fmt::join(job.missingKernelBinaries, ", "));
            }
            outcome.seconds = msSince(started) / 1000.0;
            onEvent(job, ok ? nlohmann::json{{"event", "finished"}, {"result", outcome.result}, {"seconds", outcome.seconds}}
                            : nlohmann::json{{"event", "failed"}, {"message", outcome.message}});
            outcomes.push_back(outcome);
        };
        onEvent(job, {{"event", "started"}});
        if (cancelled()) {
            finish(false, "cancelled before it started");
            continue;
        }
        if (!job.refusal.empty()) {
            finish(false, job.refusal);
            continue;
        }
        if (!worker || !worker->running()) {
            auto t0 = Clock::now();
            if (!chosen) {
                chosen = chooseBenchWorker(options.worker, detectTorch(), [&](const std::string& message) {
                    spdlog::info("{}", message);
                    onEvent(job, {{"event", "log"}, {"message", message}});
                });
                if (!chosen->note.empty()) spdlog::info("{}", chosen->note);
                spdlog::debug("{}", describe(*chosen));
            }
            if (!chosen->error.empty()) {
                finish(false, chosen->error);
                continue;
            }
            worker = std::make_unique<WorkerProcess>(WorkerCommand{{chosen->path}, "benchmark worker", 60000, chosen->env});
            if (auto error = worker->start(); !error.empty()) {
                worker.reset();
                finish(false, error);
                continue;
            }
            outcome.workerStartMs = msSince(t0);
            // Building and starting the worker (loading libtorch: seconds on a loaded machine, with a limit of its
            // own) are not the job's time, nor part of its time limit, which is for the library hanging.
            started = Clock::now();
            auto ready = worker->readyEvent();
            ready["start_ms"] = outcome.workerStartMs;
            onEvent(job, ready);
        }
        worker->send({{"type", job.loadOnly ? "load" : "bench"}, {"id", job.id}, {"root", job.root}, {"ns", job.ns}, {"op", job.op},
                      {"device", job.device}, {"library", job.library}, {"meta_info", job.metaInfo},
                      {"options", options.toRequestJson(job.device)}});
        std::string stderrTail;
        for (;;) {
            if (cancelled()) {
                worker->kill(500);
                worker.reset();
                finish(false, "cancelled: the benchmark worker was stopped");
                break;
            }
            if (msSince(started) > options.jobTimeoutMs) {
                worker->kill(500);
                worker.reset();
                finish(false, fmt::format("timed out after {} s: the library hung or ran far too long; its worker was killed",
                                          options.jobTimeoutMs / 1000.0));
                break;
            }
            auto e = worker->nextEvent(100);
            if (!e) {
                if (!worker->running()) {
                    worker.reset();
                    finish(false, "the benchmark worker ended without an answer");
                    break;
                }
                continue;
            }
            auto kind = e->value("event", "");
            if (kind == "exited") {
                worker.reset();
                finish(false, failureFromExit(*e, stderrTail));
                break;
            }
            if (kind == "log") {
                stderrTail = e->value("message", "");
                onEvent(job, *e);
            } else if (kind == "progress") {
                onEvent(job, *e);
            } else if (kind == "finished") {
                outcome.result = e->value("result", nlohmann::json::object());
                // The worker sets eager's threads; a kernel with a fixed count runs that many regardless.
                if (job.kernelThreads > 0) outcome.result["kernel_threads"] = job.kernelThreads;
                finish(true, {});
                break;
            } else if (kind == "failed") {
                finish(false, e->value("message", "the benchmark failed"));
                break;
            }
        }
    }
    return outcomes;
}

std::string RunComparison::text() const {
    switch (change) {
    case RunChange::Faster: return fmt::format("{:.1f}% faster", (1.0 - ratio) * 100.0);
    case RunChange::Slower: return fmt::format("{:.1f}% slower", (ratio - 1.0) * 100.0);
    case RunChange::NoSignificantChange: break;
    }
    if (ratioHi > ratioLo) return fmt::format("no significant change (±{:.1f} %)", (ratioHi - ratioLo) / 2 * 100.0);
    return "no significant change";
}

RunComparison compareRuns(const nlohmann::json& baselineResult, const nlohmann::json& currentResult) {
    RunComparison c;
    auto interval = [](const nlohmann::json& r) -> std::optional<std::array<double, 3>> {
        if (!r.contains("speedup_ci") || !r["speedup_ci"].is_array() || r["speedup_ci"].size() != 2) return std::nullopt;
        double s = r.value("speedup", 0.0), lo = r["speedup_ci"][0].get<double>(), hi = r["speedup_ci"][1].get<double>();
        if (!(s > 0 && lo > 0 && hi >= lo)) return std::nullopt;
        return std::array{s, lo, hi};
    };
    if (auto b = interval(baselineResult), k = interval(currentResult); b && k) {
        // In logs the two runs' errors add: se = sqrt(se_b^2 + se_c^2), each from its 95 % interval.
        auto se = [](const std::array<double, 3>& v) { return (std::log(v[2]) - std::log(v[1])) / (2 * 1.96); };
        double logRatio = std::log((*b)[0] / (*k)[0]);
        double width = 1.96 * std::hypot(se(*b), se(*k));
        c.ratio = std::exp(logRatio);
        c.ratioLo = std::exp(logRatio - width);
        c.ratioHi = std::exp(logRatio + width);
        if (c.ratioHi < 1.0 && 1.0 - c.ratio >= kMinimumChange) c.change = RunChange::Faster;
        else if (c.ratioLo > 1.0 && c.ratio - 1.0 >= kMinimumChange) c.change = RunChange::Slower;
        return c;
    }
    const auto& baseline = baselineResult.contains("aoti") ? baselineResult["aoti"] : baselineResult;
    const auto& current = currentResult.contains("aoti") ? currentResult["aoti"] : currentResult;
    double b20 = baseline.value("p20_us", 0.0), b80 = baseline.value("p80_us", 0.0);
    double c20 = current.value("p20_us", 0.0), c80 = current.value("p80_us", 0.0);
    double bm = baseline.value("median_us", 0.0), cm = current.value("median_us", 0.0);
    c.ratio = bm > 0 ? cm / bm : 1.0;
    if (c80 < b20) c.change = RunChange::Faster;
    else if (c20 > b80) c.change = RunChange::Slower;
    return c;
}

} // namespace aotiscope
