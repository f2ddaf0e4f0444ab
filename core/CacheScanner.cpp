#include "core/CacheScanner.h"

#include "core/ElfReader.h"
#include "core/InspectionCache.h"
#include "core/FileUtil.h"
#include "core/HostInfo.h"
#include "core/LibraryArtifactReader.h"
#include "core/OpFileParser.h"
#include "core/Parallel.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <unordered_map>

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace aotiscope {

namespace {

std::vector<fs::directory_entry> sortedChildren(const fs::path& dir, std::string& error) {
    std::vector<fs::directory_entry> out;
    std::error_code ec;
    fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
        error = fmt::format("cannot list {}: {}", dir.string(), ec.message());
        return out;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) {
            error = fmt::format("cannot list {}: {}", dir.string(), ec.message());
            break;
        }
        out.push_back(*it);
    }
    std::ranges::sort(out, {}, [](const fs::directory_entry& e) { return e.path().filename().string(); });
    return out;
}

bool isDir(const fs::directory_entry& e) {
    std::error_code ec;
    return e.is_directory(ec) && !e.is_symlink(ec);
}

// Walks one folder tree with readdir and fstatat (std::filesystem costs several times more per file).
// Symlinks are recorded, never followed: a symlink loop cannot trap the walk.
void walkTree(const std::string& dir, const std::string& devPath, std::vector<LibraryFile>& out, std::string& error,
              std::vector<std::string>* subdirsOut = nullptr) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        error = fmt::format("cannot list {}: {}", dir, std::strerror(errno));
        return;
    }
    int dfd = ::dirfd(d);
    std::vector<std::string> subdirs;
    while (dirent* e = ::readdir(d)) {
        std::string_view name = e->d_name;
        if (name == "." || name == "..") {
            continue;
        }
        struct stat st {};
        if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            continue; // vanished while walking
        }
        auto path = dir + "/" + std::string(name);
        if (S_ISDIR(st.st_mode)) {
            subdirs.push_back(std::move(path));
            continue;
        }
        LibraryFile f;
        f.isSymlink = S_ISLNK(st.st_mode);
        f.relPath = path.substr(devPath.size() + 1);
        if (f.isSymlink) {
            f.stat = statFile(path);
        } else {
            f.stat = FileStat{true, std::uint64_t(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_dev, st.st_ino};
        }
        f.path = std::move(path);
        out.push_back(std::move(f));
    }
    ::closedir(d);
    if (subdirsOut) {
        *subdirsOut = std::move(subdirs); // the caller walks them, in parallel
        return;
    }
    for (const auto& sub : subdirs) {
        walkTree(sub, devPath, out, error);
    }
}

