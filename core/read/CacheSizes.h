// How big a device folder's lib/ is, counted one way for the tree, `ls` and the evict dialog: every file under
// lib/ once, split into the libraries entries name (with their sidecars), orphan kernels (with theirs), and the
// compiler's own files (helper builds, cubins, autotuning records, locks). An op counts each library its
// entries name once; an entry counts its library and that library's sidecars.
#pragma once

#include "core/read/CacheModel.h"

#include <cstdint>
#include <vector>

namespace aotiscope {

struct DeviceSizes {
    std::uint64_t total = 0;      // every file under lib/
    std::uint64_t referenced = 0; // libraries named by entries, and their sidecars
    std::uint64_t orphan = 0;     // orphan kernels and their sidecars
    std::uint64_t other = 0;      // the rest: what the compiler keeps for itself
    std::vector<std::uint64_t> opBytes; // per op of DeviceDir::ops(), in its order
};

DeviceSizes deviceSizes(const DeviceDir& dev);
std::uint64_t entryBytes(const DeviceDir& dev, const Entry& entry);

} // namespace aotiscope
