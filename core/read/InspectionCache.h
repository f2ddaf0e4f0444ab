// Remembers what reading each library's ELF header found, keyed by the file's identity (device, inode,
// size, modification time to the nanosecond), so that linting an unchanged cache again reads no library.
// Identical summaries are stored once: a cache of 100,000 kernels built by one torch has a handful.
#pragma once

#include "core/read/CacheModel.h"

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace aotiscope {

class InspectionCache {
public:
    // Loads `file` if it exists and is valid; a missing, foreign or corrupt file is an empty cache.
    explicit InspectionCache(std::string file);

    // The remembered summary when the library is unchanged, else null. Thread-safe.
    std::shared_ptr<const ElfSummary> find(const std::string& path, const FileStat& stat) const;
    // Records a fresh summary; returns the shared instance to keep (equal summaries share one). Thread-safe.
    std::shared_ptr<const ElfSummary> remember(const std::string& path, const FileStat& stat, ElfSummary summary);
    // Writes the cache atomically (temporary file + rename) when something changed. Returns an error text.
    std::string save();

    std::size_t hits() const { return hits_; }
    std::size_t size() const { return records_.size(); }

    // $AOTISCOPE_CACHE_DIR, else $XDG_CACHE_HOME/aotiscope, else ~/.cache/aotiscope; one file per cache root.
    static std::string defaultFileFor(const std::string& root);

private:
    struct Record {
        std::uint64_t device, inode, size;
        std::int64_t mtime, mtimeNs;
        std::uint32_t body;
    };
    std::uint32_t intern(ElfSummary summary);

    std::string file_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Record> records_;
    std::vector<std::shared_ptr<const ElfSummary>> bodies_;
    std::unordered_map<std::string, std::uint32_t> bodyIndex_; // serialised body -> index
    mutable std::size_t hits_ = 0;
    bool dirty_ = false;
};

} // namespace aotiscope
