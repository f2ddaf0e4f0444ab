#include "core/check/Linter.h"

#include "core/read/CacheScanner.h"
#include "core/check/EntryGuard.h"
#include "core/base/FileUtil.h"
#include "core/base/Parallel.h"
#include "core/read/TorchNames.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <map>
#include <unordered_map>

namespace fs = std::filesystem;

namespace aotiscope {

namespace {

constexpr const char* kRequiredRunnerSymbols[] = {
    "AOTInductorModelContainerCreateWithDevice", "AOTInductorModelContainerDelete",
    "AOTInductorModelContainerRun", "AOTInductorModelContainerGetNumOutputs",
};

// The same file as the lint before saw it, inspected the same (the inspection objects are shared between snapshots
// while a library is unchanged, so their identity says it).
bool sameLibrary(const LibraryFile& a, const LibraryFile& b) {
    return a.relPath == b.relPath && sameFile(a.stat, b.stat) && a.role == b.role && a.isSymlink == b.isSymlink &&
           a.escapesRoot == b.escapesRoot && a.resolvedPath == b.resolvedPath && a.elf == b.elf && a.artifacts == b.artifacts &&
           a.artifactBytes == b.artifactBytes;
}

// A finding in a lint's emission order: one the lint before made, taken over, or one this lint made (null until its
// maker's list is complete and its place in memory known: resolve()).
using Emitted = LintSpans::Emitted;

// Which op files and libraries of one device folder a lint takes over from the lint before (LintPrevious).
class Reuse {
public:
    Reuse(const DeviceDir& dev, const LintPrevious* previous) {
        if (!previous || !previous->snapshot || !previous->findings || !previous->spans) return;
        for (const auto& ns : previous->snapshot->namespaces) {
            for (const auto& d : ns.devices) {
                if (d.path == dev.path) before_ = &d;
            }
        }
        if (before_) span_ = previous->spans->of(*before_);
        if (!span_) return;
        // Op files by position: only while the folder holds the same ops (a reference names its op by position).
        if (before_->opFiles.size() != dev.opFiles.size()) return;
        for (std::size_t i = 0; i < dev.opFiles.size(); ++i) {
            if (dev.opFiles[i]->name != before_->opFiles[i]->name) return;
        }
        emittedBefore_ = &previous->spans->emitted;
        // Both listings are sorted by relPath: one walk pairs them.
        std::vector<int> was(dev.libFiles.size(), -1);
        for (std::size_t i = 0, k = 0; i < dev.libFiles.size() && k < before_->libFiles.size();) {
            const auto& now = dev.libFiles[i].relPath;
            const auto& then = before_->libFiles[k].relPath;
            // Equality first: a record carried over shares its path's text with the one before (a pointer says it).
            if (now == then) {
                if (sameLibrary(dev.libFiles[i], before_->libFiles[k])) was[i] = int(k);
                ++i, ++k;
            } else if (now < then) {
                ++i;
            } else {
                ++k;
            }
        }
        // An op is taken over when it is the same object and every entry with a kernel_path names an unchanged
        // library found in lib/ (the others send lint to the file system: judged again).
        opFrom_.assign(dev.opFiles.size(), 1);
        std::vector<std::uint32_t> named(dev.opFiles.size(), 0);
        libFrom_.assign(dev.libFiles.size(), -1);
        for (std::size_t i = 0; i < dev.libFiles.size(); ++i) {
            const auto& lib = dev.libFiles[i];
            for (const auto& ref : lib.referencedBy) {
                ++named[ref.op];
                if (was[i] < 0 || lib.isSymlink) opFrom_[ref.op] = 0;
            }
            if (was[i] >= 0) {
                const auto& old = before_->libFiles[std::size_t(was[i])].referencedBy;
                bool sameRefs = old.size() == lib.referencedBy.size() &&
                                std::equal(old.begin(), old.end(), lib.referencedBy.begin(), [](const LibraryRef& a, const LibraryRef& b) {
                                    return a.op == b.op && a.entry == b.entry;
                                });
                if (sameRefs) libFrom_[i] = was[i];
            }
        }
        for (std::size_t o = 0; o < dev.opFiles.size(); ++o) {
            const auto& op = *dev.opFiles[o];
            auto withPath = std::size_t(std::ranges::count_if(op.entries, [](const Entry& e) { return e.kernelPath.has_value(); }));
            if (dev.opFiles[o] != before_->opFiles[o] || withPath != named[o]) opFrom_[o] = 0;
        }
        settled_ = opFrom_;
        for (std::size_t i = 0; i < dev.libFiles.size(); ++i) {
            if (libFrom_[i] >= 0) continue;
            for (const auto& ref : dev.libFiles[i].referencedBy) settled_[ref.op] = 0;
        }
    }

    // Op i's findings and those of the libraries naming it, all taken over (LintSpans::Device::opSettled).
    std::vector<char> settled(std::size_t ops) const { return emittedBefore_ ? settled_ : std::vector<char>(ops, 0); }

