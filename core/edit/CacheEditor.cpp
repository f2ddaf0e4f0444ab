#include "core/edit/CacheEditor.h"

#include "core/read/CacheSizes.h"
#include "core/check/EntryGuard.h"
#include "core/read/EntryKey.h"
#include "core/base/FileUtil.h"
#include "core/edit/OpFileWriter.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace aotiscope {

using ojson = nlohmann::ordered_json;

namespace {

// A library and every sidecar of the same compile: sources, metadata, and the "<stem>/" folder's files.
void addLibraryFiles(const DeviceDir& dev, const LibraryFile& lib, const std::string& reason, std::vector<PlannedFile>& out) {
    std::set<std::string> paths{lib.path};
    if (lib.artifacts) {
        const auto& a = *lib.artifacts;
        if (!a.wrapperSource.empty()) paths.insert(a.wrapperSource);
        for (const auto* list : {&a.kernelSources, &a.metadataFiles, &a.others}) {
            paths.insert(list->begin(), list->end());
        }
    }
    // libFiles is sorted by path: the "<stem>/" folder is one range, and each file one lookup (a prune of
    // thousands of libraries must not walk the whole inventory for each).
    auto byPath = [](const LibraryFile& f, const std::string& p) { return f.path < p; };
    auto folder = lib.path.substr(0, lib.path.find('.', lib.path.rfind('/'))) + "/";
    for (auto it = std::lower_bound(dev.libFiles.begin(), dev.libFiles.end(), folder, byPath);
         it != dev.libFiles.end() && it->path.starts_with(folder); ++it) {
        paths.insert(it->path);
    }
    for (const auto& p : paths) {
        auto it = std::lower_bound(dev.libFiles.begin(), dev.libFiles.end(), p, byPath);
        out.push_back({p, it != dev.libFiles.end() && it->path == p ? it->stat.size : 0, reason});
    }
}

// Op files of the device that cannot be read or parsed, other than those the plan moves whole: any of them may
// name any library (PyTorch may be rewriting it in place), so no library of the device can be said unused.
std::vector<const OpFile*> unreadableOps(const DeviceDir& dev, const std::set<std::string>& movedWhole) {
    std::vector<const OpFile*> out;
    for (const auto& op : dev.ops()) {
        if (!op.unreadableReason().empty() && !movedWhole.contains(op.path)) out.push_back(&op);
    }
    return out;
}

// Plans the removal of some entries of one device (positions of its op files, by op), with the libraries no
// remaining entry references. What stays and why goes into the plan's notes, so that its bytes are what goes.
void planRemovals(const NamespaceDir& ns, const DeviceDir& dev,
                  const std::map<std::pair<std::uint32_t, int>, std::string>& removals, EditPlan& plan,
                  const std::set<std::string>& movedWhole = {}) {
    std::map<std::uint32_t, ojson> json;
    for (const auto& [at, reason] : removals) {
        const auto& op = dev.ops()[at.first];
        auto& entries = json.try_emplace(at.first, readOpEntries(op.path)).first->second;
        auto keys = entryKeysOf(entries);
        const auto& planned = op.entries[std::size_t(at.second)];
        // The file may have changed since the scan: the entry is found by its identity, not its position.
        auto it = std::ranges::find(keys, planned.key);
        if (it == keys.end()) {
            plan.notes.push_back(fmt::format("{} is gone from {} already", entryPosition(ns.name, dev.name, op.name, planned.index), op.path));
            continue;
        }
        plan.entries.push_back({ns.name, dev.name, op.name, planned.index, planned.key, entries[std::size_t(it - keys.begin())], reason});
    }
    std::vector<const LibraryFile*> unused;
    for (const auto& lib : dev.libFiles) {
        if (lib.referencedBy.empty()) continue;
        bool allRemoved = std::all_of(lib.referencedBy.begin(), lib.referencedBy.end(), [&](const LibraryRef& r) {
            return removals.contains({r.op, r.entry});
        });
        if (allRemoved) unused.push_back(&lib);
    }
    if (unused.empty()) return;
    if (auto broken = unreadableOps(dev, movedWhole); !broken.empty()) {
        std::uint64_t kept = 0;
        for (const auto* lib : unused) kept += lib->stat.size + lib->artifactBytes;
        plan.notes.push_back(fmt::format("kept {} librar{} ({}) of the removed entries: {} cannot be read ({}) and may name "
                                         "them; remove that file (rm {}) or let PyTorch rewrite it, then prune",
                                         unused.size(), unused.size() == 1 ? "y" : "ies", humanBytes(kept), broken.front()->path,
                                         broken.front()->unreadableReason(), broken.front()->name));
        return;
    }
    for (const auto* lib : unused) addLibraryFiles(dev, *lib, "library of removed entries", plan.files);
}

std::string newTrashId() {
    static std::atomic<int> counter{0};
    char stamp[32];
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    return fmt::format("{}-{}-{}", stamp, ::getpid(), counter++);
}

// Moves `from` (inside root) to `to`, refusing anything that would act outside the root.
std::string moveInsideRoot(const std::string& root, const std::string& from, const std::string& to) {
    std::error_code ec;
    auto rootReal = fs::canonical(root, ec);
    auto parentReal = fs::canonical(fs::path(from).parent_path(), ec);
    if (ec || !isWithin(parentReal.string(), rootReal.string()) || !isWithin(absolutePath(from), absolutePath(root))) {
        return fmt::format("refused: {} is not inside the cache root {}", from, root);
    }
    fs::create_directories(fs::path(to).parent_path(), ec);
    // rename moves a symlink itself, never what it points at.
    fs::rename(from, to, ec);
    return ec ? fmt::format("cannot move {}: {}", from, ec.message()) : std::string();
}

// Could an entry of its device name this library right now? PyTorch may have written one since the plan, or
// be rewriting an op file in place (then it does not parse, and the answer is yes: keep the library).
bool referencedNow(const std::string& deviceDir, const std::string& libraryPath) {
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(deviceDir, ec)) {
        if (f.path().extension() != ".json") continue;
        std::string text, error;
        if (!readWholeFile(f.path().string(), text).empty()) {
            return true;
        }
        auto entries = parseOpJson(text, error);
        if (!error.empty() || !entries.is_array()) {
            return true;
        }
        for (const auto& e : entries) {
            if (e.is_object() && e.contains("kernel_path") && e["kernel_path"].is_string() &&
                absolutePath(deviceDir + "/" + e["kernel_path"].get<std::string>()) == libraryPath) {
                return true;
            }
        }
    }
    return false;
}

} // namespace

