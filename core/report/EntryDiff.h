// Schema-aware comparison of two entries (same op, another op, or another cache) and of whole caches.
// Guard-relevant fields come first, in the order PyTorch's matcher compares them.
#pragma once

#include <map>
#include "core/read/CacheModel.h"

#include <string>
#include <vector>

namespace aotiscope {

struct DiffRow {
    std::string field;   // "arg 0 dtype", "kernel_path", ...
    std::string left, right;
    bool guard = false;  // compared when PyTorch matches a call
    bool differs = false;
};

struct EntryDiff {
    std::vector<DiffRow> rows;
    std::string verdict; // in words, e.g. "identical guards: the second entry is never used"
    bool sameGuards = false;
};

// `sameOpFile`: both entries live in the same op file, so the later one is shadowed by the earlier one.
EntryDiff diffEntries(const Entry& left, const Entry& right, bool sameOpFile);

struct EntryLocation {
    std::string ns, device, op;
    int entry = -1;
    std::string key;     // the entry's identity in its cache
    std::string summary; // its arguments in words: "tensor float32[4, 8] cpu, scalar int 2"
};

struct CacheDiff {
    std::vector<EntryLocation> added;    // in the right cache only (by op and guard fields)
    std::vector<EntryLocation> removed;  // in the left cache only
    // Same op and guards, different kernel_path or unknown fields: (left, right)
    std::vector<std::pair<EntryLocation, EntryLocation>> changed;
    std::vector<std::string> changeReasons; // per changed pair: "kernel_path lib/a.so -> lib/b.so", ...
    std::size_t unchanged = 0;
    std::map<std::string, std::size_t> unchangedByOp; // "ns/device/op" -> entries equal on both sides
};

CacheDiff diffCaches(const CacheSnapshot& left, const CacheSnapshot& right);

} // namespace aotiscope