    bool op(std::size_t i) const { return emittedBefore_ && opFrom_[i]; }
    bool library(std::size_t i) const { return emittedBefore_ && libFrom_[i] >= 0; }
    void referOp(std::size_t i, std::vector<Emitted>& out) {
        ++opsReused_;
        refer(span_->ofOp(i), out);
    }
    void referLibrary(std::size_t i, std::vector<Emitted>& out) {
        ++librariesReused_;
        refer(span_->ofLibrary(std::size_t(libFrom_[i])), out);
    }
    std::size_t opsReused() const { return opsReused_; }
    std::size_t librariesReused() const { return librariesReused_; }

private:
    void refer(std::pair<std::size_t, std::size_t> span, std::vector<Emitted>& out) const {
        out.insert(out.end(), emittedBefore_->begin() + std::ptrdiff_t(span.first), emittedBefore_->begin() + std::ptrdiff_t(span.second));
    }

    const DeviceDir* before_ = nullptr;
    const LintSpans::Device* span_ = nullptr;
    const std::vector<Emitted>* emittedBefore_ = nullptr; // pointing into the blocks of the findings before
    std::vector<char> opFrom_, settled_;
    std::vector<int> libFrom_;
    // Counted by the workers that copy: atomics, as several copy at once.
    std::atomic<std::size_t> opsReused_{0}, librariesReused_{0};
};

class Linter {
public:
    Linter(const CacheSnapshot& snap, const HostInfo& host, LintOptions options)
        : snap_(snap), host_(host), naming_(host.torchVersion()), options_(options) {}

    FindingList run(LintSpans* spans, const LintPrevious* previous) {
        std::size_t kernels = 0;
        LintSpans made;
        for (const auto& ns : snap_.namespaces) {
            for (const auto& dev : ns.devices) {
                Reuse reuse(dev, previous);
                LintSpans::Device span{dev.path, emitted_.size(), {}, {}, {}};
                const auto& ops = dev.ops();
                // One text per op name, shared by every finding about the op, its own and its libraries': one
                // allocation per op, not per library, and findings about one op tell it by a pointer.
                std::vector<SharedText> opNames;
                opNames.reserve(ops.size());
                for (const auto& op : ops) opNames.emplace_back(op.name);
                opNames_ = &opNames;
                span.opEnd.resize(ops.size());
                span.libEnd.resize(dev.libFiles.size());
                // Each op's and library's count of findings first (the workers fill them), then their ends.
                inChunks(ops.size(), [&](Linter& worker, std::size_t i) {
                    auto before = worker.emitted_.size();
                    if (reuse.op(i)) reuse.referOp(i, worker.emitted_);
                    else worker.emitting([&] { worker.lintOp(ns, dev, ops[i], opNames[i]); });
                    span.opEnd[i] = std::uint32_t(worker.emitted_.size() - before);
                });
                inChunks(dev.libFiles.size(), [&](Linter& worker, std::size_t i) {
                    auto before = worker.emitted_.size();
                    if (reuse.library(i)) reuse.referLibrary(i, worker.emitted_);
                    else worker.emitting([&] { worker.lintLibrary(ns, dev, dev.libFiles[i]); });
                    span.libEnd[i] = std::uint32_t(worker.emitted_.size() - before);
                });
                std::uint32_t end = 0;
                for (auto& n : span.opEnd) n = end += n;
                for (auto& n : span.libEnd) n = end += n;
                span.opSettled = reuse.settled(ops.size());
                made.opsReused += reuse.opsReused();
                made.librariesReused += reuse.librariesReused();
                made.devices.push_back(std::move(span));
                for (const auto& f : dev.libFiles) kernels += f.role == LibraryRole::Kernel;
            }
        }
        // What could not be read about this machine, said once: the checks that need it judged nothing.
        if (options_.checkLibraries && kernels > 0) {
            emitting([&] {
                for (const auto& fact : host_.unknownFacts) {
                    out_.push_back(Finding{std::string(rules::HostFactUnknown), ruleById(rules::HostFactUnknown).severity,
                                           fmt::format("{}: the checks that need it are off for the {} kernel librar{} of this cache",
                                                       fact, kernels, kernels == 1 ? "y" : "ies"),
                                           "", "", "", -1, -1, ""});
                }
            });
        }
        resolve(emitted_, out_);
        owned_.push_back(std::move(out_));
        std::size_t reused = made.opsReused + made.librariesReused;
        auto findings = place(reused > 0 && previous ? previous->findings : nullptr);
        made.emitted = std::move(emitted_);
        if (spans) *spans = std::move(made);
        return findings;
    }

private:
    void add(std::string_view rule, std::string message, const NamespaceDir& ns, const DeviceDir& dev,
             const SharedText& op, int entry, int arg, const SharedText& path, std::optional<Severity> severity = {}) {
        static const std::set<std::string_view> hostRules{rules::CpuIsaMissing, rules::ComputeCapability,
                                                          rules::SymbolVersionMissing, rules::HostFactUnknown};
        out_.push_back(Finding{std::string(rule), severity.value_or(ruleById(rule).severity), std::move(message),
                               ns.name, dev.name, op, entry, arg, path, hostRules.contains(rule)});
    }