std::uint64_t EditPlan::bytes() const {
    std::uint64_t b = 0;
    for (const auto& f : files) b += f.bytes;
    return b;
}

std::string EditPlan::summary() const {
    return fmt::format("{}: {} entr{} and {} file{} ({}) go to the trash", operation, entries.size(), entries.size() == 1 ? "y" : "ies",
                       files.size(), files.size() == 1 ? "" : "s", humanBytes(bytes()));
}

ojson EditPlan::toJson() const {
    ojson e = ojson::array(), f = ojson::array();
    for (const auto& r : entries) {
        e.push_back({{"namespace", r.ns}, {"device", r.device}, {"op", r.op}, {"entry", r.index}, {"entry_key", r.key}, {"reason", r.reason}});
    }
    for (const auto& p : files) {
        f.push_back({{"path", p.path}, {"bytes", p.bytes}, {"reason", p.reason}});
    }
    return {{"schema", "aotiscope.plan/1"}, {"operation", operation}, {"root", root}, {"entries", e}, {"files", f},
            {"bytes", bytes()}, {"notes", notes}};
}

ojson ApplyResult::toJson() const {
    return {{"schema", "aotiscope.applied/1"}, {"trash_id", trashId}, {"entries_removed", entriesRemoved},
            {"files_moved", filesMoved}, {"bytes", bytes}, {"errors", errors}};
}

