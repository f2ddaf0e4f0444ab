#include "app/cli/ShareCommands.h"

#include "core/base/FileUtil.h"
#include "core/read/CacheLocator.h"
#include "core/read/CacheScanner.h"
#include "core/share/Bundle.h"
#include "core/share/Registry.h"
#include "core/share/Unpack.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <filesystem>
#include <functional>

namespace aotiscope::cli {

namespace {

constexpr int kExitSkipped = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreadable = 3;

std::string rootOf(const CliOptions& o) { return absolutePath(o.root ? *o.root : locateCacheRoot().root); }

// Stages the selected entries of the cache as a bundle folder; prints what was skipped. nullopt: nothing to ship.
std::optional<PackResult> stageFromCache(const CliOptions& o, const std::string& stageDir, std::ostream& err) {
    auto snap = scanCache(rootOf(o));
    if (!snap.eagerDirExists) {
        fmt::print(err, "aotiscope-cli: {}\n", snap.error);
        return std::nullopt;
    }
    auto r = stageBundle(snap, HostInfo::detect(), PackRequest{o.positional, o.ns, o.device}, stageDir);
    for (const auto& s : r.skipped) fmt::print(err, "skipped {}\n", s);
    if (!r.error.empty()) {
        fmt::print(err, "aotiscope-cli: {}\n", r.error);
        return std::nullopt;
    }
    if (r.manifest.entries.empty()) {
        fmt::print(err, "aotiscope-cli: no entry to pack under {}\n", snap.root);
        return std::nullopt;
    }
    return r;
}

// Stages the selection in a temporary folder under Python's temp folder, then hands it to `use`; the folder goes
// afterwards whatever happens.
int withStagedBundle(const CliOptions& o, const char* prefix, std::ostream& err,
                     const std::function<int(const std::string&, const PackResult&)>& use) {
    StageDir stage(pythonTempDir(), prefix);
    if (stage.path().empty()) {
        fmt::print(err, "aotiscope-cli: {}\n", stage.error());
        return kExitUnreadable;
    }
    auto r = stageFromCache(o, stage.path(), err);
    return r ? use(stage.path(), *r) : kExitUnreadable;
}

std::string packSummary(const PackResult& r) {
    std::set<std::string> ops;
    for (const auto& e : r.manifest.entries) ops.insert(e.ns + "/" + e.device + "/" + e.op);
    return fmt::format("{} entries of {} ops, {} files ({})", r.manifest.entries.size(), ops.size(), r.blobs, humanBytes(r.bytes));
}

UnpackOptions unpackOptions(const CliOptions& o) {
    UnpackOptions u;
    u.dryRun = o.dryRun;
    u.benchWorker = o.worker;
    u.loadTimeoutMs = int(o.timeoutSeconds * 1000);
    if (o.lockTimeoutSeconds >= 0) u.lockTimeout = std::chrono::milliseconds(std::int64_t(o.lockTimeoutSeconds * 1000));
    CompileWorkerConfig compile;
    compile.python = o.python;
    u.recompileWith = compile;
    return u;
}

int printUnpack(const CliOptions& o, const UnpackReport& r, std::ostream& out, std::ostream& err) {
    if (!r.error.empty()) {
        fmt::print(err, "aotiscope-cli: {}; nothing was changed\n", r.error);
        return kExitUnreadable;
    }
    if (o.json) {
        out << r.toJson().dump(2) << "\n";
    } else {
        for (const auto& e : r.entries) {
            auto what = entryPosition(e.ns, e.device, e.op, e.position);
            fmt::print(out, "{:<10} {}{}\n", e.action, what, e.reason.empty() ? std::string() : "  " + e.reason);
        }
        for (const auto& n : r.notes) fmt::print(out, "note: {}\n", n);
        fmt::print(out, "{}{}\n", r.summary(), o.dryRun ? " (dry run: nothing was changed)" : "");
    }
    return r.count("skipped") ? kExitSkipped : 0;
}

} // namespace

int cmdPack(const CliOptions& o, std::ostream& out, std::ostream& err) {
    if (o.output.empty()) {
        fmt::print(err, "aotiscope-cli: pack needs -o FILE\n");
        return kExitUsage;
    }
    return withStagedBundle(o, "aotiscope-pack", err, [&](const std::string& stage, const PackResult& r) {
        if (auto e = archiveBundleFolder(stage, o.output); !e.empty()) {
            fmt::print(err, "aotiscope-cli: {}\n", e);
            return kExitUnreadable;
        }
        fmt::print(out, "packed {} into {}\n", packSummary(r), o.output);
        return 0;
    });
}

int cmdUnpack(const CliOptions& o, std::ostream& out, std::ostream& err) {
    if (o.positional.size() != 1) {
        fmt::print(err, "aotiscope-cli: unpack needs one bundle FILE\n");
        return kExitUsage;
    }
    return printUnpack(o, unpackBundleFile(o.positional[0], rootOf(o), HostInfo::detect(), unpackOptions(o)), out, err);
}

int cmdPush(const CliOptions& o, std::ostream& out, std::ostream& err) {
    if (o.positional.empty()) {
        fmt::print(err, "aotiscope-cli: push needs a reference (registry/repository:tag)\n");
        return kExitUsage;
    }
    auto ref = o.positional.front();
    auto selection = o;
    selection.positional.erase(selection.positional.begin());
    return withStagedBundle(selection, "aotiscope-push", err, [&](const std::string& stage, const PackResult& r) {
        auto t = pushBundleFolder(stage, ref, RegistryOptions{o.python, o.insecure});
        if (!t.ok) {
            fmt::print(err, "aotiscope-cli: {}; the cache was not changed, and the registry has no new tag unless a later push completes\n", t.error);
            return kExitUnreadable;
        }
        fmt::print(out, "pushed {} to {}\n", packSummary(r), ref);
        return 0;
    });
}

int cmdPull(const CliOptions& o, std::ostream& out, std::ostream& err) {
    if (o.positional.size() != 1) {
        fmt::print(err, "aotiscope-cli: pull needs one reference (registry/repository:tag)\n");
        return kExitUsage;
    }
    const auto& ref = o.positional[0];
    RegistryOptions registry{o.python, o.insecure};
    if (o.output.empty()) return printUnpack(o, unpackFromRegistry(ref, rootOf(o), HostInfo::detect(), registry, unpackOptions(o)), out, err);
    // A bundle saved as a file stages beside the file.
    StageDir stage(std::filesystem::path(absolutePath(o.output)).parent_path().string(), "pull");
    if (stage.path().empty()) {
        fmt::print(err, "aotiscope-cli: {}\n", stage.error());
        return kExitUnreadable;
    }
    if (auto t = pullBundleFolder(ref, stage.path(), registry); !t.ok) {
        fmt::print(err, "aotiscope-cli: {}; nothing was changed\n", t.error);
        return kExitUnreadable;
    }
    BundleManifest manifest;
    if (auto e = readBundleManifest(stage.path(), manifest); !e.empty()) {
        fmt::print(err, "aotiscope-cli: {}: {}\n", ref, e);
        return kExitUnreadable;
    }
    if (auto e = archiveBundleFolder(stage.path(), o.output); !e.empty()) {
        fmt::print(err, "aotiscope-cli: {}\n", e);
        return kExitUnreadable;
    }
    fmt::print(out, "pulled {} ({} entries) into {}; `unpack` checks and places them\n", ref, manifest.entries.size(), o.output);
    return 0;
}

} // namespace aotiscope::cli
