#include "core/jobs/Prewarm.h"

#include "core/check/Matcher.h"

#include <fmt/format.h>

#include <set>

namespace aotiscope {

namespace {

const DeviceDir* findDevice(const CacheSnapshot& snap, const std::string& ns, const std::string& device) {
    for (const auto& n : snap.namespaces) {
        if (n.name != ns) continue;
        for (const auto& d : n.devices) {
            if (d.name == device) return &d;
        }
    }
    return nullptr;
}

} // namespace

PrewarmPlan planPrewarm(const CacheSnapshot& snap, const Recording& recording) {
    PrewarmPlan plan;
    std::set<std::string> seen; // one job per distinct call, whichever processes missed it
    for (const auto& p : recording.processes) {
        for (const auto& m : p.misses) {
            auto where = fmt::format("{}/{}/{} (line {})", m.ns, m.device, m.op, m.line);
            if (!m.metaInfo.is_array()) {
                plan.skipped.push_back(where + ": the call has an input PyTorch's writer cannot record");
                continue;
            }
            if (!seen.insert(fmt::format("{}/{}/{}:{}", m.ns, m.device, m.op, m.metaInfo.dump())).second) continue;
            const DeviceDir* dev = findDevice(snap, m.ns, m.device);
            const OpFile* op = nullptr;
            if (dev) {
                for (const auto& o : dev->ops()) {
                    if (o.name == m.op) op = &o;
                }
            }
            if (op) {
                auto match = matchCall(*op, *dev, m.call);
                if (match.entry >= 0) {
                    plan.skipped.push_back(fmt::format("{}: hits entry #{} ({}) already", where, match.entry,
                                                       op->entries[std::size_t(match.entry)].key));
                    continue;
                }
                const Entry* same = nullptr;
                for (const auto& e : op->entries) {
                    if (!same && guardDifferences(e, m.call).empty()) same = &e;
                }
                if (same) {
                    // The entry for this call is there but unusable: replace it, as `compile --stale` would.
                    auto jobs = jobsForEntries(snap, op->name, {}, {same->key});
                    for (auto& j : jobs) {
                        if (j.ns == m.ns && j.device == m.device) plan.jobs.push_back(std::move(j));
                    }
                    continue;
                }
                if (!match.opState.empty()) {
                    plan.skipped.push_back(fmt::format("{}: a new entry would not be used: {}; run `aotiscope-cli compile "
                                                       "--stale` or `repair` first", where, match.opState));
                    continue;
                }
            }
            std::string error;
            auto job = jobFromSpec(snap.root, {{"ns", m.ns}, {"op", m.op}, {"device", m.device}, {"meta_info", m.metaInfo}}, error);
            if (!error.empty()) plan.skipped.push_back(fmt::format("{}: {}", where, error));
            else plan.jobs.push_back(std::move(job));
        }
    }
    return plan;
}

} // namespace aotiscope
