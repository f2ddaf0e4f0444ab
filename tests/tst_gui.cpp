// The real window on the offscreen platform: opens caches PyTorch wrote, selects entries, reads the details,
// runs diffs, follows findings, and rescans by itself when the cache changes.
#include "TestSupport.h"
#include "core/read/CacheScanner.h"
#include "core/check/HostInfo.h"
#include "core/check/Rules.h"
#include "ui/CacheFilterProxy.h"
#include "ui/CacheTreeModel.h"
#include "ui/DiffWidget.h"
#include "ui/EditController.h"
#include "ui/EntryDetailsWidget.h"
#include "ui/BenchCharts.h"
#include "ui/BenchHistory.h"
#include "ui/BenchPanel.h"
#include "ui/BenchResultsModel.h"
#include "ui/JobsPanel.h"
#include "ui/NewEntryDialog.h"
#include "ui/CallCheckDialog.h"
#include "ui/FindingsModel.h"
#include "ui/HealthPanel.h"
#include "ui/MainWindow.h"
#include "ui/PreferencesDialog.h"
#include "ui/WorkloadPanel.h"
#include "ui/ViewHelpers.h"
#include "ui/ScanController.h"

#include <fmt/format.h>

#include <QAbstractItemModelTester>
#include <QJsonObject>
#include <QJsonDocument>
#include <QJsonArray>
#include <QBarCategoryAxis>
#include <QBoxPlotSeries>
#include <QChart>
#include <QHeaderView>
#include <QComboBox>
#include <QDockWidget>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QAction>
#include <QApplication>
#include <QFileInfo>
#include <QMenu>
#include <QMimeData>
#include <QSortFilterProxyModel>
#include <QUrl>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTreeView>
#include <QTreeWidget>
#include <QtTest>
#include <QMenuBar>
#include <QDialog>
#include <QHelpEvent>
#include <QClipboard>
#include <QToolTip>
#include <QPushButton>
#include <QDropEvent>
#include <QChartView>

#include <filesystem>

using namespace aotiscope::ui;
using namespace testsupport;

namespace {

QString currentKey(MainWindow& w) { return w.treeView()->currentIndex().data(CacheTreeModel::EntryKeyRole).toString(); }

// A PyTorch-like write of an op file with one entry: the whole file rewritten in place, that entry twice.
void writeOnlyEntryTwice(const std::string& path) {
    auto text = readText(path);
    auto body = text.substr(text.find('{'), text.rfind('}') - text.find('{') + 1);
    writeText(path, "[\n    " + body + ",\n    " + body + "\n]");
}

// The tree's row (in the view's proxy) of the op of a real-cache entry position such as "aten/cpu/abs#0".
QModelIndex opRowOf(MainWindow& w, const char* position) {
    auto opKey = named(realCache(), QString::fromLatin1(position)).section(QLatin1Char('@'), 0, 0);
    return w.filterProxy()->mapFromSource(w.treeModel()->indexForEntryKey(opKey));
}

// The health panel's top row of a rule, invalid when it has none.
QModelIndex ruleRowOf(QTreeView& view, const QString& ruleId) {
    for (int r = 0; r < view.model()->rowCount(); ++r) {
        auto row = view.model()->index(r, 0);
        if (row.data(FindingsModel::RuleIdRole).toString() == ruleId) return row;
    }
    return {};
}

// Until the scan is shown and the watches are in place (with the disk checked since): a test's write from here on is
// one the watcher sees.
bool openAndWait(MainWindow& w, const std::string& root) {
    QSignalSpy done(w.controller(), &ScanController::finished);
    QSignalSpy watching(w.controller(), &ScanController::watching);
    w.openRoot(QString::fromStdString(root));
    if (!done.wait(60000)) return false;
    return watching.count() > 0 || watching.wait(30000);
}

QString column(QTreeWidget* t, int row, int col) { return t->topLevelItem(row) ? t->topLevelItem(row)->text(col) : QString(); }

} // namespace

class TestGui : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void opensRealCacheAndShowsDetails();
    void filterBox();
    void filterHoldsAcrossRefresh();
    void entryDiff();
    void cacheDiff();
    void healthPanelSelectsEntry();
    void folderFindingSelectsItsFolder();
    void autoRefreshKeepsSelection();
    void writeBeforeWatchesIsSeen();
    void refreshFollowsPyTorchWriter();
    void ownRescanIsNotRepeated();
    void filterClearKeepsExpansion();
    void windowSizeRestored();
    void fitsA1024x700Window();
    void missingRootIsReported();
    void entryDiffAcrossCaches();
    void dropFolderOpensIt();
    void recentFoldersKept();
    void findingsProxyTester();
    void healthSearchKeepsExpansion();
    void deleteAskThenUndo();
    void evictAsksWithPlan();
    void recompileInJobsPanel();
    void jobsQueueIntoRunningWorker();
    void verifyLoadsEveryLibrary();
    void wouldThisCallHit();
    void findingsMostSevereFirstWithoutSorting();
    void preferencesChooseTheTorch();
    void clusterRecompileOfferedWhenAnAddressIsSet();
    void unpacksABundleIntoTheOpenCache();
    void pullsFromTheRegistryInPreferences();
    void benchmarkDefaultsInPreferences();
    void demoCacheBuiltInBackground();
    void newEntryDialogCompiles();
    void workloadPanel();
    void cutCellsShowAndCopyTheirText();
    void helpMenu();
    void exportsAsTheCliDoes();
    void benchmarkPanel();
    void benchmarkWithoutHistory();
    void benchmarkAllEntries();
    void screenshot();
};

void TestGui::initTestCase() {
    QStandardPaths::setTestModeEnabled(true); // settings go to a test location
}

void TestGui::opensRealCacheAndShowsDetails() {
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, realCache()));
    QCOMPARE(w.treeModel()->rowCount(), 1);
    QVERIFY(w.summaryLabel()->fullText().contains(QStringLiteral("5 ops, 6 entries")));
    QTRY_VERIFY_WITH_TIMEOUT(w.torchLabel()->text().startsWith(QStringLiteral("torch 2.")), 30000); // which torch judged
    QVERIFY(w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/abs#1"))));
    auto* args = w.details()->argumentsView();
    QCOMPARE(args->topLevelItemCount(), 1);
    QCOMPARE(column(args, 0, 1), QStringLiteral("tensor"));
    QCOMPARE(column(args, 0, 2), QStringLiteral("float16"));
    QCOMPARE(column(args, 0, 3), QStringLiteral("[4, 8]"));
    QVERIFY2(column(args, 0, 8).contains(QStringLiteral("AutogradCPU")), qPrintable(column(args, 0, 8)));
    QStringList libraryRows;
    for (int i = 0; i < w.details()->libraryView()->topLevelItemCount(); ++i) {
        libraryRows << column(w.details()->libraryView(), i, 0) + QLatin1Char('=') + column(w.details()->libraryView(), i, 1);
    }
    auto joined = libraryRows.join(QLatin1Char('\n'));
    QVERIFY2(joined.contains(QStringLiteral("compile command=g++")), qPrintable(joined));
    QVERIFY(joined.contains(QStringLiteral("built by torch=")));

    QVERIFY(w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/cat#0"))));
    QCOMPARE(w.details()->argumentsView()->topLevelItem(0)->childCount(), 2); // the two tensors of the list
    QTRY_VERIFY(w.findChild<QPlainTextEdit*>(QStringLiteral("logPanel"))->toPlainText().contains(QStringLiteral("scanned")));
}

void TestGui::filterBox() {
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, realCache()));
    QTest::keyClicks(w.filterEdit(), QStringLiteral("dtype:float16"));
    auto* proxy = w.filterProxy();
    auto cpu = proxy->index(0, 0, proxy->index(0, 0));
    QCOMPARE(proxy->rowCount(cpu), 1); // only abs
    QCOMPARE(proxy->rowCount(proxy->index(0, 0, cpu)), 1);
    // How many of how many, each entry counted once however often the proxy asks about it.
    QVERIFY(w.filterCountLabel()->isVisible());
    QCOMPARE(w.filterCountLabel()->text(), QStringLiteral("1 of 6 entries shown"));
    // Parent rows count what is shown of their entries, not their unfiltered totals.
    QCOMPARE(proxy->index(0, CacheTreeModel::EntriesColumn, cpu).data().toString(), QStringLiteral("1 of 2")); // abs
    QCOMPARE(cpu.siblingAtColumn(CacheTreeModel::EntriesColumn).data().toString(), QStringLiteral("1 of 6"));
    w.filterEdit()->setText(QStringLiteral("status:ok"));
    QCOMPARE(w.filterCountLabel()->text(), QStringLiteral("5 of 6 entries shown"));
    // Nothing matches: said, not a blank tree; Esc clears the filter.
    w.filterEdit()->setText(QStringLiteral("dtype:float64"));
    QCOMPARE(proxy->rowCount(), 0);
    QVERIFY2(w.filterCountLabel()->text().startsWith(QStringLiteral("No entry matches")), qPrintable(w.filterCountLabel()->text()));
    w.filterEdit()->setFocus();
    QTest::keyClick(w.filterEdit(), Qt::Key_Escape);
    QVERIFY(w.filterEdit()->text().isEmpty());
    QVERIFY(!w.filterCountLabel()->isVisible());
    cpu = proxy->index(0, 0, proxy->index(0, 0)); // the old index went with the rows the last filter removed
    QCOMPARE(proxy->rowCount(cpu), 5);
}

