// The window's compiles: the selected entries or ops, everything stale (locally or on the Ray cluster set in
// Preferences), a new entry, and the calls a recording missed. Each goes to the Jobs panel, which runs it in the
// compile worker and rescans after it.
#pragma once

#include "ui/ScanResult.h"
#include "ui/SelectionJobs.h"
#include "ui/WorkloadModel.h"

#include <QObject>
#include <QString>

class QWidget;

namespace aotiscope::ui {

class JobsPanel;

class CompileController : public QObject {
    Q_OBJECT
public:
    CompileController(JobsPanel* jobs, QWidget* window);

    void recompile(const ScanResultPtr& result, const SelectedRows& rows);
    // onCluster: as tasks of the Ray cluster set in Preferences (locally when none is set).
    void recompileStale(const ScanResultPtr& result, bool onCluster);
    // The "New entry" dialog for `root`, starting from the op of `current` when there is one, then a compile job.
    void newEntry(const QString& root, const CacheTreeModel::EntryRef& current);
    // Compile jobs for the calls the recording missed that the open cache does not serve yet (core planPrewarm);
    // the calls left alone and why go to the log. Returns how many jobs were queued.
    int prewarm(const ScanResultPtr& result, const WorkloadPtr& workload);

signals:
    void status(const QString& message, int ms);
    void showJobs(); // jobs were queued: the window brings the Jobs panel forward

private:
    JobsPanel* jobs_;
    QWidget* window_;
};

} // namespace aotiscope::ui
