// Reads what a dynamic loader would need from an ELF shared object (DT_NEEDED, run paths, exported
// AOTInductor symbols) straight from the file: the library is never loaded, so none of its code runs.
#pragma once

#include "core/read/CacheModel.h"

#include <string>

namespace aotiscope {

ElfSummary readElfSummary(const std::string& path);

} // namespace aotiscope