void TestGui::entryDiff() {
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, realCache()));
    QVERIFY(w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/abs#1"))));
    w.setDiffLeft();
    QVERIFY(w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/abs#0"))));
    w.compareWithLeft();
    QCOMPARE(w.tabs()->currentWidget(), static_cast<QWidget*>(w.diffView()));
    QVERIFY2(w.diffView()->verdictLabel()->text().contains(QStringLiteral("differ only in dtype")), qPrintable(w.diffView()->verdictLabel()->text()));
    auto* guards = w.diffView()->table()->topLevelItem(0);
    bool dtypeHighlighted = false;
    for (int i = 0; i < guards->childCount(); ++i) {
        auto* row = guards->child(i);
        if (row->text(0) == QStringLiteral("arg 0 dtype")) {
            // Ordered by file position: entry #0 on the left.
            QCOMPARE(row->text(1), QStringLiteral("torch.float32"));
            QCOMPARE(row->text(2), QStringLiteral("torch.float16"));
            dtypeHighlighted = row->font(0).bold();
        }
    }
    QVERIFY(dtypeHighlighted);
}

void TestGui::cacheDiff() {
    QTemporaryDir tmp;
    auto other = copyTree(realCache(), tmp);
    std::filesystem::remove(other + "/aoti_eager/aten/cpu/tril_indices.json");
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, realCache()));
    QSignalSpy compared(&w, &MainWindow::cacheCompared);
    w.compareWithCache(QString::fromStdString(other));
    QVERIFY(compared.wait(60000));
    QVERIFY2(w.diffView()->verdictLabel()->text().contains(QStringLiteral("0 added, 1 removed, 0 changed, 5 unchanged")),
             qPrintable(w.diffView()->verdictLabel()->text()));
    QVERIFY2(!w.summaryLabel()->fullText().contains(QStringLiteral("to compare")), qPrintable(w.summaryLabel()->fullText())); // not left stale
    // Rows by op, each entry with its arguments; the removed one opens in the tree.
    auto* table = w.diffView()->table();
    QCOMPARE(table->topLevelItemCount(), 1);
    QCOMPARE(table->topLevelItem(0)->text(0), QStringLiteral("aten/cpu/tril_indices  (1 removed, 0 unchanged)"));
    auto* removed = table->topLevelItem(0)->child(0);
    QVERIFY2(removed->text(1).contains(QStringLiteral("#0  scalar int 4")), qPrintable(removed->text(1)));
    emit table->itemActivated(removed, 0);
    QCOMPARE(w.treeModel()->entryAt(w.filterProxy()->mapToSource(w.treeView()->currentIndex())).op->name, std::string("tril_indices"));

    // A changed library: paired with its reason; opening it shows both entries side by side.
    auto addJson = readText(other + "/aoti_eager/aten/cpu/add.Tensor.json");
    writeText(other + "/aoti_eager/aten/cpu/add.Tensor.json", addJson.replace(addJson.find("\"kernel_path\": \"lib/"), 20, "\"kernel_path\": \"lib/x"));
    QSignalSpy again(&w, &MainWindow::cacheCompared);
    w.compareWithCache(QString::fromStdString(other));
    QVERIFY(again.wait(60000));
    QTreeWidgetItem* changed = nullptr;
    for (int i = 0; i < table->topLevelItemCount(); ++i) {
        if (table->topLevelItem(i)->text(0).startsWith(QStringLiteral("aten/cpu/add.Tensor  (1 changed"))) changed = table->topLevelItem(i)->child(0);
    }
    QVERIFY(changed);
    QVERIFY2(changed->toolTip(0).startsWith(QStringLiteral("kernel_path lib/")) && changed->toolTip(0).contains(QStringLiteral("-> lib/x")),
             qPrintable(changed->toolTip(0)));
    emit table->itemActivated(changed, 0);
    auto* pair = w.findChild<QDialog*>(QStringLiteral("cacheDiffEntry"));
    QVERIFY(pair && pair->isVisible());
    auto* view = pair->findChild<DiffWidget*>();
    QVERIFY2(view->verdictLabel()->text().contains(QStringLiteral("identical guards")) || view->verdictLabel()->text().contains(QStringLiteral("kernel")),
             qPrintable(view->verdictLabel()->text()));
}

void TestGui::folderFindingSelectsItsFolder() {
    // An orphan library has no row: its finding selects the device folder and says where the file is.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto snap = aotiscope::scanCache(root);
    const auto* abs = findOp(snap, "abs");
    auto lib = root + "/aoti_eager/aten/cpu/" + *abs->entries[0].kernelPath;
    std::filesystem::create_directories(root + "/aoti_eager/aten/cpu/lib/corphan");
    std::filesystem::copy_file(lib, root + "/aoti_eager/aten/cpu/lib/corphan/corphan.wrapper.so");
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, root));
    const aotiscope::Finding* orphan = nullptr;
    for (const auto& f : w.treeModel()->result()->findings) {
        if (f.ruleId == "AOTI002") orphan = &f;
    }
    QVERIFY(orphan);
    QVERIFY(orphan->op.empty());
    emit w.health()->findingActivated(orphan);
    auto current = w.filterProxy()->mapToSource(w.treeView()->currentIndex());
    QCOMPARE(current.data(CacheTreeModel::NodeKindRole).toInt(), int(TreeNodeKind::Device));
    QCOMPARE(current.data(CacheTreeModel::DeviceRole).toString(), QStringLiteral("cpu"));
    QVERIFY2(w.statusBar()->currentMessage().startsWith(QStringLiteral("AOTI002: ")) &&
                 w.statusBar()->currentMessage().contains(QStringLiteral("corphan")),
             qPrintable(w.statusBar()->currentMessage()));
}

void TestGui::healthPanelSelectsEntry() {
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, fixture("caches/hostile")));
    auto* view = w.health()->view();
    QVERIFY(view->model()->rowCount() > 3);
    bool found = false;
    for (int r = 0; r < view->model()->rowCount() && !found; ++r) {
        auto rule = view->model()->index(r, 0);
        if (!rule.data(FindingsModel::RuleIdRole).toString().startsWith(QStringLiteral("AOTI006"))) continue;
        view->expand(rule);
        auto place = view->model()->index(0, 0, rule);
        QVERIFY(view->model()->rowCount(place) > 0);
        view->expand(place);
        auto finding = view->model()->index(0, 0, place);
        view->setCurrentIndex(finding);
        emit view->activated(finding);
        found = true;
    }
    QVERIFY(found);
    QCOMPARE(currentKey(w), named(fixture("caches/hostile"), QStringLiteral("aten/cpu/shadowed#1")));
    // Its own finding, and its library's (the fixture's fake library, shared with other ops, is not ELF).
    QStringList rules;
    for (int i = 0; i < w.details()->findingsView()->topLevelItemCount(); ++i) rules << column(w.details()->findingsView(), i, 1);
    QVERIFY2(rules.contains(QStringLiteral("AOTI006")), qPrintable(rules.join(QLatin1Char(','))));
}

void TestGui::healthSearchKeepsExpansion() {
    // The search box narrows the grouping off the GUI thread; the count says how many match; a rule expanded
    // before a search or a rescan is still expanded after it.
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, fixture("caches/hostile")));
    auto* health = w.health();
    auto* view = health->view();
    int rulesBefore = view->model()->rowCount();
    auto missing = ruleRowOf(*view, QStringLiteral("AOTI001"));
    QVERIFY(missing.isValid());
    view->expand(missing);
    QSignalSpy shown(health, &HealthPanel::groupsShown);
    health->searchEdit()->setText(QStringLiteral("missing"));
    QVERIFY(shown.wait(5000));
    QVERIFY(view->model()->rowCount() >= 1 && view->model()->rowCount() < rulesBefore);
    QVERIFY2(health->countLabel()->text().contains(QStringLiteral(" of ")), qPrintable(health->countLabel()->text()));
    auto first = ruleRowOf(*view, QStringLiteral("AOTI001"));
    QCOMPARE(first.data(FindingsModel::RuleIdRole).toString(), QStringLiteral("AOTI001"));
    QVERIFY(view->isExpanded(first));
    health->searchEdit()->clear();
    QVERIFY(shown.wait(5000));
    QCOMPARE(view->model()->rowCount(), rulesBefore);
    QVERIFY(!health->countLabel()->text().contains(QStringLiteral(" of ")));
}

