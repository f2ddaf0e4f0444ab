// Remembers `ls`'s finished listing of a cache root, so that listing an unchanged cache again reads no op file,
// parses nothing and lints nothing. A remembered listing is used only when everything it rests on is as it was:
// every entry under aoti_eager/ (name and identity: FolderState), the host's facts and the AOTIScope binary
// (hostDigest), and each path outside the cache that lint consulted (PathProbes: torch's libraries, the loader's
// folders, absolute kernel paths). Anything else: the listing is made again, and remembered again only when the
// folder did not change while it was made and nothing in it changed within the last second (the kernel's file
// times are coarser than a write, so a fresher file could change again and look the same).
#pragma once

#include "core/base/PathState.h"
#include "core/check/HostInfo.h"

#include <optional>
#include <string>
#include <vector>

namespace aotiscope {

struct ListingKey {
    std::string root;         // absolute
    std::string folderDigest; // FolderState::digest of root/aoti_eager
    std::string hostDigest;   // hostDigest()
};

// The digest of what lint's verdicts take from the host: every fact of `host` and the identity of the running
// AOTIScope binary (another build may judge otherwise).
std::string hostDigest(const HostInfo& host);

// Where a root's listing is remembered: AOTIScope's cache folder, beside its inspection cache (perRootCacheFile).
std::string listingIndexFileFor(const std::string& root);

// The remembered listing (aotiscope.ls/1 JSON text) when `file` holds one made for `key` and every path it
// probed is as it was; else nullopt, with `why` saying what differs (for the log).
std::optional<std::string> rememberedListing(const std::string& file, const ListingKey& key, std::string& why);

// Remembers `listing` for `key`; returns an empty string, else what could not be written.
std::string rememberListing(const std::string& file, const ListingKey& key, const std::vector<PathProbes::Probe>& probes,
                            const std::string& listing);

} // namespace aotiscope
