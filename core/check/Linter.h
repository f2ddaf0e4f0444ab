// Health checks over a snapshot: each finding names its rule, where it is, and what exactly is wrong.
#pragma once

#include "core/base/PathState.h"

#include "core/read/CacheModel.h"
#include "core/check/DispatchKeys.h"
#include "core/check/Finding.h"
#include "core/check/HostInfo.h"
#include "core/check/Rules.h"
#include "core/base/SharedText.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace aotiscope {

// "not_runnable_here" when the worst of these findings (warning or error) are all host-bound, else the worst
// severity's name ("error", "warning", "info") or "ok".
const char* statusOfFindings(const std::vector<const Finding*>& findings);

struct LintOptions {
    bool checkLibraries = true; // ELF, ISA, compute capability, torch install (needs an inspected scan)
    // Errors first, then warnings, then infos, each in the order a single pass finds them (the window's order);
    // false: that single-pass order.
    bool mostSevereFirst = false;
    // When set, every path outside the scanned folders that a verdict rests on is noted there (with what was there):
    // the dependencies a remembered verdict must check (ListingIndex).
    PathProbes* probes = nullptr;
};

// Where each op file's and each library's findings went in a lint's output: what a later lint of a refreshed
// snapshot takes over for what did not change (LintPrevious).
struct LintSpans {
    struct Device {
        std::string path;
        std::size_t base = 0;              // emission index of the device's first finding
        std::vector<std::uint32_t> opEnd;  // per op file: end of its findings, counted from base
        std::vector<std::uint32_t> libEnd; // per library of libFiles: likewise, after all the ops'
        // Per op file: its findings and those of every library its entries name were taken over from the lint before,
        // so that whatever is made from them alone (the window's rows of the op) may be taken over too.
        std::vector<char> opSettled;

        // Whether these are the spans of this device folder's op files and libraries.
        bool covers(const DeviceDir& dev) const {
            return path == dev.path && opEnd.size() == dev.opFiles.size() && libEnd.size() == dev.libFiles.size();
        }
        // The emission indices [first, second) of op file i's findings, and of library i's.
        std::pair<std::size_t, std::size_t> ofOp(std::size_t i) const { return {base + (i ? opEnd[i - 1] : 0), base + opEnd[i]}; }
        std::pair<std::size_t, std::size_t> ofLibrary(std::size_t i) const {
            return {base + (i ? libEnd[i - 1] : opEnd.empty() ? 0 : opEnd.back()), base + libEnd[i]};
        }
        // The emission index after the device's last finding.
        std::size_t end() const { return base + (!libEnd.empty() ? libEnd.back() : !opEnd.empty() ? opEnd.back() : 0); }
    };
    std::vector<Device> devices;
    // The spans of this device folder, null when this lint's are not (another folder, or it changed since).
    const Device* of(const DeviceDir& dev) const {
        auto it = std::ranges::find_if(devices, [&](const Device& d) { return d.covers(dev); });
        return it == devices.end() ? nullptr : &*it;
    }
    // Every finding in emission order (the spans count into it), with its severity: what a later lint takes over
    // and orders without reading the findings themselves.
    struct Emitted {
        const Finding* finding = nullptr; // into the returned list's blocks
        Severity severity = Severity::Info;
    };
    std::vector<Emitted> emitted;
    std::size_t opsReused = 0, librariesReused = 0; // of this lint, taken over from the previous one
};

// The lint before, of the snapshot a rescan started from (ScanOptions::previous), for the same host and options.
// An op file's findings are taken over when it is the same object (unchanged on disk) and each of its entries
// names a library of lib/ whose record (identity, inspection, role, referencing entries) is unchanged; a library's
// likewise. Entries with an absolute kernel_path, a missing library or a symlink are judged again. What lint asks the
// host's own folders (its libraries, GPU kernel binaries) is asked again only at a full scan, as a rescan reads
// again only what changed.
struct LintPrevious {
    const CacheSnapshot* snapshot = nullptr;
    const FindingList* findings = nullptr;
    const LintSpans* spans = nullptr; // of that lint: it points into those findings' blocks
};

FindingList lintSnapshot(const CacheSnapshot& snapshot, const HostInfo& host, const LintOptions& options = {},
                         LintSpans* spans = nullptr, const LintPrevious* previous = nullptr);

struct FindingCounts {
    std::size_t info = 0, warning = 0, error = 0;
};
FindingCounts countFindings(const FindingList& findings);

} // namespace aotiscope
