#include "app/cli/VerifyCommand.h"

#include "core/jobs/BenchJobs.h"
#include "core/read/CacheLocator.h"
#include "core/read/CacheScanner.h"
#include "core/report/JsonReport.h"
#include "core/check/Linter.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <map>
#include <set>

namespace aotiscope::cli {

namespace {

// The rules whose error says that dlopen of the library fails here.
bool predictsLoadFailure(const Finding& f) {
    static const std::set<std::string> r{"AOTI001", "AOTI013", "AOTI014", "AOTI015", "AOTI021", "AOTI011"};
    return f.severity == Severity::Error && r.contains(f.ruleId);
}

} // namespace

int cmdVerify(const CliOptions& o, std::ostream& out, std::ostream& err) {
    auto root = o.root ? *o.root : locateCacheRoot().root;
    auto snap = scanCache(root);
    if (!snap.eagerDirExists) {
        fmt::print(err, "aotiscope-cli: {}\n", snap.error);
        return 3;
    }
    auto host = HostInfo::detect();
    auto findings = lintSnapshot(snap, host);
    std::map<std::string, std::vector<const Finding*>> predicted; // library path -> findings saying it fails
    for (const auto& f : findings) {
        if (predictsLoadFailure(f) && !f.path.empty()) predicted[f.path].push_back(&f);
    }
    std::vector<BenchJob> jobs;
    std::set<std::string> ops(o.positional.begin(), o.positional.end());
    std::set<std::string> seen;
    forEachOp(snap, [&](const NamespaceDir&, const DeviceDir& dev, const OpFile& op) {
        if ((!ops.empty() && !ops.contains(op.name)) || (!o.device.empty() && dev.name != o.device) || !seen.insert(op.name).second) return;
        for (auto& j : benchJobsForEntries(snap, op.name, o.entries, o.entryKeys)) {
            if (!o.device.empty() && j.device != o.device) continue;
            j.loadOnly = true;
            jobs.push_back(std::move(j));
        }
    });
    if (jobs.empty()) {
        fmt::print(err, "aotiscope-cli: no entries to verify under {}\n", snap.root);
        return 1;
    }
    BenchOptions options;
    options.worker = o.worker;
    options.jobTimeoutMs = int(o.timeoutSeconds * 1000);
    auto outcomes = runBenchJobs(jobs, options, [](const BenchJob&, const nlohmann::json&) {});
    nlohmann::json results = nlohmann::json::array();
    std::size_t failed = 0, disagree = 0;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        const auto& job = jobs[i];
        const auto& r = outcomes[i];
        bool loaded = r.ok && r.result.value("loaded", false);
        std::vector<std::string> rules;
        for (const auto* f : predicted[job.library]) rules.push_back(f->ruleId);
        // Missing libraries are refused before the worker: their refusal is the loader's answer too.
        bool agrees = loaded == rules.empty();
        failed += !loaded;
        disagree += !agrees;
        results.push_back({{"id", job.id}, {"entry", r.position}, {"library", job.library}, {"loaded", loaded},
                           {"load_ms", r.result.value("load_ms", 0.0)}, {"message", r.message}, {"lint_predicts", rules},
                           {"agrees", agrees}});
        if (!o.json) {
            fmt::print(out, "{:<32} {}{}\n", r.position,
                       loaded ? fmt::format("loads ({:.0f} ms)", r.result.value("load_ms", 0.0)) : "FAILS: " + r.message,
                       agrees ? (rules.empty() ? std::string() : fmt::format("  [lint: {}]", fmt::join(rules, ", ")))
                              : rules.empty() ? std::string("  [DISAGREES with lint, which predicts it loads]")
                                              : fmt::format("  [DISAGREES with lint, which predicts {}]", fmt::join(rules, ", ")));
        }
    }
    if (o.json) {
        out << nlohmann::json{{"schema", "aotiscope.verify/1"}, {"root", snap.root}, {"torch", torchToJson(host)}, {"results", results}}.dump(2) << "\n";
    } else {
        fmt::print(out, "{} of {} entries load{}\n", outcomes.size() - failed, outcomes.size(),
                   disagree ? fmt::format("; {} disagree with lint", disagree) : std::string("; lint predicted every outcome"));
    }
    return failed ? 1 : 0;
}

} // namespace aotiscope::cli