void TestGui::autoRefreshKeepsSelection() {
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, root));
    QVERIFY(w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/abs#1"))));
    // The user opened two ops and closed a third: a rescan keeps exactly that.
    auto opRow = [&](const char* position) { return opRowOf(w, position); };
    w.treeView()->expand(opRow("aten/cpu/abs#0"));
    w.treeView()->expand(opRow("aten/cpu/cat#0"));
    w.treeView()->collapse(opRow("aten/cpu/add.Tensor#0"));
    QVERIFY(w.treeView()->isExpanded(opRow("aten/cpu/cat#0")));
    // PyTorch-like write: the whole file rewritten in place, here with a duplicate of its only entry.
    auto path = root + "/aoti_eager/aten/cpu/cat.json";
    QSignalSpy rescanned(w.controller(), &ScanController::finished);
    QSignalSpy unchanged(w.controller(), &ScanController::unchangedOnDisk);
    writeOnlyEntryTwice(path);
    QVERIFY(rescanned.wait(10000));
    // The refresh read the op file the watcher named, and nothing else: not even a stat of the other op files.
    const auto& work = w.treeModel()->result()->snapshot.work;
    QCOMPARE(work.changes, std::vector<std::string>{path});
    QCOMPARE(work.opFilesStatted, 1u);
    QCOMPARE(work.opFilesParsed, 1u);
    QVERIFY(work.libFoldersListed.empty());
    QCOMPARE(currentKey(w), named(realCache(), QStringLiteral("aten/cpu/abs#1")));
    QVERIFY(w.summaryLabel()->fullText().contains(QStringLiteral("7 entries")));
    QVERIFY(w.treeView()->isExpanded(opRow("aten/cpu/abs#0")));
    QVERIFY(w.treeView()->isExpanded(opRow("aten/cpu/cat#0"))); // the op that changed, now with 2 entries
    QVERIFY(!w.treeView()->isExpanded(opRow("aten/cpu/add.Tensor#0")));
    QCOMPARE(w.filterProxy()->rowCount(opRow("aten/cpu/cat#0")), 2);
    QVERIFY(w.summaryLabel()->fullText().contains(QStringLiteral("1 warning ·")));
    // The whole cache is checked once it has been quiet a while, and found as the named refresh left it.
    QTRY_VERIFY_WITH_TIMEOUT(unchanged.count() == 1, ScanController::kFullCheckMs + 5000);
    QCOMPARE(rescanned.count(), 1);
}

void TestGui::writeBeforeWatchesIsSeen() {
    // PyTorch rewrites an op file after the scan read it and before the window's watches are in place (here, while the
    // libraries are being inspected): no watch saw that write, so once they are placed the window reads the disk again.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    MainWindow w;
    w.show();
    auto path = root + "/aoti_eager/aten/cpu/cat.json";
    connect(w.controller(), &ScanController::partial, &w, [&] { writeOnlyEntryTwice(path); }, Qt::SingleShotConnection);
    QSignalSpy watching(w.controller(), &ScanController::watching);
    w.openRoot(QString::fromStdString(root));
    QTRY_VERIFY_WITH_TIMEOUT(watching.count() > 0, 60000);
    const auto* cat = findOp(w.treeModel()->result()->snapshot, "cat");
    QVERIFY(cat);
    QCOMPARE(cat->entries.size(), 2u);
    QVERIFY(w.summaryLabel()->fullText().contains(QStringLiteral("7 entries")));
}

void TestGui::refreshFollowsPyTorchWriter() {
    // PyTorch's own writer (its locks, its in-place rewrite of abs.json; each library in a folder of its own, as torch
    // 2.11 and later) appends entries while the window is open: the refreshes reread abs.json alone, and the window
    // ends where a full scan of the disk is, findings and all.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, root));
    std::size_t namedRefreshes = 0;
    connect(w.controller(), &ScanController::finished, &w, [&](const ScanResultPtr& r) {
        if (r->snapshot.work.opFilesStatted == 1) ++namedRefreshes;
    });
    QProcess writer;
    writer.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    writer.start(QString::fromLocal8Bit(std::getenv("AOTISCOPE_PYTHON")),
                 {QString::fromStdString(fixture("pytorch_writer.py")), QString::fromStdString(root), "4", "--interval", "0.8",
                  "--first-size", "100", "--folder-per-kernel"});
    QVERIFY(writer.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(writer.state() == QProcess::NotRunning, 120000);
    QCOMPARE(writer.exitCode(), 0);
    auto absEntries = [&] {
        const auto* abs = findOp(w.treeModel()->result()->snapshot, "abs");
        return abs ? abs->entries.size() : 0u;
    };
    QTRY_COMPARE_WITH_TIMEOUT(absEntries(), 6u, 10000);
    QVERIFY2(namedRefreshes >= 1, "no refresh read abs.json alone");
    // The full check after the last refresh, then the window against a scan of the disk from nothing.
    QTest::qWait(ScanController::kFullCheckMs + 1500);
    QTRY_VERIFY_WITH_TIMEOUT(!w.controller()->isScanning(), 10000);
    auto shown = w.treeModel()->result();
    auto fresh = scanAndLint(root, shown->host, aotiscope::ScanOptions{});
    auto text = [](const ScanResult& r) {
        std::string out;
        for (const auto& f : r.findings) out += fmt::format("{} {}/{}/{} #{} {}: {}\n", f.ruleId, f.ns, f.device, f.op, f.entry, f.path, f.message);
        return out;
    };
    QCOMPARE(shown->snapshot.entryCount(), fresh->snapshot.entryCount());
    QCOMPARE(text(*shown), text(*fresh));
}

void TestGui::ownRescanIsNotRepeated() {
    // The window's own edits rescan at once; the watcher's events for the same writes then find the disk as
    // that scan saw it and scan nothing again (each action used to be scanned, and logged, twice).
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, root));
    QSignalSpy started(w.controller(), &ScanController::started);
    QSignalSpy finished(w.controller(), &ScanController::finished);
    QSignalSpy unchanged(w.controller(), &ScanController::unchangedOnDisk);
    auto path = root + "/aoti_eager/aten/cpu/cat.json";
    auto text = readText(path);
    writeText(path, text + "\n"); // an edit of our own...
    w.controller()->rescan();     // ...and the rescan that follows it
    QVERIFY(finished.wait(10000));
    // The watcher's event (once the writes settled, checked off the GUI thread) comes and finds nothing new.
    QTRY_VERIFY_WITH_TIMEOUT(unchanged.count() >= 1 || finished.count() > 1, 5000);
    QTest::qWait(300);
    QCOMPARE(started.count(), 1);
    QCOMPARE(finished.count(), 1);
    // A write nobody rescanned for still refreshes the window.
    writeText(path, text);
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 2, 10000);
}

void TestGui::filterHoldsAcrossRefresh() {
    // A refresh under a filter: the proxy judges the new rows once, afresh (it forgets its judgements with the
    // model's reset), and the count says what is shown of the new total.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, root));
    w.filterEdit()->setText(QStringLiteral("dtype:float16"));
    QCOMPARE(w.filterCountLabel()->text(), QStringLiteral("1 of 6 entries shown"));
    QSignalSpy rescanned(w.controller(), &ScanController::finished);
    writeOnlyEntryTwice(root + "/aoti_eager/aten/cpu/cat.json");
    QVERIFY(rescanned.wait(10000));
    QCOMPARE(w.filterCountLabel()->text(), QStringLiteral("1 of 7 entries shown"));
    auto* proxy = w.filterProxy();
    QCOMPARE(proxy->rowCount(proxy->index(0, 0, proxy->index(0, 0))), 1); // still only abs
    // abs loses its float16 entry: nothing matches any more (a count kept from before the refresh said "1 of 6").
    auto absPath = root + "/aoti_eager/aten/cpu/abs.json";
    auto kept = QJsonArray();
    for (const auto& entry : QJsonDocument::fromJson(QByteArray::fromStdString(readText(absPath))).array()) {
        if (!QJsonDocument(entry.toObject()).toJson().contains("float16")) kept.append(entry);
    }
    QCOMPARE(kept.size(), 1);
    writeText(absPath, QJsonDocument(kept).toJson().toStdString());
    QVERIFY(rescanned.wait(10000));
    QCOMPARE(proxy->rowCount(), 0);
    QVERIFY2(w.filterCountLabel()->text().startsWith(QStringLiteral("No entry matches")), qPrintable(w.filterCountLabel()->text()));
}

