#include "ui/ScanResult.h"

#include "core/CacheScanner.h"
#include "core/DispatchKeys.h"

#include <chrono>

namespace aotiscope::ui {

ScanResultPtr scanAndLint(const std::string& root, const HostInfo& host, const ScanOptions& options) {
    auto r = std::make_shared<ScanResult>();
    r->host = host;
    r->snapshot = scanCache(root, options);
    auto started = std::chrono::steady_clock::now();
    auto decoder = linkedDispatchKeyDecoder();
    r->findings = lintSnapshot(r->snapshot, host, decoder.get());
    r->lintSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return r;
}

} // namespace aotiscope::ui