// Every file under lib/, its top-level folders walked in parallel.
void walkLib(DeviceDir& dev, unsigned threads) {
    auto lib = dev.path + "/lib";
    struct stat st {};
    if (::lstat(lib.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return;
    }
    std::vector<std::string> top;
    std::string topError;
    walkTree(lib, dev.path, dev.libFiles, topError, &top); // lib/'s own files, and its folders
    std::vector<std::vector<LibraryFile>> parts(top.size());
    std::vector<std::string> errors(top.size());
    errors.push_back(topError);
    parts.emplace_back();
    parallelFor(top.size(), threads, [&](std::size_t i, unsigned) { walkTree(top[i], dev.path, parts[i], errors[i]); });
    for (std::size_t i = 0; i < parts.size(); ++i) {
        std::move(parts[i].begin(), parts[i].end(), std::back_inserter(dev.libFiles));
        if (!errors[i].empty()) {
            dev.error = errors[i];
        }
    }
    std::ranges::sort(dev.libFiles, {}, &LibraryFile::relPath);
}

bool isSharedObject(const std::string& name) {
    return name.ends_with(".so") || name.find(".so.") != std::string::npos;
}

// Joins entries to the files of lib/ and resolves symlinks; no file is opened.
void linkEntries(const std::string& root, DeviceDir& dev, unsigned threads) {
    // libFiles is sorted by relPath: an entry's library is found by binary search on its normalised path.
    auto findLibrary = [&](const std::string& kernelPath) -> int {
        std::string normalised;
        std::string_view rel = kernelPath;
        if (kernelPath.find("./") != std::string::npos || kernelPath.find("//") != std::string::npos) {
            normalised = absolutePath(dev.path + "/" + kernelPath);
            if (!normalised.starts_with(dev.path + "/")) {
                return -1;
            }
            rel = std::string_view(normalised).substr(dev.path.size() + 1);
        }
        auto it = std::lower_bound(dev.libFiles.begin(), dev.libFiles.end(), rel,
                                   [](const LibraryFile& f, std::string_view r) { return f.relPath < r; });
        return it != dev.libFiles.end() && it->relPath == rel ? int(it - dev.libFiles.begin()) : -1;
    };
    for (std::size_t o = 0; o < dev.opFiles->size(); ++o) {
        for (auto& entry : (*dev.opFiles)[o].entries) {
            if (!entry.kernelPath || entry.kernelPath->starts_with('/')) {
                continue;
            }
            entry.library = findLibrary(*entry.kernelPath);
            if (entry.library >= 0) {
                dev.libFiles[std::size_t(entry.library)].referencedBy.push_back({std::uint32_t(o), entry.index});
            }
        }
    }
    parallelFor(dev.libFiles.size(), threads, [&](std::size_t i, unsigned) {
        auto& f = dev.libFiles[i];
        if (f.isSymlink) {
            std::error_code ec;
            auto target = fs::canonical(f.path, ec);
            f.resolvedPath = ec ? std::string() : target.string();
            f.escapesRoot = !ec && !isWithin(f.resolvedPath, root);
        }
    });
}

// Classifies the files of lib/ and reads ELF headers and sidecars: of every shared object when `inspect`,
// else of the unreferenced ones only (to tell orphan kernels from helper builds).
void inspectDevice(DeviceDir& dev, bool inspect, unsigned threads, InspectionCache& cache) {
    std::unordered_map<std::string, std::size_t> ownerOf; // sidecar path -> library index
    std::vector<std::size_t> toInspect;
    auto nameOf = [](const std::string& path) { return std::string_view(path).substr(path.rfind('/') + 1); };
    auto dirOf = [](const std::string& path) { return std::string_view(path).substr(0, path.rfind('/')); };
    for (std::size_t i = 0; i < dev.libFiles.size(); ++i) {
        auto& f = dev.libFiles[i];
        f.artifactBytes = 0;
        std::string name(nameOf(f.path));
        if (f.relPath.starts_with("lib/locks/") || name.ends_with(".lock")) {
            f.role = LibraryRole::Lock;
        } else if (isSharedObject(name)) {
            f.role = LibraryRole::Kernel;
            if (!f.escapesRoot && (f.referencedBy.empty() || inspect)) {
                toInspect.push_back(i);
            }
        }
    }
    // Folder -> its files by stem, to find each library's sidecars; built only when something is inspected.
    std::unordered_map<std::string, SiblingIndex> siblings;
    if (!toInspect.empty()) {
        std::unordered_map<std::string, std::vector<std::string>> names;
        for (const auto& f : dev.libFiles) {
            auto slash = f.path.rfind('/');
            names[f.path.substr(0, slash)].push_back(f.path.substr(slash + 1));
        }
        for (auto& [dir, list] : names) {
            siblings.emplace(dir, indexSiblings(list));
        }
    }
    // ELF headers and sidecars: the costly part of a scan, spread over the cores.
    std::vector<std::vector<std::string>> owned(toInspect.size());
    // The version of each torch install that built libraries here, read once per install: which release wrote
    // an entry decides how its dispatch key sets are named (DispatchKeys.h).
    std::mutex versionsMutex;
    std::unordered_map<std::string, std::string> versionOfTorchDir;
    auto torchVersionAt = [&](const std::string& dir) {
        std::lock_guard lock(versionsMutex);
        auto it = versionOfTorchDir.find(dir);
        if (it == versionOfTorchDir.end()) it = versionOfTorchDir.emplace(dir, readTorchVersion(dir)).first;
        return it->second;
    };
    parallelFor(toInspect.size(), threads, [&](std::size_t k, unsigned) {
        auto& f = dev.libFiles[toInspect[k]];
        auto name = nameOf(f.path);
        auto elf = cache.find(f.path, f.stat);
        if (!elf) {
            elf = cache.remember(f.path, f.stat, readElfSummary(f.path));
        }
        f.elf = elf;
        bool exportsRunnerApi = std::ranges::find(elf->aotiSymbols, "AOTInductorModelContainerCreateWithDevice") !=
                                elf->aotiSymbols.end();
        if (f.referencedBy.empty()) {
            f.role = exportsRunnerApi || name.ends_with(".wrapper.so") ? LibraryRole::OrphanKernel : LibraryRole::HelperBuild;
        }
        auto artifacts = readLibraryArtifacts(f.path, siblings.at(std::string(dirOf(f.path))), owned[k]);
        if (!artifacts.torchDir.empty()) artifacts.torchVersion = torchVersionAt(artifacts.torchDir);
        // A library without sidecars (copied alone, or sidecars deleted) has nothing to keep.
        if (f.role != LibraryRole::HelperBuild && !(owned[k].empty() && artifacts.wrapperSource.empty())) {
            f.artifacts = std::make_shared<const LibraryArtifacts>(std::move(artifacts));
        }
    });
    for (std::size_t k = 0; k < toInspect.size(); ++k) {
        std::string dir(dirOf(dev.libFiles[toInspect[k]].path));
        for (const auto& o : owned[k]) {
            ownerOf.emplace(dir + "/" + o, toInspect[k]);
        }
    }
    // Sidecar bytes: files owned through their stem, or kept in a folder named after a library's stem
    // (torch 2.13 puts the weights of "<stem>.wrapper.so" in "<stem>/").
    std::vector<std::size_t> unowned;
    for (std::size_t i = 0; i < dev.libFiles.size(); ++i) {
        const auto& f = dev.libFiles[i];
        if (f.role == LibraryRole::Lock || f.role == LibraryRole::Kernel || f.role == LibraryRole::OrphanKernel) {
            continue;
        }
        if (auto it = ownerOf.find(f.path); it != ownerOf.end()) {
            dev.libFiles[it->second].artifactBytes += f.stat.size;
        } else {
            unowned.push_back(i);
        }
    }
    if (unowned.empty()) {
        return;
    }
    std::unordered_map<std::string, std::size_t> libByStemDir;
    for (std::size_t i = 0; i < dev.libFiles.size(); ++i) {
        const auto& f = dev.libFiles[i];
        if (f.role == LibraryRole::Kernel || f.role == LibraryRole::OrphanKernel) {
            libByStemDir.emplace(std::string(dirOf(f.path)) + "/" + fileStem(std::string(nameOf(f.path))), i);
        }
    }
    for (auto i : unowned) {
        if (auto it = libByStemDir.find(std::string(dirOf(dev.libFiles[i].path))); it != libByStemDir.end()) {
            dev.libFiles[it->second].artifactBytes += dev.libFiles[i].stat.size;
        }
    }
}

} // namespace