    // GPU runtimes a CPU-only machine or torch lacks: a library needing them is not runnable here, not broken.
    static bool acceleratorRuntime(const std::string& soname) {
        for (const char* part : {"cuda", "cudart", "nvrtc", "cublas", "cudnn", "nccl", "nvToolsExt", "amdhip", "hip", "roc", "xpu", "sycl"}) {
            if (soname.find(part) != std::string::npos) return true;
        }
        return false;
    }

    void lintOp(const NamespaceDir& ns, const DeviceDir& dev, const OpFile& op, const SharedText& name) {
        opName_ = name;
        opPath_ = op.path;
        auto here = [&](std::string_view rule, std::string msg, int entry = -1, int arg = -1,
                        std::optional<Severity> sev = {}) { add(rule, std::move(msg), ns, dev, opName_, entry, arg, opPath_, sev); };
        if (!op.readError.empty()) {
            here(rules::UnreadableFile, op.readError);
            return;
        }
        if (!op.parseError.empty()) {
            here(rules::MalformedJson, fmt::format("{}: {}", op.path, op.parseError));
            return;
        }
        if (!op.structureError.empty()) {
            here(rules::BadStructure, fmt::format("{}: {}", op.path, op.structureError));
            return;
        }
        // PyTorch names the default overload without ".default" (aoti_eager.py): such a file is never read.
        if (op.name.ends_with(".default")) {
            here(rules::NeverReadOpFile,
                 fmt::format("{}: PyTorch reads the default overload's entries from {}.json, never from this file",
                             op.path, op.name.substr(0, op.name.size() - 8)));
        }
        std::unordered_map<std::uint64_t, int> firstWithGuard; // guard hash -> first entry with it
        for (const auto& e : op.entries) {
            auto entryName = fmt::format("entry #{}", e.index);
            for (const auto& issue : e.issues) {
                auto where = issue.argIndex >= 0 ? fmt::format("{} argument #{}", entryName, issue.argIndex) : entryName;
                // Fields the loader never reads as such: what decides is whether the holder's casts take them.
                static const std::set<std::string> castOnly{"requires_grad", "device_index", "sizes", "strides",
                                                            "dispatch_key_set", "arg_order", "scalar_value", "device_index_value"};
                if (issue.kind == ParseIssue::Kind::WrongType && castOnly.contains(issue.field)) {
                    if (!e.registrationRefusal.empty()) continue; // registration-fails says it, with PyTorch's reason
                    here(rules::UnusualValue, fmt::format("{}: {}; PyTorch's loader and kernel holder accept it", where, issue.message),
                         e.index, issue.argIndex);
                    continue;
                }
                std::string_view rule = rules::BadStructure;
                if (issue.kind == ParseIssue::Kind::UnknownKey) {
                    rule = rules::UnknownField;
                } else if (issue.kind == ParseIssue::Kind::BadDtype || issue.kind == ParseIssue::Kind::BadLayout) {
                    rule = rules::BadDtypeOrLayout;
                }
                here(rule, fmt::format("{}: {}", where, issue.message), e.index, issue.argIndex);
            }
            lintKernelPath(ns, dev, op, e);
            if (!e.registrationRefusal.empty()) {
                here(rules::RegistrationFails,
                     fmt::format("{} {}: PyTorch's kernel holder refuses it, so {} is not registered for AOTI and every "
                                 "call of it runs without the cache", entryName, e.registrationRefusal, op.name),
                     e.index);
            }
            for (std::size_t i = 0; i < e.args.size(); ++i) {
                lintArg(ns, dev, op, e, int(i));
            }
            auto [it, inserted] = firstWithGuard.emplace(entryGuardHash(e), e.index);
            // Equal hashes are confirmed on the full keys: a collision must not invent a shadowed entry.
            if (!inserted && entryGuardKey(e) == entryGuardKey(op.entries[std::size_t(it->second)])) {
                here(rules::ShadowedEntry,
                     fmt::format("{} has the same guard fields as entry #{}, which matches first: it is never used "
                                 "(loaded from disk, entries are compared without their dispatch key set and device type)",
                                 entryName, it->second),
                     e.index);
            }
        }
    }