void TestGui::filterClearKeepsExpansion() {
    // A filter expands every match; clearing it gives back the tree as the user had it (it used to collapse).
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, realCache()));
    auto opRow = [&](const char* position) { return opRowOf(w, position); };
    w.treeView()->expand(opRow("aten/cpu/abs#0"));
    QVERIFY(!w.treeView()->isExpanded(opRow("aten/cpu/cat#0")));
    w.filterEdit()->setText(QStringLiteral("dtype:float"));
    w.filterEdit()->setText(QStringLiteral("dtype:float16"));
    QVERIFY(w.filterProxy()->rowCount() > 0);
    w.filterEdit()->clear();
    QVERIFY(w.treeView()->isExpanded(opRow("aten/cpu/abs#0")));
    QVERIFY(!w.treeView()->isExpanded(opRow("aten/cpu/cat#0")));
}

void TestGui::fitsA1024x700Window() {
    // A laptop's window: nothing widens it past 1024 (the Benchmarks bar with its history path did, to 1163), the
    // bottom panels leave the tree and details most of it, the details give each section what its rows need.
    QSettings().remove(QStringLiteral("window/state"));
    MainWindow w;
    w.resize(1024, 700);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(openAndWait(w, realCache()));
    auto* bench = w.findChild<QDockWidget*>(QStringLiteral("benchDock"));
    QVERIFY(bench);
    bench->raise();
    QTest::qWait(50);
    QVERIFY2(w.minimumSizeHint().width() <= 1024, qPrintable(QString::number(w.minimumSizeHint().width())));
    QCOMPARE(w.width(), 1024);
    auto* history = w.benchmarks()->findChild<ElidedLabel*>(QStringLiteral("benchStatus"));
    QVERIFY(history->fullText().startsWith(QStringLiteral("History")));
    QVERIFY(history->toolTip() == history->fullText()); // the whole path, however it is cut
    QVERIFY2(bench->height() <= w.height() / 2, qPrintable(QString::number(bench->height())));
    // Details: an entry with a finding shows it; one without says so instead of an empty list.
    QVERIFY(w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/cat#0"))));
    auto* d = w.details();
    QVERIFY(d->findingsView()->isVisible());
    QVERIFY(d->findingsView()->topLevelItemCount() >= 1);
    QVERIFY(w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/add.Tensor#0"))));
    QVERIFY(!d->findingsView()->isVisible());
    QVERIFY(d->titleLabel()->text().contains(QStringLiteral("no findings")));
    // The library's many rows get the room the findings did not need.
    QVERIFY2(d->libraryView()->height() > d->argumentsView()->height(),
             qPrintable(QStringLiteral("%1 vs %2").arg(d->libraryView()->height()).arg(d->argumentsView()->height())));
}

void TestGui::windowSizeRestored() {
    // The size the window was closed at is the size it opens at (main used to resize it after the restore).
    QSize left;
    {
        MainWindow w;
        w.resize(1250, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        left = w.size();
        w.close();
    }
    QVERIFY(left != QSize(1400, 860));
    MainWindow again;
    QCOMPARE(again.size(), left);
    QSettings().remove(QStringLiteral("window/geometry"));
    MainWindow fresh;
    QCOMPARE(fresh.size(), QSize(1400, 860));
}

void TestGui::missingRootIsReported() {
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, "/nonexistent/aotiscope"));
    QVERIFY(w.summaryLabel()->fullText().contains(QStringLiteral("does not exist")));
    QCOMPARE(w.treeModel()->rowCount(), 0);
}

void TestGui::entryDiffAcrossCaches() {
    // The left entry comes from one cache, the right from another opened after it.
    QTemporaryDir tmp;
    auto other = copyTree(realCache(), tmp);
    auto absJson = other + "/aoti_eager/aten/cpu/abs.json";
    auto text = readText(absJson);
    writeText(absJson, text.replace(text.find("\"requires_grad\": false"), 22, "\"requires_grad\": true"));
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, realCache()));
    QVERIFY(w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/abs#0"))));
    w.setDiffLeft();
    QVERIFY(openAndWait(w, other));
    QVERIFY(w.selectEntry(named(other, QStringLiteral("aten/cpu/abs#0")))); // another entry: its content changed
    w.compareWithLeft();
    QVERIFY2(w.diffView()->verdictLabel()->text().contains(QStringLiteral("differ only in requires_grad")),
             qPrintable(w.diffView()->verdictLabel()->text()));
}

void TestGui::dropFolderOpensIt() {
    MainWindow w;
    w.show();
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(QString::fromStdString(realCache()))});
    QSignalSpy done(w.controller(), &ScanController::finished);
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &drop);
    QVERIFY(done.wait(60000));
    QCOMPARE(w.controller()->root(), QFileInfo(QString::fromStdString(realCache())).absoluteFilePath());
    QCOMPARE(w.treeModel()->rowCount(), 1);
}

void TestGui::recentFoldersKept() {
    QString opened;
    {
        MainWindow w;
        w.show();
        QVERIFY(openAndWait(w, fixture("caches/hostile")));
        opened = w.controller()->root();
        w.close();
    }
    MainWindow again; // a later session
    auto actions = again.recentMenu()->actions();
    QVERIFY(!actions.isEmpty());
    QCOMPARE(actions.first()->text(), opened);
    QSignalSpy done(again.controller(), &ScanController::finished);
    actions.first()->trigger();
    QVERIFY(done.wait(60000));
    QCOMPARE(again.controller()->root(), opened);
}

void TestGui::findingsProxyTester() {
    MainWindow w;
    auto* proxy = w.health()->proxy();
    QAbstractItemModelTester tester(proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(openAndWait(w, fixture("caches/hostile")));
    proxy->sort(0, Qt::DescendingOrder);
    QCOMPARE(proxy->index(0, 0).data().toString(), QStringLiteral("error"));
    QVERIFY(openAndWait(w, realCache()));
    QCOMPARE(proxy->rowCount(), 1); // one rule: cat's entry, which torch 2.13 refuses to register
    QCOMPARE(proxy->rowCount(proxy->index(0, 0)), 1);
}

void TestGui::deleteAskThenUndo() {
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, root));
    QVERIFY(w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/abs#1"))));
    QString asked, details;
    w.edits()->confirm = [&](const QString& summary, const QString& lines) {
        asked = summary;
        details = lines;
        return false; // first: the user cancels
    };
    w.deleteSelectedEntries();
    QVERIFY(asked.contains(QStringLiteral("1 entry and")));
    QVERIFY(details.contains(QStringLiteral("entry aten/cpu/abs #1")));
    auto unchanged = aotiscope::scanCache(root);
    QCOMPARE(findOp(unchanged, "abs")->entries.size(), 2u); // nothing changed

    w.edits()->confirm = [](const QString&, const QString&) { return true; };
    QSignalSpy applied(&w, &MainWindow::editApplied);
    QSignalSpy rescanned(w.controller(), &ScanController::finished);
    w.deleteSelectedEntries();
    QVERIFY(applied.wait(30000));
    QVERIFY(applied.at(0).at(1).toStringList().isEmpty());
    QVERIFY(rescanned.wait(30000));
    QTRY_VERIFY(w.summaryLabel()->fullText().contains(QStringLiteral("5 entries")));

    w.undoLastRemoval();
    QVERIFY(applied.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(w.summaryLabel()->fullText().contains(QStringLiteral("6 entries")), 30000);
    auto restored = aotiscope::scanCache(root);
    QCOMPARE(findOp(restored, "abs")->entries.size(), 2u);
}

void TestGui::evictAsksWithPlan() {
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, root));
    QString asked;
    w.edits()->confirm = [&](const QString& summary, const QString&) {
        asked = summary;
        return true;
    };
    QSignalSpy applied(&w, &MainWindow::editApplied);
    w.evictToSize(3u << 20); // 3 MiB of the ~9 MiB
    QVERIFY(applied.wait(30000));
    QVERIFY(asked.startsWith(QStringLiteral("evict:")));
    auto after = aotiscope::scanCache(root);
    QVERIFY(after.entryCount() <= 3);
}

