// One scan as the GUI sees it: the snapshot, its findings and the host they were judged against.
// Immutable and shared between the worker thread that makes it and the models that show it.
#pragma once

#include "core/read/CacheModel.h"
#include "core/read/CacheScanner.h"
#include "core/check/HostInfo.h"
#include "core/check/Linter.h"
#include "ui/CacheTreeIndex.h"
#include "ui/FindingGroups.h"

#include <memory>

namespace aotiscope::ui {

struct ScanResult {
    CacheSnapshot snapshot;
    FindingList findings; // most severe first
    HostInfo host;
    double lintSeconds = 0.0;
    bool librariesInspected = true; // false for the quick first result of a two-phase scan
    CacheTreeIndex tree; // the GUI's rows, built with the scan off the GUI thread
    FindingGroups groups; // the health panel's rows without a search, likewise
    std::shared_ptr<const LintSpans> lintSpans; // where each op's and library's findings are: for the next refresh
};

using ScanResultPtr = std::shared_ptr<const ScanResult>;

// Scans, lints and indexes `root` (on the calling thread: callers run it off the GUI thread).
ScanResultPtr scanAndLint(const std::string& root, const HostInfo& host, const ScanOptions& options);
// Lints and indexes a snapshot; library checks only when its libraries were inspected. `previous`: the result the
// snapshot was rescanned from (ScanOptions::previous), judged for the same host: what did not change is taken over.
ScanResultPtr lintAndIndex(CacheSnapshot snapshot, const HostInfo& host, bool librariesInspected,
                           const ScanResult* previous = nullptr);

// Drops a result the window no longer shows on a worker thread: freeing 100,000 entries' rows, records and 300,000
// findings took the GUI thread some 50 ms at each refresh. Another holder keeps it alive as before.
void releaseOffGuiThread(ScanResultPtr result);

} // namespace aotiscope::ui
