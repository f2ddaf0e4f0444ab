#include "ui/MainWindow.h"

#include "core/check/DispatchKeys.h"
#include "core/read/CacheLocator.h"
#include "core/read/CacheSizes.h"
#include "core/report/JsonReport.h"
#include "ui/BenchController.h"
#include "ui/BenchPanel.h"
#include "ui/CacheFilterProxy.h"
#include "ui/CallCheckDialog.h"
#include "ui/CompileController.h"
#include "ui/DiffController.h"
#include "ui/DiffWidget.h"
#include "ui/EditController.h"
#include "ui/EntryDetailsWidget.h"
#include "ui/HealthPanel.h"
#include "ui/HelpDialogs.h"
#include "ui/JobsPanel.h"
#include "ui/LogPanel.h"
#include "ui/PreferencesDialog.h"
#include "ui/ScanController.h"
#include "ui/TreeExpansion.h"
#include "ui/ViewHelpers.h"
#include "ui/WorkloadPanel.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDialog>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <map>
#include <tuple>

namespace aotiscope::ui {

namespace {
constexpr int kMaxRecent = 8;
QString q(const std::string& s) { return QString::fromStdString(s); }
// A row of the cache tree by name (namespace/device/op), for what is expanded: rows move when the cache changes.
QString treeRowKey(const QModelIndex& index) {
    return index.data(CacheTreeModel::NamespaceRole).toString() + QLatin1Char('/') +
           index.data(CacheTreeModel::DeviceRole).toString() + QLatin1Char('/') + index.data(CacheTreeModel::OpRole).toString();
}
} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), controller_(new ScanController(this)), model_(new CacheTreeModel(this)),
      proxy_(new CacheFilterProxy(this)), edits_(new EditController(this, controller_)) {
    setWindowTitle(tr("AOTIScope"));
    connect(edits_, &EditController::applied, this, &MainWindow::editApplied);
    connect(edits_, &EditController::status, this, [this](const QString& m) { statusBar()->showMessage(m, 4000); });
    connect(edits_, &EditController::working, this, [this](const QString& m) { summary_->setFullText(m); });
    setAcceptDrops(true);
    proxy_->setSourceModel(model_);

    filter_ = new QLineEdit;
    filter_->setObjectName(QStringLiteral("filterEdit"));
    filter_->setClearButtonEnabled(true);
    auto* clearFilter = new QAction(filter_);
    clearFilter->setShortcut(Qt::Key_Escape);
    clearFilter->setShortcutContext(Qt::WidgetShortcut);
    connect(clearFilter, &QAction::triggered, filter_, &QLineEdit::clear);
    filter_->addAction(clearFilter);
    filter_->setPlaceholderText(tr("Filter: words, or status:error device:cuda dtype:float16 op:add* rule:AOTI001 kind:tensor_list"));
    filterCount_ = new QLabel;
    filterCount_->setObjectName(QStringLiteral("filterCount"));
    filterCount_->hide();
    filterError_ = new QLabel;
    filterError_->setStyleSheet(QStringLiteral("color: #b22222"));
    filterError_->hide();
    tree_ = new QTreeView;
    tree_->setObjectName(QStringLiteral("cacheTree"));
    tree_->setModel(proxy_);
    tree_->setSortingEnabled(true);
    tree_->sortByColumn(CacheTreeModel::NameColumn, Qt::AscendingOrder);
    tree_->setUniformRowHeights(true);
    tree_->setAlternatingRowColors(true);
    tree_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    tree_->setContextMenuPolicy(Qt::CustomContextMenu);
    polishView(tree_);
    tree_->header()->setStretchLastSection(false);
    tree_->header()->setSectionResizeMode(CacheTreeModel::NameColumn, QHeaderView::Stretch);
    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(filter_);
    leftLayout->addWidget(filterError_);
    leftLayout->addWidget(filterCount_);
    leftLayout->addWidget(tree_, 1);

    details_ = new EntryDetailsWidget;
    diff_ = new DiffWidget;
    tabs_ = new QTabWidget;
    tabs_->addTab(details_, tr("Details"));
    tabs_->addTab(diff_, tr("Diff"));
    auto* split = new QSplitter(Qt::Horizontal);
    split->setObjectName(QStringLiteral("mainSplitter"));
    split->addWidget(left);
    split->addWidget(tabs_);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    setCentralWidget(split);

    // The bottom panels, tabbed together: each dock named after its panel so that the layout is restored.
    auto bottomDock = [this](const QString& title, const char* name, QWidget* panel, QDockWidget* tabbedWith) {
        auto* dock = new QDockWidget(title, this);
        dock->setObjectName(QString::fromLatin1(name));
        dock->setWidget(panel);
        addDockWidget(Qt::BottomDockWidgetArea, dock);
        if (tabbedWith) tabifyDockWidget(tabbedWith, dock);
        return dock;
    };
    health_ = new HealthPanel;
    auto* healthDock = bottomDock(tr("Health"), "healthDock", health_, nullptr);
    log_ = new LogPanel;
    log_->attachToDefaultLogger();
    bottomDock(tr("Log"), "logDock", log_, healthDock);
    jobs_ = new JobsPanel;
    auto* jobsDock = bottomDock(tr("Jobs"), "jobsDock", jobs_, healthDock);
    connect(jobs_, &JobsPanel::jobFinished, controller_, &ScanController::rescan);
    bench_ = new BenchPanel;
    auto* benchDock = bottomDock(tr("Benchmarks"), "benchDock", bench_, jobsDock);
    workload_ = new WorkloadPanel;
    bottomDock(tr("Workload"), "workloadDock", workload_, benchDock);
    connect(workload_, &WorkloadPanel::entryRequested, this, [this](const QString& id) {
        if (!selectEntry(id)) statusBar()->showMessage(tr("%1 is not in the open cache").arg(id), 5000);
    });
    connect(workload_, &WorkloadPanel::prewarmRequested, this, &MainWindow::prewarm);
    healthDock->raise();

    summary_ = new ElidedLabel;
    summary_->setFullText(tr("No cache open"));
    summary_->setObjectName(QStringLiteral("summaryLabel"));
    progress_ = new QProgressBar;
    progress_->setRange(0, 1000);
    progress_->setMaximumWidth(240);
    progress_->hide();
    torch_ = new QLabel;
    torch_->setObjectName(QStringLiteral("torchLabel"));
    statusBar()->addWidget(summary_, 1);
    statusBar()->addPermanentWidget(torch_);
    statusBar()->addPermanentWidget(progress_);

    wireControllers();
    createActions();

    connect(proxy_, &CacheFilterProxy::filterErrors, this, [this](const QStringList& errors) {
        filterError_->setText(errors.join(QStringLiteral("; ")));
        filterError_->setVisible(!errors.isEmpty());
    });
    // A filter shows every match expanded; clearing it gives back the tree as it was before the first keystroke.
    connect(filter_, &QLineEdit::textChanged, this, [this](const QString& text) {
        if (!filtering_ && !text.isEmpty()) unfiltered_ = TreeExpansion::capture(*tree_, treeRowKey);
        proxy_->setFilterText(text);
        if (!text.isEmpty()) tree_->expandAll();
        else if (filtering_) unfiltered_.restore(*tree_, treeRowKey);
        filtering_ = !text.isEmpty();
        showFilterCount();
    });
    connect(tree_->selectionModel(), &QItemSelectionModel::currentChanged, this, &MainWindow::onCurrentChanged);
    connect(tree_, &QTreeView::customContextMenuRequested, this, &MainWindow::showTreeContextMenu);
    connect(health_, &HealthPanel::findingActivated, this, &MainWindow::goToFinding);
    connect(health_, &HealthPanel::showOnlyRuleRequested, this,
            [this](const QString& rule) { filter_->setText(QStringLiteral("rule:") + rule); });
    connect(controller_, &ScanController::started, this, [this](const QString& root) {
        progress_->setRange(0, 1000);
        progress_->setValue(0);
        progress_->show();
        summary_->setFullText(tr("Scanning %1…").arg(root));
    });
    connect(controller_, &ScanController::progress, this, [this](int perMille, double elapsed, double remaining) {
        progress_->setValue(perMille);
        progress_->setFormat(tr("%p% · %1 s, %2 s left").arg(elapsed, 0, 'f', 1).arg(remaining, 0, 'f', 1));
    });
    connect(controller_, &ScanController::partial, this, &MainWindow::onScanFinished);
    connect(controller_, &ScanController::finished, this, &MainWindow::onScanFinished);
    connect(controller_, &ScanController::failed, this, [this](const QString& message) {
        summary_->setFullText(message);
    });

    QSettings settings;
    // A chosen interpreter applies from the start, to the verdicts and to every worker (see setTorchPython).
    if (auto python = settings.value(QStringLiteral("torch/python")).toString(); !python.isEmpty()) {
        ::setenv("AOTISCOPE_PYTHON", python.toStdString().c_str(), 1);
    }
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray())) {
        resize(1400, 860); // the first start; afterwards the size the user left it at
    }
    // The first start: the bottom panels take a quarter of the window when it is first shown (showEvent), at
    // whatever size it opens; afterwards the layout the user left.
    firstLayout_ = !restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    split->restoreState(settings.value(QStringLiteral("window/splitter")).toByteArray());
    rebuildRecentMenu();
}