void TestGui::preferencesChooseTheTorch() {
    // The interpreter chosen in Preferences is the torch the verdicts are for: without torch, the status bar says
    // the checks are off; back to the real one, it names it again.
    const QString real = QString::fromLocal8Bit(std::getenv("AOTISCOPE_PYTHON"));
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, realCache()));
    QTRY_VERIFY_WITH_TIMEOUT(w.torchLabel()->text().startsWith(QStringLiteral("torch 2.")), 30000);
    w.setTorchPython(QStringLiteral("/nonexistent/python3"));
    QTRY_VERIFY_WITH_TIMEOUT(w.torchLabel()->text() == QStringLiteral("no torch found: these checks are off"), 60000);
    QVERIFY(w.torchLabel()->toolTip().contains(QStringLiteral("/nonexistent/python3")));
    w.setTorchPython(real);
    QTRY_VERIFY_WITH_TIMEOUT(w.torchLabel()->text().startsWith(QStringLiteral("torch 2.")), 60000);
    QCOMPARE(QSettings().value(QStringLiteral("torch/python")).toString(), real);
    QSettings().remove(QStringLiteral("torch/python"));
}

void TestGui::clusterRecompileOfferedWhenAnAddressIsSet() {
    // File > Recompile everything stale on the cluster is there only with a Ray cluster set in Preferences (the
    // recompile itself on a real cluster: tst_fleet).
    QSettings().remove(QStringLiteral("ray/address"));
    MainWindow w;
    auto* action = w.findChild<QAction*>(QStringLiteral("clusterRecompileAction"));
    QVERIFY(action);
    QVERIFY(!action->isEnabled());
    QVERIFY(action->toolTip().contains(QStringLiteral("Preferences")));
    auto chosen = Preferences::load();
    chosen.rayAddress = QStringLiteral("10.0.0.7:6379");
    w.applyPreferences(chosen);
    QVERIFY(action->isEnabled());
    QVERIFY(action->toolTip().contains(QStringLiteral("10.0.0.7:6379")));
    QCOMPARE(Preferences::load().rayAddress, QStringLiteral("10.0.0.7:6379"));
    // The dialog shows what is remembered, and gives back what is typed.
    PreferencesDialog dialog(Preferences::load());
    auto* ray = dialog.findChild<QLineEdit*>(QStringLiteral("rayEdit"));
    QVERIFY(ray);
    QCOMPARE(ray->text(), QStringLiteral("10.0.0.7:6379"));
    ray->setText(QStringLiteral("  "));
    w.applyPreferences(dialog.chosen());
    QVERIFY(!action->isEnabled());
    QSettings().remove(QStringLiteral("ray/address"));
}

void TestGui::unpacksABundleIntoTheOpenCache() {
    // File > Unpack bundle: a bundle of abs (packed by the CLI) into a cache that has only add.Tensor; the window
    // checks and places off the GUI thread, says the outcome, and the tree shows abs after the rescan.
    QTemporaryDir out, target;
    auto bundle = out.path() + "/abs.aotib";
    QCOMPARE(runCli({"pack", "abs", "--root", QString::fromStdString(realCache()), "-o", bundle}).code, 0);
    auto root = copyTree(realCache(), target);
    std::filesystem::remove(root + "/aoti_eager/aten/cpu/abs.json");
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, root));
    QVERIFY(!w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/abs#0"))));
    QSignalSpy unpacked(&w, &MainWindow::bundleUnpacked);
    QSignalSpy rescanned(w.controller(), &ScanController::finished);
    w.unpackBundle(bundle);
    QVERIFY(unpacked.wait(120000));
    QCOMPARE(unpacked.at(0).at(1).toInt(), 0);
    QVERIFY2(unpacked.at(0).at(0).toString().startsWith(QStringLiteral("2 placed")), qPrintable(unpacked.at(0).at(0).toString()));
    QVERIFY(rescanned.wait(60000));
    QVERIFY(w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/abs#0"))));
    // A damaged bundle file changes nothing and says so.
    writeText(bundle.toStdString(), readText(bundle.toStdString()).substr(0, 3000));
    w.unpackBundle(bundle);
    QVERIFY(unpacked.wait(60000));
    QVERIFY2(unpacked.at(1).at(0).toString().contains(QStringLiteral("nothing was changed")), qPrintable(unpacked.at(1).at(0).toString()));
}

void TestGui::pullsFromTheRegistryInPreferences() {
    // File > Pull from registry with the registry of Preferences (plain HTTP): a real docker-registry on loopback
    // holding the abs bundle the CLI pushed; the window places it in the open cache.
    LocalRegistry registry;
    QVERIFY2(registry.up(), "docker-registry did not start (scripts/setup.sh installs it)");
    auto ref = registry.ref("team/kernels:gui");
    auto pushed = runCli({"push", QString::fromStdString(ref), "abs", "--root", QString::fromStdString(realCache()), "--insecure"});
    QVERIFY2(pushed.code == 0, pushed.err.constData());
    QTemporaryDir target;
    auto root = copyTree(realCache(), target);
    std::filesystem::remove(root + "/aoti_eager/aten/cpu/abs.json");
    auto prefs = Preferences::load();
    prefs.registry = QString::fromStdString(ref);
    prefs.registryInsecure = true;
    MainWindow w;
    w.applyPreferences(prefs);
    w.show();
    QVERIFY(openAndWait(w, root));
    QSignalSpy unpacked(&w, &MainWindow::bundleUnpacked);
    w.pullBundle(Preferences::load().registry);
    QVERIFY(unpacked.wait(120000));
    QVERIFY2(unpacked.at(0).at(0).toString().startsWith(QStringLiteral("2 placed")), qPrintable(unpacked.at(0).at(0).toString()));
    QTRY_VERIFY_WITH_TIMEOUT(w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/abs#1"))), 30000);
    // Without plain HTTP the same registry cannot be spoken to: said, nothing changed.
    prefs.registryInsecure = false;
    w.applyPreferences(prefs);
    w.pullBundle(QString::fromStdString(registry.ref("team/kernels:gui")));
    QVERIFY(unpacked.wait(180000));
    QVERIFY2(unpacked.at(1).at(0).toString().contains(QStringLiteral("nothing was changed")), qPrintable(unpacked.at(1).at(0).toString()));
    QSettings().remove(QStringLiteral("registry/reference"));
    QSettings().remove(QStringLiteral("registry/insecure"));
}

void TestGui::benchmarkDefaultsInPreferences() {
    // The benchmark panel starts with the cap and sampling mode of Preferences; what is chosen in the panel is
    // remembered for the next window, and Preferences shows it.
    {
        MainWindow w;
        auto prefs = Preferences::load();
        prefs.benchMaxMs = 750;
        prefs.benchMode = 2; // cold
        w.applyPreferences(prefs);
        QCOMPARE(w.benchmarks()->findChild<QSpinBox*>(QStringLiteral("benchMaxMs"))->value(), 750);
        QCOMPARE(w.benchmarks()->findChild<QComboBox*>(QStringLiteral("benchMode"))->currentIndex(), 2);
        w.benchmarks()->findChild<QSpinBox*>(QStringLiteral("benchMaxMs"))->setValue(1200);
    }
    MainWindow again;
    QCOMPARE(again.benchmarks()->findChild<QSpinBox*>(QStringLiteral("benchMaxMs"))->value(), 1200);
    QCOMPARE(again.benchmarks()->findChild<QComboBox*>(QStringLiteral("benchMode"))->currentIndex(), 2);
    PreferencesDialog dialog(Preferences::load());
    QCOMPARE(dialog.findChild<QSpinBox*>(QStringLiteral("benchMaxMsEdit"))->value(), 1200);
    QCOMPARE(dialog.chosen().benchMode, 2);
    for (const auto* key : {"bench/maxMs", "bench/mode"}) QSettings().remove(QString::fromLatin1(key));
}

void TestGui::findingsMostSevereFirstWithoutSorting() {
    // The health panel shows the most severe rules first as the grouping ordered them off the GUI thread: the
    // proxy does not sort (at 300,000 findings that cost a 0.55 s stall), yet the header says severity, descending.
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("caches/hostile")));
    auto* view = w.findChild<QTreeView*>(QStringLiteral("findingsView"));
    QVERIFY(view);
    auto* proxy = qobject_cast<QSortFilterProxyModel*>(view->model());
    QVERIFY(proxy);
    QCOMPARE(proxy->sortColumn(), -1);
    QCOMPARE(view->header()->sortIndicatorSection(), int(FindingsModel::SeverityColumn));
    QVERIFY(view->model()->rowCount() > 3);
    int previous = 3;
    for (int row = 0; row < view->model()->rowCount(); ++row) {
        auto s = view->model()->index(row, FindingsModel::SeverityColumn).data(FindingsModel::SortRole).toInt();
        QVERIFY2(s <= previous, qPrintable(QStringLiteral("row %1").arg(row)));
        previous = s;
    }
    QCOMPARE(view->model()->index(0, FindingsModel::SeverityColumn).data().toString(), QStringLiteral("error"));
    // A click on a header still sorts, on demand.
    view->sortByColumn(FindingsModel::RuleColumn, Qt::AscendingOrder);
    QCOMPARE(proxy->sortColumn(), int(FindingsModel::RuleColumn));
}

