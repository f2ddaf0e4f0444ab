// Small filesystem helpers that report errors as text with the path in it instead of throwing.
#pragma once

#include "core/read/CacheModel.h"

#include <string>
#include <string_view>

struct stat;

namespace aotiscope {

// Reads a whole file, reserving `padding` extra bytes after its end (simdjson needs them). Returns an empty
// string on success, else "cannot read <path>: <reason>".
std::string readWholeFile(const std::string& path, std::string& out, std::size_t padding = 0);
// Reads at most `limit` bytes from the end of a file (for the compile command at the end of a source).
std::string readFileTail(const std::string& path, std::size_t limit);
// Writes `content` to `path` through a temporary file beside it and a rename, making the folder first: a reader
// sees the old file or the new one, never a part. Returns an empty string, else what failed and where.
std::string replaceFile(const std::string& path, std::string_view content);
// AOTIScope's own cache folder: $AOTISCOPE_CACHE_DIR, else $XDG_CACHE_HOME/aotiscope, else ~/.cache/aotiscope;
// empty when none of them is set.
std::string aotiscopeCacheDir();
// A file of that folder kept for one cache root: "<dir>/<kind>-<hash of the root's absolute path>.<ext>"; empty
// when there is no folder.
std::string perRootCacheFile(const std::string& root, std::string_view kind, std::string_view ext);
FileStat statFile(const std::string& path);
// The identity of what stat(2), lstat(2) or fstatat(2) filled in (the walks of lib/ stat each file once).
FileStat fileStatOf(const struct stat& st);
// The same file as when it was stat-ed before: existence, size, modification time to the nanosecond, inode, device.
bool sameFile(const FileStat& a, const FileStat& b);
// Lexical normalisation as Python's os.path.abspath: absolute, "." and ".." folded, no symlink resolved.
std::string absolutePath(std::string_view path);
// True when `path` (already normalised) is `root` or below it.
bool isWithin(std::string_view path, std::string_view root);
std::string humanBytes(std::uint64_t bytes);

} // namespace aotiscope