MainWindow::~MainWindow() = default;

void MainWindow::wireControllers() {
    auto showStatus = [this](const QString& message, int ms) { statusBar()->showMessage(message, ms); };
    diffs_ = new DiffController(diff_, this, [this] { return result_; });
    connect(diffs_, &DiffController::status, this, showStatus);
    connect(diffs_, &DiffController::working, summary_, &ElidedLabel::setFullText);
    connect(diffs_, &DiffController::workDone, this, &MainWindow::showScanSummary);
    connect(diffs_, &DiffController::shown, this, [this] { tabs_->setCurrentWidget(diff_); });
    connect(diffs_, &DiffController::cacheCompared, this, &MainWindow::cacheCompared);
    connect(diffs_, &DiffController::entryRequested, this, [this](const QString& id) { selectEntry(id); });

    compiles_ = new CompileController(jobs_, this);
    connect(compiles_, &CompileController::status, this, showStatus);
    connect(compiles_, &CompileController::showJobs, this, [this] { raiseDock("jobsDock"); });

    benches_ = new BenchController(bench_, this);
    connect(benches_, &BenchController::status, this, showStatus);
    connect(benches_, &BenchController::working, summary_, &ElidedLabel::setFullText);
    connect(benches_, &BenchController::workDone, this, &MainWindow::showScanSummary);
    connect(benches_, &BenchController::showBenchmarks, this, &MainWindow::showBenchmarks);
    connect(benches_, &BenchController::verifyFinished, this, &MainWindow::verifyFinished);

    transfers_ = new TransferController([this] { return jobs_->workerConfig(); }, this);
    connect(transfers_, &TransferController::status, this, showStatus);
    connect(transfers_, &TransferController::working, summary_, &ElidedLabel::setFullText);
    connect(transfers_, &TransferController::exported, this, &MainWindow::exported);
    connect(transfers_, &TransferController::bundleUnpacked, this, &MainWindow::bundleUnpacked);
    connect(transfers_, &TransferController::bundleUnpacked, controller_, &ScanController::rescan);
}