    void lintKernelPath(const NamespaceDir& ns, const DeviceDir& dev, const OpFile& op, const Entry& e) {
        if (!e.kernelPath) {
            return;
        }
        KernelPathResolution r;
        const LibraryFile* known = dev.libraryOf(e);
        if (known && !known->isSymlink) {
            // Found by the scan's walk of lib/, which follows no symlink: inside the root by construction.
            r.exists = known->stat.exists;
        } else {
            r = resolveKernelPath(snap_.root, dev.path, *e.kernelPath);
            probe(r.joined);
        }
        if (r.escapesRoot) {
            add(rules::KernelPathEscapes,
                fmt::format("entry #{}: kernel_path \"{}\" is refused: {}", e.index, *e.kernelPath, r.escapeReason), ns,
                dev, opName_, e.index, -1, r.joined);
        }
        std::error_code ec;
        if (r.exists && !known && fs::is_directory(r.joined, ec)) {
            add(rules::RegistrationFails,
                fmt::format("entry #{}: kernel_path \"{}\" names a folder: the loader finds it, the holder's dlopen fails "
                            "(\"Is a directory\"), so {} is not registered for AOTI", e.index, *e.kernelPath, op.name),
                ns, dev, opName_, e.index, -1, r.joined);
        }
        if (!r.exists) {
            add(rules::MissingLibrary,
                fmt::format("entry #{}: kernel library {} does not exist: PyTorch ignores all {} entr{} of {} and "
                            "recompiles it in every process",
                            e.index, r.joined, op.entries.size(), op.entries.size() == 1 ? "y" : "ies", op.name),
                ns, dev, opName_, e.index, -1, r.joined);
        }
    }

    void lintTensor(const NamespaceDir& ns, const DeviceDir& dev, const OpFile& op, const Entry& e, int arg,
                    const TensorMeta& t, const std::string& what, bool isTensor) {
        if (t.isDynamic.value_or(false)) {
            add(rules::DynamicEntry, fmt::format("entry #{} {}: is_dynamic is set: PyTorch drops all of {}", e.index, what, op.name),
                ns, dev, opName_, e.index, arg, opPath_);
        }
        if (t.deviceType == "cpu" && t.deviceIndex && *t.deviceIndex != -1) {
            add(rules::CpuDeviceIndex, fmt::format("entry #{} {}: cpu device_index is {}, PyTorch reads -1", e.index, what, *t.deviceIndex),
                ns, dev, opName_, e.index, arg, opPath_);
        }
        const auto* active = naming_.active();
        if (!isTensor || !active || !t.dispatchKeySet || t.deviceType.empty() || t.dtype.empty()) {
            return;
        }
        auto expected = expectedKeys(*active, t.deviceType, t.dtype);
        if (!expected) {
            return;
        }
        // Compared by key names: the raw bits of another release name other keys (KeySetNaming picks the layout).
        // The verdict depends on the set, its writer and the tensor's kind only: reached once per distinct case.
        auto writer = writerTorchVersion(dev, e);
        auto caseKey = fmt::format("{}\n{}\n{}\n{}", *t.dispatchKeySet, writer, t.deviceType, t.dtype);
        auto it = keySetVerdicts_.find(caseKey);
        if (it == keySetVerdicts_.end()) {
            auto reading = naming_.read(t, writer);
            auto names = reading.table->keyNames(*t.dispatchKeySet);
            auto asActive = reading.table == active ? t.dispatchKeySet : active->encode(names);
            std::string why;
            if (asActive != expected) {
                why = fmt::format("dispatch_key_set {} = {} in {}; under the torch in use ({}) a fresh {} {} tensor "
                                  "has {}{}: recorded under another mode (from disk it still matches)",
                                  *t.dispatchKeySet, fmt::join(names, ", "), reading.label(), active->release(),
                                  t.deviceType, canonicalDtype(t.dtype), fmt::join(active->keyNames(*expected), ", "),
                                  asActive ? "" : fmt::format(" (torch {} has no key of some of those names)", active->release()));
            }
            it = keySetVerdicts_.emplace(std::move(caseKey), std::move(why)).first;
        }
        if (it->second.empty()) {
            return;
        }
        add(rules::DispatchKeyMismatch, fmt::format("entry #{} {}: {}", e.index, what, it->second), ns, dev, opName_,
            e.index, arg, opPath_);
    }

    std::optional<std::uint64_t> expectedKeys(const DispatchKeyTable& active, const std::string& device, const std::string& dtype) {
        auto key = device + "/" + dtype;
        if (auto it = expectedCache_.find(key); it != expectedCache_.end()) {
            return it->second;
        }
        auto v = active.freshTensorSet(device, "strided", dtype);
        expectedCache_.emplace(key, v);
        return v;
    }

    void lintArg(const NamespaceDir& ns, const DeviceDir& dev, const OpFile& op, const Entry& e, int i) {
        const Arg& a = e.args[std::size_t(i)];
        auto what = fmt::format("argument #{} ({})", i, argKindName(a.kind));
        if (a.kind == ArgKind::Tensor || a.kind == ArgKind::Scalar) {
            lintTensor(ns, dev, op, e, i, a.tensor, what, a.kind == ArgKind::Tensor);
        }
        for (std::size_t k = 0; k < a.list.size(); ++k) {
            lintTensor(ns, dev, op, e, i, a.list[k], fmt::format("{} item {}", what, k), true);
        }
    }

