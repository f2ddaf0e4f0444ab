#include "core/read/CacheScanner.h"

#include "core/read/ElfReader.h"
#include "core/read/InspectionCache.h"
#include "core/base/FileUtil.h"
#include "core/check/HostInfo.h"
#include "core/read/LibraryArtifactReader.h"
#include "core/read/OpFileParser.h"
#include "core/base/Parallel.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

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

// Calls fn on each record of lib/'s listing (sorted by relPath) whose relPath is `prefix` followed by a name with
// no '/': a folder's own files when prefix ends in '/', "<stem>.*" beside a folder when it ends in '.'. fn takes the
// record, or the record and its position; it returns true to stop.
template <typename Fn>
void forEachRightAfter(const LibraryList& libs, std::string_view prefix, Fn&& fn) {
    for (auto it = std::ranges::lower_bound(libs, prefix, {}, relPathOf);
         it != libs.end() && it->relPath.starts_with(prefix); ++it) {
        if (it->relPath.view().find('/', prefix.size()) != std::string_view::npos) continue;
        bool stop;
        if constexpr (std::is_invocable_v<Fn, const LibraryFile&, std::size_t>) stop = fn(*it, it.index());
        else stop = fn(*it);
        if (stop) return;
    }
}

// A record of the snapshot before, for a rescan, without the entries that referenced it then (the join finds them
// again): copying that list only to clear it cost an allocation per library.
LibraryFile carriedOver(const LibraryFile& before) {
    LibraryFile f;
    f.relPath = before.relPath;
    f.path = before.path;
    f.stat = before.stat;
    f.role = before.role;
    f.isSymlink = before.isSymlink;
    f.resolvedPath = before.resolvedPath;
    f.escapesRoot = before.escapesRoot;
    f.artifacts = before.artifacts;
    f.elf = before.elf;
    f.artifactBytes = before.artifactBytes;
    f.sidecars = before.sidecars;
    return f;
}

// An op file with the identity the last snapshot saw holds what it held then (one that could not be read is read
// again: it may have been caught mid-write).
bool unchangedSince(const OpFile& before, const FileStat& now) {
    return before.readError.empty() && now.exists && sameFile(now, before.stat);
}

// The op file at `known`'s name and path read again, with the identity it has now.
std::shared_ptr<const OpFile> readAgain(const OpFile& known, const FileStat& now, OpFileParser& parser) {
    auto op = std::make_shared<OpFile>();
    op->name = known.name;
    op->path = known.path;
    op->stat = now;
    parser.parseFile(*op);
    return op;
}

// The files and folders of one device's lib/, listed or carried over from the last snapshot's.
class LibWalk {
public:
    LibWalk(const std::string& devPath, const DeviceDir* previous) : devPath_(devPath), previous_(previous) {}

    struct Folder {
        std::string path; // absolute
        FileStat stat;
    };

    // What a walk found, and what it read to find it.
    struct Out {
        std::vector<LibraryFile> files;
        std::vector<LibFolder> folders;
        std::string error;
        std::vector<std::string> listed;  // folders listed (absolute paths)
        std::vector<std::string> changed; // of those, the ones whose files or subfolders differ from the walk before's
        std::size_t reused = 0;           // folders carried over unlisted
    };

    // One folder: its files into `files`, its subfolders returned (the caller walks them, perhaps in parallel).
    // Listed with readdir and fstatat (std::filesystem costs several times more per file), or, when the folder's
    // identity is what the last snapshot saw, its files copied from that snapshot. Symlinks are recorded, never
    // followed: a symlink loop cannot trap the walk.
    std::vector<Folder> walkOne(const Folder& dir, Out& out) const {
        auto& files = out.files;
        auto rel = dir.path.substr(devPath_.size() + 1);
        out.folders.push_back({rel, dir.stat});
        const auto* before = previousFolder(rel);
        if (before && sameFile(before->stat, dir.stat)) {
            ++out.reused;
            return carryOver(rel, files);
        }
        out.listed.push_back(dir.path);
        std::vector<Folder> subdirs;
        DIR* d = ::opendir(dir.path.c_str());
        if (!d) {
            out.error = fmt::format("cannot list {}: {}", dir.path, std::strerror(errno));
            out.folders.back().stat = FileStat{}; // listed again next time
            out.changed.push_back(dir.path);
            return subdirs;
        }
        int dfd = ::dirfd(d);
        auto firstFile = files.size();
        while (dirent* e = ::readdir(d)) {
            std::string_view name = e->d_name;
            if (name == "." || name == "..") {
                continue;
            }
            struct stat st {};
            if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                continue; // vanished while walking
            }
            auto path = dir.path + "/" + std::string(name);
            if (S_ISDIR(st.st_mode)) {
                subdirs.push_back({std::move(path), fileStatOf(st)});
                continue;
            }
            LibraryFile f;
            f.isSymlink = S_ISLNK(st.st_mode);
            f.relPath = path.substr(devPath_.size() + 1);
            f.stat = f.isSymlink ? statFile(path) : fileStatOf(st);
            f.path = std::move(path);
            files.push_back(std::move(f));
        }
        ::closedir(d);
        // In name order, as carried-over folders come: the listing is then sorted as it is put together.
        std::ranges::sort(files.begin() + std::ptrdiff_t(firstFile), files.end(), {}, relPathOf);
        std::ranges::sort(subdirs, {}, &Folder::path);
        if (!before || !listedAsBefore(rel, files, firstFile, subdirs)) out.changed.push_back(dir.path);
        return subdirs;
    }

    // A folder and everything under it, on the calling thread.
    void walkAll(const Folder& dir, Out& out) const {
        for (const auto& sub : walkOne(dir, out)) walkAll(sub, out);
    }

