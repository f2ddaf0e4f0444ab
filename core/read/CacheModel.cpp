#include "core/read/CacheModel.h"

#include "core/base/FileUtil.h"

#include <algorithm>

namespace aotiscope {

const char* argKindName(ArgKind kind) {
    switch (kind) {
    case ArgKind::TensorList: return "tensor_list";
    case ArgKind::Scalar: return "scalar";
    case ArgKind::String: return "string";
    case ArgKind::Dtype: return "dtype";
    case ArgKind::Device: return "device";
    case ArgKind::Layout: return "layout";
    case ArgKind::MemoryFormat: return "memory_format";
    case ArgKind::IntList: return "int_list";
    case ArgKind::Tensor: return "tensor";
    case ArgKind::Unknown: return "unknown";
    }
    return "unknown";
}

const char* libraryRoleName(LibraryRole role) {
    switch (role) {
    case LibraryRole::Kernel: return "kernel";
    case LibraryRole::OrphanKernel: return "orphan_kernel";
    case LibraryRole::HelperBuild: return "helper_build";
    case LibraryRole::CompilerArtifact: return "compiler_artifact";
    case LibraryRole::Lock: return "lock";
    }
    return "unknown";
}

std::string entryId(const std::string& ns, const std::string& device, const std::string& op, const std::string& key) {
    auto id = ns + "/" + device + "/" + op;
    return key.empty() ? id : id + "@" + key;
}

std::string entryPosition(const std::string& ns, const std::string& device, const std::string& op, int index) {
    return ns + "/" + device + "/" + op + " #" + std::to_string(index);
}

std::set<std::string> entryKeysNamed(const OpFile& op, const std::vector<int>& positions, const std::vector<std::string>& keys) {
    std::set<std::string> out(keys.begin(), keys.end());
    for (int i : positions) {
        if (i >= 0 && std::size_t(i) < op.entries.size()) out.insert(op.entries[std::size_t(i)].key);
    }
    return out;
}

std::string_view DeviceDir::kernelRelPath(const Entry& entry, std::string& storage) const {
    if (!entry.kernelPath || entry.kernelPath->starts_with('/')) return {};
    const std::string& kernelPath = *entry.kernelPath;
    if (kernelPath.find("./") == std::string::npos && kernelPath.find("//") == std::string::npos) return kernelPath;
    storage = absolutePath(path + "/" + kernelPath);
    if (!storage.starts_with(path + "/")) return {};
    return std::string_view(storage).substr(path.size() + 1);
}

int DeviceDir::libraryIndexOf(const Entry& entry) const {
    std::string storage;
    auto rel = kernelRelPath(entry, storage);
    if (rel.empty()) return -1;
    // libFiles is sorted by relPath.
    auto it = std::lower_bound(libFiles.begin(), libFiles.end(), rel, [](const LibraryFile& f, std::string_view r) { return f.relPath < r; });
    return it != libFiles.end() && it->relPath == rel ? int(it - libFiles.begin()) : -1;
}

std::size_t CacheSnapshot::opCount() const {
    std::size_t n = 0;
    for (const auto& ns : namespaces) {
        for (const auto& dev : ns.devices) {
            n += dev.ops().size();
        }
    }
    return n;
}

std::size_t CacheSnapshot::entryCount() const {
    std::size_t n = 0;
    for (const auto& ns : namespaces) {
        for (const auto& dev : ns.devices) {
            for (const auto& op : dev.ops()) {
                n += op.entries.size();
            }
        }
    }
    return n;
}

} // namespace aotiscope