    // The folders the loader searches for a library's dependencies in a torch process: its own run paths
    // ($ORIGIN expanded), torch's lib folder (its libraries are loaded already), then the system's.
    std::vector<std::string> searchDirs(const std::vector<std::string>& runPaths, const std::string& origin) const {
        std::vector<std::string> dirs;
        for (auto p : runPaths) {
            if (auto at = p.find("$ORIGIN"); at != std::string::npos) {
                p.replace(at, 7, origin);
            }
            dirs.push_back(std::move(p));
        }
        if (host_.torch) {
            dirs.push_back(host_.torch->dir + "/lib");
        }
        dirs.insert(dirs.end(), host_.librarySearchPath.begin(), host_.librarySearchPath.end());
        return dirs;
    }

    void probe(const std::string& path) const {
        if (options_.probes) options_.probes->note(path);
    }

    static bool torchsOwn(const std::string& soname) {
        return soname.starts_with("libtorch") || soname.starts_with("libc10") || soname.starts_with("libshm");
    }

    bool dependencyResolves(const std::string& needed, const std::vector<std::string>& runPaths, const std::string& origin) {
        if (needed.find('/') != std::string::npos) {
            probe(needed);
            return fs::exists(needed);
        }
        // Without a torch, whether torch's own libraries resolve is not known: the host-fact finding says so.
        if (!host_.torch && torchsOwn(needed)) {
            return true;
        }
        // The answer depends only on the name and the library's own run paths ($ORIGIN expanded).
        std::string cacheKey = needed + '\n' + origin;
        for (const auto& p : runPaths) cacheKey += '\n' + p;
        if (auto it = resolveCache_.find(cacheKey); it != resolveCache_.end()) {
            return it->second;
        }
        auto dirs = searchDirs(runPaths, origin);
        bool found = std::ranges::any_of(dirs, [&](const std::string& d) {
            std::error_code ec;
            probe(d + "/" + needed);
            return fs::exists(d + "/" + needed, ec);
        });
        resolveCache_.emplace(cacheKey, found);
        return found;
    }

    // What the library the loader finds for `soname` in `dirs` offers, looked up once per run: 100,000 kernels
    // built by one compiler ask the same three or four questions.
    const std::pair<std::optional<std::vector<std::string>>, std::string>& provided(const std::string& soname,
                                                                                     const std::vector<std::string>& dirs) {
        std::string key = soname;
        for (const auto& d : dirs) key += '\n' + d;
        if (auto it = providedCache_.find(key); it != providedCache_.end()) return it->second;
        std::string foundAt;
        auto offered = providedVersions(soname, dirs, &foundAt);
        for (const auto& d : dirs) {
            probe(d + "/" + soname);
            if (d + "/" + soname == foundAt) break;
        }
        return providedCache_.emplace(std::move(key), std::pair{std::move(offered), std::move(foundAt)}).first->second;
    }

    // The symbol versions the library needs that the libraries the loader would find do not offer.
    template <typename Here>
    void checkSymbolVersions(const LibraryFile& f, const std::string& origin, Here&& here) {
        std::map<std::string, std::vector<std::string>> bySoname;
        for (const auto& nv : f.elf->neededVersions) {
            auto colon = nv.find(':');
            if (colon != std::string::npos) bySoname[nv.substr(0, colon)].push_back(nv.substr(colon + 1));
        }
        auto dirs = searchDirs(f.elf->runPaths, origin);
        for (const auto& [soname, versions] : bySoname) {
            if (!host_.torch && torchsOwn(soname)) continue;
            const auto& [offered, foundAt] = provided(soname, dirs);
            if (!offered) continue; // not found at all: the unresolved-dependency finding says so
            std::vector<std::string> missing;
            for (const auto& v : versions) {
                if (std::ranges::find(*offered, v) == offered->end()) missing.push_back(v);
            }
            if (missing.empty()) continue;
            auto newest = newestLike(missing.front(), *offered);
            here(rules::SymbolVersionMissing,
                 fmt::format("{} needs {} of {}; the {} this machine's loader finds ({}) offers {}: dlopen fails with "
                             "\"version `{}' not found\"", f.relPath, fmt::join(missing, ", "), soname, soname, foundAt,
                             newest.empty() ? std::string("none of them") : "up to " + newest, missing.front()));
        }
    }

    // Runs fn, which adds findings of this linter's own to out_, and marks their places in the emission order.
    template <typename Fn>
    void emitting(Fn&& fn) {
        auto before = out_.size();
        fn();
        emitted_.insert(emitted_.end(), out_.size() - before, Emitted{});
    }

    // The places emitting() marked, pointed at the findings of `own` (complete: it grows no more, and it is not moved
    // but as a whole, which keeps its findings where they are), in order.
    static void resolve(std::vector<Emitted>& emitted, const std::vector<Finding>& own) {
        std::size_t k = 0;
        for (auto& e : emitted) {
            if (e.finding) continue; // taken over
            e.finding = &own[k++];
            e.severity = e.finding->severity;
        }
    }