private:
    // A folder listed again (its identity changed) that holds the files, with the identities, and the subfolders the
    // walk before saw: its identity moved with no change to what it holds (a file added and removed, a subfolder's
    // own change, PyTorch's rewrite seen before a named rescan). Its records are then the walk before's, with their
    // inspections.
    bool listedAsBefore(const std::string& rel, std::vector<LibraryFile>& files, std::size_t firstFile,
                        const std::vector<Folder>& subdirs) const {
        auto prefix = rel + "/";
        auto k = firstFile;
        bool same = true;
        forEachRightAfter(previous_->libFiles, prefix, [&](const LibraryFile& before) {
            same = k < files.size() && files[k].relPath == before.relPath && sameFile(files[k].stat, before.stat);
            ++k;
            return !same;
        });
        if (!same || k != files.size()) return false;
        auto sub = subdirs.begin();
        const auto& folders = previous_->libFolders;
        for (auto it = std::ranges::upper_bound(folders, rel, {}, &LibFolder::relPath);
             it != folders.end() && it->relPath.starts_with(prefix); ++it) {
            if (it->relPath.find('/', prefix.size()) != std::string::npos) continue; // deeper down
            if (sub == subdirs.end() || std::string_view(sub->path).substr(devPath_.size() + 1) != it->relPath) return false;
            ++sub;
        }
        if (sub != subdirs.end()) return false;
        k = firstFile;
        forEachRightAfter(previous_->libFiles, prefix, [&](const LibraryFile& before) {
            files[k++] = carriedOver(before);
            return false;
        });
        return true;
    }

    const LibFolder* previousFolder(const std::string& rel) const {
        if (!previous_) return nullptr;
        const auto& list = previous_->libFolders;
        auto it = std::ranges::lower_bound(list, rel, {}, &LibFolder::relPath);
        return it != list.end() && it->relPath == rel ? &*it : nullptr;
    }

    // An unchanged folder holds the names it held: its files come from the last snapshot with their inspection
    // (symlinks are stat-ed again: their targets live elsewhere), its subfolders are checked one by one.
    std::vector<Folder> carryOver(const std::string& rel, std::vector<LibraryFile>& files) const {
        auto prefix = rel + "/";
        auto directChild = [&](const std::string& path) {
            return path.starts_with(prefix) && path.find('/', prefix.size()) == std::string::npos;
        };
        forEachRightAfter(previous_->libFiles, prefix, [&](const LibraryFile& before) {
            auto& f = files.emplace_back(carriedOver(before));
            if (f.isSymlink) f.stat = statFile(f.path);
            return false;
        });
        std::vector<Folder> subdirs;
        const auto& folders = previous_->libFolders;
        for (auto it = std::ranges::upper_bound(folders, rel, {}, &LibFolder::relPath);
             it != folders.end() && it->relPath.starts_with(prefix); ++it) {
            if (!directChild(it->relPath)) continue;
            auto path = devPath_ + "/" + it->relPath;
            struct stat st {};
            if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) subdirs.push_back({path, fileStatOf(st)});
        }
        return subdirs;
    }

    const std::string& devPath_;
    const DeviceDir* previous_;
};

// What a walk read, to the work done, and the error it met, to its device.
void noteWalked(DeviceDir& dev, LibWalk::Out&& walked, ScanWork& work) {
    std::ranges::move(walked.listed, std::back_inserter(work.libFoldersListed));
    std::ranges::move(walked.changed, std::back_inserter(work.libFoldersChanged));
    work.libFoldersReused += walked.reused;
    if (!walked.error.empty()) dev.error = walked.error;
}