namespace {

EditPlan planDelete(const CacheSnapshot& snap, const std::string& ns, const std::string& device, const std::string& op,
                    const std::vector<std::string>& keys, bool wholeOp) {
    EditPlan plan{snap.root, "rm", {}, {}, {}};
    for (const auto& n : snap.namespaces) {
        for (const auto& dev : n.devices) {
            if ((!ns.empty() && n.name != ns) || (!device.empty() && dev.name != device)) continue;
            for (std::uint32_t o = 0; o < dev.ops().size(); ++o) {
                const auto& f = dev.ops()[o];
                if (f.name != op) continue;
                if (const auto& broken = f.unreadableReason(); !broken.empty()) {
                    if (!wholeOp) {
                        plan.notes.push_back(fmt::format("{} cannot be read ({}): its entries cannot be told apart; `rm {}` "
                                                         "without --entry moves the whole file", f.path, broken, f.name));
                        continue;
                    }
                    plan.files.push_back({f.path, f.stat.size, fmt::format("op file that PyTorch cannot read ({})", broken)});
                    plan.notes.push_back(fmt::format("the libraries {} may name stay: it cannot be read; prune removes them "
                                                     "once no entry names them", f.path));
                    continue;
                }
                std::map<std::pair<std::uint32_t, int>, std::string> removals;
                for (const auto& e : f.entries) {
                    if (wholeOp || std::ranges::find(keys, e.key) != keys.end()) {
                        removals[{o, e.index}] = "deleted by request";
                    }
                }
                for (const auto& k : keys) {
                    if (std::ranges::none_of(f.entries, [&](const Entry& e) { return e.key == k; })) {
                        plan.notes.push_back(fmt::format("{}/{}/{} has no entry {}", n.name, dev.name, op, k));
                    }
                }
                std::set<std::string> movedWhole;
                for (const auto& pf : plan.files) movedWhole.insert(pf.path);
                planRemovals(n, dev, removals, plan, movedWhole);
            }
        }
    }
    return plan;
}

} // namespace

EditPlan planDeleteEntries(const CacheSnapshot& snap, const std::string& ns, const std::string& device, const std::string& op,
                           const std::vector<std::string>& keys) {
    return planDelete(snap, ns, device, op, keys, false);
}

EditPlan planDeleteEntriesAt(const CacheSnapshot& snap, const std::string& ns, const std::string& device, const std::string& op,
                             const std::vector<int>& indices, const std::vector<std::string>& alsoKeys) {
    std::vector<std::string> keys = alsoKeys;
    std::vector<std::string> missing;
    forEachOp(snap, [&](const NamespaceDir& n, const DeviceDir& dev, const OpFile& f) {
        if (f.name != op || (!ns.empty() && n.name != ns) || (!device.empty() && dev.name != device)) return;
        for (int i : indices) {
            if (i >= 0 && std::size_t(i) < f.entries.size()) keys.push_back(f.entries[std::size_t(i)].key);
            else missing.push_back(fmt::format("{}/{}/{} has no entry #{}", n.name, dev.name, op, i));
        }
    });
    auto plan = planDelete(snap, ns, device, op, keys, false);
    plan.notes.insert(plan.notes.end(), missing.begin(), missing.end());
    return plan;
}

EditPlan planDeleteOp(const CacheSnapshot& snap, const std::string& ns, const std::string& device, const std::string& op) {
    return planDelete(snap, ns, device, op, {}, true);
}

