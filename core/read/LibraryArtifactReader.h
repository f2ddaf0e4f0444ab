// Finds and reads the sidecar files of one kernel library: its generated sources, the metadata JSON with
// the ISA and compute capability it was built for, and the exact compile and link commands.
#pragma once

#include "core/read/CacheModel.h"

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace aotiscope {

// The file names of one folder, grouped by stem, so that finding a library's sidecars costs a lookup and
// not a pass over a folder of thousands of files.
using SiblingIndex = std::unordered_map<std::string, std::vector<std::string>>;
SiblingIndex indexSiblings(const std::vector<std::string>& names);

// Returns the artifacts of the library and, in `owned`, the names of its folder's files that belong to it.
LibraryArtifacts readLibraryArtifacts(const std::string& libraryPath, const SiblingIndex& siblings,
                                      std::vector<std::string>& owned);

// The largest N of "#pragma omp parallel num_threads(N)" in generated C++ source; 0 when there is none.
int fixedOpenMpThreads(std::string_view source);

// Absolute paths of GPU kernel binaries (.cubin, .hsaco, .spv, .fatbin) named in a text: the wrapper source's
// string literals or a library's NUL-terminated strings. Sorted, each once.
std::vector<std::string> kernelBinaryPaths(std::string_view text);

// "<dir>/torch" from "-I<dir>/torch/include" or "-L<dir>/torch/lib" in a compile or link command.
std::string torchDirFromCommand(const std::string& command);

// The stem of a file name: up to the first dot ("cab.wrapper.so" -> "cab").
std::string fileStem(const std::string& name);

} // namespace aotiscope
