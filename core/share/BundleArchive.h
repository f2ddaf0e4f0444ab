// A bundle as one file: a POSIX ustar archive holding only plain files in one flat folder (the bundle manifest
// and blobs named by their SHA-256), so that `tar`, Python's tarfile and any OCI tool can read it, and reading
// one can never write outside the folder it is unpacked into.
#pragma once

#include <string>
#include <vector>

namespace aotiscope {

struct ArchiveMember {
    std::string name;       // flat: letters, digits, '.', '_', '-'; no leading '.'
    std::string sourcePath; // the file whose content goes in
};

// Writes the archive through a temporary file beside `outPath`, renamed into place when complete. Returns ""
// or what went wrong (which member, which file); on failure nothing is left at `outPath`.
std::string writeFlatArchive(const std::string& outPath, const std::vector<ArchiveMember>& members);

// Extracts every member into `destDir` (which must exist and be empty). Refuses, naming the member and its
// offset, anything but plain files with flat names, duplicate names, a bad header checksum and a truncated
// archive. Returns "" or the reason; `names` gets what was extracted.
std::string readFlatArchive(const std::string& archivePath, const std::string& destDir, std::vector<std::string>& names);

bool isFlatMemberName(const std::string& name);

} // namespace aotiscope
