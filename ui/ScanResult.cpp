#include "ui/ScanResult.h"

#include "core/read/CacheScanner.h"
#include "core/check/DispatchKeys.h"

#include <QtConcurrent/QtConcurrentRun>
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>

namespace aotiscope::ui {

ScanResultPtr lintAndIndex(CacheSnapshot snapshot, const HostInfo& host, bool librariesInspected, const ScanResult* previous) {
    auto r = std::make_shared<ScanResult>();
    r->host = host;
    r->snapshot = std::move(snapshot);
    r->librariesInspected = librariesInspected;
    auto started = std::chrono::steady_clock::now();
    // The health panel's order (most severe first, else as lint found them), made here off the GUI thread: sorting
    // 300,000 rows there stalled it 0.55 s.
    LintOptions options{librariesInspected, true};
    // A refresh: what did not change is not judged again (LintPrevious), when the result before judged the same way.
    LintPrevious before;
    if (previous && previous->lintSpans && previous->librariesInspected == librariesInspected) {
        before = LintPrevious{&previous->snapshot, &previous->findings, previous->lintSpans.get()};
    }
    auto spans = std::make_shared<LintSpans>();
    r->findings = lintSnapshot(r->snapshot, host, options, spans.get(), previous ? &before : nullptr);
    spdlog::debug("lint took over {} op files and {} libraries from the result before", spans->opsReused, spans->librariesReused);
    r->lintSpans = std::move(spans);
    auto linted = std::chrono::steady_clock::now();
    r->lintSeconds = std::chrono::duration<double>(linted - started).count();
    // The health panel's groups are made beside the tree index (both only read the findings): on this machine's
    // two cores a refresh waits for the longer of the two, not for both.
    double groupSeconds = 0.0;
    auto grouped = std::async(std::launch::async, [&r = *r, &groupSeconds] {
        auto began = std::chrono::steady_clock::now();
        auto groups = groupFindings(r.findings, {}, FindingSource{&r.snapshot, r.lintSpans.get()});
        groupSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
        return groups;
    });
    // The rows of the ops lint found settled come from the result before's index.
    r->tree = buildTreeIndex(r->snapshot, r->findings, TreeReuse{previous ? &previous->tree : nullptr, r->lintSpans.get()});
    auto indexed = std::chrono::steady_clock::now();
    r->groups = grouped.get();
    spdlog::debug("lint {:.3f}s, tree index {:.3f}s, health groups {:.3f}s beside it{} ({:.3f}s more)", r->lintSeconds,
                  std::chrono::duration<double>(indexed - linted).count(), groupSeconds,
                  r->groups.bySpans ? ", places told by the lint's spans" : "",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - indexed).count());
    return r;
}

ScanResultPtr scanAndLint(const std::string& root, const HostInfo& host, const ScanOptions& options) {
    return lintAndIndex(scanCache(root, options), host, options.inspectLibraries);
}

void releaseOffGuiThread(ScanResultPtr result) {
    if (!result) return;
    (void)QtConcurrent::run([result = std::move(result)]() mutable { result.reset(); });
}

} // namespace aotiscope::ui