EditPlan planPrune(const CacheSnapshot& snap, std::chrono::seconds minAge) {
    EditPlan plan{snap.root, "prune", {}, {}, {}};
    auto now = std::int64_t(std::time(nullptr));
    for (const auto& n : snap.namespaces) {
        for (const auto& dev : n.devices) {
            for (const auto& lib : dev.libFiles) {
                if (lib.role != LibraryRole::OrphanKernel) continue;
                if (now - lib.stat.mtime < minAge.count()) {
                    plan.notes.push_back(fmt::format("{} is younger than {} s: perhaps a compile whose entry is not written yet", lib.path, minAge.count()));
                    continue;
                }
                addLibraryFiles(dev, lib, "orphan library: no entry references it", plan.files);
            }
        }
    }
    return plan;
}

EditPlan planRepair(const CacheSnapshot& snap, const std::string& opName) {
    EditPlan plan{snap.root, "repair", {}, {}, {}};
    for (const auto& n : snap.namespaces) {
        for (const auto& dev : n.devices) {
            std::map<std::pair<std::uint32_t, int>, std::string> removals;
            for (std::uint32_t o = 0; o < dev.ops().size(); ++o) {
                const auto& op = dev.ops()[o];
                if (!opName.empty() && op.name != opName) continue;
                std::map<std::string, int> firstWithGuard;
                for (const auto& e : op.entries) {
                    const LibraryFile* lib = dev.libraryOf(e);
                    bool missing = e.kernelPath && !e.kernelPath->starts_with('/') && (!lib || !lib->stat.exists);
                    if (missing) {
                        removals[{o, e.index}] = "its library is missing: PyTorch ignores the whole op";
                        continue;
                    }
                    auto [it, first] = firstWithGuard.emplace(entryGuardKey(e), e.index);
                    if (!first) {
                        removals[{o, e.index}] = fmt::format("shadowed by entry #{}", it->second);
                    }
                }
            }
            planRemovals(n, dev, removals, plan);
        }
    }
    // A library still named by a kept entry stays (shadowed entries may share one with the first).
    return plan;
}

EditPlan planEvict(const CacheSnapshot& snap, std::optional<std::chrono::seconds> olderThan, std::optional<std::uint64_t> maxBytes) {
    EditPlan plan{snap.root, "evict", {}, {}, {}};
    struct Candidate {
        const NamespaceDir* ns;
        const DeviceDir* dev;
        std::uint32_t op;
        int entry;
        std::int64_t mtime;
        std::uint64_t bytes;
    };
    std::vector<Candidate> all;
    std::uint64_t total = 0; // the libraries entries name, with their sidecars: as the tree and `ls` count
    for (const auto& n : snap.namespaces) {
        for (const auto& dev : n.devices) {
            total += deviceSizes(dev).referenced;
            for (std::uint32_t o = 0; o < dev.ops().size(); ++o) {
                for (const auto& e : dev.ops()[o].entries) {
                    const LibraryFile* lib = dev.libraryOf(e);
                    if (!lib) continue;
                    all.push_back({&n, &dev, o, e.index, lib->stat.mtime, entryBytes(dev, e)});
                }
            }
        }
    }
    std::ranges::sort(all, {}, &Candidate::mtime); // oldest first
    auto now = std::int64_t(std::time(nullptr));
    std::map<const DeviceDir*, std::map<std::pair<std::uint32_t, int>, std::string>> removals;
    std::map<const DeviceDir*, const NamespaceDir*> nsOf;
    for (const auto& c : all) {
        bool old = olderThan && now - c.mtime > olderThan->count();
        bool over = maxBytes && total > *maxBytes;
        if (!old && !over) continue;
        removals[c.dev][{c.op, c.entry}] = old ? "older than the limit" : "the cache is over its size limit";
        nsOf[c.dev] = c.ns;
        total -= c.bytes;
    }
    for (const auto& [dev, r] : removals) {
        planRemovals(*nsOf[dev], *dev, r, plan);
    }
    return plan;
}

std::string trashDir(const std::string& root) { return absolutePath(root) + "/aotiscope-trash"; }