void TestGui::wouldThisCallHit() {
    // From an entry's menu: its own arguments hit it; an edited size misses, naming the field (the matcher that
    // tst_registration checks against PyTorch).
    MainWindow w;
    QVERIFY(openAndWait(w, realCache()));
    QVERIFY(w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/abs#1"))));
    auto* dialog = w.checkCallOnSelected();
    QVERIFY(dialog);
    QVERIFY2(dialog->answer().startsWith(QStringLiteral("the call runs entry #1")), qPrintable(dialog->answer()));
    auto text = dialog->editor()->toPlainText();
    QVERIFY(text.contains(QStringLiteral("\"sizes\"")));
    auto call = nlohmann::json::parse(text.toStdString());
    call[0]["sizes"] = {3, 3};
    call[0]["strides"] = {3, 1};
    dialog->editor()->setPlainText(QString::fromStdString(call.dump(2)));
    dialog->check();
    QVERIFY2(dialog->answer().startsWith(QStringLiteral("a miss")), qPrintable(dialog->answer()));
    QVERIFY2(dialog->answer().contains(QStringLiteral("sizes")), qPrintable(dialog->answer()));
    dialog->editor()->setPlainText(QStringLiteral("{not json"));
    dialog->check();
    QVERIFY2(dialog->answer().startsWith(QStringLiteral("Not a call")), qPrintable(dialog->answer()));
    dialog->close();
}

void TestGui::verifyLoadsEveryLibrary() {
    // Entry > Verify loading: every library loaded as PyTorch loads it, off the GUI thread; one made not ELF fails.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto snap = aotiscope::scanCache(root);
    const auto& libs = snap.namespaces[0].devices[0].libFiles;
    auto kernel = std::ranges::find(libs, aotiscope::LibraryRole::Kernel, &aotiscope::LibraryFile::role);
    QVERIFY(kernel != libs.end());
    writeText(kernel->path, "not a shared object\n");
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, root));
    QSignalSpy done(&w, &MainWindow::verifyFinished);
    w.treeView()->clearSelection();
    w.verifySelected();
    QVERIFY(done.wait(120000));
    QCOMPARE(done.at(0).at(1).toInt(), 6);
    QCOMPARE(done.at(0).at(0).toInt(), 5);
    QCOMPARE(done.at(0).at(2).toStringList().size(), 1);
    QVERIFY(w.statusBar()->currentMessage().contains(QStringLiteral("5 of 6 entries load")));
}

void TestGui::jobsQueueIntoRunningWorker() {
    // A job queued while another runs goes into the same worker process (no second start-up of a minute).
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    JobsPanel panel;
    panel.workerConfig().python = std::getenv("AOTISCOPE_PYTHON");
    panel.workerConfig().script = fixture("fake_compile_worker.py");
    auto snap = aotiscope::scanCache(root);
    QSignalSpy finished(&panel, &JobsPanel::jobFinished);
    QSignalSpy idle(&panel, &JobsPanel::allIdle);
    panel.enqueue(aotiscope::jobsForEntries(snap, "abs", {0}));
    QTRY_VERIFY_WITH_TIMEOUT(panel.model()->row(0).state == JobRow::State::Running, 30000);
    panel.enqueue(aotiscope::jobsForEntries(snap, "add.Tensor", {0}));
    QVERIFY(idle.wait(60000));
    QCOMPARE(finished.size(), 2);
    QCOMPARE(panel.model()->rowCount(), 2);
    auto first = panel.model()->row(0).message, second = panel.model()->row(1).message;
    QVERIFY2(first.startsWith(QStringLiteral("fake worker ")), qPrintable(first));
    QCOMPARE(second, first); // the same process id
    QVERIFY(panel.model()->row(0).log.join(QLatin1Char('\n')).contains(QStringLiteral("worker ready")));
    QVERIFY(!panel.model()->row(1).log.join(QLatin1Char('\n')).contains(QStringLiteral("worker ready")));
    // Both entries are back where they were after the failed compiles.
    QCOMPARE(readText(root + "/aoti_eager/aten/cpu/abs.json"), readText(realCache() + "/aoti_eager/aten/cpu/abs.json"));
}

void TestGui::recompileInJobsPanel() {
    // A real compile through PyTorch, off the GUI thread, shown in the jobs panel; the cache is rescanned.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, root));
    QVERIFY(w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/add.Tensor#0"))));
    QSignalSpy finished(w.jobs(), &JobsPanel::jobFinished);
    w.recompileSelected();
    QCOMPARE(w.jobs()->model()->rowCount(), 1);
    QVERIFY(finished.wait(300000));
    QCOMPARE(finished.at(0).at(1).toBool(), true);
    QCOMPARE(w.jobs()->model()->index(0, JobsModel::StateColumn).data().toString(), QStringLiteral("done"));
    QVERIFY(w.jobs()->model()->index(0, JobsModel::MessageColumn).data().toString().endsWith(QStringLiteral(".wrapper.so")));
    QTRY_VERIFY_WITH_TIMEOUT(w.summaryLabel()->fullText().contains(QStringLiteral("6 entries")) &&
                                 w.summaryLabel()->fullText().contains(QStringLiteral("1 error,")), 60000); // cat's AOTI023
}

void TestGui::workloadPanel() {
    // A recording dropped on the window opens in the Workload panel, off the GUI thread; activating the miss's
    // nearest entry selects it in the cache tree; Pre-warm turns the miss into a compile job of a new entry.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto path = tmp.filePath(QStringLiteral("run.jsonl"));
    writeAbsRecording(path.toStdString(), root);
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, root));
    w.jobs()->workerConfig().python = std::getenv("AOTISCOPE_PYTHON");
    w.jobs()->workerConfig().script = fixture("fake_compile_worker.py");
    QSignalSpy loaded(w.workload(), &WorkloadPanel::loaded);
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &enter);
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &drop);
    QVERIFY2(loaded.wait(10000), qPrintable(w.workload()->summary()->text()));
    QVERIFY2(w.workload()->summary()->text().contains(QStringLiteral("1 misses compiling 12.5 s")), qPrintable(w.workload()->summary()->text()));
    QVERIFY(w.workload()->prewarmButton()->isEnabled());
    auto* model = w.workload()->model();
    auto miss = model->index(0, 0, model->index(0, 0));
    QVERIFY(miss.isValid());
    // Activating the miss goes to the entry it created; this cache lacks it, so the window selects its op.
    emit w.workload()->view()->activated(miss);
    QCOMPARE(w.treeModel()->entryAt(w.filterProxy()->mapToSource(w.treeView()->currentIndex())).op->name, std::string("abs"));
    // The nearest entry, by its identity.
    auto nearest = QString::fromStdString(model->workload()->report.ops[0].explained[0].nearestEntryId);
    QCOMPARE(nearest, named(root, QStringLiteral("aten/cpu/abs#0")));
    emit w.workload()->entryRequested(nearest);
    QCOMPARE(w.treeModel()->entryAt(w.filterProxy()->mapToSource(w.treeView()->currentIndex())).entry->key,
             nearest.section(QLatin1Char('@'), 1).toStdString());
    // The chart shows the one process that compiled.
    QCOMPARE(w.workload()->chart()->chart()->series().size(), 1);
    QSignalSpy finished(w.jobs(), &JobsPanel::jobFinished);
    w.workload()->prewarmButton()->click();
    QCOMPARE(w.jobs()->model()->rowCount(), 1);
    QVERIFY(QString::fromStdString(w.jobs()->model()->row(0).job.title()).contains(QStringLiteral("new aten/cpu/abs entry")));
    QVERIFY(finished.wait(60000)); // the fake worker compiles nothing: the job fails and the cache stays as it was
    QCOMPARE(readText(root + "/aoti_eager/aten/cpu/abs.json"), readText(realCache() + "/aoti_eager/aten/cpu/abs.json"));
}

