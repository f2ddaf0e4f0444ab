#include "app/cli/DoctorCommand.h"

#include "core/read/CacheLocator.h"
#include "core/read/CacheScanner.h"
#include "core/report/JsonReport.h"
#include "core/check/Linter.h"
#include "core/check/Rules.h"
#include "core/base/Subprocess.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <map>
#include <set>

namespace aotiscope::cli {

namespace {

// Rules whose verdict depends on this machine: an entry with one of them cannot run here.
const std::set<std::string>& hostRules() {
    static const std::set<std::string> r{std::string(rules::MissingLibrary),       std::string(rules::CpuIsaMissing),
                                         std::string(rules::ComputeCapability),    std::string(rules::UnresolvedDependency),
                                         std::string(rules::MissingRunnerSymbols), std::string(rules::NotLoadable),
                                         std::string(rules::SymbolVersionMissing)};
    return r;
}

nlohmann::json gpus() {
    auto smi = runProcess({"nvidia-smi", "--query-gpu=name,compute_cap,driver_version", "--format=csv,noheader"}, 5000);
    if (smi.exitCode != 0) return nlohmann::json::array();
    nlohmann::json out = nlohmann::json::array();
    std::istringstream in(smi.out);
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> f;
        std::istringstream parts(line);
        for (std::string p; std::getline(parts, p, ',');) f.push_back(p.substr(p.find_first_not_of(' ')));
        if (f.size() == 3) out.push_back({{"name", f[0]}, {"compute_capability", f[1]}, {"driver", f[2]}});
    }
    return out;
}

} // namespace

int cmdDoctor(const CliOptions& o, std::ostream& out, std::ostream& err) {
    auto host = HostInfo::detect();
    auto j = hostToJson(host);
    j["gpus"] = gpus();
    auto root = o.root ? *o.root : locateCacheRoot().root;
    auto snap = scanCache(root);
    nlohmann::json cache = {{"root", snap.root}, {"exists", snap.eagerDirExists}};
    if (snap.eagerDirExists) {
        auto findings = lintSnapshot(snap, host);
        std::map<std::string, std::set<std::string>> blockedBy; // rule -> entries
        std::set<std::string> blocked;
        for (const auto& f : findings) {
            if (!hostRules().contains(f.ruleId) || f.entry < 0 || f.severity != Severity::Error) continue;
            auto id = entryId(f.ns, f.device, f.op, entryKeyOfFinding(snap, f));
            blockedBy[f.ruleId].insert(id);
            blocked.insert(id);
        }
        nlohmann::json reasons = nlohmann::json::array();
        for (const auto& [rule, entries] : blockedBy) {
            reasons.push_back({{"rule", rule}, {"name", ruleById(rule).name}, {"entries", entries.size()}});
        }
        cache["entries"] = snap.entryCount();
        cache["runnable"] = snap.entryCount() - blocked.size();
        cache["not_runnable"] = reasons;
    }
    j["cache"] = cache;
    j["schema"] = "aotiscope.doctor/1";
    if (o.json) {
        out << j.dump(2) << "\n";
        return 0;
    }
    fmt::print(out, "host      {} {} ({} CPUs for this process, {} physical cores)\n", host.machine,
               host.cpuModel.empty() ? "(CPU model unknown)" : host.cpuModel, host.cpuCount, host.physicalCores);
    std::vector<std::string> isa;
    for (const char* f : {"avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "amx_tile", "asimd", "sve"}) {
        if (host.cpuFlags.contains(f)) isa.emplace_back(f);
    }
    fmt::print(out, "cpu flags {} flags; vector ISA: {}\n", host.cpuFlags.size(), isa.empty() ? "none known" : fmt::format("{}", fmt::join(isa, " ")));
    for (const auto& [key, label] : {std::pair{"glibc", "glibc"}, {"libstdcxx", "libstdc++"}}) {
        const auto& r = j[key];
        fmt::print(out, "{:<9} {}\n", label, r.is_null() ? std::string("not found") : fmt::format("{} ({})", r["newest"].get<std::string>(), r["path"].get<std::string>()));
    }
    if (j["gpus"].empty()) fmt::print(out, "gpus      none (no NVIDIA driver answered)\n");
    for (const auto& g : j["gpus"]) {
        fmt::print(out, "gpu       {} (compute capability {}, driver {})\n", g["name"].get<std::string>(),
                   g["compute_capability"].get<std::string>(), g["driver"].get<std::string>());
    }
    if (host.torch) {
        fmt::print(out, "torch     {} at {} ({}; python {}, chosen by {})\n", host.torch->version, host.torch->dir,
                   host.torch->cuda.empty() ? std::string("CPU build") : "CUDA " + host.torch->cuda, host.torch->python, host.torch->source);
    } else {
        fmt::print(out, "torch     no torch found: the checks that need one are off\n");
    }
    for (const auto& u : host.unknownFacts) fmt::print(out, "unknown   {}\n", u);
    if (!snap.eagerDirExists) {
        fmt::print(out, "cache     {}: {}\n", snap.root, snap.error);
        return 0;
    }
    fmt::print(out, "cache     {}: this host can load and run the libraries of {} of {} entries (what PyTorch does with "
                    "the entries themselves: lint)\n",
               snap.root, cache["runnable"].get<std::size_t>(), cache["entries"].get<std::size_t>());
    for (const auto& r : cache["not_runnable"]) {
        fmt::print(out, "          {} entr{}: {} {}\n", r["entries"].get<std::size_t>(), r["entries"].get<std::size_t>() == 1 ? "y" : "ies",
                   r["rule"].get<std::string>(), r["name"].get<std::string>());
    }
    (void)err;
    return 0;
}

} // namespace aotiscope::cli
