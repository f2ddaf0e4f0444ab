// Which entry a call runs, as PyTorch's kernel holder decides it for entries loaded from disk
// (AOTIKernelMetadata::check in torch/csrc/inductor/aoti_eager/kernel_meta_info.cpp, torch 2.13): the first entry
// whose guard fields all equal the call's wins; none, and the call misses (PyTorch compiles during the call). A
// miss is explained by the nearest entries and each guard field that differs.
#pragma once

#include "core/read/CacheModel.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aotiscope {

struct GuardDifference {
    int arg = -1;      // -1: the entry as a whole (argument count)
    std::string field; // "sizes", "dtype", "scalar value", "kind", ...
    std::string entry, call;
};

// Where the holder's entry came from. Entries loaded from disk are guarded with their own dispatch key set on
// both sides and by device index only. Since torch 2.13 the holder also keeps the kernel it compiled on a miss
// in memory, guarded with the calling process's state: the key set and the device type count (asked of torch
// 2.13 in tst_registration; torch 2.11 keeps nothing and compiles every miss again).
enum class EntryOrigin : std::uint8_t { Disk, InMemory };

// The guard fields of `cached` that differ from the call's (both in the entry form: a call is the meta_info
// PyTorch's writer would record for it). Empty: the call matches.
std::vector<GuardDifference> guardDifferences(const Entry& cached, const Entry& call, EntryOrigin origin = EntryOrigin::Disk);

struct MatchResult {
    int entry = -1; // position of the entry the call runs; -1: a miss
    struct Near {
        int entry;
        std::vector<GuardDifference> differences;
    };
    std::vector<Near> nearest; // on a miss: the entries with the fewest differing fields, closest first
    // Why no entry can run whatever the call: the loader drops the op, or its registration fails.
    std::string opState;
};

MatchResult matchCall(const OpFile& op, const DeviceDir& dev, const Entry& call);

// Whether this torch keeps a kernel compiled on a miss in memory for the rest of the process: true for 2.13,
// false for 2.11 (both asked of PyTorch), nullopt for a release nobody asked.
std::optional<bool> keepsMissesInMemory(const std::string& torchVersion);

// A call written as the meta_info PyTorch's writer records (a list, or {"meta_info": [...]}), read as an entry;
// false with `error` saying what is wrong.
bool parseCallSpec(const std::string& jsonText, Entry& call, std::string& error);

// The matcher's answer in words: the entry the call runs, or why it misses and the fields that differ.
std::string describeMatch(const OpFile& op, const MatchResult& m);

} // namespace aotiscope
