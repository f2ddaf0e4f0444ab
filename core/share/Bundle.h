// A bundle: entries of a cache with every file they need, named by content, and a manifest of what the machine
// that built them had and what each entry needs (torch, CUDA, CPU ISA, compute capability, glibc and libstdc++
// symbol versions, the absolute paths CUDA kernels load their binaries from). One format for a file
// (BundleArchive) and for an OCI artifact (Registry): a flat folder of `aotiscope-bundle.json` and blobs whose
// names are their SHA-256.
#pragma once

#include "core/check/HostInfo.h"
#include "core/read/CacheModel.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace aotiscope {

inline constexpr const char* kBundleManifestName = "aotiscope-bundle.json";
inline constexpr const char* kBundleSchema = "aotiscope.bundle/1";
// OCI media types: the artifact, its manifest layer, and each file's blob.
inline constexpr const char* kBundleArtifactType = "application/vnd.aotiscope.bundle.v1";
inline constexpr const char* kBundleManifestMediaType = "application/vnd.aotiscope.bundle.manifest.v1+json";
inline constexpr const char* kBundleBlobMediaType = "application/vnd.aotiscope.bundle.file.v1";

struct BundleFile {
    std::string relPath; // relative to the device folder, under lib/
    std::string sha256;
    std::uint64_t size = 0;
    bool executable = false;
};

struct BundleEntry {
    std::string ns, device, op;
    std::string key;             // identity where it was packed (EntryKey.h)
    int position = -1;           // its position in the op file there: the bundle keeps that order
    nlohmann::ordered_json entry; // {"meta_info": [...], "kernel_path": "lib/..."} exactly as PyTorch wrote it
    std::vector<BundleFile> files; // the library first, then its sidecars and kernel binaries
    // What it needs of a host, as the packing host read it: "cpu_isa", "compute_capability", "symbol_versions",
    // "needed" (DT_NEEDED), "torch_dir", "torch_version", "kernel_binaries" (absolute paths the library loads).
    nlohmann::json needs = nlohmann::json::object();
};

struct BundleManifest {
    nlohmann::json source = nlohmann::json::object(); // the packing host (doctor's facts), its cache root, when
    std::vector<BundleEntry> entries;                  // in the order PyTorch matches them, op by op
    nlohmann::ordered_json toJson() const;
    // Reads and validates (names, paths, digests); "" or what is wrong, naming the entry.
    std::string fromJson(const nlohmann::ordered_json& j); // ordered: entries keep PyTorch's key order
    // The device folder each entry came from on the packing host ("<root>/aoti_eager/<ns>/<device>").
    std::string sourceDeviceDir(const BundleEntry& e) const;
};

struct PackRequest {
    std::vector<std::string> ops; // overload names; empty: every op
    std::string ns, device;       // empty: all
};

struct PackResult {
    BundleManifest manifest;
    std::vector<std::string> skipped; // "aten/cpu/abs #1: why"
    std::uint64_t bytes = 0;          // of the distinct blobs
    std::size_t blobs = 0;
    std::string error;                // non-empty: nothing usable was written
};

// Copies the selected entries' files into `stageDir` (existing, empty) as blobs named by their digest, hashing
// what it copies (so a file changed meanwhile can never be shipped under an old digest), and writes the manifest
// there. The snapshot must be inspected (sidecars and kernel binaries). Entries without their library, or whose
// op file cannot be read, are skipped and said.
PackResult stageBundle(const CacheSnapshot& snap, const HostInfo& host, const PackRequest& request, const std::string& stageDir);

// The folder as one bundle file (BundleArchive.h): the manifest first, then the blobs. "" or what went wrong.
std::string archiveBundleFolder(const std::string& folder, const std::string& outPath);

// Reads `<dir>/aotiscope-bundle.json`; "" or what is wrong.
std::string readBundleManifest(const std::string& dir, BundleManifest& manifest);

// A private folder for staging ("<parent>/<prefix>-XXXXXX"), removed with everything in it when the object
// goes, and its parent too when that is left empty (<root>/aotiscope-staging is made on demand).
class StageDir {
public:
    StageDir(const std::string& parent, const std::string& prefix);
    ~StageDir();
    StageDir(const StageDir&) = delete;
    StageDir& operator=(const StageDir&) = delete;
    const std::string& path() const { return path_; } // empty when it could not be made: see error()
    const std::string& error() const { return error_; }

private:
    std::string path_, error_;
};

} // namespace aotiscope
