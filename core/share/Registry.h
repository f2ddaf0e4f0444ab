// An OCI registry as a place for bundles: the bundle folder pushed as an artifact and pulled back, through
// oras-py in the project's Python (workers/registry/oci_transfer.py). Nothing here writes into a cache: a pulled
// folder is unpacked (Unpack.h), which checks every blob against the manifest first.
#pragma once

#include "core/share/Unpack.h"

#include <nlohmann/json.hpp>

#include <string>

namespace aotiscope {

struct RegistryOptions {
    std::string python;     // empty: the interpreter of the active torch
    bool insecure = false;  // plain HTTP (a registry on loopback)
    int timeoutMs = 3600 * 1000;
};

struct TransferResult {
    bool ok = false;
    std::string error;  // what the registry or the client said, with the reference
    nlohmann::json info = nlohmann::json::object(); // files, bytes
};

TransferResult pushBundleFolder(const std::string& folder, const std::string& ref, const RegistryOptions& options);
// Into `folder` (existing, empty).
TransferResult pullBundleFolder(const std::string& ref, const std::string& folder, const RegistryOptions& options);

// Pulls the bundle beside the cache and unpacks it (Unpack.h); a pull that fails changes nothing and is the
// report's error.
UnpackReport unpackFromRegistry(const std::string& ref, const std::string& root, const HostInfo& host,
                                const RegistryOptions& registry, const UnpackOptions& options);

} // namespace aotiscope
