// Rewrites one <op>.json the only safe way while PyTorch may be reading or writing it: both of PyTorch's locks
// held (the writer's lib/locks/<op>.lock, then the readers' <root>/locks/<op>.lock), the current content read
// again under them, a temporary file in the same folder written, fsynced and renamed over the old one. A crash
// leaves the old file or the new one, never a truncated one.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace aotiscope {

struct OpLocation {
    std::string root, ns, device, op;
    std::string deviceDir() const { return root + "/aoti_eager/" + ns + "/" + device; }
    std::string jsonPath() const { return deviceDir() + "/" + op + ".json"; }
    // torch/_inductor/aoti_eager.py: readers lock <cache dir>/locks/<op>.lock; the writer runs with the cache
    // dir pointed at lib/, so it locks lib/locks/<op>.lock.
    std::string readerLock() const { return root + "/locks/" + op + ".lock"; }
    std::string writerLock() const { return deviceDir() + "/lib/locks/" + op + ".lock"; }
};

// Reads the op's entries (an empty list when the file does not exist) under both locks, lets `edit` change
// them, and writes the result as PyTorch does (json.dump, indent 4) — or removes the file when `edit` leaves
// it empty and `removeWhenEmpty`. `edit` returns "" to go on, or why it refuses (nothing is written then).
// Returns "" on success, else what went wrong (nothing is changed then).
std::string rewriteOpFile(const OpLocation& where, const std::function<std::string(nlohmann::ordered_json& entries)>& edit,
                          std::chrono::milliseconds lockTimeout, bool removeWhenEmpty = false,
                          const std::string& removedCopyPath = {});

// Parses op JSON as Python's json module does (NaN and Infinity allowed), keeping non-finite numbers.
nlohmann::ordered_json parseOpJson(const std::string& text, std::string& error);
// The entries of an op file as they are now; an empty list when it cannot be read or parsed.
nlohmann::ordered_json readOpEntries(const std::string& path);
// Serialises as json.dump(entries, f, indent=4) does (ASCII only, non-finite numbers as NaN/Infinity).
std::string dumpOpJson(const nlohmann::ordered_json& entries);

} // namespace aotiscope
