// Plain data structures of one scanned AOTI-eager cache. They cross threads by value and carry no Qt:
// the CLI, the GUI and the workers all read the same snapshot.
#pragma once

#include "core/base/PointeeIterator.h"
#include "core/base/SharedChunks.h"
#include "core/base/SharedText.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <ranges>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace aotiscope {

// The kinds of a `meta_info` argument, as torch/_inductor/aoti_eager.py writes them. The kind is told by
// the keys present, tested in the order of this enum (see ArgParser).
enum class ArgKind : std::uint8_t {
    TensorList,
    Scalar,
    String,
    Dtype,
    Device,
    Layout,
    MemoryFormat, // torch 2.13 loader converts "memory_format_value"
    IntList,      // one newer variant only
    Tensor,
    Unknown, // not a JSON object: kept raw
};

const char* argKindName(ArgKind kind);

// A key this version of AOTIScope does not know, kept as its raw JSON text so that nothing is dropped.
struct RawField {
    std::string key;
    std::string json;
};

struct TensorMeta {
    std::optional<bool> isDynamic;
    std::string deviceType;
    std::optional<std::int64_t> deviceIndex;
    std::string dtype;
    std::vector<std::int64_t> sizes;
    std::vector<std::int64_t> strides;
    std::optional<bool> requiresGrad;
    std::optional<std::uint64_t> dispatchKeySet;
    std::vector<RawField> unknown;
};

enum class ScalarType : std::uint8_t { Int, Float, Bool };

struct ScalarValue {
    ScalarType type = ScalarType::Int;
    std::int64_t i = 0; // Int and Bool
    double f = 0.0;     // Float
    std::string text;   // as written, e.g. "2", "0.5", "true", "NaN"
};

struct Arg {
    ArgKind kind = ArgKind::Unknown;
    std::optional<std::int64_t> argOrder;
    TensorMeta tensor;             // Tensor, and the scalar's dtype/device fields
    std::vector<TensorMeta> list;  // TensorList
    std::optional<ScalarValue> scalar;
    std::string text;              // String, Dtype, Layout, MemoryFormat values; Device type
    std::optional<std::int64_t> deviceIndexValue; // Device: null means "no index"
    std::vector<std::int64_t> intList;
    std::string rawJson;           // Unknown: the whole value
};

// A problem found while reading one entry or argument, kept with the entry so lint can explain it.
struct ParseIssue {
    // WrongType: a field of an argument holds another JSON type than PyTorch's writer writes (whether PyTorch
    // minds is the loader's and the kernel holder's business: see Linter).
    enum class Kind : std::uint8_t { Structure, UnknownKey, UnknownKind, BadDtype, BadLayout, WrongType } kind;
    std::string message;
    int argIndex = -1;
    std::string field; // WrongType: the key
};

struct Entry {
    int index = 0; // position in the op file: the first match wins (a position, never a name: see key)
    std::string key; // identity from the content (EntryKey.h): how jobs, plans and selections name it
    std::vector<Arg> args;
    std::optional<std::string> kernelPath; // as written, relative to the device folder
    std::vector<RawField> unknown;
    std::vector<ParseIssue> issues;
    // What PyTorch's C++ kernel holder refuses in this entry at registration (HolderCheck.h); empty: nothing.
    std::string registrationRefusal;
};

struct FileStat {
    bool exists = false;
    std::uint64_t size = 0;
    std::int64_t mtime = 0; // seconds since the epoch
    std::int64_t mtimeNs = 0;     // nanoseconds part, and identity: what an inspection cache keys on
    std::uint64_t device = 0, inode = 0;
};

struct OpFile {
    std::string name;   // overload-qualified, e.g. "add.Tensor"
    std::string path;   // absolute
    FileStat stat;
    std::string readError;  // could not read the file (permissions, vanished)
    std::string parseError; // JSON syntax: PyTorch's loader drops the op, its writer replaces the file
    std::string structureError; // valid JSON but not a list of objects
    std::vector<Entry> entries;
    // Why PyTorch's loader gets no entries from this file (read, parse or structure error); empty: none.
    const std::string& unreadableReason() const {
        return !readError.empty() ? readError : !parseError.empty() ? parseError : structureError;
    }
};

