#include "app/cli/CliCommands.h"

#include "app/cli/BenchCommand.h"
#include "app/cli/DoctorCommand.h"
#include "app/cli/ExplainCommand.h"
#include "app/cli/RecordCommand.h"
#include "app/cli/ShareCommands.h"
#include "app/cli/VerifyCommand.h"

#include "core/edit/CacheEditor.h"
#include "core/read/CacheLocator.h"
#include "core/jobs/CompileJobs.h"
#include "core/jobs/RayCompileJobs.h"
#include "core/report/CsvExport.h"
#include "core/edit/FileLock.h"
#include "core/jobs/Prewarm.h"
#include "core/report/Recording.h"
#include "core/read/CacheScanner.h"
#include "core/base/FileUtil.h"
#include "core/base/Parallel.h"
#include "core/base/PathState.h"
#include "core/report/ListingIndex.h"
#include "core/check/HostInfo.h"
#include "core/read/InspectionCache.h"
#include "core/report/JsonReport.h"
#include "core/check/Linter.h"
#include "core/check/Rules.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <fstream>

namespace aotiscope::cli {

using nlohmann::json;

namespace {

constexpr int kExitFindings = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreadable = 3;

std::string rootOf(const CliOptions& o) { return o.root ? *o.root : locateCacheRoot().root; }

struct Loaded {
    CacheSnapshot snap;
    FindingList findings;
    HostInfo host; // detected when libraries were inspected
};

// Scans and lints; library inspection only where the command needs it. `host`: already detected; `probes`: where
// lint notes the paths outside the cache its verdicts rest on.
std::optional<Loaded> load(const CliOptions& o, bool inspectLibraries, std::ostream& err, const HostInfo* host = nullptr,
                           PathProbes* probes = nullptr) {
    Loaded l;
    ScanOptions so;
    so.threads = o.threads;
    so.inspectLibraries = inspectLibraries;
    auto root = rootOf(o);
    std::unique_ptr<InspectionCache> inspections;
    if (inspectLibraries && o.inspectionCache) {
        inspections = std::make_unique<InspectionCache>(InspectionCache::defaultFileFor(root));
        so.inspectionCache = inspections.get();
    }
    l.snap = scanCache(root, so);
    if (inspections) {
        if (auto error = inspections->save(); !error.empty()) {
            spdlog::warn("{}", error); // only the next run is slower
        }
        spdlog::debug("inspection cache: {} of {} libraries unchanged", inspections->hits(), inspections->size());
    }
    if (!l.snap.eagerDirExists) {
        fmt::print(err, "aotiscope-cli: {}\n", l.snap.error);
        return std::nullopt;
    }
    if (inspectLibraries) {
        l.host = host ? *host : HostInfo::detect();
    }
    LintOptions lo{inspectLibraries};
    lo.probes = probes;
    l.findings = lintSnapshot(l.snap, l.host, lo);
    return l;
}

void printJson(std::ostream& out, const json& j) { out << j.dump(2) << "\n"; }

std::string age(std::int64_t mtime) {
    auto secs = std::int64_t(std::time(nullptr)) - mtime;
    if (secs < 120) return fmt::format("{}s", secs);
    if (secs < 7200) return fmt::format("{}m", secs / 60);
    if (secs < 172800) return fmt::format("{}h", secs / 3600);
    return fmt::format("{}d", secs / 86400);
}

int cmdLocate(const CliOptions& o, std::ostream& out) {
    auto r = locateCacheRoot();
    if (o.root) {
        r.root = absolutePath(*o.root);
        r.steps.insert(r.steps.begin(), LocateStep{"--root", *o.root, true, "given on the command line"});
    }
    if (o.json) {
        printJson(out, locateToJson(r));
        return 0;
    }
    fmt::print(out, "{}\n", r.root);
    for (const auto& s : r.steps) {
        fmt::print(out, "  {} {:<24} {}{}\n", s.used ? "*" : " ", s.rule, s.value.empty() ? "" : s.value + "  ", s.note);
    }
    return 0;
}

// ls's tree (aotiscope.ls/1, as printed) from the listing index when nothing it rests on changed, else made by a
// scan and a lint, and remembered when the cache held still meanwhile (core/report/ListingIndex.h).
std::optional<std::string> rememberedOrMadeListing(const CliOptions& o, std::ostream& err) {
    constexpr std::int64_t kSettledNs = 1'000'000'000;
    auto started = realtimeNs();
    auto root = absolutePath(rootOf(o));
    auto threads = o.threads ? o.threads : defaultThreadCount();
    auto before = folderState(root + "/aoti_eager", threads);
    auto host = HostInfo::detect();
    ListingKey key{root, before.digest, hostDigest(host)};
    auto file = listingIndexFileFor(root);
    if (!before.digest.empty()) {
        std::string why;
        if (auto remembered = rememberedListing(file, key, why)) {
            spdlog::debug("ls: the listing remembered in {}: {} files under {}/aoti_eager and the host unchanged", file,
                          before.entries, root);
            return remembered;
        }
        spdlog::debug("ls: listing made again ({})", why);
    }
    PathProbes probes;
    auto l = load(o, true, err, &host, &probes);
    if (!l) return std::nullopt;
    auto listing = treeToJson(l->snap, l->findings).dump(2);
    auto after = folderState(root + "/aoti_eager", threads);
    if (after.digest != before.digest || !after.complete) {
        spdlog::debug("ls: listing not remembered: {}", after.complete ? "the cache changed while it was listed"
                                                                       : "a symlink under it leads to a folder");
    } else if (std::max(after.newestChangeNs, probes.newestChangeNs()) > started - kSettledNs) {
        spdlog::debug("ls: listing not remembered: a file it rests on changed less than a second ago");
    } else if (auto error = rememberListing(file, key, probes.probes(), listing); !error.empty()) {
        spdlog::warn("{}", error); // only the next ls is slower
    }
    return listing;
}

int cmdLs(const CliOptions& o, std::ostream& out, std::ostream& err) {
    // The statuses are lint's verdicts, library checks included: an op whose libraries cannot load here is not
    // "ok" (--fast leaves them out, and says nothing of loading; it and --no-inspection-cache remember nothing).
    std::string listing;
    if (!o.fast && o.inspectionCache) {
        auto made = rememberedOrMadeListing(o, err);
        if (!made) return kExitUnreadable;
        listing = std::move(*made);
    } else {
        auto l = load(o, !o.fast, err);
        if (!l) return kExitUnreadable;
        listing = treeToJson(l->snap, l->findings).dump(2);
    }
    if (o.json) {
        out << listing << "\n";
        return 0;
    }
    auto tree = json::parse(listing);
    const auto& t = tree["totals"];
    fmt::print(out, "{}  ({} ops, {} entries, {} in lib/ folders)\n", tree["root"].get<std::string>(), t["ops"].get<std::size_t>(),
               t["entries"].get<std::size_t>(), humanBytes(t["lib_bytes"].get<std::uint64_t>()));
    for (const auto& ns : tree["namespaces"]) {
        fmt::print(out, "{}\n", ns["name"].get<std::string>());
        for (const auto& dev : ns["devices"]) {
            // The same split as the window's tree and evict dialog (CacheSizes.h).
            fmt::print(out, "  {}  ({} ops, {} entries; {} in lib/: {} named by entries with their sidecars, {} in {} orphan "
                            "libraries, {} the compiler's own files)\n", dev["name"].get<std::string>(),
                       dev["op_count"].get<std::size_t>(), dev["entries"].get<std::size_t>(),
                       humanBytes(dev["lib_bytes"].get<std::uint64_t>()), humanBytes(dev["referenced_bytes"].get<std::uint64_t>()),
                       humanBytes(dev["orphan_bytes"].get<std::uint64_t>()), dev["orphan_libraries"].get<std::size_t>(),
                       humanBytes(dev["other_bytes"].get<std::uint64_t>()));
            for (const auto& op : dev["ops"]) {
                auto n = op["entries"].get<std::size_t>();
                auto status = op["status"].get<std::string>();
                auto findings = op["findings"].get<std::size_t>();
                fmt::print(out, "    {:<28} {:>4} entr{:<3} {:>10}  {:>5}  {}\n", op["name"].get<std::string>(), n,
                           n == 1 ? "y" : "ies", humanBytes(op["bytes"].get<std::uint64_t>()),
                           age(op["mtime"].get<std::int64_t>()),
                           status == "ok" ? status : fmt::format("{} ({} finding{})", status, findings, findings == 1 ? "" : "s"));
            }
        }
    }
    return 0;
}

int cmdShow(const CliOptions& o, std::ostream& out, std::ostream& err) {
    if (o.positional.size() != 1) {
        fmt::print(err, "aotiscope-cli: show needs exactly one op name, e.g. `show add.Tensor`\n");
        return kExitUsage;
    }
    auto l = load(o, true, err);
    if (!l) {
        return kExitUnreadable;
    }
    auto j = entriesToJson(l->snap, l->findings, o.positional[0], KeySetNaming(l->host.torchVersion()));
    if (j["ops"].empty()) {
        fmt::print(err, "aotiscope-cli: no op named \"{}\" under {} (names carry their overload: add.Tensor, not add)\n",
                   o.positional[0], l->snap.root);
        return kExitFindings;
    }
    if (o.json) {
        printJson(out, j);
        return 0;
    }
    for (const auto& op : j["ops"]) {
        fmt::print(out, "{}/{}/{}  {}\n", op["namespace"].get<std::string>(), op["device"].get<std::string>(),
                   op["op"].get<std::string>(), op["path"].get<std::string>());
        for (const char* key : {"read_error", "parse_error", "structure_error"}) {
            if (op.contains(key)) {
                fmt::print(out, "  {}: {}\n", key, op[key].get<std::string>());
            }
        }
        for (const auto& e : op["entries"]) {
            fmt::print(out, "  entry #{}  {}\n", e["index"].get<int>(), e["kernel_path"].is_string() ? e["kernel_path"].get<std::string>() : "(no kernel_path)");
            for (const auto& a : e["args"]) {
                fmt::print(out, "    arg {} (order {}): {}\n", a["index"].get<int>(), a["arg_order"].dump(), a["summary"].get<std::string>());
                if (a.contains("tensor")) {
                    const auto& tj = a["tensor"];
                    fmt::print(out, "      strides {}  requires_grad {}  device_index {}\n", tj["strides"].dump(), tj["requires_grad"].dump(), tj["device_index"].dump());
                    if (tj.contains("dispatch_keys")) {
                        fmt::print(out, "      dispatch keys {} = {}\n", tj["dispatch_key_set"].dump(), tj["dispatch_keys"].dump());
                    }
                }
                if (a.contains("unknown_keys")) {
                    fmt::print(out, "      unknown keys {}\n", a["unknown_keys"].dump());
                }
            }
            if (e.contains("library")) {
                const auto& lib = e["library"];
                if (!lib["exists"].get<bool>()) {
                    fmt::print(out, "    library: MISSING {}\n", lib["path"].get<std::string>());
                } else {
                    fmt::print(out, "    library: {} ({})\n", lib["path"].get<std::string>(), humanBytes(lib["size"].get<std::uint64_t>()));
                    if (lib.contains("cpu_isa")) {
                        fmt::print(out, "      isa \"{}\"  compute capability \"{}\"  torch {}\n", lib["cpu_isa"].get<std::string>(),
                                   lib["compute_capability"].get<std::string>(), lib["torch_dir"].get<std::string>());
                    }
                }
            }
            for (const auto& f : e["findings"]) {
                fmt::print(out, "    {} {} {}: {}\n", f["severity"].get<std::string>(), f["rule"].get<std::string>(),
                           f["name"].get<std::string>(), f["message"].get<std::string>());
            }
        }
    }
    return 0;
}

int cmdLint(const CliOptions& o, std::ostream& out, std::ostream& err) {
    auto l = load(o, !o.fast, err);
    if (!l) {
        return kExitUnreadable;
    }
    auto counts = countFindings(l->findings);
    if (o.json) {
        writeLintJson(out, l->snap, l->findings, torchToJson(l->host));
    } else if (o.format == "csv") {
        writeFindingsCsv(out, l->snap, l->findings);
    } else {
        for (const auto& f : l->findings) {
            auto where = f.op.empty() ? fmt::format("{}/{}", f.ns, f.device) : fmt::format("{}/{}/{}", f.ns, f.device, f.op);
            fmt::print(out, "{:<7} {} {:<26} {}: {}\n", severityName(f.severity), f.ruleId, ruleById(f.ruleId).name, where, f.message);
        }
        fmt::print(out, "{} error{}, {} warning{}, {} info in {} ops, {} entries ({})\n", counts.error, counts.error == 1 ? "" : "s",
                   counts.warning, counts.warning == 1 ? "" : "s", counts.info, l->snap.opCount(), l->snap.entryCount(), l->snap.root);
        if (!o.fast) {
            fmt::print(out, "{}\n", l->host.torch ? fmt::format("checked against torch {} at {} ({})", l->host.torch->version,
                                                                l->host.torch->dir, l->host.torch->source)
                                                  : std::string("no torch found: the checks that need one are off"));
        }
    }
    return counts.error > 0 ? kExitFindings : 0;
}

int cmdExport(const CliOptions& o, std::ostream& out, std::ostream& err) {
    auto l = load(o, true, err);
    if (!l) {
        return kExitUnreadable;
    }
    auto j = entriesToJson(l->snap, l->findings, "", KeySetNaming(l->host.torchVersion()));
    std::ofstream file;
    std::ostream* dest = &out;
    if (!o.output.empty()) {
        file.open(o.output);
        if (!file) {
            fmt::print(err, "aotiscope-cli: cannot write {}\n", o.output);
            return kExitUnreadable;
        }
        dest = &file;
    }
    if (o.format == "json") {
        printJson(*dest, j);
        return 0;
    }
    writeEntriesCsv(*dest, j);
    return 0;
}

int cmdRules(const CliOptions& o, std::ostream& out) {
    json list = json::array();
    for (const auto& r : allRules()) {
        if (o.json) {
            list.push_back({{"rule", r.id}, {"name", r.name}, {"severity", severityName(r.severity)}, {"explanation", r.pytorchBehaviour}});
        } else {
            fmt::print(out, "{} {:<26} {:<7} {}\n", r.id, r.name, severityName(r.severity), r.pytorchBehaviour);
        }
    }
    if (o.json) {
        printJson(out, json{{"schema", "aotiscope.rules/1"}, {"rules", list}});
    }
    return 0;
}

std::chrono::milliseconds lockTimeout(const CliOptions& o) {
    return o.lockTimeoutSeconds < 0 ? FileLock::defaultTimeout() : std::chrono::milliseconds(std::int64_t(o.lockTimeoutSeconds * 1000));
}

// Prints a plan, applies it unless --dry-run, prints the outcome.
int runPlan(const CliOptions& o, const EditPlan& plan, std::ostream& out, std::ostream& err) {
    if (o.json && o.dryRun) {
        out << plan.toJson().dump(2) << "\n";
        return 0;
    }
    if (!o.json) {
        for (const auto& e : plan.entries) {
            fmt::print(out, "  entry  {}/{}/{} #{} {}  ({})\n", e.ns, e.device, e.op, e.index, e.key, e.reason);
        }
        for (const auto& f : plan.files) {
            fmt::print(out, "  file   {}  {}  ({})\n", f.path, humanBytes(f.bytes), f.reason);
        }
        for (const auto& n : plan.notes) {
            fmt::print(out, "  note   {}\n", n);
        }
        fmt::print(out, "{}{}\n", o.dryRun ? "dry run, nothing changed: " : "", plan.summary());
    }
    if (o.dryRun || plan.empty()) {
        return 0;
    }
    auto r = applyPlan(plan, lockTimeout(o));
    if (o.json) {
        auto j = r.toJson();
        j["plan"] = plan.toJson();
        out << j.dump(2) << "\n";
    } else {
        fmt::print(out, "removed {} entries and {} files ({}); undo with: aotiscope-cli restore {} --root {}\n", r.entriesRemoved,
                   r.filesMoved, humanBytes(r.bytes), r.trashId, plan.root);
    }
    for (const auto& e : r.errors) {
        fmt::print(err, "aotiscope-cli: {}\n", e);
    }
    return r.errors.empty() ? 0 : kExitFindings;
}

int cmdEdit(const CliOptions& o, std::ostream& out, std::ostream& err) {
    if (o.command == "rm" && o.positional.size() != 1) {
        fmt::print(err, "aotiscope-cli: rm needs one op name, e.g. `rm add.Tensor --entry 0`\n");
        return kExitUsage;
    }
    if (o.command == "evict" && !o.olderThanDays && !o.maxBytes) {
        fmt::print(err, "aotiscope-cli: evict needs --older-than DAYS and/or --max-bytes N\n");
        return kExitUsage;
    }
    ScanOptions so;
    so.threads = o.threads;
    auto snap = scanCache(rootOf(o), so);
    if (!snap.eagerDirExists) {
        fmt::print(err, "aotiscope-cli: {}\n", snap.error);
        return kExitUnreadable;
    }
    EditPlan plan;
    if (o.command == "rm") {
        if (o.entries.empty() && o.entryKeys.empty()) {
            plan = planDeleteOp(snap, o.ns, o.device, o.positional[0]);
        } else {
            plan = planDeleteEntriesAt(snap, o.ns, o.device, o.positional[0], o.entries, o.entryKeys);
        }
        if (plan.empty() && plan.notes.empty()) {
            fmt::print(err, "aotiscope-cli: no op named \"{}\" under {}\n", o.positional[0], snap.root);
            return kExitFindings;
        }
    } else if (o.command == "prune") {
        plan = planPrune(snap, std::chrono::seconds(o.minAgeSeconds));
    } else if (o.command == "repair") {
        plan = planRepair(snap, o.positional.empty() ? std::string() : o.positional[0]);
    } else {
        std::optional<std::chrono::seconds> age;
        if (o.olderThanDays) {
            age = std::chrono::seconds(std::int64_t(*o.olderThanDays * 86400));
        }
        plan = planEvict(snap, age, o.maxBytes);
    }
    return runPlan(o, plan, out, err);
}

int cmdRestore(const CliOptions& o, std::ostream& out, std::ostream& err) {
    auto root = absolutePath(rootOf(o));
    auto records = listTrash(root);
    if (o.command == "trash") {
        if (o.json) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& t : records) {
                list.push_back({{"id", t.id}, {"operation", t.operation}, {"created", t.created}, {"entries", t.entries}, {"files", t.files}, {"bytes", t.bytes}});
            }
            printJson(out, nlohmann::json{{"schema", "aotiscope.trash/1"}, {"root", root}, {"records", list}});
        } else {
            for (const auto& t : records) {
                fmt::print(out, "{}  {:<7} {} entries, {} files, {}\n", t.id, t.operation, t.entries, t.files, humanBytes(t.bytes));
            }
            if (records.empty()) fmt::print(out, "nothing to restore under {}\n", trashDir(root));
        }
        return 0;
    }
    if (records.empty() && o.positional.empty()) {
        fmt::print(err, "aotiscope-cli: nothing to restore under {}\n", trashDir(root));
        return kExitFindings;
    }
    auto id = o.positional.empty() ? records.front().id : o.positional[0];
    auto r = restoreTrash(root, id, lockTimeout(o));
    if (o.json) {
        out << r.toJson().dump(2) << "\n";
    } else {
        fmt::print(out, "restored {}: {} entries, {} files\n", id, r.entriesRemoved, r.filesMoved);
    }
    for (const auto& e : r.errors) {
        fmt::print(err, "aotiscope-cli: {}\n", e);
    }
    return r.errors.empty() ? 0 : kExitFindings;
}

