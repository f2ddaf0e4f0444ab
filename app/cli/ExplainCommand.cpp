#include "app/cli/ExplainCommand.h"

#include "core/read/CacheLocator.h"
#include "core/read/CacheScanner.h"
#include "core/base/FileUtil.h"
#include "core/check/HostInfo.h"
#include "core/check/Matcher.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <nlohmann/json.hpp>

namespace aotiscope::cli {

namespace {

// SPEC: a file or inline JSON; a meta_info list, or an object holding one ({"meta_info": [...]}).
bool parseCall(const std::string& spec, Entry& call, std::string& error) {
    std::string text = spec;
    if (!spec.empty() && spec.front() != '[' && spec.front() != '{') {
        if (auto e = readWholeFile(spec, text); !e.empty()) {
            error = e;
            return false;
        }
    }
    return parseCallSpec(text, call, error);
}

} // namespace

int cmdExplain(const CliOptions& o, std::ostream& out, std::ostream& err) {
    if (o.positional.size() != 1 || o.call.empty()) {
        fmt::print(err, "aotiscope-cli: explain needs one op and --call SPEC (a meta_info list, inline or in a file)\n");
        return 2;
    }
    Entry call;
    std::string error;
    if (!parseCall(o.call, call, error)) {
        fmt::print(err, "aotiscope-cli: --call: {}\n", error);
        return 2;
    }
    auto snap = scanCache(o.root ? *o.root : locateCacheRoot().root);
    nlohmann::json results = nlohmann::json::array();
    bool anyHit = false, found = false;
    forEachOp(snap, [&](const NamespaceDir& ns, const DeviceDir& dev, const OpFile& op) {
        if (op.name != o.positional[0] || (!o.device.empty() && dev.name != o.device)) return;
        found = true;
        auto m = matchCall(op, dev, call);
        anyHit |= m.entry >= 0;
        nlohmann::json near = nlohmann::json::array();
        for (const auto& n : m.nearest) {
            nlohmann::json diffs = nlohmann::json::array();
            for (const auto& d : n.differences) diffs.push_back({{"arg", d.arg}, {"field", d.field}, {"entry", d.entry}, {"call", d.call}});
            near.push_back({{"entry", n.entry}, {"entry_key", op.entries[std::size_t(n.entry)].key}, {"differences", diffs}});
        }
        results.push_back({{"namespace", ns.name}, {"device", dev.name}, {"op", op.name}, {"hit", m.entry >= 0},
                           {"entry", m.entry}, {"entry_key", m.entry >= 0 ? nlohmann::json(op.entries[std::size_t(m.entry)].key) : nlohmann::json()},
                           {"op_state", m.opState}, {"nearest", near}});
        if (o.json) return;
        fmt::print(out, "{}/{}/{}: {}", ns.name, dev.name, op.name, describeMatch(op, m));
    });
    if (!found) {
        fmt::print(err, "aotiscope-cli: no op named \"{}\" under {}\n", o.positional[0], snap.root);
        return 1;
    }
    // After a miss: what the torch in use does with the kernel it compiles (a version-dependent claim).
    auto torch = HostInfo::detect().torchVersion();
    auto kept = keepsMissesInMemory(torch);
    if (o.json) {
        out << nlohmann::json{{"schema", "aotiscope.explain/1"}, {"root", snap.root}, {"results", results},
                              {"in_memory", {{"torch", torch.empty() ? nlohmann::json() : nlohmann::json(torch)},
                                             {"keeps_misses", kept ? nlohmann::json(*kept) : nlohmann::json()}}}}
                   .dump(2)
            << "\n";
    } else if (!anyHit) {
        if (kept && *kept) {
            fmt::print(out, "torch {} keeps the kernel it compiles on a miss in memory: in the same process a later call "
                            "equal to this one reuses it, one that differs from it only in dispatch key set or device "
                            "type does not (entries from disk do not compare those)\n", torch);
        } else if (kept) {
            fmt::print(out, "torch {} keeps nothing in memory: every such call compiles again, in every process, until the "
                            "entry is on disk when the op is registered\n", torch);
        } else {
            fmt::print(out, "whether torch {} keeps compiled kernels in memory was not asked of it (known: 2.11 does not, "
                            "2.13 does)\n", torch.empty() ? std::string("(none found)") : torch);
        }
    }
    return anyHit ? 0 : 1;
}

} // namespace aotiscope::cli