// Sidecar files compiled with a kernel library, from the same compile.
struct LibraryArtifacts {
    std::string wrapperSource;   // .wrapper.cpp (2.5+) or .cpp (2.4)
    std::vector<std::string> kernelSources;
    std::vector<std::string> metadataFiles;
    std::vector<std::string> others;
    std::string compileCommand;  // from the "// Compile cmd" comment of the wrapper source
    std::string linkCommand;
    std::string cpuIsa;          // AOTI_CPU_ISA of the wrapper metadata
    std::string computeCapability; // AOTI_COMPUTE_CAPABILITY
    std::string platform, machine, deviceKey;
    std::string torchDir;        // torch install named by the compile/link command (-I<dir>/include)
    std::string torchVersion;    // its torch/version.py where that install is on this machine, else ""
    // The thread count inductor wrote into the kernel's parallel loops ("#pragma omp parallel num_threads(N)");
    // 0 where it left the count to the OpenMP runtime (and so to torch.set_num_threads).
    int kernelThreads = 0;
    // GPU kernel binaries the library loads by absolute path at its first run (CUDA wrappers name each .cubin
    // under the folder they were compiled in): read from the wrapper source, else from the library's strings.
    std::vector<std::string> kernelBinaries;
};

// What the ELF header of a library says, read without loading it.
struct ElfSummary {
    bool isElf = false;
    std::string error;
    std::string machine;
    std::vector<std::string> needed;
    std::vector<std::string> runPaths; // DT_RUNPATH, else DT_RPATH, split on ':'
    std::vector<std::string> aotiSymbols; // exported AOTInductor* symbols
    std::vector<std::string> neededVersions;  // .gnu.version_r: "libc.so.6:GLIBC_2.38", "libstdc++.so.6:GLIBCXX_3.4.32"
    std::vector<std::string> definedVersions; // .gnu.version_d: "GLIBC_2.36", ... (what a library offers others)
};

enum class LibraryRole : std::uint8_t {
    Kernel,          // referenced by an entry
    OrphanKernel,    // exports the AOTI model container API but no entry references it
    HelperBuild,     // compiled by inductor for itself (ISA probes), never referenced
    CompilerArtifact, // cubins, triton, autotuning records, sources of other builds
    Lock,
};

const char* libraryRoleName(LibraryRole role);

// An entry that points at a library: indices into its DeviceDir (ops, then entries).
struct LibraryRef {
    std::uint32_t op = 0;
    std::int32_t entry = 0;
};

// The entries that name one library: almost always one, held in place. A rescan gives each of 100,000 records its
// references again, and a heap block per record was a tenth of a refresh (made, then freed with the snapshot).
class LibraryRefs {
public:
    void push_back(LibraryRef ref) {
        if (size_ == 0) one_ = ref;
        else if (size_ == 1) more_ = {one_, ref};
        else more_.push_back(ref);
        ++size_;
    }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    LibraryRef* begin() { return size_ <= 1 ? &one_ : more_.data(); }
    LibraryRef* end() { return begin() + size_; }
    const LibraryRef* begin() const { return size_ <= 1 ? &one_ : more_.data(); }
    const LibraryRef* end() const { return begin() + size_; }
    const LibraryRef& operator[](std::size_t i) const { return begin()[i]; }
    const LibraryRef& front() const { return *begin(); }

private:
    LibraryRef one_;
    std::vector<LibraryRef> more_; // all of them, from the second on
    std::uint32_t size_ = 0;
};

struct LibraryFile {
    // Shared, not owned: a rescan carries 100,000 records over from the snapshot before, and copying their paths was
    // most of it.
    SharedText relPath; // relative to the device folder, e.g. "lib/ab/cab....so"
    SharedText path;    // absolute
    FileStat stat;
    LibraryRole role = LibraryRole::CompilerArtifact;
    LibraryRefs referencedBy;
    bool isSymlink = false;
    std::string resolvedPath; // canonical target when it exists
    bool escapesRoot = false;
    // Shared and immutable: snapshots are copied to the GUI thread, and most files have neither.
    std::shared_ptr<const LibraryArtifacts> artifacts; // kernels and orphan kernels
    std::shared_ptr<const ElfSummary> elf;             // shared objects
    std::uint64_t artifactBytes = 0;           // sidecars, for sizes in listings
    // The sidecar files the inspection gave this library (names in its folder): kept so that a rescan that
    // carries the library over from the last snapshot counts them without reading the folder again.
    std::shared_ptr<const std::vector<std::string>> sidecars;
};

// A projection for ranges algorithms over lib/'s listing (sorted by relPath).
inline const std::string& relPathOf(const LibraryFile& f) { return f.relPath; }

// A folder under lib/ as the last walk saw it: while its identity (modification time to the nanosecond, inode)
// is unchanged, no file was added, removed or renamed in it, and a rescan carries its files over unlisted.
struct LibFolder {
    std::string relPath; // "lib", "lib/ab", ...
    FileStat stat;
};

using LibraryList = SharedChunks<LibraryFile>;

using OpFileList = std::vector<std::shared_ptr<const OpFile>>;

// DeviceDir::ops(): the op files themselves, not the pointers they are shared by; no view object to outlive.
using OpFileIterator = PointeeIterator<OpFileList::const_iterator, OpFile>;

