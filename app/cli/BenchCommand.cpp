#include "app/cli/BenchCommand.h"

#include "core/jobs/BenchJobs.h"
#include "core/read/CacheLocator.h"
#include "core/read/CacheScanner.h"
#include "core/base/FileUtil.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <fstream>
#include <map>
#include <set>

namespace aotiscope::cli {

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreadable = 3;

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
    auto range = fmt::format("[{} - {}]", durationText(k.value("p20_us", 0.0)), durationText(k.value("p80_us", 0.0)));
    std::string speedup = fmt::format("{:.2f}x", j.value("speedup", 0.0));
    if (j.contains("speedup_ci")) speedup += fmt::format(" [{:.2f}-{:.2f}]", j["speedup_ci"][0].get<double>(), j["speedup_ci"][1].get<double>());
    auto peak = j.contains("fraction_of_peak") && j["fraction_of_peak"].is_number()
                    ? fmt::format("{:.1f}%", j["fraction_of_peak"].get<double>() * 100.0)
                    : std::string("-");
    fmt::print(out, "{:<30} {:<22} {:>9} {:<23} {:>9} {:<19} {:>9.2f} {:>6.1f}% {:>6}\n", r.position, verdict,
               durationText(k.value("median_us", 0.0)), range, durationText(e.value("median_us", 0.0)), speedup,
               j.value("gbps", 0.0), j.value("fraction_of_ceiling", 0.0) * 100.0, peak);
}

// What the runs were measured on, in the terms of that device: threads on a CPU, the GPU's peak on a GPU.
std::string footer(const nlohmann::json& j) {
    auto ceiling = j.contains("ceiling") ? j["ceiling"].value("gbps", 0.0) : 0.0;
    auto where = j.value("device", "") == "cpu"
                     ? fmt::format("cpu on {} ({} threads)", j.value("device_name", ""), j.value("threads", 0))
                     : fmt::format("{} on {}{}", j.value("device", ""), j.value("device_name", ""),
                                   j.contains("peak_gbps") && j["peak_gbps"].is_number()
                                       ? fmt::format(" (datasheet peak {:.0f} GB/s)", j["peak_gbps"].get<double>())
                                       : std::string());
    return fmt::format("{}, {} samples: {}; ceiling {:.1f} GB/s (large copy, same run)", where, j.value("mode", ""),
                       j.value("method", ""), ceiling);
}

// `--against FILE`: each entry's change against the same entry's result in an earlier `bench --json`.
int printAgainst(const std::string& path, const std::vector<BenchOutcome>& outcomes, std::ostream& out, std::ostream& err) {
    std::ifstream in(path);
    auto doc = nlohmann::json::parse(in, nullptr, false);
    if (!in || doc.is_discarded() || !doc.contains("results")) {
        fmt::print(err, "aotiscope-cli: --against {}: not the JSON that `bench --json` writes\n", path);
        return kExitUnreadable;
    }
    std::map<std::string, nlohmann::json> earlier;
    for (const auto& r : doc["results"]) {
        if (r.value("ok", false)) earlier[r.value("key", "")] = r["result"];
    }
    fmt::print(out, "\nagainst {}:\n", path);
    for (const auto& r : outcomes) {
        auto it = earlier.find(r.key);
        if (!r.ok || it == earlier.end()) {
            fmt::print(out, "{:<30} {}\n", r.position, r.ok ? "not in that run" : "no result now");
            continue;
        }
        fmt::print(out, "{:<30} {}\n", r.position, compareRuns(it->second, r.result).text());
    }
    return 0;
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
    options.minRounds = o.minRounds;
    options.targetRelCi = o.targetCiPercent / 100.0;
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
        fmt::print(out, "{:<30} {:<22} {:>9} {:<23} {:>9} {:<19} {:>9} {:>7} {:>6}\n", "entry", "verdict", "aoti",
                   "[p20 - p80]", "eager", "speedup [95% CI]", "GB/s", "%ceil", "%peak");
        for (const auto& r : outcomes) printRow(out, r);
        std::set<std::string> footers;
        for (const auto& r : outcomes) {
            if (r.ok && r.result.contains("aoti")) footers.insert(footer(r.result));
        }
        for (const auto& f : footers) fmt::print(out, "\n{}", f);
        if (!footers.empty()) fmt::print(out, "\n");
        for (const auto& r : outcomes) {
            if (!r.ok || !r.result.contains("noise")) continue;
            for (const auto& sign : r.result["noise"].value("signs", nlohmann::json::array())) {
                fmt::print(out, "noise: {}: {}\n", r.position, sign.get<std::string>());
            }
        }
        for (const auto& r : outcomes) {
            if (auto note = r.ok ? kernelsNote(r.result) : std::string(); !note.empty()) {
                fmt::print(out, "note: {}: {}\n", r.position, note);
            }
        }
        for (const auto& r : outcomes) {
            if (auto note = r.ok ? threadMismatchNote(r.result) : std::string(); !note.empty()) {
                fmt::print(out, "note: {}: {}\n", r.position, note);
            }
        }
    }
    if (!o.against.empty()) {
        if (int code = printAgainst(o.against, outcomes, o.json ? err : out, err); code) return code;
    }
    return failed ? kExitFailed : 0;
}

} // namespace aotiscope::cli