namespace {

std::string writeManifest(const std::string& trash, const ojson& manifest) {
    auto tmp = trash + "/manifest.json.tmp";
    {
        std::ofstream out(tmp);
        out << manifest.dump(2);
        if (!out.flush()) return fmt::format("cannot write {}/manifest.json: the trash record may be incomplete", trash);
    }
    std::error_code ec;
    fs::rename(tmp, trash + "/manifest.json", ec);
    return ec ? fmt::format("cannot write {}/manifest.json: {}", trash, ec.message()) : std::string();
}

// Moves one file of the root into a trash record's files/, noting it in the manifest and the result.
void trashOne(const std::string& root, const std::string& trash, const std::string& path, std::uint64_t bytes, ojson& manifest,
              ApplyResult& r) {
    auto rel = path.substr(root.size() + 1);
    if (auto error = moveInsideRoot(root, path, trash + "/files/" + rel); !error.empty()) {
        r.errors.push_back(error);
        return;
    }
    manifest["files"].push_back(rel);
    ++r.filesMoved;
    r.bytes += bytes;
}

ojson newManifest(const std::string& id, const std::string& operation) {
    return {{"id", id}, {"operation", operation}, {"created", std::int64_t(std::time(nullptr))},
            {"entries", ojson::array()}, {"files", ojson::array()}, {"op_files", ojson::array()}};
}

// Takes the entries with these keys out of `entries`; each comes back as a manifest record with its identity,
// its position and the key of the entry that followed it and stays (where a restore puts it back).
ojson removeByKeys(ojson& entries, const std::set<std::string>& wanted, const OpLocation& where) {
    auto keys = entryKeysOf(entries);
    ojson removed = ojson::array();
    ojson kept = ojson::array();
    std::vector<std::size_t> waitingForSuccessor;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (wanted.contains(keys[i])) {
            waitingForSuccessor.push_back(removed.size());
            removed.push_back({{"namespace", where.ns}, {"device", where.device}, {"op", where.op}, {"entry_key", keys[i]},
                               {"position", i}, {"before", nullptr}, {"entry", entries[i]}});
        } else {
            for (auto w : waitingForSuccessor) removed[w]["before"] = keys[i];
            waitingForSuccessor.clear();
            kept.push_back(entries[i]);
        }
    }
    entries = std::move(kept);
    return removed;
}

} // namespace

