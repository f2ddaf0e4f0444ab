#include "core/read/CacheSizes.h"

#include <set>

namespace aotiscope {

std::uint64_t entryBytes(const DeviceDir& dev, const Entry& entry) {
    const LibraryFile* lib = dev.libraryOf(entry);
    return lib ? lib->stat.size + lib->artifactBytes : 0;
}

DeviceSizes deviceSizes(const DeviceDir& dev) {
    DeviceSizes s;
    s.opBytes.assign(dev.ops().size(), 0);
    for (const auto& f : dev.libFiles) {
        s.total += f.stat.size;
        if (f.role == LibraryRole::OrphanKernel) s.orphan += f.stat.size + f.artifactBytes;
        if (f.referencedBy.empty()) continue;
        s.referenced += f.stat.size + f.artifactBytes;
        std::set<std::uint32_t> ops; // a library named twice by one op counts once for it
        for (const auto& ref : f.referencedBy) {
            if (ops.insert(ref.op).second) s.opBytes[ref.op] += f.stat.size + f.artifactBytes;
        }
    }
    // Sidecars are files of lib/ too: what is neither named nor orphan is the compiler's own.
    s.other = s.total >= s.referenced + s.orphan ? s.total - s.referenced - s.orphan : 0;
    return s;
}

} // namespace aotiscope
