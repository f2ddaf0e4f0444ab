#include "ui/BenchController.h"

#include "ui/BenchPanel.h"

#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

#include <spdlog/spdlog.h>

#include <set>

namespace aotiscope::ui {

std::vector<BenchJob> benchJobsForAll(const CacheSnapshot& snap) {
    std::vector<BenchJob> jobs;
    std::set<std::string> seen;
    forEachOp(snap, [&](const NamespaceDir&, const DeviceDir&, const OpFile& op) {
        if (!seen.insert(op.name).second) return; // benchJobsForEntries covers every folder holding it
        auto more = benchJobsForEntries(snap, op.name, {}, {});
        jobs.insert(jobs.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    });
    return jobs;
}

BenchController::BenchController(BenchPanel* panel, QObject* parent) : QObject(parent), panel_(panel) {}

void BenchController::benchmark(const ScanResultPtr& result, const SelectedRows& rows) {
    auto jobs = result ? jobsForRows<BenchJob>(result->snapshot, rows, benchJobsForEntries) : std::vector<BenchJob>{};
    if (jobs.empty()) {
        emit status(tr("Select entries or ops to benchmark"), 4000);
        return;
    }
    panel_->enqueue(jobs);
    emit showBenchmarks();
}

void BenchController::benchmarkAll(const ScanResultPtr& result) {
    auto jobs = result ? benchJobsForAll(result->snapshot) : std::vector<BenchJob>{};
    if (jobs.empty()) {
        emit status(tr("No entries to benchmark"), 4000);
        return;
    }
    panel_->enqueue(jobs);
    emit showBenchmarks();
}

void BenchController::verify(const ScanResultPtr& result, const SelectedRows& rows) {
    if (!result) return;
    auto jobs = jobsForRows<BenchJob>(result->snapshot, rows, benchJobsForEntries);
    if (jobs.empty()) jobs = benchJobsForAll(result->snapshot);
    for (auto& j : jobs) j.loadOnly = true;
    emit working(tr("Verifying %1 entries: loading each library in the isolated worker…").arg(jobs.size()));
    QPointer<BenchController> self(this);
    (void)QtConcurrent::run([self, jobs] {
        auto outcomes = runBenchJobs(jobs, BenchOptions{}, [](const BenchJob&, const nlohmann::json&) {});
        QMetaObject::invokeMethod(self.data(), [self, outcomes] {
            if (!self) return;
            emit self->workDone();
            int loaded = 0;
            QStringList failures;
            for (const auto& o : outcomes) {
                if (o.ok && o.result.value("loaded", false)) {
                    ++loaded;
                    spdlog::info("verify {}: loads ({:.0f} ms)", o.position, o.result.value("load_ms", 0.0));
                } else {
                    failures << QString::fromStdString(o.position + ": " + o.message);
                    spdlog::warn("verify {}: FAILS: {}", o.position, o.message);
                }
            }
            emit self->status(tr("Verify: %1 of %2 entries load as PyTorch loads them%3")
                                  .arg(loaded).arg(outcomes.size())
                                  .arg(failures.isEmpty() ? QString() : tr("; see the log for why the others fail")), 15000);
            emit self->verifyFinished(loaded, int(outcomes.size()), failures);
        }, Qt::QueuedConnection);
    });
}

} // namespace aotiscope::ui
