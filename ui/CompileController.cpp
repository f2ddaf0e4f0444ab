#include "ui/CompileController.h"

#include "core/jobs/CompileJobs.h"
#include "core/jobs/Prewarm.h"
#include "ui/JobsPanel.h"
#include "ui/NewEntryDialog.h"
#include "ui/PreferencesDialog.h"

#include <QDialog>

#include <spdlog/spdlog.h>

namespace aotiscope::ui {

CompileController::CompileController(JobsPanel* jobs, QWidget* window) : QObject(window), jobs_(jobs), window_(window) {}

void CompileController::recompile(const ScanResultPtr& result, const SelectedRows& rows) {
    auto jobs = result ? jobsForRows<CompileJob>(result->snapshot, rows, jobsForEntries) : std::vector<CompileJob>{};
    if (jobs.empty()) {
        emit status(tr("Select entries or ops to recompile"), 4000);
        return;
    }
    jobs_->enqueue(jobs);
    emit showJobs();
}

void CompileController::recompileStale(const ScanResultPtr& result, bool onCluster) {
    if (!result || !result->librariesInspected) {
        emit status(tr("Wait for the scan to finish"), 4000);
        return;
    }
    auto jobs = jobsForStale(result->snapshot, result->findings);
    if (jobs.empty()) {
        emit status(tr("Nothing is stale"), 4000);
        return;
    }
    auto address = Preferences::load().rayAddress;
    if (onCluster && !address.isEmpty()) jobs_->enqueueOnCluster(jobs, address.toStdString());
    else jobs_->enqueue(jobs);
    emit showJobs();
}

void CompileController::newEntry(const QString& root, const CacheTreeModel::EntryRef& current) {
    NewEntryDialog dialog(root.toStdString(), window_);
    if (current.op) {
        dialog.setOp(QString::fromStdString(current.op->name));
        dialog.setDevice(QString::fromStdString(current.device->name));
    }
    if (dialog.exec() != QDialog::Accepted) return;
    QString error;
    auto job = dialog.job(error);
    if (error.isEmpty()) {
        jobs_->enqueue({job});
        emit showJobs();
    }
}

int CompileController::prewarm(const ScanResultPtr& result, const WorkloadPtr& workload) {
    if (!result || !workload) {
        emit status(tr("Open the cache to pre-warm first"), 4000);
        return 0;
    }
    auto plan = planPrewarm(result->snapshot, workload->recording);
    for (const auto& s : plan.skipped) spdlog::info("pre-warm: skipped {}", s);
    emit status(tr("Pre-warm: %n compile jobs", nullptr, int(plan.jobs.size())) +
                    tr(", %n missed calls need none (see the log)", nullptr, int(plan.skipped.size())), 8000);
    if (plan.jobs.empty()) return 0;
    jobs_->enqueue(plan.jobs);
    emit showJobs();
    return int(plan.jobs.size());
}

} // namespace aotiscope::ui