ApplyResult applyPlan(const EditPlan& plan, std::chrono::milliseconds lockTimeout) {
    ApplyResult r;
    if (plan.empty()) {
        return r;
    }
    auto root = absolutePath(plan.root);
    r.trashId = newTrashId();
    auto trash = trashDir(root) + "/" + r.trashId;
    auto manifest = newManifest(r.trashId, plan.operation);
    std::error_code ec;
    fs::create_directories(trash + "/files", ec);
    if (ec) {
        r.errors.push_back(fmt::format("cannot create the trash folder {}: {}", trash, ec.message()));
        return r;
    }
    // 1. Entries first, so that no entry ever names a library that is already gone.
    std::map<std::tuple<std::string, std::string, std::string>, std::vector<const PlannedEntryRemoval*>> byOp;
    for (const auto& e : plan.entries) {
        byOp[{e.ns, e.device, e.op}].push_back(&e);
    }
    for (const auto& item : byOp) {
        const auto& key = item.first;
        const auto& removals = item.second; // (a named reference: lambdas cannot capture bindings before clang 16)
        OpLocation where{root, std::get<0>(key), std::get<1>(key), std::get<2>(key)};
        ojson removed = ojson::array();
        auto rel = where.jsonPath().substr(root.size() + 1);
        auto error = rewriteOpFile(
            where,
            [&](ojson& entries) {
                // By identity: PyTorch may have appended entries since the plan was made.
                std::set<std::string> wanted;
                for (const auto* p : removals) wanted.insert(p->key);
                removed = removeByKeys(entries, wanted, where);
                return std::string();
            },
            lockTimeout, true, trash + "/files/" + rel);
        if (!error.empty()) {
            r.errors.push_back(error);
            continue;
        }
        if (!fs::exists(where.jsonPath())) {
            manifest["op_files"].push_back(rel);
        }
        r.entriesRemoved += removed.size();
        for (auto& e : removed) manifest["entries"].push_back(std::move(e));
    }
    for (const auto& e : plan.entries) {
        bool found = std::ranges::any_of(manifest["entries"], [&](const ojson& m) {
            return m["op"] == e.op && m["namespace"] == e.ns && m["device"] == e.device && m["entry_key"] == e.key;
        });
        if (!found) r.errors.push_back(fmt::format("{} ({}) was not in the file any more: left as it is", entryPosition(e.ns, e.device, e.op, e.index), e.key));
    }
    // Whole op files that cannot be parsed go first: the libraries' check below must not see them.
    // 2. Files, each library checked again: an entry written since the plan, or not removed, keeps it.
    std::set<std::string> skippedStems;
    std::vector<const PlannedFile*> ordered;
    for (const auto& f : plan.files) ordered.push_back(&f);
    // Libraries first, so that a kept library's sidecars are known to stay before they are reached.
    std::stable_partition(ordered.begin(), ordered.end(), [](const PlannedFile* f) { return f->path.ends_with(".so"); });
    std::stable_partition(ordered.begin(), ordered.end(), [](const PlannedFile* f) { return f->path.ends_with(".json"); });
    for (const auto* fp : ordered) {
        const auto& f = *fp;
        auto path = absolutePath(f.path);
        if (!isWithin(path, root)) {
            r.errors.push_back(fmt::format("refused: {} is outside the cache root", path));
            continue;
        }
        auto deviceDir = path.substr(0, path.find("/lib/"));
        if (path.ends_with(".so") && referencedNow(deviceDir, path)) {
            r.errors.push_back(fmt::format("kept {}: an entry may reference it now", path));
            skippedStems.insert(path.substr(0, path.find('.', path.rfind('/'))));
            continue;
        }
        // The sidecars of a kept library stay with it.
        if (!path.ends_with(".so") && std::any_of(skippedStems.begin(), skippedStems.end(), [&](const std::string& stem) {
                return path.starts_with(stem + ".") || path.starts_with(stem + "/");
            })) {
            continue;
        }
        std::error_code sec;
        if (!fs::exists(fs::symlink_status(path, sec))) {
            continue; // gone already (another file of the plan took it along, or someone else)
        }
        trashOne(root, trash, path, f.bytes, manifest, r);
    }
    manifest["bytes"] = r.bytes;
    if (auto e = writeManifest(trash, manifest); !e.empty()) r.errors.push_back(e);
    spdlog::info("{}: removed {} entries and {} files ({}) into {}", plan.operation, r.entriesRemoved, r.filesMoved,
                 humanBytes(r.bytes), trash);
    return r;
}

std::vector<TrashRecord> listTrash(const std::string& root) {
    std::vector<TrashRecord> out;
    std::error_code ec;
    for (const auto& d : fs::directory_iterator(trashDir(root), ec)) {
        std::string text;
        if (!readWholeFile(d.path().string() + "/manifest.json", text).empty()) continue;
        auto m = ojson::parse(text, nullptr, false);
        if (!m.is_object()) continue;
        out.push_back({d.path().filename().string(), m.value("operation", ""), m.value("created", std::int64_t(0)),
                       m.value("entries", ojson::array()).size(), m.value("files", ojson::array()).size(),
                       m.value("bytes", std::uint64_t(0))});
    }
    std::ranges::sort(out, [](const TrashRecord& a, const TrashRecord& b) { return a.id > b.id; });
    return out;
}

