#include "core/base/MemoryTuning.h"

#include <malloc.h>

namespace aotiscope {

void keepFreedMemoryForReuse() {
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
}

} // namespace aotiscope