void TestGui::cutCellsShowAndCopyTheirText() {
    MainWindow w;
    w.resize(1024, 700);
    w.show();
    QVERIFY(openAndWait(w, realCache()));
    // A position as people write it selects the entry there (the window's --select takes it too).
    QVERIFY(w.selectEntry(QStringLiteral("aten/cpu/tril_indices#0")));
    auto current = w.treeView()->currentIndex();
    QCOMPARE(w.treeModel()->entryAt(w.filterProxy()->mapToSource(current)).op->name, std::string("tril_indices"));
    auto name = current.siblingAtColumn(0);
    auto full = name.data().toString();
    QVERIFY2(full.contains(QStringLiteral("layout torch.strided")), qPrintable(full));
    // At 1024x700 the name column is too narrow for the entry's arguments: the cell is cut, its tooltip the whole text.
    auto* delegate = qobject_cast<FullTextDelegate*>(w.treeView()->itemDelegate());
    QVERIFY(delegate);
    QStyleOptionViewItem option;
    option.initFrom(w.treeView()->viewport());
    option.widget = w.treeView();
    option.rect = w.treeView()->visualRect(name);
    QVERIFY(delegate->isCut(option, name));
    auto tip = delegate->toolTip(option, name);
    QVERIFY2(tip.startsWith(full + QStringLiteral("\n\n")), qPrintable(tip)); // then the model's own: the kernel path
    QVERIFY(tip.endsWith(name.data(Qt::ToolTipRole).toString()));
    // A short name fits: the tooltip is the model's own (the op file's path).
    auto op = name.parent();
    option.rect = w.treeView()->visualRect(op);
    QVERIFY(!delegate->isCut(option, op));
    QCOMPARE(delegate->toolTip(option, op), op.data(Qt::ToolTipRole).toString());
    // Ctrl+C copies the selected row's cells, tab-separated.
    QApplication::clipboard()->clear();
    w.treeView()->setFocus();
    QTest::keyClick(w.treeView(), Qt::Key_C, Qt::ControlModifier);
    auto copied = QApplication::clipboard()->text();
    QVERIFY2(copied.startsWith(full + QLatin1Char('\t')), qPrintable(copied));
    QVERIFY(copied.contains(QStringLiteral("\tok")));
    // The details pane's values likewise (the arguments table, the library's rows).
    auto* args = w.details()->argumentsView();
    args->setCurrentItem(args->topLevelItem(0), 1);
    QStringList cells;
    for (int c = 0; c < args->columnCount(); ++c) cells << args->topLevelItem(0)->text(c);
    QCOMPARE(selectedText(args), cells.join(QLatin1Char('\t'))); // rows are selected whole: the row's cells
    QVERIFY(cells.contains(QStringLiteral("int 4")));
}

void TestGui::helpMenu() {
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, realCache()));
    QMenu* help = nullptr;
    for (auto* a : w.menuBar()->actions()) {
        if (a->text() == QStringLiteral("&Help")) help = a->menu();
    }
    QVERIFY(help);
    auto trigger = [&](const QString& text) {
        for (auto* a : help->actions()) {
            if (a->text() == text) a->trigger();
        }
    };
    // Every rule, with the PyTorch behaviour behind it, as `aotiscope-cli rules` lists them.
    trigger(QStringLiteral("Health &rules"));
    auto* rules = w.findChild<QDialog*>(QStringLiteral("rulesReference"));
    QVERIFY(rules && rules->isVisible());
    auto* table = rules->findChild<QTableWidget*>();
    QCOMPARE(table->rowCount(), int(aotiscope::allRules().size()));
    QCOMPARE(table->item(0, 0)->text(), QStringLiteral("AOTI001"));
    QVERIFY(!table->item(0, 3)->text().isEmpty());
    // The facts the cache was judged against: this CPU and this torch.
    trigger(QStringLiteral("This &machine"));
    auto* host = w.findChild<QDialog*>(QStringLiteral("hostSummary"));
    QVERIFY(host);
    QStringList values;
    auto* facts = host->findChild<QTableWidget*>();
    for (int r = 0; r < facts->rowCount(); ++r) values << facts->item(r, 0)->text() + QLatin1Char('=') + facts->item(r, 1)->text();
    auto joined = values.join(QLatin1Char('\n'));
    QVERIFY2(joined.contains(QStringLiteral("CPU=") + QString::fromStdString(aotiscope::HostInfo::detect().cpuModel)), qPrintable(joined));
    QVERIFY(joined.contains(QStringLiteral("torch=2.13")));
    trigger(QStringLiteral("&About AOTIScope"));
    QVERIFY(w.findChild<QDialog*>(QStringLiteral("about")));
}

void TestGui::exportsAsTheCliDoes() {
    // The window's exports are the CLI's documents, byte for byte, on the same cache.
    QTemporaryDir tmp;
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, realCache()));
    auto root = QString::fromStdString(realCache());
    struct Case {
        MainWindow::ExportKind kind;
        const char* file;
        QStringList cli;
    };
    const Case cases[] = {
        {MainWindow::ExportKind::Entries, "entries.json", {QStringLiteral("export")}},
        {MainWindow::ExportKind::Entries, "entries.csv", {QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("csv")}},
        {MainWindow::ExportKind::Findings, "findings.json", {QStringLiteral("lint"), QStringLiteral("--json")}},
        {MainWindow::ExportKind::Findings, "findings.csv", {QStringLiteral("lint"), QStringLiteral("--format"), QStringLiteral("csv")}},
    };
    for (const auto& c : cases) {
        auto path = tmp.filePath(QString::fromLatin1(c.file));
        QSignalSpy done(&w, &MainWindow::exported);
        w.exportTo(path, c.kind);
        QVERIFY(done.wait(30000));
        QCOMPARE(done.at(0).at(1).toString(), QString());
        auto cli = runCli(c.cli + QStringList{QStringLiteral("--root"), root});
        QCOMPARE(QString::fromStdString(readText(path.toStdString())), QString::fromUtf8(cli.out));
    }
    QVERIFY(QString::fromStdString(readText(tmp.filePath(QStringLiteral("findings.csv")).toStdString())).contains(QStringLiteral("error,AOTI023,")));
    // A folder that cannot be written: said, nothing lost.
    QSignalSpy failed(&w, &MainWindow::exported);
    w.exportTo(QStringLiteral("/nonexistent/dir/x.json"), MainWindow::ExportKind::Entries);
    QVERIFY(failed.wait(30000));
    QVERIFY(failed.at(0).at(1).toString().contains(QStringLiteral("cannot write /nonexistent/dir/x.json")));
}