SelectedRows MainWindow::selectedRows() const {
    SelectedRows rows;
    for (const auto& idx : tree_->selectionModel()->selectedRows()) rows.push_back(model_->entryAt(proxy_->mapToSource(idx)));
    return rows;
}

CacheTreeModel::EntryRef MainWindow::currentRow() const { return model_->entryAt(proxy_->mapToSource(tree_->currentIndex())); }

void MainWindow::setDiffLeft() { diffs_->setLeft(result_, currentEntryKey()); }
void MainWindow::compareWithLeft() { diffs_->compareWithLeft(currentEntryKey(), currentRow()); }
void MainWindow::compareWithCache(const QString& otherRoot) { diffs_->compareWithCache(result_, otherRoot); }
void MainWindow::recompileSelected() { compiles_->recompile(result_, selectedRows()); }
void MainWindow::recompileStale(bool onCluster) { compiles_->recompileStale(result_, onCluster); }
int MainWindow::prewarm(const WorkloadPtr& workload) { return compiles_->prewarm(result_, workload); }
void MainWindow::newEntry() {
    compiles_->newEntry(controller_->root().isEmpty() ? q(locateCacheRoot().root) : controller_->root(), currentRow());
}
void MainWindow::benchmarkSelected() { benches_->benchmark(result_, selectedRows()); }
void MainWindow::benchmarkAll() { benches_->benchmarkAll(result_); }
void MainWindow::verifySelected() { benches_->verify(result_, selectedRows()); }
void MainWindow::exportTo(const QString& path, ExportKind kind) { transfers_->exportTo(result_, path, kind); }
void MainWindow::unpackBundle(const QString& file) { transfers_->unpackBundle(controller_->root(), file); }
void MainWindow::pullBundle(const QString& ref) { transfers_->pullBundle(controller_->root(), ref); }