int cmdCompile(const CliOptions& o, std::ostream& out, std::ostream& err) {
    auto root = absolutePath(rootOf(o));
    std::vector<CompileJob> jobs;
    if (!o.recording.empty()) {
        auto rec = readRecording(o.recording);
        if (!rec.error.empty()) {
            fmt::print(err, "aotiscope-cli: {}\n", rec.error);
            return kExitUnreadable;
        }
        auto snap = scanCache(root, ScanOptions{});
        if (!snap.eagerDirExists) {
            fmt::print(err, "aotiscope-cli: {}\n", snap.error);
            return kExitUnreadable;
        }
        auto plan = planPrewarm(snap, rec);
        for (const auto& s : plan.skipped) fmt::print(err, "skipped {}\n", s);
        if (plan.jobs.empty()) {
            fmt::print(err, "aotiscope-cli: nothing to compile: every missed call of {} hits the cache, or is skipped\n", o.recording);
            return 0;
        }
        jobs = std::move(plan.jobs);
    } else if (!o.specs.empty()) {
        for (const auto& specPath : o.specs) {
            std::string text, error;
            if (auto e = readWholeFile(specPath, text); !e.empty()) {
                fmt::print(err, "aotiscope-cli: {}\n", e);
                return kExitUsage;
            }
            auto more = jobsFromSpecText(root, text, error);
            if (!error.empty()) {
                fmt::print(err, "aotiscope-cli: {}: {}\n", specPath, error);
                return kExitUsage;
            }
            jobs.insert(jobs.end(), more.begin(), more.end());
        }
    } else {
        bool someEntries = !o.entries.empty() || !o.entryKeys.empty();
        if (!o.stale && (o.positional.empty() || (o.positional.size() > 1 && someEntries))) {
            fmt::print(err, "aotiscope-cli: compile needs ops (or one op and --entry N), --stale or --spec FILE\n");
            return kExitUsage;
        }
        auto snap = scanCache(root, ScanOptions{});
        if (!snap.eagerDirExists) {
            fmt::print(err, "aotiscope-cli: {}\n", snap.error);
            return kExitUnreadable;
        }
        if (o.stale) {
            jobs = jobsForStale(snap, lintSnapshot(snap, HostInfo::detect()));
        } else {
            for (const auto& op : o.positional) {
                auto more = jobsForEntries(snap, op, o.entries, o.entryKeys);
                jobs.insert(jobs.end(), more.begin(), more.end());
            }
        }
        if (jobs.empty()) {
            fmt::print(err, "aotiscope-cli: nothing to compile{}\n", o.stale ? ": no stale entry" : "");
            return o.stale ? 0 : kExitFindings;
        }
    }
    CompileWorkerConfig config;
    config.python = o.python;
    std::map<std::string, std::size_t> numberOf; // jobs run in parallel on a cluster: numbered by the plan
    for (const auto& j : jobs) numberOf.emplace(j.id, numberOf.size() + 1);
    auto print = [&](const CompileJob& job, const nlohmann::json& event) {
        auto index = numberOf[job.id];
        if (o.json) {
            auto line = event;
            line["job"] = job.id;
            out << line.dump() << "\n" << std::flush;
        }
        auto kind = event.value("event", "");
        auto prefix = fmt::format("[{}/{}] {}", index, jobs.size(), job.title());
        if (kind == "started") fmt::print(err, "{}: started\n", prefix);
        else if (kind == "progress") fmt::print(err, "{}: {:.0f}% {}\n", prefix, event.value("fraction", 0.0) * 100, event.value("stage", ""));
        else if (kind == "finished") {
            fmt::print(err, "{}: done in {:.1f} s -> {} (entry {})\n", prefix, event.value("seconds", 0.0), event.value("library", ""),
                       event.value("entry_key", ""));
            if (auto note = event.value("note", std::string()); !note.empty()) fmt::print(err, "{}: note: {}\n", prefix, note);
        }
        else if (kind == "failed") fmt::print(err, "{}: FAILED: {}\n", prefix, event.value("message", ""));
        else if (kind == "log" && o.verbose) fmt::print(err, "{}: {}\n", prefix, event.value("message", ""));
        else if (kind == "log" && event.value("stream", "") != "stderr") fmt::print(err, "{}: {}\n", prefix, event.value("message", ""));
        else if (kind == "ready" && event.contains("ray")) {
            fmt::print(err, "Ray cluster at {}: {} nodes, {} CPUs (ray {})\n", o.ray, event.value("nodes", 0), event.value("cpus", 0.0),
                       event.value("ray", ""));
        }
    };
    auto outcomes = o.ray.empty() ? runCompileJobs(jobs, config, print, nullptr, lockTimeout(o))
                                  : runRayCompileJobs(jobs, RayCompileConfig{o.ray, o.python}, HostInfo::detect(), print, nullptr,
                                                      lockTimeout(o));
    std::size_t failed = 0;
    for (const auto& r : outcomes) failed += !r.ok;
    fmt::print(err, "{} of {} compiled{}\n", outcomes.size() - failed, outcomes.size(), failed ? fmt::format(", {} failed", failed) : "");
    return failed ? kExitFindings : 0;
}

} // namespace

