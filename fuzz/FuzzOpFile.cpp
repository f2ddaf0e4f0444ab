#include "fuzz/FuzzOpFile.h"

#include "core/report/EntryDiff.h"
#include "core/check/EntryGuard.h"
#include "core/report/JsonReport.h"
#include "core/read/OpFileParser.h"
#include "core/edit/OpFileWriter.h"

#include <sstream>
#include <stdexcept>
#include <string>

namespace aotiscope::fuzz {

FindingList runOneOpFile(std::string_view data) {
    // A snapshot of one op in a device folder that does not exist: lint follows kernel paths read-only.
    CacheSnapshot snap;
    snap.root = "/nonexistent/aotiscope-fuzz";
    snap.eagerDir = snap.root + "/aoti_eager";
    snap.eagerDirExists = true;
    NamespaceDir ns{"aten", snap.eagerDir + "/aten", {}};
    DeviceDir dev;
    dev.name = "cpu";
    dev.path = ns.path + "/cpu";
    OpFile op;
    op.name = "fuzz";
    op.path = dev.path + "/fuzz.json";
    op.stat.exists = true;
    op.stat.size = data.size();
    static thread_local OpFileParser parser;
    parser.parseText(data, op);
    dev.opFiles.push_back(std::make_shared<const OpFile>(std::move(op)));
    ns.devices.push_back(std::move(dev));
    snap.namespaces.push_back(std::move(ns));

    auto findings = lintSnapshot(snap, HostInfo{}, LintOptions{false});
    const auto& entries = snap.namespaces[0].devices[0].ops()[0].entries;
    for (std::size_t i = 0; i + 1 < entries.size() && i < 8; ++i) {
        (void)diffEntries(entries[i], entries[i + 1], true);
        (void)entryGuardHash(entries[i]);
    }
    // The newest built-in numbering: fuzzed key sets go through the table decoder too.
    (void)entriesToJson(snap, findings, "", KeySetNaming(builtInDispatchKeyTables().front()->torchVersion())).dump();
    std::ostringstream lint;
    writeLintJson(lint, snap, findings, nlohmann::json());
    // The streamed document is one valid JSON value, or this throws.
    if (nlohmann::json::parse(lint.str()).is_discarded()) throw std::logic_error("lint JSON discarded");
    // The writer's round trip: what parses as Python would parse it must serialise back.
    std::string error;
    auto j = parseOpJson(std::string(data), error);
    if (error.empty() && j.is_array()) {
        (void)dumpOpJson(j);
    }
    return findings;
}

} // namespace aotiscope::fuzz