    static constexpr std::size_t kCompactSlack = 64; // a small cache compacts at once: cheap there

    // The list: errors, then warnings, then infos, each in emission order, when mostSevereFirst, else emission order.
    // Nothing is copied: the findings this lint made stay in the blocks its workers made them in, and those it took
    // over in the blocks of `before`, whose blocks the list keeps (all of them: which still hold a listed finding is
    // not asked). Once the blocks hold more than twice the findings listed (a refresh's findings of what changed are
    // made anew, and the old ones stay behind), the listed ones are copied into one block and the rest freed.
    FindingList place(const FindingList* before) {
        std::vector<std::shared_ptr<const FindingList::Block>> blocks;
        if (before) blocks = before->blocks();
        for (auto& own : owned_) {
            if (!own.empty()) blocks.push_back(std::make_shared<const FindingList::Block>(std::move(own)));
        }
        owned_.clear();
        if (FindingList::heldIn(blocks) > 2 * emitted_.size() + kCompactSlack) {
            FindingList::Block compact;
            compact.reserve(emitted_.size());
            for (const auto& e : emitted_) compact.push_back(*e.finding);
            auto block = std::make_shared<const FindingList::Block>(std::move(compact));
            for (std::size_t i = 0; i < emitted_.size(); ++i) emitted_[i].finding = &(*block)[i];
            blocks = {std::move(block)};
        }
        std::vector<const Finding*> order(emitted_.size());
        if (!options_.mostSevereFirst) {
            std::ranges::transform(emitted_, order.begin(), &Emitted::finding);
            return FindingList(std::move(order), std::move(blocks));
        }
        static_assert(int(Severity::Info) == 0 && int(Severity::Warning) == 1 && int(Severity::Error) == 2);
        std::size_t count[3] = {};
        for (const auto& e : emitted_) ++count[int(e.severity)];
        std::size_t next[3] = {count[2] + count[1], count[2], 0}; // where each severity's findings begin
        for (const auto& e : emitted_) order[next[int(e.severity)]++] = e.finding;
        return FindingList(std::move(order), std::move(blocks));
    }

    // fn(linter, i) for i in [0, n), in chunks spread over the cores, each worker a Linter of its own (its caches
    // are not shared); the findings come out in the order a single pass would give them.
    template <typename Fn>
    void inChunks(std::size_t n, Fn&& fn) {
        constexpr std::size_t kChunk = 256;
        std::size_t chunks = (n + kChunk - 1) / kChunk;
        unsigned threads = std::min<unsigned>(defaultThreadCount(), unsigned(std::min<std::size_t>(chunks, 64)));
        if (threads <= 1) {
            for (std::size_t i = 0; i < n; ++i) fn(*this, i);
            return;
        }
        std::vector<std::vector<Emitted>> emitted(chunks);
        std::vector<FindingList::Block> parts(chunks);
        std::vector<std::unique_ptr<Linter>> workers(threads);
        parallelFor(chunks, threads, [&](std::size_t c, unsigned t) {
            auto& worker = workers[t];
            if (!worker) worker = std::make_unique<Linter>(snap_, host_, options_);
            worker->opNames_ = opNames_;
            for (std::size_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) fn(*worker, i);
            // The chunk's own findings stay where they are: owned_ keeps them, and place() makes them blocks of the list.
            resolve(worker->emitted_, worker->out_);
            emitted[c] = std::move(worker->emitted_);
            worker->emitted_.clear();
            parts[c] = std::move(worker->out_);
            worker->out_.clear();
            worker->out_.reserve(parts[c].size()); // the next chunk is much like this one: no growth by doubling
        });
        std::ranges::move(parts, std::back_inserter(owned_));
        for (auto& e : emitted) emitted_.insert(emitted_.end(), e.begin(), e.end());
    }

    void lintLibrary(const NamespaceDir& ns, const DeviceDir& dev, const LibraryFile& f) {
        SharedText owner = f.referencedBy.empty() ? SharedText() : (*opNames_)[f.referencedBy.front().op];
        int entry = f.referencedBy.empty() ? -1 : f.referencedBy.front().entry;
        auto here = [&](std::string_view rule, std::string msg, std::optional<Severity> sev = {}) {
            add(rule, std::move(msg), ns, dev, owner, entry, -1, f.path, sev);
        };
        if (f.escapesRoot) {
            here(rules::SymlinkOutOfRoot, fmt::format("{} is a symlink to {}, outside the cache root", f.relPath, f.resolvedPath));
        }
        if (f.role == LibraryRole::OrphanKernel) {
            here(rules::OrphanLibrary, fmt::format("{} ({}, {} with sidecars) is referenced by no entry", f.relPath,
                                                   humanBytes(f.stat.size), humanBytes(f.stat.size + f.artifactBytes)));
        }
        if (f.role != LibraryRole::Kernel || !options_.checkLibraries || !f.elf) {
            return;
        }
        auto first = out_.size();
        lintKernelLibrary(f, here);
        // A library several entries name is judged for each of them: every op it breaks shows it.
        auto last = out_.size();
        for (std::size_t r = 1; r < f.referencedBy.size() && last > first; ++r) {
            const auto& ref = f.referencedBy[r];
            for (std::size_t i = first; i < last; ++i) {
                auto copy = out_[i];
                copy.op = (*opNames_)[ref.op];
                copy.entry = ref.entry;
                out_.push_back(std::move(copy));
            }
        }
    }

