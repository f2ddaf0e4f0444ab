// The window a performance engineer keeps open: the cache tree with its filter, entry details and diff,
// the health panel and the log. All scanning happens in ScanController's worker threads.
#pragma once

#include "ui/CacheTreeModel.h"
#include "ui/ScanResult.h"
#include "ui/SelectionJobs.h"
#include "ui/TransferController.h"
#include "ui/TreeExpansion.h"
#include "ui/WorkloadModel.h"

#include <functional>

#include <QMainWindow>
#include <QPointer>

class QAction;
class QLabel;
class QLineEdit;
class QMenu;
class QProgressBar;
class QSortFilterProxyModel;
class QTabWidget;
class QTreeView;

namespace aotiscope::ui {

class BenchController;
class CallCheckDialog;
class CompileController;
class DiffController;
class EditController;
struct Preferences;

class BenchPanel;
class CacheFilterProxy;
class CacheTreeModel;
class DiffWidget;
class ElidedLabel;
class EntryDetailsWidget;
class HealthPanel;
class JobsPanel;
class LogPanel;
class ScanController;
class WorkloadPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void openRoot(const QString& root);
    // "ns/device/op@<entry key>" (an identity), a position "ns/device/op#1" (the entry there now), or an op.
    bool selectEntry(const QString& entryKeyOrPosition);
    void setDiffLeft();
    void compareWithLeft();
    void compareWithCache(const QString& otherRoot);
    // Management: each shows its dry-run summary, asks, applies off the GUI thread, then rescans.
    void deleteSelectedEntries();
    void pruneOrphans();
    void repairCurrentOp();
    void undoLastRemoval();
    // Evicts the oldest entries until the libraries take at most `maxBytes` (File > Evict… asks for it).
    void evictToSize(std::uint64_t maxBytes);
    // Compiles: through PyTorch in long-lived workers, shown in the jobs panel; the cache is rescanned after each.
    void recompileSelected();
    // onCluster: as tasks of the Ray cluster set in Preferences (the action is offered only when one is set).
    void recompileStale(bool onCluster = false);
    void newEntry(); // the "New entry" dialog, then a compile job
    JobsPanel* jobs() const { return jobs_; }
    // Benchmarks: the selected entries (or every entry of selected ops) timed against eager in the isolated
    // worker, shown in the benchmarks panel.
    void benchmarkSelected();
    void benchmarkAll(); // every entry of the open cache
    BenchPanel* benchmarks() const { return bench_; }
    // A recording of a program (`aotiscope-cli record`) in the Workload panel, read off the GUI thread.
    void openRecording(const QString& path);
    // Compile jobs for the calls the recording missed that the open cache does not serve yet (core planPrewarm);
    // the calls left alone and why go to the log. Returns how many jobs were queued.
    int prewarm(const WorkloadPtr& workload);
    WorkloadPanel* workload() const { return workload_; }
    // File > Export entries / findings: JSON (as `export --json`, `lint --json`) or CSV (as `--format csv`) by the
    // file's suffix, written off the GUI thread; exported() follows.
    using ExportKind = TransferController::ExportKind;
    void exportTo(const QString& path, ExportKind kind);
    // Loads the selected entries' libraries (every entry when none is selected) as PyTorch does, in the isolated
    // worker off the GUI thread; each outcome goes to the log, the summary to the status bar and verifyFinished.
    void verifySelected();
    // "Would this call hit?" for the selected entry: its meta_info to edit, the matcher's answer as one types.
    // Returns the dialog (shown, deleted when closed), or null when no entry is selected.
    CallCheckDialog* checkCallOnSelected();
    // The interpreter whose torch the verdicts are for and that compiles (File > Preferences): remembered, set
    // as $AOTISCOPE_PYTHON for this process and its workers, and the cache judged again. Empty: automatic (the
    // one recorded at build, then python3 on PATH).
    void setTorchPython(const QString& python);
    // File > Unpack bundle: the bundle's entries checked against this host and placed in the open cache, off the
    // GUI thread (core/share/Unpack.h); each outcome in the log, then a rescan.
    void unpackBundle(const QString& file);
    // File > Pull from registry: the same for a bundle pulled from an OCI registry (Preferences: plain HTTP or not).
    void pullBundle(const QString& ref);
    // File > Preferences, accepted: remembered, and the window follows (the interpreter, the cluster action).
    void applyPreferences(const Preferences& chosen);
    EditController* edits() const { return edits_; } // its confirm: tests answer for the user

    ScanController* controller() const { return controller_; }
    CacheTreeModel* treeModel() const { return model_; }
    CacheFilterProxy* filterProxy() const { return proxy_; }
    QTreeView* treeView() const { return tree_; }
    QLineEdit* filterEdit() const { return filter_; }
    QLabel* filterCountLabel() const { return filterCount_; }
    EntryDetailsWidget* details() const { return details_; }
    DiffWidget* diffView() const { return diff_; }
    HealthPanel* health() const { return health_; }
    QTabWidget* tabs() const { return tabs_; }
    ElidedLabel* summaryLabel() const { return summary_; }
    QLabel* torchLabel() const { return torch_; }
    QMenu* recentMenu() const { return recentMenu_; }

signals:
    void cacheCompared();
    void verifyFinished(int loaded, int total, const QStringList& failures);
    void editApplied(const QString& trashId, const QStringList& errors);
    void exported(const QString& path, const QString& error); // error empty: written
    void bundleUnpacked(const QString& summary, int skipped);

protected:
    void closeEvent(QCloseEvent* event) override;
    void showEvent(QShowEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createActions();
    void showFilterCount();
    void showScanSummary(); // the status bar's line about the open cache
    void onScanFinished(ScanResultPtr result);
    void onCurrentChanged();
    void showTreeContextMenu(const QPoint& pos);
    void goToFinding(const Finding* finding);
    void chooseRoot();
    void showBenchmarks();
    void raiseDock(const char* name); // a bottom panel by its object name, brought to the front
    void chooseCompareRoot();
    void rememberRecent(const QString& root);
    void rebuildRecentMenu();
    void wireControllers();
    QString currentEntryKey() const;
    CacheTreeModel::EntryRef currentRow() const;
    SelectedRows selectedRows() const;

    ScanController* controller_;
    CacheTreeModel* model_;
    CacheFilterProxy* proxy_;
    QTreeView* tree_;
    QLineEdit* filter_;
    QLabel* filterError_;
    QLabel* filterCount_; // "12 of 100,000 entries shown", or that nothing matches
    EntryDetailsWidget* details_;
    DiffWidget* diff_;
    QTabWidget* tabs_;
    HealthPanel* health_;
    LogPanel* log_;
    JobsPanel* jobs_;
    BenchPanel* bench_;
    WorkloadPanel* workload_;
    ElidedLabel* summary_;
    QLabel* torch_; // the torch the verdicts are for
    QProgressBar* progress_;
    QMenu* recentMenu_ = nullptr;
    QMenu* entryMenu_ = nullptr;
    QAction* clusterRecompile_ = nullptr;
    void updateClusterAction();
    ScanResultPtr result_;
    QString keepSelection_;
    bool filtering_ = false;
    bool firstLayout_ = false; // no saved layout: the docks get their first size when the window is shown
    TreeExpansion unfiltered_; // what was expanded before the filter got its first character
    // The window's work, each in a small controller that the window wires to its views (wireControllers).
    EditController* edits_;
    DiffController* diffs_ = nullptr;
    CompileController* compiles_ = nullptr;
    BenchController* benches_ = nullptr;
    TransferController* transfers_ = nullptr;
};

} // namespace aotiscope::ui