void MainWindow::createActions() {
    auto* file = menuBar()->addMenu(tr("&File"));
    auto* open = file->addAction(tr("&Open cache folder…"), this, &MainWindow::chooseRoot);
    open->setShortcut(QKeySequence::Open);
    auto* openDefault = file->addAction(tr("Open PyTorch's &default cache"), this, [this] { openRoot(q(locateCacheRoot().root)); });
    openDefault->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    recentMenu_ = file->addMenu(tr("Open &recent"));
    file->addAction(tr("Open recordin&g…"), this, [this] {
        auto path = QFileDialog::getOpenFileName(this, tr("Open a recording of `aotiscope-cli record`"), QString(),
                                                 tr("Recordings (*.jsonl);;All files (*)"));
        if (!path.isEmpty()) openRecording(path);
    })->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_O));
    auto* rescan = file->addAction(tr("&Rescan"), controller_, &ScanController::rescan);
    rescan->setShortcut(QKeySequence::Refresh);
    auto* autoRefresh = file->addAction(tr("&Auto-refresh when PyTorch writes"));
    autoRefresh->setCheckable(true);
    autoRefresh->setChecked(QSettings().value(QStringLiteral("autoRefresh"), true).toBool());
    controller_->setAutoRefresh(autoRefresh->isChecked());
    connect(autoRefresh, &QAction::toggled, this, [this](bool on) {
        controller_->setAutoRefresh(on);
        QSettings().setValue(QStringLiteral("autoRefresh"), on);
    });
    file->addSeparator();
    auto* compareCache = file->addAction(tr("&Compare with cache…"), this, &MainWindow::chooseCompareRoot);
    compareCache->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));
    file->addSeparator();
    for (auto [title, kind] : {std::pair{tr("E&xport entries…"), ExportKind::Entries}, std::pair{tr("Export &findings…"), ExportKind::Findings}}) {
        file->addAction(title, this, [this, kind = kind] {
            auto path = QFileDialog::getSaveFileName(this, tr("Export"), QString(), tr("JSON (*.json);;CSV (*.csv)"));
            if (!path.isEmpty()) exportTo(path, kind);
        });
    }
    file->addSeparator();
    file->addAction(tr("&New entry…"), this, &MainWindow::newEntry)->setShortcut(QKeySequence::New);
    file->addAction(tr("Recompile everything &stale"), this, [this] { recompileStale(); })->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B));
    clusterRecompile_ = file->addAction(tr("Recompile everything stale on the &cluster"), this, [this] { recompileStale(true); });
    clusterRecompile_->setObjectName(QStringLiteral("clusterRecompileAction"));
    updateClusterAction();
    file->addAction(tr("&Prune orphan libraries…"), this, &MainWindow::pruneOrphans)->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    file->addAction(tr("&Evict oldest entries…"), this, [this] {
        if (!result_) return;
        qint64 named = 0, all = 0;
        for (const auto& n : result_->snapshot.namespaces) {
            for (const auto& d : n.devices) {
                auto sizes = deviceSizes(d); // as the tree and `ls` count
                named += qint64(sizes.referenced);
                all += qint64(sizes.total);
            }
        }
        bool ok = false;
        int mb = QInputDialog::getInt(this, tr("Evict oldest entries"),
                                      tr("The libraries entries name, with their sidecars, take %1 (of %2 in lib/ folders).\n"
                                         "Evict the oldest entries until they take at most (MiB):").arg(formatBytes(named), formatBytes(all)),
                                      int(named / 2 / (1 << 20)), 0, 1 << 30, 1, &ok);
        if (ok) evictToSize(std::uint64_t(mb) << 20);
    });
    file->addAction(tr("&Undo last removal"), this, &MainWindow::undoLastRemoval)->setShortcut(QKeySequence::Undo);
    file->addAction(tr("Unpack &bundle…"), this, [this] {
        auto path = QFileDialog::getOpenFileName(this, tr("Unpack a bundle into this cache"), QString(),
                                                 tr("AOTIScope bundles (*.aotib *.tar);;All files (*)"));
        if (!path.isEmpty()) unpackBundle(path);
    });
    file->addAction(tr("Pull from re&gistry…"), this, [this] {
        bool ok = false;
        auto ref = QInputDialog::getText(this, tr("Pull a bundle from an OCI registry"),
                                         tr("Reference (host[:port]/repository:tag); the registry is set in Preferences:"),
                                         QLineEdit::Normal, Preferences::load().registry, &ok);
        if (ok && !ref.trimmed().isEmpty()) pullBundle(ref.trimmed());
    });
    file->addSeparator();
    file->addAction(tr("&Preferences…"), this, [this] {
        PreferencesDialog dialog(Preferences::load(), this);
        if (dialog.exec() == QDialog::Accepted) applyPreferences(dialog.chosen());
    })->setShortcut(QKeySequence::Preferences);
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    entryMenu_ = menuBar()->addMenu(tr("&Entry"));
    auto* find = entryMenu_->addAction(tr("&Filter…"), this, [this] {
        filter_->setFocus();
        filter_->selectAll();
    });
    find->setShortcut(QKeySequence::Find);
    auto* left = entryMenu_->addAction(tr("Set as diff &left"), this, &MainWindow::setDiffLeft);
    left->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    auto* compare = entryMenu_->addAction(tr("&Compare with left"), this, &MainWindow::compareWithLeft);
    compare->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    auto* copyPath = entryMenu_->addAction(tr("Copy &kernel path"), this, [this] {
        auto ref = currentRow();
        if (const LibraryFile* lib = ref.entry ? ref.device->libraryOf(*ref.entry) : nullptr) {
            QApplication::clipboard()->setText(q(lib->path));
        } else if (ref.op) {
            QApplication::clipboard()->setText(q(ref.op->path));
        }
    });
    copyPath->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    entryMenu_->addSeparator();
    entryMenu_->addAction(tr("Re&compile"), this, &MainWindow::recompileSelected)->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_B));
    entryMenu_->addAction(tr("Bench&mark against eager"), this, &MainWindow::benchmarkSelected)->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    entryMenu_->addAction(tr("Would this call &hit?…"), this, &MainWindow::checkCallOnSelected)->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_H));
    entryMenu_->addAction(tr("&Verify loading (as PyTorch loads it)"), this, &MainWindow::verifySelected)->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_V));
    entryMenu_->addAction(tr("Benchmark &all entries"), this, &MainWindow::benchmarkAll)->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_K));
    auto* del = entryMenu_->addAction(tr("&Delete entries…"), this, &MainWindow::deleteSelectedEntries);
    del->setShortcut(QKeySequence::Delete);
    entryMenu_->addAction(tr("&Repair op…"), this, &MainWindow::repairCurrentOp)->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    entryMenu_->addSeparator();
    entryMenu_->addAction(tr("E&xpand all"), tree_, &QTreeView::expandAll)->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Plus));
    entryMenu_->addAction(tr("C&ollapse all"), tree_, &QTreeView::collapseAll)->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Minus));

    auto* view = menuBar()->addMenu(tr("&View"));
    for (auto* dock : findChildren<QDockWidget*>()) {
        view->addAction(dock->toggleViewAction());
    }
    view->addAction(tr("&Details"), this, [this] { tabs_->setCurrentWidget(details_); })->setShortcut(QKeySequence(Qt::ALT | Qt::Key_1));
    view->addAction(tr("D&iff"), this, [this] { tabs_->setCurrentWidget(diff_); })->setShortcut(QKeySequence(Qt::ALT | Qt::Key_2));

    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("Health &rules"), this, [this] { showRulesReference(this); })->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("This &machine"), this, [this] { showHostSummary(this, result_ ? &result_->host : nullptr); });
    help->addAction(tr("&About AOTIScope"), this, [this] { showAbout(this, result_ ? &result_->host : nullptr); });
}