    // The GPU kernel binaries a library loads by absolute path (LibraryArtifacts::kernelBinaries).
    template <typename Here>
    void checkKernelBinaries(const LibraryFile& f, const LibraryArtifacts& a, Here&& here) {
        std::error_code ec;
        auto root = fs::weakly_canonical(snap_.root, ec);
        std::vector<std::string> missing, outside;
        std::string movedFrom, foundAt;
        for (const auto& p : a.kernelBinaries) {
            probe(p);
            if (!fs::exists(p, ec)) {
                missing.push_back(p);
                // Compiled in another cache folder: the same file under this cache says the cache moved.
                if (auto at = p.find("/aoti_eager/"); at != std::string::npos && foundAt.empty()) {
                    auto inCache = snap_.eagerDir + p.substr(at + std::string_view("/aoti_eager").size());
                    probe(inCache);
                    if (fs::exists(inCache, ec)) {
                        foundAt = inCache;
                        movedFrom = p.substr(0, at);
                    }
                }
                continue;
            }
            auto rel = fs::weakly_canonical(p, ec).lexically_relative(root);
            if (rel.empty() || *rel.begin() == "..") outside.push_back(p);
        }
        if (!missing.empty()) {
            auto hint = foundAt.empty()
                            ? std::string("recompile the entry here (compile --stale)")
                            : fmt::format("the file is in this cache at {}: the cache was compiled at {} and moved; "
                                          "recompile here (compile --stale) or put it back at {}",
                                          foundAt, movedFrom, movedFrom);
            here(rules::KernelBinaryMissing,
                 fmt::format("{} loads {} of its {} GPU kernel binaries by absolute path and they do not exist ({}): "
                             "the first call fails with \"run_func_(...) API call failed\"; {}",
                             f.relPath, missing.size(), a.kernelBinaries.size(), fmt::join(missing, ", "), hint));
        }
        if (!outside.empty()) {
            here(rules::KernelBinaryMissing,
                 fmt::format("{} loads GPU kernel binaries from outside the cache root {} ({}): it runs while that "
                             "folder stays, and fails once it goes or the cache is copied elsewhere",
                             f.relPath, snap_.root, fmt::join(outside, ", ")),
                 Severity::Warning);
        }
    }

