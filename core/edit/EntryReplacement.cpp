#include "core/edit/EntryReplacement.h"

#include "core/read/EntryKey.h"
#include "core/base/FileUtil.h"
#include "core/edit/OpFileWriter.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace aotiscope {

using ojson = nlohmann::ordered_json;

namespace {

bool hasMeta(const ojson& e) { return e.is_object() && e.contains("meta_info"); }

std::string kernelPathOf(const ojson& e) {
    return e.is_object() && e.contains("kernel_path") && e["kernel_path"].is_string() ? e["kernel_path"].get<std::string>() : std::string();
}

std::string joinKeys(const std::vector<std::string>& keys) {
    std::string out;
    for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
    return out;
}

// Which fields of the arguments differ between two meta_info lists, in words ("arg 0 dispatch_key_set").
std::string metaDifference(const ojson& before, const ojson& after) {
    if (!before.is_array() || !after.is_array() || before.size() != after.size()) {
        return fmt::format("{} arguments before, {} now", before.is_array() ? before.size() : 0, after.is_array() ? after.size() : 0);
    }
    std::vector<std::string> fields;
    for (std::size_t i = 0; i < before.size(); ++i) {
        if (pythonEqual(before[i], after[i])) continue;
        if (!before[i].is_object() || !after[i].is_object()) {
            fields.push_back(fmt::format("arg {}", i));
            continue;
        }
        for (const auto& [k, v] : before[i].items()) {
            if (!after[i].contains(k) || !pythonEqual(v, after[i][k])) fields.push_back(fmt::format("arg {} {}", i, k));
        }
        for (const auto& [k, v] : after[i].items()) {
            if (!before[i].contains(k)) fields.push_back(fmt::format("arg {} {} (new)", i, k));
        }
    }
    return joinKeys(fields);
}

} // namespace

TakenOut takeOutForRecompile(const CompileJob& job, std::chrono::milliseconds lockTimeout) {
    TakenOut t;
    OpLocation where{job.root, job.ns, job.device, job.op};
    std::vector<std::string> duplicates;
    auto taken = takeOutEntries(
        job.root, job.ns, job.device, job.op, "recompile",
        [&](const ojson& entries, const std::vector<std::string>& keys, std::vector<std::size_t>& positions) {
            auto it = std::ranges::find(keys, job.replacesKey);
            if (it == keys.end()) {
                return fmt::format("the entry it replaces ({}, #{} when planned) changed or vanished from {} since the job "
                                   "was planned: nothing was changed; rescan and plan again",
                                   job.replacesKey, job.plannedIndex, where.jsonPath());
            }
            const auto& target = entries[std::size_t(it - keys.begin())];
            if (!hasMeta(target)) return std::string("the entry has no meta_info: PyTorch cannot compile it");
            // PyTorch's writer appends nothing while an entry of equal meta_info stands: all of them go, and
            // the one compiled entry takes the place of the first.
            for (std::size_t i = 0; i < entries.size(); ++i) {
                if (hasMeta(entries[i]) && pythonEqual(entries[i]["meta_info"], target["meta_info"])) {
                    positions.push_back(i);
                    if (keys[i] != job.replacesKey) duplicates.push_back(keys[i]);
                }
            }
            return std::string();
        },
        lockTimeout);
    if (!taken.error.empty()) {
        t.error = taken.error;
        return t;
    }
    t.trashId = taken.trashId;
    t.successorKey = taken.successorKey;
    t.removedKeys = taken.removedKeys;
    for (const auto& e : taken.removed) {
        if (auto rel = kernelPathOf(e); !rel.empty() && !rel.starts_with('/')) t.oldLibraries.push_back(absolutePath(where.deviceDir() + "/" + rel));
    }
    if (!duplicates.empty()) {
        t.note = fmt::format("also replaced {} entr{} of equal meta_info ({}): PyTorch's writer appends nothing while one "
                             "stands, and only the first of them ever matched", duplicates.size(), duplicates.size() == 1 ? "y" : "ies",
                             joinKeys(duplicates));
    }
    return t;
}

Settled settleCompiledEntry(const CompileJob& job, const std::string& library, const ojson& recorded,
                            const std::string& successorKey, std::chrono::milliseconds lockTimeout) {
    Settled s;
    OpLocation where{job.root, job.ns, job.device, job.op};
    auto deviceDir = absolutePath(where.deviceDir());
    auto libraryPath = absolutePath(library);
    if (!libraryPath.starts_with(deviceDir + "/")) {
        s.error = fmt::format("PyTorch's writer returned {}, which is not under {}", library, deviceDir);
        return s;
    }
    auto rel = libraryPath.substr(deviceDir.size() + 1); // as the writer records it: relative to the device folder
    const std::string unchanged = "\x01unchanged";
    auto error = rewriteOpFile(
        where,
        [&](ojson& entries) {
            auto at = std::ranges::find_if(entries, [&](const ojson& e) { return kernelPathOf(e) == rel; });
            if (at != entries.end()) {
                auto keys = entryKeysOf(entries);
                auto mine = std::size_t(at - entries.begin());
                auto successor = successorKey.empty() ? keys.end() : std::ranges::find(keys, successorKey);
                if (successor != keys.end() && std::size_t(successor - keys.begin()) < mine) {
                    auto moved = entries[mine];
                    entries.erase(entries.begin() + std::ptrdiff_t(mine));
                    entries.insert(entries.begin() + (successor - keys.begin()), moved);
                }
                auto after = entryKeysOf(entries);
                auto pos = std::ranges::find_if(entries, [&](const ojson& e) { return kernelPathOf(e) == rel; });
                s.entryKey = after[std::size_t(pos - entries.begin())];
                if (job.recompile() && hasMeta(*pos) && !pythonEqual((*pos)["meta_info"], job.metaInfo)) {
                    s.note = fmt::format("the new entry's meta_info differs from the old one's as this torch records it: {}",
                                         metaDifference(job.metaInfo, (*pos)["meta_info"]));
                }
                return successor != keys.end() && std::size_t(successor - keys.begin()) < mine ? std::string() : unchanged;
            }
            // The writer appended nothing: an entry of equal meta_info stands (PyTorch wrote it meanwhile, or it
            // was there for a new-entry spec).
            auto equal = std::ranges::find_if(entries, [&](const ojson& e) { return hasMeta(e) && pythonEqual(e["meta_info"], recorded); });
            if (equal == entries.end()) {
                s.error = fmt::format("PyTorch's writer returned {} but no entry of {} names it or has its meta_info", rel, where.jsonPath());
                return unchanged;
            }
            auto keys = entryKeysOf(entries);
            auto theirs = keys[std::size_t(equal - entries.begin())];
            auto theirPath = kernelPathOf(*equal);
            std::error_code ec;
            if (!theirPath.empty() && fs::exists(deviceDir + "/" + theirPath, ec)) {
                s.entryKey = theirs;
                s.unusedFiles.push_back(libraryPath);
                s.note = fmt::format("an entry of equal meta_info ({}, library {}) stands in {}, written meanwhile by PyTorch: "
                                     "it is kept, and the library just built went to the trash", theirs, theirPath, where.jsonPath());
                return unchanged;
            }
            (*equal)["kernel_path"] = rel;
            s.entryKey = entryKeyOf(*equal);
            s.note = fmt::format("an entry of equal meta_info ({}) named a missing library ({}); it names the new one now",
                                 theirs, theirPath.empty() ? "none" : theirPath);
            return std::string();
        },
        lockTimeout);
    if (!error.empty() && error != unchanged && s.error.empty()) s.error = error;
    return s;
}

} // namespace aotiscope