void MainWindow::showScanSummary() {
    if (!result_ || !result_->snapshot.eagerDirExists) return;
    auto counts = countFindings(result_->findings);
    auto count = [](std::size_t n, const char* one, const char* many) { return QStringLiteral("%1 %2").arg(n).arg(QLatin1String(n == 1 ? one : many)); };
    summary_->setFullText(tr("%1 — %2 ops, %3 entries · %4, %5 · scanned in %6 s")
                          .arg(q(result_->snapshot.root))
                          .arg(result_->snapshot.opCount())
                          .arg(result_->snapshot.entryCount())
                          .arg(count(counts.error, "error", "errors"), count(counts.warning, "warning", "warnings"))
                          .arg(result_->snapshot.scanSeconds + result_->lintSeconds, 0, 'f', 2) +
                      (result_->librariesInspected ? QString() : tr(" · inspecting libraries…")));
}

void MainWindow::showFilterCount() {
    if (!filtering_ || !result_) {
        filterCount_->hide();
        return;
    }
    QLocale locale;
    auto shown = proxy_->acceptedLeaves();
    auto total = result_->snapshot.entryCount();
    filterCount_->setText(shown == 0 ? tr("No entry matches “%1” (of %2 entries): clear the filter with Esc")
                                           .arg(filter_->text().toHtmlEscaped(), locale.toString(qulonglong(total)))
                                     : tr("%1 of %2 entries shown").arg(locale.toString(qulonglong(shown)), locale.toString(qulonglong(total))));
    filterCount_->setStyleSheet(shown == 0 ? QStringLiteral("font-weight: bold") : QString());
    filterCount_->show();
}

