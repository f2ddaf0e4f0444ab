// One scan as the GUI sees it: the snapshot, its findings and the host they were judged against.
// Immutable and shared between the worker thread that makes it and the models that show it.
#pragma once

#include "core/CacheModel.h"
#include "core/CacheScanner.h"
#include "core/HostInfo.h"
#include "core/Linter.h"

#include <memory>

namespace aotiscope::ui {

struct ScanResult {
    CacheSnapshot snapshot;
    std::vector<Finding> findings;
    HostInfo host;
    double lintSeconds = 0.0;
};

using ScanResultPtr = std::shared_ptr<const ScanResult>;

// Scans and lints `root` (on the calling thread: callers run it off the GUI thread).
ScanResultPtr scanAndLint(const std::string& root, const HostInfo& host, const ScanOptions& options);

} // namespace aotiscope::ui
