// Walks a cache root into an immutable CacheSnapshot: every namespace, device and op file parsed, and every
// file under each lib/ folder inventoried and classified. Reads only; never loads a library.
#pragma once

#include "core/read/CacheModel.h"

#include <atomic>
#include <memory>
#include <functional>
#include <string>
#include <vector>

namespace aotiscope {

class InspectionCache;

struct ScanOptions {
    unsigned threads = 0;          // 0: one per core
    bool inspectLibraries = true;  // read ELF headers and sidecars of kernel libraries (lint needs them)
    // Called from worker threads with (done, total) op files; may be null.
    std::function<void(std::size_t, std::size_t)> progress;
    // Checked between files: a scan whose result nobody wants stops early.
    const std::atomic<bool>* cancelled = nullptr;
    // Remembers ELF summaries across scans (see InspectionCache); null: every library is read.
    InspectionCache* inspectionCache = nullptr;
    // The last snapshot of the same root, fully inspected: op files whose identity is unchanged are taken from it
    // unparsed, lib/ folders whose identity is unchanged unlisted with their libraries' inspections, and only the
    // libraries of reparsed op files are stat-ed again (a library rewritten in place under an unchanged folder and
    // named by no changed op is seen by the next full scan). Null: everything is read.
    const CacheSnapshot* previous = nullptr;
    // With `previous`: the op files (absolute paths) that the watcher saw rewritten, the only change it saw. Only
    // these are stat-ed and, changed, parsed; only the libraries of their entries are stat-ed, and only the lib/
    // folders those lead into that `previous` did not have are listed. A named file that is gone or not in
    // `previous`, or a library added to a folder walked before, makes it a full rescan. What no watched file
    // reports (a file added to lib/ beside the kernels) is seen by the next full rescan.
    const std::vector<std::string>* onlyOpFiles = nullptr;
};

CacheSnapshot scanCache(const std::string& root, const ScanOptions& options = {});

// Completes a snapshot scanned with inspectLibraries off: reads every kernel library's ELF header and
// sidecars into a new snapshot that shares the op files (no JSON is read again). The GUI shows the tree
// from the fast scan while this runs.
CacheSnapshot inspectSnapshot(const CacheSnapshot& fast, const ScanOptions& options = {});

// Where an entry's kernel_path leads, decided as PyTorch would join it (device folder / kernel_path) and
// then checked against the cache root, symlinks resolved.
struct KernelPathResolution {
    std::string joined;    // lexical join, as PyTorch's Path(...) / kernel_path
    std::string resolved;  // canonical path when the file exists
    bool exists = false;
    bool escapesRoot = false;
    std::string escapeReason;
};
KernelPathResolution resolveKernelPath(const std::string& root, const std::string& deviceDir,
                                       const std::string& kernelPath);

} // namespace aotiscope