void TestGui::benchmarkPanel() {
    // Real kernels timed in the worker off the GUI thread: table, charts, history, baseline, export.
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, realCache()));
    auto* panel = w.benchmarks();
    QAbstractItemModelTester tester(panel->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    panel->findChild<QSpinBox*>(QStringLiteral("benchMaxMs"))->setValue(100);
    panel->options().minRounds = 4;
    panel->options().warmupMs = 5;
    QVERIFY(w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/add.Tensor#0"))));
    QSignalSpy idle(panel, &BenchPanel::allIdle);
    w.benchmarkSelected();
    QCOMPARE(panel->model()->rowCount(), 1);
    QVERIFY(idle.wait(120000));
    auto* m = panel->model();
    QVERIFY2(m->row(0).state == BenchRow::State::Done, m->row(0).outcome.message.c_str());
    auto verdict = m->index(0, BenchResultsModel::VerdictColumn).data().toString();
    QVERIFY2(!verdict.isEmpty() && verdict != QStringLiteral("wrong results"), qPrintable(verdict));
    QVERIFY(m->index(0, BenchResultsModel::AotiColumn).data().toString().contains(QStringLiteral("s")));
    QVERIFY(m->index(0, BenchResultsModel::SpeedupColumn).data(BenchResultsModel::SortRole).toDouble() > 0);
    QVERIFY(!m->index(0, BenchResultsModel::SpeedupColumn).data().toString().contains(QStringLiteral("†")));
    {
        // A kernel whose thread count inductor fixed (rule AOTI020): the speedup is marked and explained.
        BenchRow fixed = m->row(0);
        fixed.outcome.result["kernel_threads"] = 7;
        fixed.outcome.result["threads"] = 1;
        BenchResultsModel marked;
        marked.row(marked.add(fixed.job)) = fixed;
        QVERIFY(marked.index(0, BenchResultsModel::SpeedupColumn).data().toString().endsWith(QStringLiteral(" †")));
        QVERIFY(marked.index(0, BenchResultsModel::SpeedupColumn).data(Qt::ToolTipRole).toString().contains(
            QStringLiteral("the kernel runs 7 threads, fixed when it was compiled; eager ran on 1")));
    }
    // Charts: AOTI and eager boxes, bandwidth bars with the ceiling line.
    auto series = panel->charts()->timeChart()->series();
    QCOMPARE(series.size(), 2);
    QCOMPARE(static_cast<QBoxPlotSeries*>(series[0])->count(), 1);
    QCOMPARE(panel->charts()->bandwidthChart()->series().size(), 2);
    // History: recorded; pinned; the next run is compared with it.
    auto key = QString::fromStdString(m->row(0).job.key);
    auto before = panel->history().runs(key).size();
    QVERIFY(before >= 1);
    panel->table()->selectRow(0);
    panel->pinSelectedAsBaseline();
    QCOMPARE(panel->history().baseline(key)->id, m->row(0).runId);
    w.benchmarkSelected();
    QVERIFY(idle.wait(120000));
    QCOMPARE(m->rowCount(), 2);
    QCOMPARE(panel->history().runs(key).size(), before + 1);
    auto change = m->index(1, BenchResultsModel::BaselineColumn).data().toString();
    // The history beside the table: this entry's runs, newest first, the baseline starred.
    panel->table()->selectRow(0);
    auto* hist = panel->historyView();
    QCOMPARE(hist->rowCount(), int(before + 1));
    int starred = 0;
    for (int i = 0; i < hist->rowCount(); ++i) starred += hist->item(i, 0)->text().startsWith(QStringLiteral("★"));
    QCOMPARE(starred, 1);
    QVERIFY(!hist->item(0, 0)->text().startsWith(QStringLiteral("★"))); // the newest is the second run
    QVERIFY2(change.contains(QStringLiteral("faster")) || change.contains(QStringLiteral("slower")) ||
                 change.startsWith(QStringLiteral("no significant change")), qPrintable(change));
    // Charts keyed by run: the same entry twice is two categories, each over its own boxes.
    auto axes = panel->charts()->timeChart()->axes(Qt::Horizontal);
    QVERIFY(!axes.isEmpty());
    auto categories = static_cast<QBarCategoryAxis*>(axes.front())->categories();
    QCOMPARE(categories.size(), 2);
    QVERIFY2(categories[1].endsWith(QStringLiteral("(run 2)")), qPrintable(categories.join(QStringLiteral(", "))));
    QCOMPARE(static_cast<QBoxPlotSeries*>(panel->charts()->timeChart()->series()[0])->count(), 2);
    // The speedup with its interval; no peak known for a CPU; the samples column names threads for a CPU run.
    QVERIFY(m->index(1, BenchResultsModel::SpeedupColumn).data().toString().contains(QStringLiteral("[")));
    QCOMPARE(m->index(1, BenchResultsModel::PeakColumn).data().toString(), QStringLiteral("–"));
    QVERIFY(m->index(1, BenchResultsModel::SamplesColumn).data().toString().contains(QStringLiteral("rounds")));
    // Export.
    QTemporaryDir dir;
    QString error;
    QVERIFY(panel->exportTo(dir.filePath(QStringLiteral("b.json")), error));
    auto doc = nlohmann::json::parse(readText(dir.filePath(QStringLiteral("b.json")).toStdString()));
    QCOMPARE(doc["results"].size(), std::size_t(2));
    QCOMPARE(doc["results"][1]["vs_baseline"].get<std::string>(), change.toStdString());
    QVERIFY(panel->exportTo(dir.filePath(QStringLiteral("b.csv")), error));
    auto csv = QString::fromStdString(readText(dir.filePath(QStringLiteral("b.csv")).toStdString())).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(csv.size(), 3);
    QVERIFY(csv[1].startsWith(named(realCache(), QStringLiteral("aten/cpu/add.Tensor#0")) + QLatin1Char(',')));
    QVERIFY(!panel->exportTo(QStringLiteral("/nonexistent-dir/b.csv"), error));
    QVERIFY(error.contains(QStringLiteral("/nonexistent-dir/b.csv")));
}

void TestGui::benchmarkWithoutHistory() {
    // A history database that cannot be opened turns history off with the reason; benchmarks still run.
    BenchPanel panel(QStringLiteral("/proc/aotiscope-no/bench.sqlite"));
    QVERIFY(!panel.history().ok());
    QVERIFY(panel.findChild<ElidedLabel*>(QStringLiteral("benchStatus"))->fullText().contains(QStringLiteral("History off")));
    panel.findChild<QSpinBox*>(QStringLiteral("benchMaxMs"))->setValue(50);
    panel.options().minRounds = 2;
    QSignalSpy idle(&panel, &BenchPanel::allIdle);
    panel.enqueue(aotiscope::benchJobsForEntries(aotiscope::scanCache(realCache()), "abs", {0}));
    QVERIFY(idle.wait(120000));
    QVERIFY(panel.model()->row(0).state == BenchRow::State::Done);
    QCOMPARE(panel.model()->row(0).runId, qint64(0));
}

void TestGui::benchmarkAllEntries() {
    // Entry > Benchmark all entries: every entry of every op, one batch, charted when done.
    MainWindow w;
    QVERIFY(openAndWait(w, realCache()));
    auto* panel = w.benchmarks();
    panel->findChild<QSpinBox*>(QStringLiteral("benchMaxMs"))->setValue(50);
    panel->options().minRounds = 2;
    panel->options().warmupMs = 2;
    QSignalSpy idle(panel, &BenchPanel::allIdle);
    w.benchmarkAll();
    QCOMPARE(panel->model()->rowCount(), 6);
    QVERIFY(idle.wait(180000));
    for (int i = 0; i < 6; ++i) {
        QVERIFY2(panel->model()->row(i).state == BenchRow::State::Done, panel->model()->row(i).outcome.message.c_str());
    }
    auto series = panel->charts()->timeChart()->series();
    QCOMPARE(series.size(), 2);
    QCOMPARE(static_cast<QBoxPlotSeries*>(series[0])->count(), 6);
}

void TestGui::demoCacheBuiltInBackground() {
    std::string error;
    QTemporaryDir tmp;
    auto root = tmp.path().toStdString() + "/demo";
    auto jobs = demoJobs(root, error);
    QVERIFY2(error.empty(), error.c_str());
    QCOMPARE(jobs.size(), 6u);
    MainWindow w;
    w.show();
    QSignalSpy finished(w.jobs(), &JobsPanel::jobFinished);
    w.jobs()->enqueue({jobs.front()}); // the first of the demo's entries is enough to see the window fill in
    w.openRoot(QString::fromStdString(root));
    QVERIFY(finished.wait(300000));
    QVERIFY(finished.at(0).at(1).toBool());
    QTRY_VERIFY_WITH_TIMEOUT(w.treeModel()->rowCount() == 1 && w.summaryLabel()->fullText().contains(QStringLiteral("1 ops, 1 entries")), 60000);
}

void TestGui::newEntryDialogCompiles() {
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, root));
    NewEntryDialog dialog(root);
    dialog.setOp(QStringLiteral("add.Tensor"));
    QTRY_VERIFY_WITH_TIMEOUT(dialog.schemaLabel()->text().startsWith(QStringLiteral("aten::add.Tensor(Tensor self")), 120000);
    dialog.setRows({{"tensor", "float32", "3,5", ""}, {"tensor", "float32", "3,5", ""}, {"scalar", "int32", "", "abc"}});
    QString error;
    dialog.job(error);
    QVERIFY2(error.contains(QStringLiteral("argument 2 (scalar): a number")), qPrintable(error));
    dialog.setRows({{"tensor", "float32", "3,5", ""}, {"tensor", "float32", "3,5", ""}, {"scalar", "int32", "", "3"}});
    error.clear();
    auto job = dialog.job(error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(job.metaInfo[0]["strides"], (nlohmann::ordered_json{5, 1}));
    QSignalSpy finished(w.jobs(), &JobsPanel::jobFinished);
    w.jobs()->enqueue({job});
    QVERIFY(finished.wait(300000));
    QVERIFY(finished.at(0).at(1).toBool());
    auto snap = aotiscope::scanCache(root);
    const auto* add = findOp(snap, "add.Tensor");
    QCOMPARE(add->entries.size(), 2u);
    QCOMPARE(add->entries[1].args[2].scalar->i, 3);
    QCOMPARE(add->entries[1].args[0].tensor.sizes, (std::vector<std::int64_t>{3, 5}));
}

void TestGui::screenshot() {
    const char* out = std::getenv("AOTISCOPE_SCREENSHOT");
    if (!out || !*out) {
        QSKIP("set AOTISCOPE_SCREENSHOT=FILE.png to save a screenshot of the window");
    }
    MainWindow w;
    w.resize(1400, 860);
    w.show();
    QVERIFY(openAndWait(w, std::getenv("AOTISCOPE_SCREENSHOT_ROOT") ? std::getenv("AOTISCOPE_SCREENSHOT_ROOT") : realCache()));
    w.treeView()->expandAll();
    w.selectEntry(named(realCache(), QStringLiteral("aten/cpu/abs#1")));
    QVERIFY(w.grab().save(QString::fromUtf8(out)));
}

QTEST_MAIN(TestGui)
#include "tst_gui.moc"
