// Safe management of a cache: delete entries or ops, prune orphan libraries, repair ops, evict by age or size.
// Every change is first a plan (what goes, how many bytes: the dry run), then applied with PyTorch's locks
// (see OpFileWriter). Removed entries and files go to <root>/aotiscope-trash/<id>/ with a manifest, so any
// change can be undone with restoreTrash().
#pragma once

#include "core/read/CacheModel.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace aotiscope {

struct PlannedEntryRemoval {
    std::string ns, device, op;
    int index = -1;               // its position when planned, for people
    std::string key;              // its identity (EntryKey.h): what applying looks for
    nlohmann::ordered_json entry; // as read when planning
    std::string reason;
};

struct PlannedFile {
    std::string path; // absolute, inside the root
    std::uint64_t bytes = 0;
    std::string reason;
};

struct EditPlan {
    std::string root;
    std::string operation; // "rm", "prune", "repair", "evict"
    std::vector<PlannedEntryRemoval> entries;
    std::vector<PlannedFile> files;
    std::vector<std::string> notes; // what was left alone and why
    std::uint64_t bytes() const;
    bool empty() const { return entries.empty() && files.empty(); }
    std::string summary() const;
    nlohmann::ordered_json toJson() const;
};

// The snapshot must come from a scan with inspectLibraries on (sidecars are planned with their library).
// Entries by identity (entry keys, or positions "#N" of this snapshot, turned into keys here); an empty list
// plans nothing (deleting a whole op is planDeleteOp: never by accident).
EditPlan planDeleteEntries(const CacheSnapshot& snap, const std::string& ns, const std::string& device,
                           const std::string& op, const std::vector<std::string>& keys);
EditPlan planDeleteEntriesAt(const CacheSnapshot& snap, const std::string& ns, const std::string& device,
                             const std::string& op, const std::vector<int>& indices, const std::vector<std::string>& alsoKeys = {});
// Every entry of the op (in each namespace and device, unless narrowed), its file, and their libraries. An op
// file that cannot be read or parsed is moved whole (PyTorch ignores it; the libraries it may name stay).
EditPlan planDeleteOp(const CacheSnapshot& snap, const std::string& ns, const std::string& device, const std::string& op);
// Orphan kernel libraries (and their sidecars) no younger than `minAge`: PyTorch writes the library before
// the entry that names it, so a fresh orphan may be a compile in progress.
EditPlan planPrune(const CacheSnapshot& snap, std::chrono::seconds minAge);
// Entries whose library is missing (they make PyTorch ignore the whole op) and shadowed duplicates.
EditPlan planRepair(const CacheSnapshot& snap, const std::string& op /* empty: every op */);
// Entries (oldest library first) older than `olderThan`, or until the libraries take at most `maxBytes`.
EditPlan planEvict(const CacheSnapshot& snap, std::optional<std::chrono::seconds> olderThan,
                   std::optional<std::uint64_t> maxBytes);

struct ApplyResult {
    std::string trashId;
    std::size_t entriesRemoved = 0;
    std::size_t filesMoved = 0;
    std::uint64_t bytes = 0;
    std::vector<std::string> errors;
    nlohmann::ordered_json toJson() const;
};

ApplyResult applyPlan(const EditPlan& plan, std::chrono::milliseconds lockTimeout);

// Takes entries out of one op file under PyTorch's locks into a new trash record (restorable, in place, with
// restoreTrash). `select` sees the entries and their keys as they are now, under the locks, and fills the
// positions to take out, or returns why it refuses (then nothing changes).
struct TakeOut {
    std::string trashId;
    std::vector<nlohmann::ordered_json> removed;
    std::vector<std::string> removedKeys;
    std::string successorKey; // the entry that followed the first removed one and stays; empty: none
    std::string error;
};
using TakeOutSelector = std::function<std::string(const nlohmann::ordered_json& entries, const std::vector<std::string>& keys,
                                                  std::vector<std::size_t>& positions)>;
TakeOut takeOutEntries(const std::string& root, const std::string& ns, const std::string& device, const std::string& op,
                       const std::string& operation, const TakeOutSelector& select, std::chrono::milliseconds lockTimeout);
// Moves files (inside the root) into an existing trash record, or a new one when trashId is empty. A library
// (.so) goes with its sidecars, and only while no entry of its folder names it.
ApplyResult trashFiles(const std::string& root, const std::string& trashId, const std::string& operation,
                       const std::vector<std::string>& paths);

struct TrashRecord {
    std::string id;
    std::string operation;
    std::int64_t created = 0;
    std::size_t entries = 0, files = 0;
    std::uint64_t bytes = 0;
};
std::string trashDir(const std::string& root);
std::vector<TrashRecord> listTrash(const std::string& root); // newest first
// Puts back the files, then the entries (so no entry ever names a missing library), then drops the record.
ApplyResult restoreTrash(const std::string& root, const std::string& id, std::chrono::milliseconds lockTimeout);

} // namespace aotiscope
