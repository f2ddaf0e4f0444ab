// FNV-1a, 64 bits: cheap and the same on every run and machine; for identities and file names, not security.
#pragma once

#include <cstdint>
#include <string_view>

namespace aotiscope {

inline constexpr std::uint64_t kFnvOffset = 1469598103934665603ULL;

// Continues the hash `h` over `bytes` (start from kFnvOffset).
inline std::uint64_t fnv1a(std::string_view bytes, std::uint64_t h = kFnvOffset) {
    for (unsigned char c : bytes) {
        h = (h ^ c) * 1099511628211ULL;
    }
    return h;
}

} // namespace aotiscope