void MainWindow::openRoot(const QString& root) {
    auto clean = QFileInfo(root).absoluteFilePath();
    keepSelection_.clear();
    setWindowTitle(tr("AOTIScope — %1").arg(clean));
    rememberRecent(clean);
    controller_->scan(clean);
}

QString MainWindow::currentEntryKey() const {
    return tree_->currentIndex().data(CacheTreeModel::EntryKeyRole).toString();
}

void MainWindow::onScanFinished(ScanResultPtr result) {
    // Rescans keep what was selected: remember it by key, not by index.
    auto keep = keepSelection_.isEmpty() ? currentEntryKey() : keepSelection_;
    bool sameRoot = result_ && result_->snapshot.root == result->snapshot.root;
    // A rescan keeps what was open: namespaces, devices and ops by name, not by row.
    auto expanded = sameRoot ? TreeExpansion::capture(*tree_, treeRowKey) : TreeExpansion{};
    // The complete result of a two-phase scan replaces the quick one: keep the user's place and focus.
    auto shownBefore = std::exchange(result_, result);
    model_->setResult(result_);
    health_->setResult(result_);
    releaseOffGuiThread(std::move(shownBefore));
    // While libraries are inspected the bar turns busy: that phase reports no fraction.
    progress_->setRange(0, result_->librariesInspected ? 1000 : 0);
    progress_->setVisible(!result_->librariesInspected);
    // Which torch the verdicts are for (found the same way as the CLI's, whatever folder the window started in).
    if (const auto& t = result_->host.torch) {
        torch_->setText(tr("torch %1").arg(q(t->version)));
        torch_->setToolTip(tr("The checks judge this cache for the torch at %1 (python %2, chosen by: %3)")
                               .arg(q(t->dir), q(t->python), q(t->source)));
    } else if (result_->librariesInspected) {
        torch_->setText(tr("no torch found: these checks are off"));
        QStringList unknown;
        for (const auto& u : result_->host.unknownFacts) unknown << q(u);
        torch_->setToolTip(unknown.join(QLatin1Char('\n')));
    }
    showScanSummary();
    if (filtering_) tree_->expandAll();
    else if (sameRoot) expanded.restore(*tree_, treeRowKey);
    else tree_->expandToDepth(1); // a new root: its namespaces and devices
    showFilterCount();
    // Measuring every row's text costs a stall on big caches: size the columns from the first rows only.
    if (result_->snapshot.opCount() < 2000) {
        for (int c = CacheTreeModel::EntriesColumn; c < CacheTreeModel::ColumnCount; ++c) {
            tree_->resizeColumnToContents(c);
        }
    }
    if (sameRoot && !keep.isEmpty()) {
        selectEntry(keep);
    } else {
        details_->clear();
    }
    keepSelection_.clear();
}

