// Runs scans off the GUI thread, one generation at a time: a newer request cancels the older one, and only
// the latest result is delivered (hotspot's JobTracker pattern). Watches the cache and rescans, debounced,
// when PyTorch writes into it — once it has checked, by file identity, that the disk differs from what the
// last scan saw (the window's own edits rescan at once; their watcher events then find nothing new). Watches are
// placed after a result is delivered, so the disk is checked once more when new ones are in place: a write between
// the scan's read and the watch would otherwise be seen by neither.
#pragma once

#include "ui/ScanResult.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

class QFileSystemWatcher;
class QThread;
class QTimer;

namespace aotiscope {
class InspectionCache;
}

namespace aotiscope::ui {

class ScanController : public QObject {
    Q_OBJECT
public:
    // A write has settled when the watched files have been quiet this long (PyTorch rewrites an op file in place, in
    // several writes).
    static constexpr int kSettleMs = 200;
    // After a refresh of only the op files the watcher named, the whole cache is checked again once it has been quiet
    // this long: for what no watch reports (files added to lib/ beside the kernels, events the kernel dropped).
    static constexpr int kFullCheckMs = 2000;

    explicit ScanController(QObject* parent = nullptr);
    ~ScanController() override;

    QString root() const { return root_; }
    bool isScanning() const { return scanning_; }
    void setAutoRefresh(bool on);

public slots:
    void scan(const QString& root);
    void rescan();
    // The host (and with it the torch the verdicts are for) is detected again by the next scan.
    void forgetHost() { host_.reset(); }

signals:
    void started(const QString& root);
    // A watcher event whose check found the disk as the last scan saw it: no rescan.
    void unchangedOnDisk();
    // The watches cover the last result and the disk has been checked since they were placed: from here on, every
    // write PyTorch makes into the cache refreshes the window.
    void watching();
    void progress(int perMille, double elapsedSeconds, double remainingSeconds);
    // First the tree from a quick scan (libraries not yet inspected), then the complete result.
    void partial(aotiscope::ui::ScanResultPtr result);
    void finished(aotiscope::ui::ScanResultPtr result);
    void failed(const QString& message);

private:
    // One scan or refresh: its generation (only the latest is delivered), its cancel flag, the inspection cache.
    struct Run {
        quint64 generation;
        std::shared_ptr<std::atomic<bool>> cancel;
        std::shared_ptr<InspectionCache> inspections;
        ScanOptions options() const;
    };
    Run beginRun(); // a new generation: the one before it is not wanted any more
    void watch(const ScanResult& result);
    void watchesPlaced(bool added);
    void checkIfWatchesNew();
    void rescanIfChanged();
    // From the last result: the op files the watcher named (when it named nothing else), or the whole cache, for a
    // watcher event (kNamed), the full check after named refreshes (kFull), or new watches (kWatchesPlaced).
    enum class Refresh { kNamed, kFull, kWatchesPlaced };
    void refresh(Refresh why);
    void deliver(quint64 generation, ScanResultPtr result);
    void post(quint64 generation, ScanResultPtr result);

    QString root_;
    quint64 generation_ = 0;
    std::shared_ptr<std::atomic<bool>> cancel_;
    bool scanning_ = false;
    bool autoRefresh_ = true;
    QElapsedTimer clock_;
    std::optional<HostInfo> host_;
    // ELF summaries of the open root's libraries, kept across rescans and saved for the next session.
    std::shared_ptr<InspectionCache> inspections_;
    QThread* watcherThread_;
    QFileSystemWatcher* watcher_; // lives in watcherThread_
    QTimer* debounce_;
    QTimer* fullCheck_; // kFullCheckMs after a named refresh
    // Since the last refresh began: the op files the watcher saw rewritten, and whether it saw a folder change.
    std::vector<std::string> rewrittenOpFiles_;
    bool folderChanged_ = false;
    int lastPerMille_ = -1;
    ScanResultPtr last_;       // the last result delivered: what a watcher event is checked against
    bool warnedUnwatched_ = false;
    bool checkAfterScan_ = false; // a watcher event came while scanning: check again once the result is in
    bool watchCheckDue_ = false;  // watches were placed while scanning: check the disk once the result is in
};

} // namespace aotiscope::ui