ApplyResult restoreTrash(const std::string& rootArg, const std::string& id, std::chrono::milliseconds lockTimeout) {
    ApplyResult r;
    auto root = absolutePath(rootArg);
    r.trashId = id;
    auto trash = trashDir(root) + "/" + id;
    std::string text;
    if (id.find('/') != std::string::npos || !readWholeFile(trash + "/manifest.json", text).empty()) {
        r.errors.push_back(fmt::format("no trash record {} under {}", id, trashDir(root)));
        return r;
    }
    auto m = ojson::parse(text, nullptr, false);
    if (!m.is_object()) {
        r.errors.push_back(fmt::format("{}/manifest.json is corrupt", trash));
        return r;
    }
    // Files back first: the entries restored next name them.
    for (const auto& rel : m.value("files", ojson::array())) {
        auto relPath = rel.get<std::string>();
        auto dest = root + "/" + relPath;
        std::error_code ec;
        if (fs::exists(fs::symlink_status(dest, ec))) {
            r.errors.push_back(fmt::format("kept the current {}: a file stands there again", dest));
            continue;
        }
        if (auto error = moveInsideRoot(trash, trash + "/files/" + relPath, dest); !error.empty()) {
            r.errors.push_back(error);
            continue;
        }
        ++r.filesMoved;
    }
    std::map<std::tuple<std::string, std::string, std::string>, std::vector<ojson>> byOp;
    for (const auto& e : m.value("entries", ojson::array())) {
        byOp[{e["namespace"].get<std::string>(), e["device"].get<std::string>(), e["op"].get<std::string>()}].push_back(e);
    }
    for (const auto& item : byOp) {
        const auto& key = item.first;
        const auto& records = item.second;
        OpLocation where{root, std::get<0>(key), std::get<1>(key), std::get<2>(key)};
        auto error = rewriteOpFile(
            where,
            [&](ojson& list) {
                // Back in file order, each before the entry that followed it and stayed: first-match order holds.
                for (auto rec = records.begin(); rec != records.end(); ++rec) {
                    const auto& e = (*rec)["entry"];
                    // PyTorch's own rule: no second entry with equal meta_info.
                    bool present = std::any_of(list.begin(), list.end(), [&](const ojson& x) {
                        return x.is_object() && e.contains("meta_info") && x.contains("meta_info") && pythonEqual(x["meta_info"], e["meta_info"]);
                    });
                    if (present) {
                        r.errors.push_back(fmt::format("kept the current {}: an entry with the same meta_info stands there again "
                                                       "(the trashed one, {}, stays in {})", where.jsonPath(),
                                                       rec->value("entry_key", std::string()), trash));
                        continue;
                    }
                    auto keys = entryKeysOf(list);
                    auto before = rec->contains("before") && (*rec)["before"].is_string() ? (*rec)["before"].get<std::string>() : std::string();
                    auto at = before.empty() ? keys.end() : std::ranges::find(keys, before);
                    list.insert(list.begin() + (at - keys.begin()), e);
                    ++r.entriesRemoved; // for a restore: the entries put back
                }
                return std::string();
            },
            lockTimeout);
        if (!error.empty()) {
            r.errors.push_back(error);
        }
    }
    if (r.errors.empty()) {
        std::error_code ec;
        fs::remove_all(trash, ec);
    }
    spdlog::info("restored {}: {} entries, {} files", id, r.entriesRemoved, r.filesMoved);
    return r;
}