// Every file under lib/, its top-level folders walked in parallel; folders unchanged since `previous` carried over.
void walkLib(DeviceDir& dev, unsigned threads, const DeviceDir* previous, ScanWork& work) {
    auto lib = dev.path + "/lib";
    struct stat st {};
    if (::lstat(lib.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return;
    }
    LibWalk walk(dev.path, previous);
    std::vector<LibWalk::Out> parts(1);
    auto top = walk.walkOne({lib, fileStatOf(st)}, parts[0]); // lib/'s own files, and its folders
    parts.resize(top.size() + 1);
    parallelFor(top.size(), threads, [&](std::size_t i, unsigned) { walk.walkAll(top[i], parts[i + 1]); });
    std::vector<LibraryFile> files;
    for (auto& p : parts) {
        std::ranges::move(p.files, std::back_inserter(files));
        std::ranges::move(p.folders, std::back_inserter(dev.libFolders));
        noteWalked(dev, std::move(p), work);
    }
    // Carried-over folders come out in order: most rescans need no sort.
    if (!std::ranges::is_sorted(files, {}, relPathOf)) std::ranges::sort(files, {}, relPathOf);
    dev.libFiles = LibraryList(std::move(files));
    std::ranges::sort(dev.libFolders, {}, &LibFolder::relPath);
}

bool isSharedObject(std::string_view name) {
    return name.ends_with(".so") || name.find(".so.") != std::string::npos;
}

// Which op files' entries must be looked up in lib/ (1) and which may keep the libraries they named in `previous`
// (0): those carried over unread whose every kernel_path named a library then, while the folder holds the same op
// files at the same positions (a reference names its op by position).
std::vector<char> opsToLookUp(const DeviceDir& dev, const DeviceDir* previous, const std::vector<char>& reparsed) {
    std::vector<char> lookUp(dev.opFiles.size(), 1);
    if (!previous || previous->opFiles.size() != dev.opFiles.size() || reparsed.size() != dev.opFiles.size()) return lookUp;
    for (std::size_t o = 0; o < dev.opFiles.size(); ++o) {
        if (dev.opFiles[o]->name != previous->opFiles[o]->name) return lookUp;
    }
    std::vector<std::size_t> named(dev.opFiles.size(), 0);
    for (const auto& lib : previous->libFiles) {
        for (const auto& ref : lib.referencedBy) ++named[ref.op];
    }
    for (std::size_t o = 0; o < dev.opFiles.size(); ++o) {
        auto withPath = std::size_t(std::ranges::count_if(dev.opFiles[o]->entries, [](const Entry& e) { return e.kernelPath.has_value(); }));
        lookUp[o] = reparsed[o] || named[o] != withPath;
    }
    return lookUp;
}

// Whether lib/'s records came with their references (shared whole with the snapshot before, by a named rescan) or
// without (listed, or carried over one by one, by a full scan).
enum class Refs { kCarried, kToJoin };

// Joins entries to the files of lib/ and resolves symlinks; no file is opened. In a rescan, the entries of op files
// that did not change keep the libraries they named (records shared whole keep their references; others are paired
// with their records before by path: one merge of two sorted listings instead of a binary search per entry); the
// others are looked up. The libraries of op files parsed again (`reparsed`, by op index; empty: none) are stat-ed
// again: a file carried over from the last snapshot under an unchanged folder may have been rewritten since, and its
// inspection then no longer holds.
void linkEntries(const std::string& root, DeviceDir& dev, unsigned threads, const DeviceDir* previous,
                 const std::vector<char>& reparsed, Refs refs, ScanWork& work) {
    auto lookUp = opsToLookUp(dev, previous, reparsed);
    std::vector<std::size_t> touched; // records whose references may change: worked out below, written if they do
    if (refs == Refs::kCarried) {
        for (std::size_t i = 0; i < dev.libFiles.size(); ++i) {
            const auto& held = dev.libFiles[i].referencedBy;
            if (std::ranges::any_of(held, [&](const LibraryRef& r) { return lookUp[r.op] != 0; })) touched.push_back(i);
        }
    } else if (std::ranges::find(lookUp, 0) != lookUp.end()) {
        const auto& before = previous->libFiles;
        // Equality first: a record carried over shares its path's text with the one before, so most pairs are
        // told equal by a pointer, without reading either string.
        for (std::size_t i = 0, k = 0; i < dev.libFiles.size() && k < before.size();) {
            if (dev.libFiles[i].relPath == before[k].relPath) {
                for (const auto& ref : before[k].referencedBy) {
                    if (!lookUp[ref.op]) dev.libFiles.mutate(i).referencedBy.push_back(ref);
                }
                ++i, ++k;
            } else if (dev.libFiles[i].relPath < before[k].relPath) {
                ++i;
            } else {
                ++k;
            }
        }
    }
    struct Found {
        std::size_t library;
        LibraryRef ref;
    };
    std::vector<Found> found; // the entries looked up, in (op, entry) order
    for (std::size_t o = 0; o < dev.opFiles.size(); ++o) {
        if (!lookUp[o]) continue;
        for (const auto& entry : dev.opFiles[o]->entries) {
            int library = dev.libraryIndexOf(entry);
            if (library < 0) continue;
            found.push_back({std::size_t(library), {std::uint32_t(o), entry.index}});
            touched.push_back(std::size_t(library));
            const auto& lib = dev.libFiles[std::size_t(library)];
            if (o < reparsed.size() && reparsed[o] && !lib.isSymlink) {
                ++work.librariesStatted;
                if (auto now = statFile(lib.path); !sameFile(now, lib.stat)) {
                    work.librariesChanged.push_back(lib.path);
                    auto& changed = dev.libFiles.mutate(std::size_t(library));
                    changed.stat = now;
                    changed.elf.reset();
                    changed.artifacts.reset();
                    changed.sidecars.reset();
                }
            }
        }
    }
    // Each touched record: the references of ops not looked up, as they were, then those found now, in (op, entry)
    // order when there are any; written only when that differs from what it holds.
    std::ranges::stable_sort(found, {}, &Found::library);
    std::ranges::sort(touched);
    touched.erase(std::ranges::unique(touched).begin(), touched.end());
    auto sameRef = [](const LibraryRef& a, const LibraryRef& b) { return a.op == b.op && a.entry == b.entry; };
    auto next = found.begin();
    for (auto i : touched) {
        const auto& held = dev.libFiles[i].referencedBy;
        LibraryRefs now;
        for (const auto& ref : held) {
            if (!lookUp[ref.op]) now.push_back(ref);
        }
        bool joined = false;
        for (; next != found.end() && next->library == i; ++next, joined = true) now.push_back(next->ref);
        if (joined) std::ranges::sort(now, {}, [](const LibraryRef& r) { return std::pair(r.op, r.entry); });
        if (!std::ranges::equal(now, held, sameRef)) dev.libFiles.mutate(i).referencedBy = std::move(now);
    }
    // Symlinks are resolved again at every scan (their targets live elsewhere); a record is written where that moved.
    std::vector<std::size_t> symlinks;
    for (std::size_t i = 0; i < dev.libFiles.size(); ++i) {
        if (dev.libFiles[i].isSymlink) symlinks.push_back(i);
    }
    std::vector<std::string> targets(symlinks.size());
    parallelFor(symlinks.size(), threads, [&](std::size_t k, unsigned) {
        std::error_code ec;
        auto target = fs::canonical(dev.libFiles[symlinks[k]].path.str(), ec);
        if (!ec) targets[k] = target.string();
    });
    for (std::size_t k = 0; k < symlinks.size(); ++k) {
        bool escapes = !targets[k].empty() && !isWithin(targets[k], root);
        const auto& f = dev.libFiles[symlinks[k]];
        if (f.resolvedPath == targets[k] && f.escapesRoot == escapes) continue;
        auto& written = dev.libFiles.mutate(symlinks[k]);
        written.resolvedPath = std::move(targets[k]);
        written.escapesRoot = escapes;
    }
}

bool exportsRunnerApi(const ElfSummary& elf) {
    return std::ranges::find(elf.aotiSymbols, "AOTInductorModelContainerCreateWithDevice") != elf.aotiSymbols.end();
}

// Classifies the files of lib/ and reads ELF headers and sidecars: of every shared object when `inspect`,
// else of the unreferenced ones only (to tell orphan kernels from helper builds). A library carried over from the
// last snapshot with its inspection keeps it, unless it becomes or stops being a helper build (whose sidecars are
// not kept).
void inspectDevice(DeviceDir& dev, bool inspect, unsigned threads, InspectionCache& cache, ScanWork& work) {
    std::vector<std::size_t> toInspect;
    auto nameOf = [](const std::string& path) { return std::string_view(path).substr(path.rfind('/') + 1); };
    auto dirOf = [](const std::string& path) { return std::string_view(path).substr(0, path.rfind('/')); };
    auto unreferencedRole = [&](const LibraryFile& f) {
        return exportsRunnerApi(*f.elf) || nameOf(f.path).ends_with(".wrapper.so") ? LibraryRole::OrphanKernel
                                                                                   : LibraryRole::HelperBuild;
    };
    // Roles and sidecar bytes worked out beside the records, which are written (their chunks copied) only where
    // either changed: a refresh's 100,000 records are read, and left shared.
    std::vector<LibraryRole> roles(dev.libFiles.size());
    std::vector<std::uint64_t> bytes(dev.libFiles.size(), 0);
    for (std::size_t i = 0; i < dev.libFiles.size(); ++i) {
        const auto& f = dev.libFiles[i];
        auto before = roles[i] = f.role;
        // A kernel carried over with its inspection and still referenced stays one: its name (a shared object, not
        // a lock: the path is what it was) need not be read again. Most of a refresh's 100,000 records.
        if (before == LibraryRole::Kernel && !f.referencedBy.empty() && !f.escapesRoot && (!inspect || f.elf)) {
            if (inspect) ++work.inspectionsReused;
            continue;
        }
        std::string_view name = nameOf(f.path);
        if (f.relPath.starts_with("lib/locks/") || name.ends_with(".lock")) {
            roles[i] = LibraryRole::Lock;
        } else if (isSharedObject(name)) {
            roles[i] = LibraryRole::Kernel;
            if (f.escapesRoot || !(f.referencedBy.empty() || inspect)) {
                continue;
            }
            if (f.elf) {
                auto now = f.referencedBy.empty() ? unreferencedRole(f) : LibraryRole::Kernel;
                if ((now == LibraryRole::HelperBuild) == (before == LibraryRole::HelperBuild)) {
                    roles[i] = now;
                    ++work.inspectionsReused;
                    continue;
                }
            }
            toInspect.push_back(i);
        }
    }
    work.librariesInspected += toInspect.size();
    // Folder -> its files by stem, to find each library's sidecars: for the folders of the libraries read now.
    std::unordered_map<std::string_view, SiblingIndex> siblings;
    if (!toInspect.empty()) {
        std::unordered_map<std::string_view, std::vector<std::string>> names;
        for (auto i : toInspect) {
            auto [it, added] = names.try_emplace(dirOf(dev.libFiles[i].path));
            if (!added) continue;
            // The folder's files: a range of lib/'s listing (sorted by relPath), less those in folders below it.
            forEachRightAfter(dev.libFiles, std::string(dirOf(dev.libFiles[i].relPath)) + '/', [&](const LibraryFile& f) {
                it->second.emplace_back(nameOf(f.path));
                return false;
            });
        }
        for (auto& [dir, list] : names) {
            siblings.emplace(dir, indexSiblings(list));
        }
    }
    // ELF headers and sidecars: the costly part of a scan, spread over the cores.
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
    for (auto i : toInspect) dev.libFiles.mutate(i); // made this list's own before the threads write them
    parallelFor(toInspect.size(), threads, [&](std::size_t k, unsigned) {
        auto& f = dev.libFiles.mutate(toInspect[k]);
        auto& role = roles[toInspect[k]];
        auto elf = cache.find(f.path, f.stat);
        if (!elf) {
            elf = cache.remember(f.path, f.stat, readElfSummary(f.path));
        }
        f.elf = elf;
        if (f.referencedBy.empty()) {
            role = unreferencedRole(f);
        }
        std::vector<std::string> owned;
        auto artifacts = readLibraryArtifacts(f.path, siblings.at(dirOf(f.path)), owned);
        if (!artifacts.torchDir.empty()) artifacts.torchVersion = torchVersionAt(artifacts.torchDir);
        // A library without sidecars (copied alone, or sidecars deleted) has nothing to keep.
        f.artifacts.reset();
        if (role != LibraryRole::HelperBuild && !(owned.empty() && artifacts.wrapperSource.empty())) {
            f.artifacts = std::make_shared<const LibraryArtifacts>(std::move(artifacts));
        }
        f.sidecars = owned.empty() ? nullptr : std::make_shared<const std::vector<std::string>>(std::move(owned));
    });
    // Sidecar path -> library index, for every library with sidecars (read now or carried over).
    std::unordered_map<std::string, std::size_t> ownerOf;
    for (std::size_t i = 0; i < dev.libFiles.size(); ++i) {
        const auto& f = dev.libFiles[i];
        if (!f.sidecars || roles[i] == LibraryRole::Lock) continue;
        std::string dir(dirOf(f.path));
        for (const auto& o : *f.sidecars) {
            ownerOf.emplace(dir + "/" + o, i);
        }
    }
    // Sidecar bytes: files owned through their stem, or kept in a folder named after a library's stem
    // (torch 2.13 puts the weights of "<stem>.wrapper.so" in "<stem>/").
    std::vector<std::size_t> unowned;
    for (std::size_t i = 0; i < dev.libFiles.size(); ++i) {
        const auto& f = dev.libFiles[i];
        if (roles[i] == LibraryRole::Lock || roles[i] == LibraryRole::Kernel || roles[i] == LibraryRole::OrphanKernel) {
            continue;
        }
        if (auto it = ownerOf.find(f.path); it != ownerOf.end()) {
            bytes[it->second] += f.stat.size;
        } else {
            unowned.push_back(i);
        }
    }
    // The library whose stem names the folder a file is in: "<dir>/<stem>.<anything>" beside the folder
    // "<dir>/<stem>/", found in lib/'s sorted listing (a lookup per such file, not a map of every library).
    auto libraryNamingFolder = [&](std::string_view folder) -> std::optional<std::size_t> {
        auto slash = folder.rfind('/');
        if (slash == std::string_view::npos || folder.substr(slash + 1).find('.') != std::string_view::npos) return std::nullopt;
        std::optional<std::size_t> found;
        forEachRightAfter(dev.libFiles, std::string(folder) + '.', [&](const LibraryFile&, std::size_t i) {
            if (roles[i] == LibraryRole::Kernel || roles[i] == LibraryRole::OrphanKernel) found = i;
            return found.has_value();
        });
        return found;
    };
    for (auto i : unowned) {
        if (auto owner = libraryNamingFolder(dirOf(dev.libFiles[i].relPath))) bytes[*owner] += dev.libFiles[i].stat.size;
    }
    for (std::size_t i = 0; i < dev.libFiles.size(); ++i) {
        const auto& f = dev.libFiles[i];
        if (f.role == roles[i] && f.artifactBytes == bytes[i]) continue;
        auto& written = dev.libFiles.mutate(i);
        written.role = roles[i];
        written.artifactBytes = bytes[i];
    }
}

// Folders under lib/ that the entries of the reparsed op files lead into and the last walk did not see, listed now
// with everything under them (PyTorch 2.11 and later puts each new kernel in a folder of its own, beside the
// others), and merged into lib/'s sorted listing. False when an entry names a file that is on disk but not in the
// listing of a folder walked before: a file added to a known folder, of which only a new listing of that folder says
// what else came with it; the caller then rescans in full.
bool listNewFolders(DeviceDir& dev, const DeviceDir& before, const std::vector<char>& reparsed, ScanWork& work) {
    auto walkedBefore = [&](std::string_view rel) {
        auto it = std::ranges::lower_bound(dev.libFolders, rel, {}, &LibFolder::relPath);
        return it != dev.libFolders.end() && it->relPath == rel;
    };
    std::vector<std::string> fresh; // the top-most unwalked folder of each such entry's path
    std::string storage;
    for (std::size_t o = 0; o < reparsed.size(); ++o) {
        if (!reparsed[o]) continue;
        for (const auto& entry : dev.opFiles[o]->entries) {
            auto rel = dev.kernelRelPath(entry, storage);
            if (!rel.starts_with("lib/") || dev.libraryIndexOf(entry) >= 0) continue; // known: linkEntries stats it
            std::string_view top;
            for (auto folder = rel.substr(0, rel.rfind('/')); !walkedBefore(folder);) {
                top = folder;
                auto slash = folder.rfind('/');
                if (slash == std::string_view::npos) break;
                folder = folder.substr(0, slash);
            }
            if (top.empty()) {
                struct stat st {};
                if (::lstat((dev.path + "/" + std::string(rel)).c_str(), &st) == 0) return false;
                continue; // not there: lint says the library is missing
            }
            if (std::ranges::find(fresh, top) == fresh.end()) fresh.emplace_back(top);
        }
    }
    if (fresh.empty()) return true;
    LibWalk walk(dev.path, &before);
    LibWalk::Out walked;
    for (const auto& rel : fresh) {
        auto path = dev.path + "/" + rel;
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue; // not there: lint says so
        walk.walkAll({path, fileStatOf(st)}, walked);
    }
    // Each new record put in its place (into its chunk, the only one copied): a sort, or a merge through a buffer,
    // of 100,000 records would cost more than the rest of the refresh.
    for (auto& record : walked.files) {
        auto at = std::ranges::upper_bound(dev.libFiles, std::string_view(record.relPath), {}, relPathOf);
        dev.libFiles.insert(at.index(), std::move(record));
    }
    for (auto& folder : walked.folders) {
        auto at = std::ranges::upper_bound(dev.libFolders, folder.relPath, {}, &LibFolder::relPath);
        dev.libFolders.insert(at, std::move(folder));
    }
    noteWalked(dev, std::move(walked), work);
    return true;
}

// A rescan of only the op files the watcher named (ScanOptions::onlyOpFiles): nothing is listed but the lib/ folders
// their new entries lead into; every other op file, folder and library is the last snapshot's. nullopt when a named
// file is not an op file of that snapshot or is gone (its folder changed: a full rescan finds out how), or when an
// entry names a file added to a folder walked before.
std::optional<CacheSnapshot> rescanNamedOpFiles(const CacheSnapshot& previous, const ScanOptions& options) {
    auto started = std::chrono::steady_clock::now();
    if (!previous.eagerDirExists) return std::nullopt;
    std::unordered_set<std::string_view> named(options.onlyOpFiles->begin(), options.onlyOpFiles->end());
    CacheSnapshot snap;
    snap.root = previous.root;
    snap.eagerDir = previous.eagerDir;
    snap.eagerDirExists = true;
    snap.error = previous.error;
    auto& work = snap.work;
    unsigned threads = options.threads ? options.threads : defaultThreadCount();
    InspectionCache transient("");
    InspectionCache& inspections = options.inspectionCache ? *options.inspectionCache : transient;
    OpFileParser parser;
    std::size_t found = 0;
    for (const auto& nsBefore : previous.namespaces) {
        auto& ns = snap.namespaces.emplace_back();
        ns.name = nsBefore.name;
        ns.path = nsBefore.path;
        for (const auto& before : nsBefore.devices) {
            auto& dev = ns.devices.emplace_back();
            dev.name = before.name;
            dev.path = before.path;
            dev.error = before.error;
            dev.opFiles = before.opFiles;
            std::vector<char> reparsed(dev.opFiles.size(), 0);
            for (std::size_t o = 0; o < dev.opFiles.size(); ++o) {
                const auto& op = *dev.opFiles[o];
                if (!named.contains(op.path)) {
                    ++work.opFilesReused;
                    continue;
                }
                ++found;
                ++work.opFilesStatted;
                auto stat = statFile(op.path);
                if (!stat.exists) return std::nullopt;
                if (unchangedSince(op, stat)) {
                    ++work.opFilesReused;
                    continue;
                }
                work.changes.push_back(op.path);
                dev.opFiles[o] = readAgain(op, stat, parser);
                reparsed[o] = 1;
                ++work.opFilesParsed;
            }
            dev.libFolders = before.libFolders;
            // Shared whole, references and all: only the records this rescan writes are copied (with their chunks).
            // Copying the 100,000 records one by one was a third of a refresh.
            dev.libFiles = before.libFiles;
            if (std::ranges::find(reparsed, 1) != reparsed.end() && !listNewFolders(dev, before, reparsed, work)) {
                return std::nullopt;
            }
            linkEntries(snap.root, dev, threads, &before, reparsed, Refs::kCarried, work);
            inspectDevice(dev, options.inspectLibraries, threads, inspections, work);
        }
    }
    if (found != named.size()) return std::nullopt;
    for (const auto& folder : work.libFoldersChanged) work.changes.push_back(folder);
    for (const auto& lib : work.librariesChanged) work.changes.push_back(lib);
    snap.scanSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    spdlog::debug("rescanned {} named op file(s) of {} in {:.3f}s: {}", named.size(), snap.root, snap.scanSeconds,
                  work.summary());
    return snap;
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
            inspectDevice(dev, true, threads, inspections, snap.work);
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

std::string ScanWork::summary() const {
    if (changes.empty()) return "nothing";
    std::vector<std::string> shown(changes.begin(), changes.begin() + std::ptrdiff_t(std::min<std::size_t>(changes.size(), 3)));
    return fmt::format("{} change{}: {}{}", changes.size(), changes.size() == 1 ? "" : "s", fmt::join(shown, ", "),
                       changes.size() > 3 ? ", ..." : "");
}

CacheSnapshot scanCache(const std::string& rootArg, const ScanOptions& options) {
    if (options.previous && options.onlyOpFiles && absolutePath(rootArg) == options.previous->root) {
        if (auto snap = rescanNamedOpFiles(*options.previous, options); snap) return std::move(*snap);
        spdlog::debug("a named op file is gone or new, or a known lib/ folder gained a library: rescanning in full");
    }
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
    std::vector<std::shared_ptr<const OpFile>*> ops; // each device's slots, in scan order: filled in below
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
                    auto op = std::make_shared<OpFile>(); // name and path; read below
                    op->name = name.substr(0, name.size() - 5);
                    op->path = f.path().string();
                    dev.opFiles.push_back(std::move(op));
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
            for (auto& op : dev.opFiles) {
                ops.push_back(&op);
            }
        }
    }
    unsigned threads = options.threads ? options.threads : defaultThreadCount();
    // The last snapshot's devices and op files by name: what a rescan may carry over unread.
    const CacheSnapshot* previous = options.previous;
    std::vector<const DeviceDir*> previousDevices(devices.size(), nullptr);
    std::vector<const std::shared_ptr<const OpFile>*> previousOps(ops.size(), nullptr);
    if (previous) {
        std::unordered_map<std::string_view, const DeviceDir*> devByPath;
        for (const auto& ns : previous->namespaces) {
            for (const auto& dev : ns.devices) devByPath.emplace(dev.path, &dev);
        }
        std::size_t o = 0;
        for (std::size_t d = 0; d < devices.size(); ++d) {
            auto it = devByPath.find(devices[d]->path);
            previousDevices[d] = it == devByPath.end() ? nullptr : it->second;
            std::unordered_map<std::string_view, const std::shared_ptr<const OpFile>*> opByName;
            if (previousDevices[d]) {
                for (const auto& op : previousDevices[d]->opFiles) opByName.emplace(op->name, &op);
            }
            for (const auto& op : devices[d]->opFiles) {
                auto found = opByName.find(op->name);
                previousOps[o++] = found == opByName.end() ? nullptr : found->second;
            }
        }
    }
    std::vector<std::unique_ptr<OpFileParser>> parsers(threads);
    std::vector<char> reparsed(ops.size(), 0);
    std::atomic<std::size_t> done{0};
    parallelFor(ops.size(), threads, [&](std::size_t i, unsigned t) {
        if (options.cancelled && options.cancelled->load(std::memory_order_relaxed)) {
            return;
        }
        auto stat = statFile((*ops[i])->path);
        // An op file with the identity the last snapshot saw holds what it held then: the same object, shared.
        if (const auto* before = previousOps[i]; before && unchangedSince(**before, stat)) {
            *ops[i] = *before;
        } else {
            if (!parsers[t]) {
                parsers[t] = std::make_unique<OpFileParser>();
            }
            *ops[i] = readAgain(**ops[i], stat, *parsers[t]);
            reparsed[i] = 1;
        }
        auto n = done.fetch_add(1, std::memory_order_relaxed) + 1;
        if (options.progress && (n % 256 == 0 || n == ops.size())) {
            options.progress(n, ops.size());
        }
    });
    auto& work = snap.work;
    work.opFilesStatted = ops.size();
    for (std::size_t i = 0; i < ops.size(); ++i) {
        (reparsed[i] ? work.opFilesParsed : work.opFilesReused) += 1;
    }
    auto parsed = std::chrono::steady_clock::now();
    spdlog::debug("parsed {} op files in {:.3f}s ({} carried over)", work.opFilesParsed,
                  std::chrono::duration<double>(parsed - started).count(), work.opFilesReused);
    InspectionCache transient("");
    InspectionCache& inspections = options.inspectionCache ? *options.inspectionCache : transient;
    std::size_t firstOp = 0;
    for (std::size_t d = 0; d < devices.size(); ++d) {
        auto* dev = devices[d];
        walkLib(*dev, threads, previousDevices[d], work);
        spdlog::debug("walked {}/lib: {} files in {:.3f}s", dev->path, dev->libFiles.size(),
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - parsed).count());
        std::vector<char> devReparsed;
        if (previousDevices[d]) {
            devReparsed.assign(reparsed.begin() + std::ptrdiff_t(firstOp),
                               reparsed.begin() + std::ptrdiff_t(firstOp + dev->opFiles.size()));
        }
        firstOp += dev->opFiles.size();
        linkEntries(snap.root, *dev, threads, previousDevices[d], devReparsed, Refs::kToJoin, work);
        inspectDevice(*dev, options.inspectLibraries, threads, inspections, work);
    }
    if (previous) {
        // What differs from the last snapshot, for the log and for "nothing changed: no new result".
        std::unordered_set<std::string_view> present;
        for (std::size_t i = 0; i < ops.size(); ++i) {
            present.insert((*ops[i])->path);
            if (reparsed[i]) work.changes.push_back((*ops[i])->path);
        }
        forEachOp(*previous, [&](const NamespaceDir&, const DeviceDir&, const OpFile& op) {
            if (!present.contains(op.path)) work.changes.push_back(op.path + " (gone)");
        });
        for (const auto& folder : work.libFoldersChanged) work.changes.push_back(folder);
        for (const auto& lib : work.librariesChanged) work.changes.push_back(lib);
        std::unordered_set<std::string_view> devicesNow;
        for (std::size_t d = 0; d < devices.size(); ++d) {
            devicesNow.insert(devices[d]->path);
            if (!previousDevices[d]) work.changes.push_back(devices[d]->path + " (new)");
        }
        for (const auto& ns : previous->namespaces) {
            for (const auto& dev : ns.devices) {
                if (!devicesNow.contains(dev.path)) work.changes.push_back(dev.path + " (gone)");
            }
        }
    }
    snap.scanSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    spdlog::debug("scanned {}: {} ops, {} entries in {:.3f}s ({} JSON)", snap.root, snap.opCount(), snap.entryCount(),
                  snap.scanSeconds, OpFileParser::implementationName());
    return snap;
}

} // namespace aotiscope