    template <typename Here>
    void lintKernelLibrary(const LibraryFile& f, Here&& here) {
        const ElfSummary& elf = *f.elf;
        if (!elf.isElf) {
            here(rules::NotLoadable, fmt::format("{}: {}", f.relPath, elf.error));
            return;
        }
        if (!host_.machine.empty() && elf.machine != host_.machine) {
            here(rules::NotLoadable, fmt::format("{} is built for {}, this machine is {}", f.relPath, elf.machine, host_.machine));
            out_.back().hostBound = true;
        }
        std::vector<std::string> missingSyms;
        for (const char* sym : kRequiredRunnerSymbols) {
            if (std::ranges::find(elf.aotiSymbols, sym) == elf.aotiSymbols.end()) {
                missingSyms.emplace_back(sym);
            }
        }
        if (!missingSyms.empty()) {
            here(rules::MissingRunnerSymbols, fmt::format("{} does not export {}", f.relPath, fmt::join(missingSyms, ", ")));
        }
        auto origin = f.path.substr(0, f.path.rfind('/'));
        std::vector<std::string> unresolved;
        for (const auto& n : elf.needed) {
            if (!dependencyResolves(n, elf.runPaths, origin)) {
                unresolved.push_back(n);
            }
        }
        if (!unresolved.empty()) {
            here(rules::UnresolvedDependency,
                 fmt::format("{} needs {}, found in none of its run paths, the active torch's lib folder or the "
                             "system library folders",
                             f.relPath, fmt::join(unresolved, ", ")));
            out_.back().hostBound = std::ranges::all_of(unresolved, acceleratorRuntime);
        }
        checkSymbolVersions(f, origin, here);
        if (!f.artifacts) {
            return;
        }
        const LibraryArtifacts& a = *f.artifacts;
        checkKernelBinaries(f, a, here);
        if (!a.machine.empty() && !host_.machine.empty() && a.machine != host_.machine) {
            here(rules::CpuIsaMissing, fmt::format("{} was compiled on {} (AOTI_MACHINE), this machine is {}", f.relPath, a.machine, host_.machine));
        }
        if (!a.cpuIsa.empty() && !host_.cpuFlags.empty()) { // unknown flags: said once (host-fact-unknown)
            std::istringstream words(a.cpuIsa);
            std::string word;
            std::vector<std::string> lacking;
            while (words >> word) {
                for (const auto& flag : cpuFlagsForIsa(word)) {
                    if (!host_.cpuFlags.contains(flag)) {
                        lacking.push_back(fmt::format("{} ({})", word, flag));
                        break;
                    }
                }
            }
            if (!lacking.empty()) {
                here(rules::CpuIsaMissing, fmt::format("{} was compiled for \"{}\"; this CPU lacks {}: running it can die with SIGILL",
                                                       f.relPath, a.cpuIsa, fmt::join(lacking, ", ")));
            }
        }
        // Either count is what inductor would pick here: the CPUs, or torch's default of one thread per core.
        if (a.kernelThreads > 0 && host_.cpuCount > 0 && unsigned(a.kernelThreads) != host_.cpuCount &&
            unsigned(a.kernelThreads) != host_.physicalCores) {
            auto effect = unsigned(a.kernelThreads) > host_.cpuCount
                              ? std::string("it oversubscribes them")
                              : fmt::format("it leaves {} of them idle", host_.cpuCount - unsigned(a.kernelThreads));
            here(rules::KernelThreadsFixed,
                 fmt::format("{} runs its parallel loops on {} threads, fixed when it was compiled (num_threads({})); "
                             "this process may use {} CPUs: {}, and torch.set_num_threads does not change it",
                             f.relPath, a.kernelThreads, a.kernelThreads, host_.cpuCount, effect));
        }
        if (!a.computeCapability.empty()) {
            if (!host_.cudaComputeCapabilities) {
                here(rules::ComputeCapability,
                     fmt::format("{} was compiled for CUDA compute capability {}; this machine has no NVIDIA GPU", f.relPath, a.computeCapability),
                     Severity::Warning);
            } else if (std::ranges::find(*host_.cudaComputeCapabilities, a.computeCapability) == host_.cudaComputeCapabilities->end()) {
                here(rules::ComputeCapability,
                     fmt::format("{} was compiled for CUDA compute capability {}; this machine's GPUs have {}", f.relPath,
                                 a.computeCapability, fmt::join(*host_.cudaComputeCapabilities, ", ")));
            }
        }
        if (!a.torchDir.empty() && host_.torch) {
            probe(a.torchDir);
            probe(host_.torch->dir);
            std::error_code ec1, ec2;
            auto built = fs::weakly_canonical(a.torchDir, ec1).string();
            auto active = fs::weakly_canonical(host_.torch->dir, ec2).string();
            if (built != active) {
                bool gone = !fs::exists(a.torchDir, ec1);
                here(rules::ForeignTorch,
                     fmt::format("{} was built by the torch at {}{}; the active torch is {} ({})", f.relPath, a.torchDir,
                                 gone ? " (no longer exists)" : "", host_.torch->dir, host_.torch->version));
            }
        }
    }

    const CacheSnapshot& snap_;
    const HostInfo& host_;
    KeySetNaming naming_;
    LintOptions options_;
    std::vector<Finding> out_;         // the findings this linter made, in the order it made them
    std::vector<Emitted> emitted_;     // every finding of the lint in emission order: made here, or taken over
    std::vector<FindingList::Block> owned_; // the findings this lint made, chunk by chunk
    std::unordered_map<std::string, std::optional<std::uint64_t>> expectedCache_;
    std::unordered_map<std::string, bool> resolveCache_;
    SharedText opName_, opPath_; // of the op lintOp is judging, shared by its findings
    const std::vector<SharedText>* opNames_ = nullptr; // of the device folder being judged, by op index
    std::unordered_map<std::string, std::string> keySetVerdicts_; // set, writer, device, dtype -> finding text or ""
    std::unordered_map<std::string, std::pair<std::optional<std::vector<std::string>>, std::string>> providedCache_;
};

} // namespace

FindingList lintSnapshot(const CacheSnapshot& snapshot, const HostInfo& host, const LintOptions& options,
                         LintSpans* spans, const LintPrevious* previous) {
    return Linter(snapshot, host, options).run(spans, previous);
}

const char* statusOfFindings(const std::vector<const Finding*>& findings) {
    if (findings.empty()) return "ok";
    int worst = -1, worstOfEntry = -1;
    for (const auto* f : findings) {
        worst = std::max(worst, int(f->severity));
        if (!f->hostBound) worstOfEntry = std::max(worstOfEntry, int(f->severity));
    }
    if (worst >= int(Severity::Warning) && worstOfEntry < worst) return "not_runnable_here";
    return severityName(Severity(worst));
}

FindingCounts countFindings(const FindingList& findings) {
    FindingCounts c;
    for (const auto& f : findings) {
        (f.severity == Severity::Error ? c.error : f.severity == Severity::Warning ? c.warning : c.info)++;
    }
    return c;
}

} // namespace aotiscope
