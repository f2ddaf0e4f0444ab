// libFuzzer entry point (scripts/fuzz.sh builds it with clang, ASan and UBSan).
#include "fuzz/FuzzOpFile.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    aotiscope::fuzz::runOneOpFile({reinterpret_cast<const char*>(data), size});
    return 0;
}