CacheSnapshot inspectSnapshot(const CacheSnapshot& fast, const ScanOptions& options) {
    auto started = std::chrono::steady_clock::now();
    CacheSnapshot snap = fast; // copies lib/ inventories; the op files stay shared
    unsigned threads = options.threads ? options.threads : defaultThreadCount();
    InspectionCache transient("");
    InspectionCache& inspections = options.inspectionCache ? *options.inspectionCache : transient;
    for (auto& ns : snap.namespaces) {
        for (auto& dev : ns.devices) {
            inspectDevice(dev, true, threads, inspections);
        }
    }
    snap.scanSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return snap;
}

KernelPathResolution resolveKernelPath(const std::string& root, const std::string& deviceDir,
                                       const std::string& kernelPath) {
    KernelPathResolution r;
    // pathlib: joining an absolute path replaces the base, exactly as PyTorch's loader does.
    r.joined = kernelPath.starts_with('/') ? absolutePath(kernelPath) : absolutePath(deviceDir + "/" + kernelPath);
    std::error_code ec;
    auto canonical = fs::canonical(r.joined, ec);
    r.exists = !ec && fs::exists(canonical, ec);
    if (r.exists) {
        r.resolved = canonical.string();
    }
    std::error_code rec;
    auto rootCanonical = fs::canonical(root, rec);
    auto rootReal = rec ? root : rootCanonical.string();
    if (!isWithin(r.joined, root)) {
        r.escapesRoot = true;
        r.escapeReason = kernelPath.starts_with('/') ? "absolute path outside the cache root"
                                                     : "\"..\" leads out of the cache root";
    } else if (r.exists && !isWithin(r.resolved, rootReal)) {
        r.escapesRoot = true;
        r.escapeReason = "a symlink leads out of the cache root to " + r.resolved;
    }
    return r;
}