bool MainWindow::selectEntry(const QString& entryKeyOrPosition) {
    auto entryKey = entryKeyOrPosition;
    // A position as people write it ("aten/cpu/abs#1", as ls shows it): the entry there now.
    if (auto hash = entryKey.lastIndexOf(QLatin1Char('#')); hash > 0 && !entryKey.contains(QLatin1Char('@')) && result_) {
        auto parts = entryKey.left(hash).split(QLatin1Char('/'));
        bool ok = false;
        int position = entryKey.mid(hash + 1).toInt(&ok);
        if (ok && parts.size() == 3) {
            forEachOp(result_->snapshot, [&](const NamespaceDir& ns, const DeviceDir& dev, const OpFile& op) {
                if (q(ns.name) == parts[0] && q(dev.name) == parts[1] && q(op.name) == parts[2] && position >= 0 &&
                    position < int(op.entries.size())) {
                    entryKey = q(entryId(ns.name, dev.name, op.name, op.entries[std::size_t(position)].key));
                }
            });
        }
    }
    auto src = model_->indexForEntryKey(entryKey);
    if (!src.isValid()) {
        src = model_->indexForEntryKey(entryKey.left(entryKey.indexOf(QLatin1Char('@')))); // gone: its op
    }
    auto idx = proxy_->mapFromSource(src);
    if (!idx.isValid()) {
        return false;
    }
    tree_->scrollTo(idx);
    tree_->selectionModel()->setCurrentIndex(idx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    return true;
}

void MainWindow::onCurrentChanged() {
    auto ref = currentRow();
    if (!result_ || !ref.op) {
        details_->clear();
        return;
    }
    details_->showEntry(*result_, *ref.ns, *ref.device, *ref.op, ref.entry);
}

void MainWindow::deleteSelectedEntries() {
    // Every selected entry (or op) of the tree, grouped per op file.
    std::map<std::tuple<std::string, std::string, std::string>, std::vector<std::string>> byOp; // entry keys
    std::vector<std::tuple<std::string, std::string, std::string>> wholeOps;
    for (const auto& ref : selectedRows()) {
        if (!ref.op) continue;
        const std::string& ns = ref.ns->name;
        if (ref.entry) {
            byOp[{ns, ref.device->name, ref.op->name}].push_back(ref.entry->key);
        } else {
            wholeOps.emplace_back(ns, ref.device->name, ref.op->name);
        }
    }
    edits_->run(result_, tr("Delete entries"), [byOp, wholeOps](const CacheSnapshot& snap) {
        EditPlan all{snap.root, "rm", {}, {}, {}};
        auto merge = [&](EditPlan p) {
            all.entries.insert(all.entries.end(), p.entries.begin(), p.entries.end());
            all.files.insert(all.files.end(), p.files.begin(), p.files.end());
            all.notes.insert(all.notes.end(), p.notes.begin(), p.notes.end());
        };
        for (const auto& [where, keys] : byOp) merge(planDeleteEntries(snap, std::get<0>(where), std::get<1>(where), std::get<2>(where), keys));
        for (const auto& [ns, dev, op] : wholeOps) merge(planDeleteOp(snap, ns, dev, op));
        return all;
    });
}

void MainWindow::pruneOrphans() {
    edits_->run(result_, tr("Prune orphan libraries"), [](const CacheSnapshot& snap) { return planPrune(snap, std::chrono::seconds(600)); });
}

void MainWindow::repairCurrentOp() {
    auto ref = currentRow();
    auto op = ref.op ? ref.op->name : std::string();
    edits_->run(result_, tr("Repair"), [op](const CacheSnapshot& snap) { return planRepair(snap, op); });
}

void MainWindow::evictToSize(std::uint64_t maxBytes) {
    edits_->run(result_, tr("Evict oldest entries"), [maxBytes](const CacheSnapshot& snap) { return planEvict(snap, std::nullopt, maxBytes); });
}

void MainWindow::setTorchPython(const QString& python) {
    QSettings().setValue(QStringLiteral("torch/python"), python);
    if (python.isEmpty()) ::unsetenv("AOTISCOPE_PYTHON");
    else ::setenv("AOTISCOPE_PYTHON", python.toStdString().c_str(), 1);
    jobs_->workerConfig().python.clear(); // the worker follows the same choice
    controller_->forgetHost();
    controller_->rescan();
}

CallCheckDialog* MainWindow::checkCallOnSelected() {
    auto ref = currentRow();
    if (!result_ || !ref.op || !ref.entry) {
        statusBar()->showMessage(tr("Select an entry: its arguments are the call to start from"), 4000);
        return nullptr;
    }
    auto text = entryMetaInfoText(*ref.op, ref.entry->key);
    if (text.isEmpty()) text = QStringLiteral("[]");
    auto* dialog = new CallCheckDialog(result_, ref.ns->name, ref.device->name, ref.op->name, text, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    return dialog;
}

void MainWindow::raiseDock(const char* name) {
    if (auto* dock = findChild<QDockWidget*>(QLatin1String(name))) dock->raise();
}

void MainWindow::showBenchmarks() {
    auto* dock = findChild<QDockWidget*>(QStringLiteral("benchDock"));
    if (!dock) return;
    dock->raise();
    // Table, history and charts need room: at least half the window's height, and never less than the panel needs.
    int wanted = std::max(height() / 2, dock->minimumSizeHint().height());
    if (dock->height() < wanted) resizeDocks({dock}, {wanted}, Qt::Vertical);
}

void MainWindow::applyPreferences(const Preferences& chosen) {
    auto before = Preferences::load();
    chosen.save();
    updateClusterAction();
    bench_->setDefaults(chosen.benchMaxMs, chosen.benchMode);
    if (chosen.python != before.python) setTorchPython(chosen.python);
}

void MainWindow::updateClusterAction() {
    auto address = Preferences::load().rayAddress;
    clusterRecompile_->setEnabled(!address.isEmpty());
    clusterRecompile_->setToolTip(address.isEmpty() ? tr("Set a Ray cluster in File > Preferences")
                                                    : tr("Each stale entry compiles as a task of the Ray cluster at %1").arg(address));
}

void MainWindow::undoLastRemoval() { edits_->undoLast(result_); }

void MainWindow::showTreeContextMenu(const QPoint& pos) {
    QMenu menu(this);
    addCopyAction(menu, tree_);
    menu.addActions(entryMenu_->actions());
    menu.exec(tree_->viewport()->mapToGlobal(pos));
}

void MainWindow::goToFinding(const Finding* f) {
    if (!f) return;
    if (f->op.empty()) {
        // About a device folder's library (an orphan, a helper build) or the host: no row of its own. Its folder is
        // selected and the finding said in full, with where the file is.
        filter_->clear();
        if (auto idx = proxy_->mapFromSource(model_->indexForLocation(f->ns, f->device, "", "")); idx.isValid()) {
            tree_->scrollTo(idx);
            tree_->selectionModel()->setCurrentIndex(idx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        }
        statusBar()->showMessage(QStringLiteral("%1: %2").arg(q(f->ruleId), q(f->message)), 15000);
        return;
    }
    filter_->clear();
    selectEntry(result_ ? entryKey(f->ns, f->device, f->op, entryKeyOfFinding(result_->snapshot, *f)) : QString());
}

void MainWindow::chooseRoot() {
    auto dir = QFileDialog::getExistingDirectory(this, tr("Open an AOTI-eager cache root (the folder holding aoti_eager/)"),
                                                 controller_->root());
    if (!dir.isEmpty()) {
        openRoot(dir);
    }
}

void MainWindow::chooseCompareRoot() {
    auto dir = QFileDialog::getExistingDirectory(this, tr("Compare with the cache at…"), controller_->root());
    if (!dir.isEmpty()) {
        compareWithCache(dir);
    }
}

void MainWindow::rememberRecent(const QString& root) {
    QSettings settings;
    auto recent = settings.value(QStringLiteral("recentRoots")).toStringList();
    recent.removeAll(root);
    recent.prepend(root);
    while (recent.size() > kMaxRecent) recent.removeLast();
    settings.setValue(QStringLiteral("recentRoots"), recent);
    settings.setValue(QStringLiteral("lastRoot"), root);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    if (!recentMenu_) return;
    recentMenu_->clear();
    for (const auto& root : QSettings().value(QStringLiteral("recentRoots")).toStringList()) {
        recentMenu_->addAction(root, this, [this, root] { openRoot(root); });
    }
    recentMenu_->setEnabled(!recentMenu_->actions().isEmpty());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    if (auto* split = findChild<QSplitter*>(QStringLiteral("mainSplitter"))) {
        settings.setValue(QStringLiteral("window/splitter"), split->saveState());
    }
    event->accept();
}

void MainWindow::showEvent(QShowEvent* event) {
    QMainWindow::showEvent(event);
    if (!std::exchange(firstLayout_, false)) return;
    // Once the window's layout has settled at its shown size (a resize before that is scaled away).
    QTimer::singleShot(0, this, [this] {
        if (auto* dock = findChild<QDockWidget*>(QStringLiteral("healthDock"))) {
            resizeDocks({dock}, {std::max(160, height() / 4)}, Qt::Vertical);
            spdlog::debug("bottom panels: {} px of {}", dock->height(), height());
        }
    });
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) {
        event->acceptProposedAction();
    }
}

void MainWindow::dropEvent(QDropEvent* event) {
    for (const auto& url : event->mimeData()->urls()) {
        QFileInfo info(url.toLocalFile());
        if (info.isDir()) {
            openRoot(info.absoluteFilePath());
            return;
        }
        if (info.isFile() && info.suffix() == QLatin1String("jsonl")) {
            openRecording(info.absoluteFilePath());
            return;
        }
    }
    statusBar()->showMessage(tr("Drop a cache folder (the one holding aoti_eager/) or a recording (.jsonl)"), 4000);
}

void MainWindow::openRecording(const QString& path) {
    workload_->open(path);
    raiseDock("workloadDock");
}

} // namespace aotiscope::ui
