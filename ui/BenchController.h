// The window's kernel runs, each in the isolated benchmark worker: the selected entries (or every entry of the
// selected ops, or of the cache) timed against eager in the Benchmarks panel, and a load check of their
// libraries as PyTorch loads them, off the GUI thread.
#pragma once

#include "ui/ScanResult.h"
#include "ui/SelectionJobs.h"

#include <QObject>
#include <QString>
#include <QStringList>

namespace aotiscope::ui {

class BenchPanel;

class BenchController : public QObject {
    Q_OBJECT
public:
    BenchController(BenchPanel* panel, QObject* parent);

    void benchmark(const ScanResultPtr& result, const SelectedRows& rows);
    void benchmarkAll(const ScanResultPtr& result);
    // Every entry of the cache when no row is selected; each outcome goes to the log, the summary to verifyFinished.
    void verify(const ScanResultPtr& result, const SelectedRows& rows);

signals:
    void status(const QString& message, int ms);
    void working(const QString& message); // the summary line while libraries are loaded
    void workDone();
    void showBenchmarks(); // jobs were queued: the window brings the Benchmarks panel forward
    void verifyFinished(int loaded, int total, const QStringList& failures);

private:
    BenchPanel* panel_;
};

} // namespace aotiscope::ui