int runCommand(const CliOptions& o, std::ostream& out, std::ostream& err) {
    if (o.command == "locate") return cmdLocate(o, out);
    if (o.command == "ls") return cmdLs(o, out, err);
    if (o.command == "show") return cmdShow(o, out, err);
    if (o.command == "lint") return cmdLint(o, out, err);
    if (o.command == "export") return cmdExport(o, out, err);
    if (o.command == "rules") return cmdRules(o, out);
    if (o.command == "rm" || o.command == "prune" || o.command == "repair" || o.command == "evict") return cmdEdit(o, out, err);
    if (o.command == "restore" || o.command == "trash") return cmdRestore(o, out, err);
    if (o.command == "compile") return cmdCompile(o, out, err);
    if (o.command == "bench") return cmdBench(o, out, err);
    if (o.command == "doctor") return cmdDoctor(o, out, err);
    if (o.command == "verify") return cmdVerify(o, out, err);
    if (o.command == "explain") return cmdExplain(o, out, err);
    if (o.command == "record") return cmdRecord(o, out, err);
    if (o.command == "report") return cmdReport(o, out, err);
    if (o.command == "pack") return cmdPack(o, out, err);
    if (o.command == "unpack") return cmdUnpack(o, out, err);
    if (o.command == "push") return cmdPush(o, out, err);
    if (o.command == "pull") return cmdPull(o, out, err);
    fmt::print(err, "aotiscope-cli: unknown command \"{}\"\n\n{}", o.command, usageText());
    return kExitUsage;
}

} // namespace aotiscope::cli