namespace {

bool sameFile(const FileStat& a, const FileStat& b) {
    return a.exists == b.exists && a.size == b.size && a.mtime == b.mtime && a.mtimeNs == b.mtimeNs &&
           a.inode == b.inode && a.device == b.device;
}

std::vector<std::string> childDirNames(const fs::path& dir) {
    std::string error;
    std::vector<std::string> names;
    for (const auto& e : sortedChildren(dir, error)) {
        if (isDir(e)) names.push_back(e.path().filename().string());
    }
    return names;
}

} // namespace

std::string DiskChanges::summary() const {
    if (!any()) return "nothing";
    auto list = [](const std::vector<std::string>& xs, const char* one, const char* many) {
        std::vector<std::string> shown(xs.begin(), xs.begin() + std::ptrdiff_t(std::min<std::size_t>(xs.size(), 3)));
        return fmt::format("{} {} ({}{})", xs.size(), xs.size() == 1 ? one : many, fmt::join(shown, ", "),
                           xs.size() > 3 ? ", ..." : "");
    };
    if (ops.empty()) return list(folders, "folder", "folders");
    if (folders.empty()) return list(ops, "op file", "op files");
    return list(ops, "op file", "op files") + ", " + list(folders, "folder", "folders");
}

DiskChanges changesSince(const CacheSnapshot& snap, unsigned threadsArg) {
    DiskChanges c;
    std::error_code ec;
    if (fs::is_directory(snap.eagerDir, ec) != snap.eagerDirExists) {
        c.folders.push_back(snap.eagerDir);
        return c;
    }
    if (!snap.eagerDirExists) return c;
    unsigned threads = threadsArg ? threadsArg : defaultThreadCount();
    std::vector<std::string> nsNames;
    for (const auto& ns : snap.namespaces) nsNames.push_back(ns.name);
    if (childDirNames(snap.eagerDir) != nsNames) c.folders.push_back(snap.eagerDir);
    for (const auto& ns : snap.namespaces) {
        std::vector<std::string> devNames;
        for (const auto& dev : ns.devices) devNames.push_back(dev.name);
        if (childDirNames(ns.path) != devNames) c.folders.push_back(ns.path);
        for (const auto& dev : ns.devices) {
            auto where = ns.name + "/" + dev.name + "/";
            // Op files by name: added or removed ones from the listing, rewritten ones from their stat.
            std::string error;
            std::vector<std::string> onDisk;
            for (const auto& f : sortedChildren(dev.path, error)) {
                auto name = f.path().filename().string();
                std::error_code fec;
                if (name.size() > 5 && name.ends_with(".json") && !f.is_directory(fec)) onDisk.push_back(name.substr(0, name.size() - 5));
            }
            const auto& ops = dev.ops();
            std::vector<char> changed(ops.size(), 0);
            parallelFor(ops.size(), threads, [&](std::size_t i, unsigned) { changed[i] = !sameFile(statFile(ops[i].path), ops[i].stat); });
            std::unordered_map<std::string_view, std::size_t> byName;
            for (std::size_t i = 0; i < ops.size(); ++i) byName.emplace(ops[i].name, i);
            std::vector<char> seen(ops.size(), 0);
            for (const auto& name : onDisk) {
                auto it = byName.find(name);
                if (it == byName.end()) {
                    c.ops.push_back(where + name); // added
                    continue;
                }
                seen[it->second] = 1;
                if (changed[it->second]) c.ops.push_back(where + name);
            }
            for (std::size_t i = 0; i < ops.size(); ++i) {
                if (!seen[i]) c.ops.push_back(where + ops[i].name); // removed
            }
            // lib/: the same walk as a scan's, compared file by file.
            DeviceDir now;
            now.path = dev.path;
            walkLib(now, threads);
            bool same = now.libFiles.size() == dev.libFiles.size();
            for (std::size_t i = 0; same && i < now.libFiles.size(); ++i) {
                same = now.libFiles[i].relPath == dev.libFiles[i].relPath && sameFile(now.libFiles[i].stat, dev.libFiles[i].stat);
            }
            if (!same) c.folders.push_back(dev.path + "/lib");
        }
    }
    return c;
}