TakeOut takeOutEntries(const std::string& rootArg, const std::string& ns, const std::string& device, const std::string& op,
                       const std::string& operation, const TakeOutSelector& select, std::chrono::milliseconds lockTimeout) {
    TakeOut t;
    auto root = absolutePath(rootArg);
    OpLocation where{root, ns, device, op};
    auto id = newTrashId();
    auto trash = trashDir(root) + "/" + id;
    ojson removed;
    auto error = rewriteOpFile(
        where,
        [&](ojson& entries) {
            auto keys = entryKeysOf(entries);
            std::vector<std::size_t> positions;
            if (auto refused = select(entries, keys, positions); !refused.empty()) return refused;
            std::set<std::string> wanted;
            for (auto p : positions) {
                if (p < keys.size()) wanted.insert(keys[p]);
            }
            if (wanted.empty()) return std::string("nothing to take out");
            removed = removeByKeys(entries, wanted, where);
            return std::string();
        },
        lockTimeout, false);
    if (!error.empty()) {
        t.error = error;
        return t;
    }
    std::error_code ec;
    fs::create_directories(trash + "/files", ec);
    auto manifest = newManifest(id, operation);
    manifest["bytes"] = 0;
    for (const auto& r : removed) {
        t.removed.push_back(r["entry"]);
        t.removedKeys.push_back(r["entry_key"].get<std::string>());
        if (t.successorKey.empty() && r["before"].is_string()) t.successorKey = r["before"].get<std::string>();
        manifest["entries"].push_back(r);
    }
    if (auto e = writeManifest(trash, manifest); !e.empty() || ec) {
        // The entries are out of the file but not recorded: put them back at once rather than lose them.
        t.error = !e.empty() ? e : fmt::format("cannot create the trash folder {}: {}", trash, ec.message());
        auto back = rewriteOpFile(where, [&](ojson& list) {
            for (const auto& rec : removed) list.push_back(rec["entry"]);
            return std::string();
        }, lockTimeout);
        if (!back.empty()) t.error += "; putting the entries back failed too: " + back;
        return t;
    }
    t.trashId = id;
    return t;
}

ApplyResult trashFiles(const std::string& rootArg, const std::string& trashId, const std::string& operation,
                       const std::vector<std::string>& paths) {
    ApplyResult r;
    auto root = absolutePath(rootArg);
    r.trashId = trashId.empty() ? newTrashId() : trashId;
    auto trash = trashDir(root) + "/" + r.trashId;
    std::string text;
    auto manifest = newManifest(r.trashId, operation);
    if (readWholeFile(trash + "/manifest.json", text).empty()) {
        manifest = ojson::parse(text, nullptr, false);
        if (!manifest.is_object()) {
            r.errors.push_back(fmt::format("{}/manifest.json is corrupt: no file moved", trash));
            return r;
        }
    }
    // Each library with its sidecars; a library some entry names now stays, and so do its sidecars.
    std::set<std::string> family;
    for (const auto& p : paths) {
        auto path = absolutePath(p);
        if (!path.ends_with(".so")) {
            family.insert(path);
            continue;
        }
        auto deviceDir = path.substr(0, path.find("/lib/"));
        std::error_code ec;
        if (!fs::exists(fs::symlink_status(path, ec))) continue;
        if (referencedNow(deviceDir, path)) {
            r.errors.push_back(fmt::format("kept {}: an entry names it", path));
            continue;
        }
        auto folder = fs::path(path).parent_path();
        auto stem = fs::path(path).filename().string();
        stem = stem.substr(0, stem.find('.'));
        bool ownFolder = folder.filename() == stem; // torch 2.5+: lib/<key>/<key>.wrapper.so and its sidecars
        for (const auto& f : fs::directory_iterator(folder, ec)) {
            if (ownFolder || f.path().filename().string().starts_with(stem + ".")) family.insert(f.path().string());
        }
        family.insert(path);
    }
    for (const auto& path : family) {
        std::error_code ec;
        if (!isWithin(path, root) || !fs::exists(fs::symlink_status(path, ec))) continue;
        auto bytes = fs::is_regular_file(fs::symlink_status(path, ec)) ? fs::file_size(path, ec) : 0;
        trashOne(root, trash, path, ec ? 0 : bytes, manifest, r);
    }
    manifest["bytes"] = manifest.value("bytes", std::uint64_t(0)) + r.bytes;
    if (auto e = writeManifest(trash, manifest); !e.empty()) r.errors.push_back(e);
    return r;
}

} // namespace aotiscope