class OpFileView : public std::ranges::view_interface<OpFileView> {
public:
    explicit OpFileView(const OpFileList& list) : list_(&list) {}
    OpFileIterator begin() const { return OpFileIterator(list_->begin()); }
    OpFileIterator end() const { return OpFileIterator(list_->end()); }
    std::size_t size() const { return list_->size(); }
    const OpFile& operator[](std::size_t i) const { return *(*list_)[i]; }

private:
    const OpFileList* list_;
};

struct DeviceDir {
    std::string name; // "cpu", "cuda", ...
    std::string path;
    // The op files, sorted by name. Each is immutable and shared: by the snapshots of one scan's two phases, and by
    // a rescan with the snapshot before it for every op file whose identity is unchanged (copying 10,000 of them
    // cost a refresh 0.23 s). Nothing in an op file depends on lib/: entries name their library by path.
    OpFileList opFiles;
    OpFileView ops() const { return OpFileView(opFiles); }
    // Every regular file under lib/, sorted by relPath. In chunks shared with the snapshot before until written: a
    // refresh that changes a few records copies a few chunks, not 100,000 records (a third of a refresh).
    LibraryList libFiles;
    // The file of lib/ an entry's kernel_path names (joined to this folder as PyTorch joins it), -1 / null when
    // there is none (an absolute path, a path outside this folder, a file that is not there).
    int libraryIndexOf(const Entry& entry) const;
    // Where the entry's kernel_path leads, relative to this folder, as PyTorch joins it ("lib/ab/c….so"); empty when
    // it is absolute or leads out of the folder. `storage` holds the text when the path had to be normalised.
    std::string_view kernelRelPath(const Entry& entry, std::string& storage) const;
    const LibraryFile* libraryOf(const Entry& entry) const {
        int i = libraryIndexOf(entry);
        return i < 0 ? nullptr : &libFiles[std::size_t(i)];
    }
    std::vector<LibFolder> libFolders; // every folder of lib/ walked, lib/ itself included, sorted by relPath
    std::string error;
};

struct NamespaceDir {
    std::string name;
    std::string path;
    std::vector<DeviceDir> devices;
};

// What a scan read and what it carried over from the snapshot before it (ScanOptions::previous): a rescan's cost
// is what changed.
struct ScanWork {
    std::size_t opFilesStatted = 0; // every op file, but in a rescan of the ones the watcher named
    std::size_t opFilesParsed = 0, opFilesReused = 0;
    std::size_t libFoldersReused = 0;
    std::vector<std::string> libFoldersListed; // absolute paths
    std::vector<std::string> libFoldersChanged; // of those, the ones that hold other files or folders than before
    std::size_t librariesStatted = 0; // beyond the walk: libraries of reparsed op files, checked again
    std::vector<std::string> librariesChanged; // of those, the ones whose identity had changed
    std::size_t librariesInspected = 0, inspectionsReused = 0;
    // With a previous snapshot: the paths that differ from it (op files reparsed or gone, lib/ folders that hold
    // other files or folders, libraries changed, device folders new or gone). Empty: the disk is as that snapshot saw it.
    std::vector<std::string> changes;
    std::string summary() const; // "2 changes: /…/abs.json, /…/lib/ab", or "nothing"
};

struct CacheSnapshot {
    std::string root;       // as given, made absolute
    std::string eagerDir;   // <root>/aoti_eager
    bool eagerDirExists = false;
    std::string error;
    std::vector<NamespaceDir> namespaces;
    double scanSeconds = 0.0;
    ScanWork work;

    std::size_t opCount() const;
    std::size_t entryCount() const;
};

// "aten/cpu/abs@1f0c...": how an entry is named across the tools (job ids, the window's selection keys,
// benchmark runs); "aten/cpu/abs" for the op itself (an empty key).
std::string entryId(const std::string& ns, const std::string& device, const std::string& op, const std::string& key);
// "aten/cpu/abs #1": the entry's position, for people (changes when entries before it go).
std::string entryPosition(const std::string& ns, const std::string& device, const std::string& op, int index);

// The identities of the op's entries named by position (in this snapshot; positions it lacks are skipped) or
// by key: how a request by position becomes one by identity.
std::set<std::string> entryKeysNamed(const OpFile& op, const std::vector<int>& positions, const std::vector<std::string>& keys);

// Calls fn(namespace, device, op file) for every op file of the snapshot, in scan order.
template <typename Fn>
void forEachOp(const CacheSnapshot& snap, Fn&& fn) {
    for (const auto& ns : snap.namespaces) {
        for (const auto& dev : ns.devices) {
            for (const auto& op : dev.ops()) fn(ns, dev, op);
        }
    }
}

} // namespace aotiscope

// Its iterators point into the device folder's list, not into the view: a temporary ops() may be searched.
template <>
inline constexpr bool std::ranges::enable_borrowed_range<aotiscope::OpFileView> = true;
