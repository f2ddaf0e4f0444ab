#include "core/CacheEditor.h"

#include "core/EntryGuard.h"
#include "core/FileUtil.h"
#include "core/OpFileWriter.h"

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

// Plans the removal of some entries of one device, with the libraries no remaining entry references.
void planRemovals(const NamespaceDir& ns, const DeviceDir& dev,
                  const std::map<std::pair<std::uint32_t, int>, std::string>& removals, EditPlan& plan) {
    std::map<std::uint32_t, ojson> json;
    for (const auto& [key, reason] : removals) {
        const auto& op = dev.ops()[key.first];
        auto& entries = json.try_emplace(key.first, readOpEntries(op.path)).first->second;
        if (key.second < 0 || std::size_t(key.second) >= entries.size()) {
            plan.notes.push_back(fmt::format("{} entry #{} is gone from the file already", op.name, key.second));
            continue;
        }
        plan.entries.push_back({ns.name, dev.name, op.name, key.second, entries[std::size_t(key.second)], reason});
    }
    for (const auto& lib : dev.libFiles) {
        if (lib.referencedBy.empty()) {
            continue;
        }
        bool allRemoved = std::all_of(lib.referencedBy.begin(), lib.referencedBy.end(), [&](const LibraryRef& r) {
            return removals.contains({r.op, r.entry});
        });
        if (allRemoved) {
            addLibraryFiles(dev, lib, "library of removed entries", plan.files);
        }
    }
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
        e.push_back({{"namespace", r.ns}, {"device", r.device}, {"op", r.op}, {"entry", r.index}, {"reason", r.reason}});
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
                    const std::vector<int>& indices, bool wholeOp) {
    EditPlan plan{snap.root, "rm", {}, {}, {}};
    for (const auto& n : snap.namespaces) {
        for (const auto& dev : n.devices) {
            if ((!ns.empty() && n.name != ns) || (!device.empty() && dev.name != device)) continue;
            for (std::uint32_t o = 0; o < dev.ops().size(); ++o) {
                const auto& f = dev.ops()[o];
                if (f.name != op) continue;
                std::map<std::pair<std::uint32_t, int>, std::string> removals;
                for (const auto& e : f.entries) {
                    if (wholeOp || std::ranges::find(indices, e.index) != indices.end()) {
                        removals[{o, e.index}] = "deleted by request";
                    }
                }
                for (int i : indices) {
                    if (i < 0 || std::size_t(i) >= f.entries.size()) {
                        plan.notes.push_back(fmt::format("{}/{}/{} has no entry #{}", n.name, dev.name, op, i));
                    }
                }
                planRemovals(n, dev, removals, plan);
            }
        }
    }
    return plan;
}

} // namespace

EditPlan planDeleteEntries(const CacheSnapshot& snap, const std::string& ns, const std::string& device, const std::string& op,
                           const std::vector<int>& indices) {
    return planDelete(snap, ns, device, op, indices, false);
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
                    bool missing = e.kernelPath && !e.kernelPath->starts_with('/') &&
                                   (e.library < 0 || !dev.libFiles[std::size_t(e.library)].stat.exists);
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
    std::uint64_t total = 0;
    for (const auto& n : snap.namespaces) {
        for (const auto& dev : n.devices) {
            for (std::uint32_t o = 0; o < dev.ops().size(); ++o) {
                for (const auto& e : dev.ops()[o].entries) {
                    if (e.library < 0) continue;
                    const auto& lib = dev.libFiles[std::size_t(e.library)];
                    all.push_back({&n, &dev, o, e.index, lib.stat.mtime, lib.stat.size + lib.artifactBytes});
                    total += lib.stat.size + lib.artifactBytes;
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

ApplyResult applyPlan(const EditPlan& plan, std::chrono::milliseconds lockTimeout) {
    ApplyResult r;
    if (plan.empty()) {
        return r;
    }
    auto root = absolutePath(plan.root);
    r.trashId = newTrashId();
    auto trash = trashDir(root) + "/" + r.trashId;
    ojson manifest{{"id", r.trashId}, {"operation", plan.operation}, {"created", std::int64_t(std::time(nullptr))},
                   {"entries", ojson::array()}, {"files", ojson::array()}, {"op_files", ojson::array()}};
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
        std::vector<ojson> removed;
        auto rel = where.jsonPath().substr(root.size() + 1);
        auto error = rewriteOpFile(
            where,
            [&](ojson& entries) {
                for (const auto* p : removals) {
                    // Matched by content: PyTorch may have appended entries since the plan was made.
                    auto it = std::find(entries.begin(), entries.end(), p->entry);
                    if (it != entries.end()) {
                        removed.push_back(*it);
                        entries.erase(it);
                    }
                }
            },
            lockTimeout, true, trash + "/files/" + rel);
        if (!error.empty()) {
            r.errors.push_back(error);
            continue;
        }
        if (!fs::exists(where.jsonPath())) {
            manifest["op_files"].push_back(rel);
        }
        for (auto& e : removed) {
            manifest["entries"].push_back({{"namespace", where.ns}, {"device", where.device}, {"op", where.op}, {"entry", e}});
        }
        r.entriesRemoved += removed.size();
    }
    // 2. Files, each library checked again: an entry written since the plan, or not removed, keeps it.
    std::set<std::string> skippedStems;
    std::vector<const PlannedFile*> ordered;
    for (const auto& f : plan.files) ordered.push_back(&f);
    // Libraries first, so that a kept library's sidecars are known to stay before they are reached.
    std::stable_partition(ordered.begin(), ordered.end(), [](const PlannedFile* f) { return f->path.ends_with(".so"); });
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
        auto rel = path.substr(root.size() + 1);
        if (auto error = moveInsideRoot(root, path, trash + "/files/" + rel); !error.empty()) {
            r.errors.push_back(error);
            continue;
        }
        manifest["files"].push_back(rel);
        ++r.filesMoved;
        r.bytes += f.bytes;
    }
    manifest["bytes"] = r.bytes;
    std::ofstream(trash + "/manifest.json") << manifest.dump(2);
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
        byOp[{e["namespace"].get<std::string>(), e["device"].get<std::string>(), e["op"].get<std::string>()}].push_back(e["entry"]);
    }
    for (const auto& item : byOp) {
        const auto& key = item.first;
        const auto& entries = item.second;
        OpLocation where{root, std::get<0>(key), std::get<1>(key), std::get<2>(key)};
        auto error = rewriteOpFile(
            where,
            [&](ojson& list) {
                for (const auto& e : entries) {
                    // PyTorch's own rule: no second entry with equal meta_info.
                    bool present = std::any_of(list.begin(), list.end(), [&](const ojson& x) {
                        return x.is_object() && e.contains("meta_info") && x.value("meta_info", ojson()) == e["meta_info"];
                    });
                    if (!present) {
                        list.push_back(e);
                        ++r.entriesRemoved; // for a restore: the entries put back
                    }
                }
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

} // namespace aotiscope