CacheSnapshot scanCache(const std::string& rootArg, const ScanOptions& options) {
    auto started = std::chrono::steady_clock::now();
    CacheSnapshot snap;
    snap.root = absolutePath(rootArg);
    snap.eagerDir = snap.root + "/aoti_eager";
    std::error_code ec;
    snap.eagerDirExists = fs::is_directory(snap.eagerDir, ec);
    if (!snap.eagerDirExists) {
        snap.error = fs::exists(snap.root, ec) ? fmt::format("{} has no aoti_eager folder: no AOTI-eager kernel was ever cached there", snap.root)
                                               : fmt::format("cache root {} does not exist", snap.root);
        return snap;
    }
    std::vector<OpFile*> ops;
    std::vector<DeviceDir*> devices;
    for (const auto& nsEntry : sortedChildren(snap.eagerDir, snap.error)) {
        if (!isDir(nsEntry)) {
            continue;
        }
        NamespaceDir ns;
        ns.name = nsEntry.path().filename().string();
        ns.path = nsEntry.path().string();
        std::string nsError;
        for (const auto& devEntry : sortedChildren(nsEntry.path(), nsError)) {
            if (!isDir(devEntry)) {
                continue;
            }
            DeviceDir dev;
            dev.name = devEntry.path().filename().string();
            dev.path = devEntry.path().string();
            for (const auto& f : sortedChildren(devEntry.path(), dev.error)) {
                auto name = f.path().filename().string();
                std::error_code fec;
                if (name.size() > 5 && name.ends_with(".json") && !f.is_directory(fec)) {
                    OpFile op;
                    op.name = name.substr(0, name.size() - 5);
                    op.path = f.path().string();
                    dev.opFiles->push_back(std::move(op));
                }
            }
            ns.devices.push_back(std::move(dev));
        }
        if (!nsError.empty()) {
            snap.error = nsError;
        }
        snap.namespaces.push_back(std::move(ns));
    }
    for (auto& ns : snap.namespaces) {
        for (auto& dev : ns.devices) {
            devices.push_back(&dev);
            for (auto& op : *dev.opFiles) {
                ops.push_back(&op);
            }
        }
    }
    unsigned threads = options.threads ? options.threads : defaultThreadCount();
    std::vector<std::unique_ptr<OpFileParser>> parsers(threads);
    std::atomic<std::size_t> done{0};
    parallelFor(ops.size(), threads, [&](std::size_t i, unsigned t) {
        if (options.cancelled && options.cancelled->load(std::memory_order_relaxed)) {
            return;
        }
        if (!parsers[t]) {
            parsers[t] = std::make_unique<OpFileParser>();
        }
        OpFile& op = *ops[i];
        op.stat = statFile(op.path);
        parsers[t]->parseFile(op);
        auto n = done.fetch_add(1, std::memory_order_relaxed) + 1;
        if (options.progress && (n % 256 == 0 || n == ops.size())) {
            options.progress(n, ops.size());
        }
    });
    auto parsed = std::chrono::steady_clock::now();
    spdlog::debug("parsed {} op files in {:.3f}s", ops.size(), std::chrono::duration<double>(parsed - started).count());
    InspectionCache transient("");
    InspectionCache& inspections = options.inspectionCache ? *options.inspectionCache : transient;
    for (auto* dev : devices) {
        walkLib(*dev, threads);
        spdlog::debug("walked {}/lib: {} files in {:.3f}s", dev->path, dev->libFiles.size(),
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - parsed).count());
        linkEntries(snap.root, *dev, threads);
        inspectDevice(*dev, options.inspectLibraries, threads, inspections);
    }
    snap.scanSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    spdlog::debug("scanned {}: {} ops, {} entries in {:.3f}s ({} JSON)", snap.root, snap.opCount(), snap.entryCount(),
                  snap.scanSeconds, OpFileParser::implementationName());
    return snap;
}

} // namespace aotiscope
