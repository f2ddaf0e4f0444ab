// Placing a bundle's entries in a cache: each entry is checked against this host first — the lint rules on the
// bundle staged as a cache of its own, then its library loaded in the isolated worker as PyTorch would — then
// its files are placed (never over a different file), then the entries go into their op files under PyTorch's
// locks, after the entries already there (so first-match order holds), never twice (PyTorch's own rule: an
// entry of equal meta_info is not appended) and never where an existing entry would shadow them. What is not
// placed is said, with the rule or the loader's message.
#pragma once

#include "core/check/HostInfo.h"
#include "core/jobs/CompileWorker.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace aotiscope {

struct UnpackOptions {
    bool dryRun = false;          // check everything, change nothing
    bool loadCheck = true;        // dlopen every library in the isolated worker before placing it
    std::string benchWorker;      // the worker for the load check; empty: the default
    int loadTimeoutMs = 120000;
    std::chrono::milliseconds lockTimeout = std::chrono::seconds(600);
    // CUDA entries whose kernel binaries would not be at the absolute paths their library loads them from are
    // recompiled here through PyTorch with this worker; nullopt: they are skipped and said.
    std::optional<CompileWorkerConfig> recompileWith;
};

struct UnpackOutcome {
    std::string ns, device, op, key;
    int position = -1;       // in the bundle's op, where it was packed
    std::string action;      // "placed", "present", "recompiled", "skipped"
    std::string reason;      // why (for every action but "placed"), in words
    std::vector<std::string> rules; // the lint rules that decided a skip
    std::string entryKey;    // the entry that holds it here now (placed, present, recompiled)
};

struct UnpackReport {
    std::string root;
    std::vector<UnpackOutcome> entries; // in bundle order
    std::vector<std::string> notes;
    std::string error; // non-empty: the bundle could not be read; nothing was changed
    std::size_t count(const std::string& action) const;
    nlohmann::json toJson() const;
    std::string summary() const;
};

// `bundleDir` holds the manifest and the blobs (a bundle file extracted, or an artifact pulled). Staging goes to
// <root>/aotiscope-staging/ (the same file system, so placing a file is a rename) and is removed afterwards.
UnpackReport unpackBundle(const std::string& bundleDir, const std::string& root, const HostInfo& host, const UnpackOptions& options);
// The same for a bundle file (BundleArchive.h), extracted beside the cache first; an archive that cannot be read
// whole (damaged, truncated, a member that is not a flat plain file) changes nothing and is the report's error.
UnpackReport unpackBundleFile(const std::string& file, const std::string& root, const HostInfo& host, const UnpackOptions& options);

} // namespace aotiscope
