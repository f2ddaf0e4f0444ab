#include "app/cli/ExplainCommand.h"

#include "core/CacheLocator.h"
#include "core/CacheScanner.h"
#include "core/FileUtil.h"
#include "core/Matcher.h"

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
    if (o.json) {
        out << nlohmann::json{{"schema", "aotiscope.explain/1"}, {"root", snap.root}, {"results", results}}.dump(2) << "\n";
    }
    return anyHit ? 0 : 1;
}

} // namespace aotiscope::cli
