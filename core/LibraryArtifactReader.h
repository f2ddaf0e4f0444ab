// Finds and reads the sidecar files of one kernel library: its generated sources, the metadata JSON with
// the ISA and compute capability it was built for, and the exact compile and link commands.
#pragma once

#include "core/CacheModel.h"

#include <string>
#include <vector>

namespace aotiscope {

// `siblings` are the file names in the library's folder. Returns the artifacts and the names of the
// siblings that belong to this library.
LibraryArtifacts readLibraryArtifacts(const std::string& libraryPath, const std::vector<std::string>& siblings,
                                      std::vector<std::string>& owned);

// "<dir>/torch" from "-I<dir>/torch/include" or "-L<dir>/torch/lib" in a compile or link command.
std::string torchDirFromCommand(const std::string& command);

// The stem of a file name: up to the first dot ("cab.wrapper.so" -> "cab").
std::string fileStem(const std::string& name);

} // namespace aotiscope
