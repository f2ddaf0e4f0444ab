#include "app/cli/BenchCommand.h"

#include "core/BenchJobs.h"
#include "core/CacheLocator.h"
#include "core/CacheScanner.h"
#include "core/FileUtil.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

namespace aotiscope::cli {

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreadable = 3;

std::string timeText(double us) {
    if (us >= 1000.0) return fmt::format("{:.3g} ms", us / 1000.0);
    return fmt::format("{:.3g} us", us);
}

void printRow(std::ostream& out, const BenchOutcome& r) {
    if (!r.ok) {
        fmt::print(out, "{:<30} FAILED: {}\n", r.position, r.message);
        return;
    }
    const auto& j = r.result;
    auto verdict = j.value("verdict", "");
    if (!j.contains("aoti")) {
        fmt::print(out, "{:<30} {}: {}\n", r.position, verdict, j["check"].value("message", ""));
        return;
    }
    const auto& k = j["aoti"];
    const auto& e = j["eager"];
    auto range = fmt::format("[{} - {}]", timeText(k.value("p20_us", 0.0)), timeText(k.value("p80_us", 0.0)));
    fmt::print(out, "{:<30} {:<22} {:>9} {:<23} {:>9} {:>7.2f}x {:>9.2f} {:>6.1f}%\n", r.position, verdict,
               timeText(k.value("median_us", 0.0)), range,
               timeText(e.value("median_us", 0.0)), j.value("speedup", 0.0), j.value("gbps", 0.0),
               j.value("fraction_of_ceiling", 0.0) * 100.0);
}

} // namespace

int cmdBench(const CliOptions& o, std::ostream& out, std::ostream& err) {
    if (o.positional.empty() || (o.positional.size() > 1 && (!o.entries.empty() || !o.entryKeys.empty()))) {
        fmt::print(err, "aotiscope-cli: bench needs ops (or one op and --entry N)\n");
        return kExitUsage;
    }
    auto root = absolutePath(o.root ? *o.root : locateCacheRoot().root);
    auto snap = scanCache(root, ScanOptions{});
    if (!snap.eagerDirExists) {
        fmt::print(err, "aotiscope-cli: {}\n", snap.error);
        return kExitUnreadable;
    }
    std::vector<BenchJob> jobs;
    for (const auto& op : o.positional) {
        auto more = benchJobsForEntries(snap, op, o.entries, o.entryKeys);
        for (auto& j : more) {
            if (o.device.empty() || j.device == o.device) jobs.push_back(std::move(j));
        }
    }
    if (jobs.empty()) {
        fmt::print(err, "aotiscope-cli: no entry of {} in {}\n", fmt::join(o.positional, ", "), root);
        return kExitFailed;
    }
    BenchOptions options;
    options.cold = o.cold;
    options.warmupMs = o.warmupMs;
    options.maxMs = o.maxMs;
    options.minSamples = o.minSamples;
    options.threads = o.kernelThreads;
    options.jobTimeoutMs = int(o.timeoutSeconds * 1000);
    options.worker = o.worker;
    std::size_t index = 0;
    std::string current;
    auto outcomes = runBenchJobs(jobs, options, [&](const BenchJob& job, const nlohmann::json& event) {
        if (job.id != current) {
            current = job.id;
            ++index;
        }
        auto kind = event.value("event", "");
        auto prefix = fmt::format("[{}/{}] {}", index, jobs.size(), job.title());
        if (kind == "ready") fmt::print(err, "{}: worker ready in {:.0f} ms (torch {}, runners {})\n", prefix,
                                        event.value("start_ms", 0.0), event.value("torch", ""), event["runners"].dump());
        else if (kind == "progress") fmt::print(err, "{}: {:.0f}% {}\n", prefix, event.value("fraction", 0.0) * 100, event.value("stage", ""));
        else if (kind == "failed") fmt::print(err, "{}: FAILED: {}\n", prefix, event.value("message", ""));
        else if (kind == "log" && o.verbose) fmt::print(err, "{}: {}\n", prefix, event.value("message", ""));
    });
    std::size_t failed = 0;
    for (const auto& r : outcomes) failed += !r.ok || r.result.value("verdict", "") == "wrong results";
    if (o.json) {
        nlohmann::json results = nlohmann::json::array();
        for (const auto& r : outcomes) results.push_back(r.toJson());
        out << nlohmann::json{{"schema", "aotiscope.bench/1"}, {"root", root}, {"results", results}}.dump(2) << "\n";
    } else {
        fmt::print(out, "{:<30} {:<22} {:>9} {:<23} {:>9} {:>8} {:>9} {:>7}\n", "entry", "verdict", "aoti", "[p20 - p80]",
                   "eager", "speedup", "GB/s", "%ceil");
        for (const auto& r : outcomes) printRow(out, r);
        if (!outcomes.empty() && outcomes.front().ok) {
            const auto& j = outcomes.front().result;
            fmt::print(out, "\n{} on {} ({} threads), {} samples; ceiling: {:.1f} GB/s (large copy, same run)\n",
                       j.value("device", ""), j.value("device_name", ""), j.value("threads", 0), j.value("mode", ""),
                       j.contains("ceiling") ? j["ceiling"].value("gbps", 0.0) : 0.0);
        }
        for (const auto& r : outcomes) {
            if (auto note = r.ok ? threadMismatchNote(r.result) : std::string(); !note.empty()) {
                fmt::print(out, "note: {}: {}\n", r.position, note);
            }
        }
    }
    return failed ? kExitFailed : 0;
}

} // namespace aotiscope::cli
