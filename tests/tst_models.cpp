// The tree model, its filter proxy and the findings model under QAbstractItemModelTester; filter terms.
#include "TestSupport.h"
#include "ui/WorkloadModel.h"
#include "core/read/CacheScanner.h"
#include "core/report/JsonReport.h"
#include "ui/CacheFilterProxy.h"
#include "ui/CacheTreeModel.h"
#include "ui/FindingsModel.h"
#include "ui/ScanResult.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <QAbstractItemModelTester>
#include <QApplication>
#include <QtTest>

#include <set>

#include <filesystem>

using namespace aotiscope;
using namespace aotiscope::ui;
using namespace testsupport;

namespace {
ScanResultPtr scan(const std::string& root) { return scanAndLint(root, HostInfo::detect(), {}); }

// The visible tree as text, one line per row, indented by depth.
QString dump(const QAbstractItemModel& m, const QModelIndex& parent = {}, int depth = 0) {
    QString out;
    for (int r = 0; r < m.rowCount(parent); ++r) {
        auto idx = m.index(r, 0, parent);
        out += QString(depth * 2, QLatin1Char(' ')) + idx.data().toString() + QLatin1Char('\n');
        out += dump(m, idx, depth + 1);
    }
    return out;
}
} // namespace

class TestModels : public QObject {
    Q_OBJECT
private slots:
    void workloadModel();
    void treeModelTester();
    void treeDump();
    void columnsAndRoles();
    void filters_data();
    void filters();
    void filterErrors();
    void findingsModel();
    void findingSearch();
    void deviceFindingsMarkTheDevice();
    void entryKeysRoundTrip();
    void sizesCountedAsLsCountsThem();
    void treeOfARefreshIsAFreshTree();
};

void TestModels::treeModelTester() {
    CacheTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    CacheFilterProxy proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setResult(scan(realCache()));
    model.setResult(scan(fixture("caches/hostile")));
    proxy.setFilterText(QStringLiteral("status:error"));
    proxy.sort(CacheTreeModel::SizeColumn, Qt::DescendingOrder);
    proxy.setFilterText(QStringLiteral("dtype:float16"));
    proxy.setFilterText(QString());
    model.setResult(nullptr);
}

void TestModels::treeDump() {
    CacheTreeModel model;
    model.setResult(scan(realCache()));
    QCOMPARE(dump(model),
             QStringLiteral("aten\n  cpu\n    abs\n      #0  tensor float32[4, 8] cpu\n      #1  tensor float16[4, 8] cpu\n"
                            "    add.Tensor\n      #0  tensor float32[16, 16] cpu, tensor float32[16, 16] cpu, scalar int 2\n"
                            "    cat\n      #0  tensor_list [float32[2, 3] cpu, float32[2, 5] cpu], scalar int 1\n"
                            "    div.Tensor_mode\n      #0  tensor float32[8, 8] cpu, tensor float32[8, 8] cpu, string \"floor\"\n"
                            "    tril_indices\n      #0  scalar int 4, scalar int 3, scalar int 1, dtype torch.int32, layout torch.strided, device cpu\n"));
}

void TestModels::columnsAndRoles() {
    CacheTreeModel model;
    model.setResult(scan(realCache()));
    auto cpu = model.index(0, 0, model.index(0, 0));
    auto abs = model.index(0, 0, cpu);
    QCOMPARE(model.index(0, CacheTreeModel::EntriesColumn, cpu).data().toInt(), 2);
    QVERIFY(model.index(0, CacheTreeModel::SizeColumn, cpu).data(CacheTreeModel::SortRole).toLongLong() > 1000000);
    QCOMPARE(model.index(0, CacheTreeModel::StatusColumn, cpu).data().toString(), QStringLiteral("ok"));
    QCOMPARE(model.index(0, CacheTreeModel::StatusColumn, cpu).data(CacheTreeModel::SortRole).toInt(), -1);
    auto e1 = model.index(1, 0, abs);
    QCOMPARE(e1.data(CacheTreeModel::DtypesRole).toStringList(), QStringList{QStringLiteral("float16")});
    QCOMPARE(e1.data(CacheTreeModel::EntryKeyRole).toString(), named(realCache(), QStringLiteral("aten/cpu/abs#1")));
    QVERIFY(e1.data(CacheTreeModel::EntryKeyRole).toString().contains(QLatin1Char('@')));
    QVERIFY(model.index(1, CacheTreeModel::AgeColumn, abs).data(CacheTreeModel::SortRole).toLongLong() >= 0);
}

void TestModels::filters_data() {
    QTest::addColumn<QString>("root");
    QTest::addColumn<QString>("filter");
    QTest::addColumn<QStringList>("visibleKeys");
    auto real = QString::fromStdString(realCache());
    auto hostile = QString::fromStdString(fixture("caches/hostile"));
    QTest::newRow("dtype") << real << "dtype:float16" << QStringList{"aten/cpu/abs#1"};
    QTest::newRow("dtype half alias") << real << "dtype:half" << QStringList{"aten/cpu/abs#1"};
    QTest::newRow("op wildcard") << real << "op:a*" << QStringList{"aten/cpu/abs#0", "aten/cpu/abs#1", "aten/cpu/add.Tensor#0"};
    QTest::newRow("op exact") << real << "op:abs device:cpu" << QStringList{"aten/cpu/abs#0", "aten/cpu/abs#1"};
    QTest::newRow("kind") << real << "kind:tensor_list" << QStringList{"aten/cpu/cat#0"};
    QTest::newRow("free text") << real << "floor" << QStringList{"aten/cpu/div.Tensor_mode#0"};
    QTest::newRow("negated") << real << "-op:abs -op:add* -op:cat -op:div*" << QStringList{"aten/cpu/tril_indices#0"};
    QTest::newRow("device none") << real << "device:cuda" << QStringList{};
    QTest::newRow("status error, op without entries") << hostile << "status:error op:corrupt" << QStringList{"aten/cpu/corrupt#-1"};
    QTest::newRow("rule") << hostile << "rule:AOTI006" << QStringList{"aten/cpu/shadowed#1"};
    // cpu_index's own finding is a warning, but its library (shared with other ops) is not ELF: judged for every
    // op that names it, its status is error.
    QTest::newRow("status error, shared library") << hostile << "status:error op:cpu_index" << QStringList{"aten/cpu/cpu_index#0"};
    QTest::newRow("status warning") << hostile << "status:warning op:cpu_index" << QStringList{};
}

void TestModels::filters() {
    QFETCH(QString, root);
    QFETCH(QString, filter);
    QFETCH(QStringList, visibleKeys);
    CacheTreeModel model;
    model.setResult(scan(root.toStdString()));
    CacheFilterProxy proxy;
    proxy.setSourceModel(&model);
    proxy.setFilterText(filter);
    QStringList keys;
    std::function<void(const QModelIndex&)> walk = [&](const QModelIndex& parent) {
        for (int r = 0; r < proxy.rowCount(parent); ++r) {
            auto idx = proxy.index(r, 0, parent);
            if (proxy.rowCount(idx) == 0 && idx.data(CacheTreeModel::NodeKindRole).toInt() >= CacheTreeModel::OpNode) {
                keys << idx.data(CacheTreeModel::EntryKeyRole).toString();
            }
            walk(idx);
        }
    };
    walk({});
    keys.sort();
    auto expected = named(root.toStdString(), visibleKeys); // positions of the data rows, as identities
    expected.sort();
    QCOMPARE(keys, expected);
}

void TestModels::filterErrors() {
    CacheFilterProxy proxy;
    QSignalSpy spy(&proxy, &CacheFilterProxy::filterErrors);
    proxy.setFilterText(QStringLiteral("colour:red"));
    QCOMPARE(spy.count(), 1);
    QVERIFY(spy.at(0).at(0).toStringList().value(0).contains(QStringLiteral("unknown field \"colour\"")));
}

void TestModels::findingsModel() {
    // Rules, then places, then findings: every finding once, under its rule and place; the rows say counts.
    FindingsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto result = scan(fixture("caches/hostile"));
    model.setResult(result, std::shared_ptr<const FindingGroups>(result, &result->groups));
    QVERIFY(model.rowCount() > 3);
    std::size_t leaves = 0;
    bool sawMissing = false;
    for (int r = 0; r < model.rowCount(); ++r) {
        auto rule = model.index(r, 0);
        std::size_t underRule = 0;
        for (int p = 0; p < model.rowCount(rule); ++p) {
            auto place = model.index(p, 0, rule);
            for (int i = 0; i < model.rowCount(place); ++i) {
                const Finding* f = model.findingAt(model.index(i, 0, place));
                QVERIFY(f);
                QCOMPARE(QString::fromStdString(f->ruleId), rule.data(FindingsModel::RuleIdRole).toString());
                QCOMPARE(QString::fromStdString(placeOf(*f)), place.data(FindingsModel::PlaceRole).toString());
                ++underRule;
            }
        }
        QCOMPARE(model.index(r, FindingsModel::MessageColumn).data().toString(),
                 QStringLiteral("%1 finding%2").arg(underRule).arg(underRule == 1 ? "" : "s"));
        leaves += underRule;
        if (model.index(r, FindingsModel::RuleColumn).data().toString() == QStringLiteral("AOTI001 missing-library")) {
            sawMissing = true;
            auto place = model.index(0, 0, rule);
            QCOMPARE(model.index(0, FindingsModel::WhereColumn, rule).data().toString(), QStringLiteral("aten/cpu/missing"));
            QCOMPARE(model.index(0, FindingsModel::WhereColumn, place).data().toString(), QStringLiteral("#1"));
            QVERIFY(rule.data(Qt::ToolTipRole).toString().contains(QStringLiteral("load_aoti_eager_cache")));
            QVERIFY(!model.findingAt(rule) && model.firstFindingUnder(rule));
            // The message shows the library as kernel_path names it; the tooltip keeps the absolute path.
            auto finding = model.index(0, FindingsModel::MessageColumn, place);
            auto shown = finding.data().toString();
            auto root = QString::fromStdString(result->snapshot.root);
            QVERIFY2(shown.contains(QStringLiteral("kernel library lib/gone/cgone.wrapper.so does not exist")) && !shown.contains(root),
                     qPrintable(shown));
            QVERIFY(finding.data(Qt::ToolTipRole).toString().contains(root + QStringLiteral("/aoti_eager/aten/cpu/lib/gone/cgone.wrapper.so")));
        }
    }
    QCOMPARE(leaves, result->findings.size());
    QVERIFY(sawMissing);
    model.setResult(nullptr, {});
    QCOMPARE(model.rowCount(), 0);
}

void TestModels::findingSearch() {
    // Words all must occur (case-insensitive) in the rule's id or name, the place or the message.
    auto result = scan(fixture("caches/hostile"));
    auto all = groupFindings(result->findings, "");
    // Told places by the lint's spans (as the window groups), the groups are the very same.
    auto text = [](const FindingGroups& g) {
        std::string out = fmt::format("{} of {}\n", g.matched, g.total);
        for (const auto& r : g.rules) {
            out += fmt::format("{} {} {}\n", r.ruleId, int(r.severity), r.count);
            for (const auto& p : r.places) out += fmt::format("  {}: {}\n", p.where, fmt::join(p.findings, " "));
        }
        return out;
    };
    FindingSource bySpans{&result->snapshot, result->lintSpans.get()};
    QVERIFY(all.rules.size() > 3);
    auto told = groupFindings(result->findings, "", bySpans);
    QVERIFY(told.bySpans && !all.bySpans);
    QCOMPARE(text(told), text(all));
    QCOMPARE(text(groupFindings(result->findings, "aten/cpu", bySpans)), text(groupFindings(result->findings, "aten/cpu")));
    QCOMPARE(all.matched, result->findings.size());
    auto missing = groupFindings(result->findings, "aoti001");
    QCOMPARE(missing.rules.size(), std::size_t(1));
    QCOMPARE(missing.rules[0].ruleId, std::string("AOTI001"));
    auto byName = groupFindings(result->findings, "MISSING-library aten/cpu/missing");
    QCOMPARE(byName.matched, missing.matched);
    QVERIFY(missing.matched > 0 && missing.matched < all.matched);
    QCOMPARE(groupFindings(result->findings, "aoti001 no-such-word").matched, std::size_t(0));
    // Most severe rule first, as the scan ordered the findings.
    for (std::size_t i = 1; i < all.rules.size(); ++i) QVERIFY(all.rules[i - 1].severity >= all.rules[i].severity);
    // Each matched finding once, under its own rule and place, one row per place (runs of findings about one
    // place are grouped without a lookup: a run broken by another rule or by an unmatched finding still is).
    for (const auto* groups : {&all, &missing, &byName}) {
        std::size_t seen = 0;
        for (const auto& rule : groups->rules) {
            std::set<std::string> places;
            std::size_t count = 0;
            for (const auto& place : rule.places) {
                QVERIFY(places.insert(place.where).second);
                for (auto i : place.findings) {
                    QCOMPARE(result->findings[i].ruleId, rule.ruleId);
                    QCOMPARE(placeOf(result->findings[i]), place.where);
                    ++count;
                }
            }
            QCOMPARE(count, rule.count);
            seen += count;
        }
        QCOMPARE(seen, groups->matched);
    }
}

void TestModels::deviceFindingsMarkTheDevice() {
    // An orphan library is a finding about the device folder, not about any op.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    std::filesystem::remove(root + "/aoti_eager/aten/cpu/cat.json");
    CacheTreeModel model;
    model.setResult(scan(root));
    auto cpu = model.index(0, CacheTreeModel::StatusColumn, model.index(0, 0));
    QCOMPARE(cpu.data(CacheTreeModel::SortRole).toInt(), int(Severity::Warning));
    QCOMPARE(model.index(0, CacheTreeModel::StatusColumn).data(CacheTreeModel::SortRole).toInt(), int(Severity::Warning));
}

void TestModels::entryKeysRoundTrip() {
    CacheTreeModel model;
    model.setResult(scan(realCache()));
    auto cat = named(realCache(), QStringLiteral("aten/cpu/cat#0"));
    auto idx = model.indexForEntryKey(cat);
    QVERIFY(idx.isValid());
    QCOMPARE(idx.data(CacheTreeModel::EntryKeyRole).toString(), cat);
    QVERIFY(!model.indexForEntryKey(QStringLiteral("aten/cpu/cat@0000000000000000")).isValid());
    QVERIFY(model.indexForEntryKey(QStringLiteral("aten/cpu/cat")).isValid()); // the op
    QVERIFY(!model.indexForEntryKey(QStringLiteral("garbage")).isValid());
}

void TestModels::sizesCountedAsLsCountsThem() {
    // An orphan library and compiler files beside the kernels: the tree's device and op sizes are `ls`'s.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto lib = std::filesystem::path(root) / "aoti_eager/aten/cpu/lib";
    auto before = aotiscope::scanCache(root);
    const auto& kernel = *std::ranges::find(before.namespaces[0].devices[0].libFiles, aotiscope::LibraryRole::Kernel, &aotiscope::LibraryFile::role);
    std::filesystem::create_directories(lib / "corphan");
    std::filesystem::copy_file(kernel.path.str(), lib / "corphan/corphan.wrapper.so"); // a kernel no entry names
    auto result = scan(root);
    CacheTreeModel model;
    model.setResult(result);
    auto ls = aotiscope::treeToJson(result->snapshot, result->findings);
    const auto& dev = ls["namespaces"][0]["devices"][0];
    QVERIFY(dev["orphan_bytes"].get<std::uint64_t>() > 0);
    QCOMPARE(dev["lib_bytes"].get<std::uint64_t>(),
             dev["referenced_bytes"].get<std::uint64_t>() + dev["orphan_bytes"].get<std::uint64_t>() + dev["other_bytes"].get<std::uint64_t>());
    auto cpu = model.index(0, 0, model.index(0, 0));
    QCOMPARE(model.index(0, CacheTreeModel::SizeColumn, model.index(0, 0)).data(CacheTreeModel::SortRole).toULongLong(),
             dev["lib_bytes"].get<qulonglong>());
    for (int r = 0; r < model.rowCount(cpu); ++r) {
        auto name = model.index(r, 0, cpu).data().toString().toStdString();
        auto it = std::ranges::find_if(dev["ops"], [&](const nlohmann::json& o) { return o["name"] == name; });
        QVERIFY(it != dev["ops"].end());
        QCOMPARE(model.index(r, CacheTreeModel::SizeColumn, cpu).data(CacheTreeModel::SortRole).toULongLong(), (*it)["bytes"].get<qulonglong>());
    }
    QVERIFY(model.headerData(CacheTreeModel::SizeColumn, Qt::Horizontal, Qt::ToolTipRole).toString().contains(QStringLiteral("ls")));
}

void TestModels::workloadModel() {
    // A recording's ops and misses as rows; the miss leads to the nearest entry of the cache.
    QTemporaryDir dir;
    auto path = dir.filePath(QStringLiteral("run.jsonl")).toStdString();
    writeAbsRecording(path, realCache());
    ui::WorkloadModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setWorkload(ui::loadWorkload(path));
    QCOMPARE(model.rowCount(), 1);
    auto op = model.index(0, ui::WorkloadModel::Op);
    QCOMPARE(op.data().toString(), QStringLiteral("aten/cpu/abs"));
    QCOMPARE(model.index(0, ui::WorkloadModel::Registration).data().toString(), QStringLiteral("2 entries"));
    QCOMPARE(model.index(0, ui::WorkloadModel::Calls).data().toString(), QStringLiteral("–")); // not recorded
    QCOMPARE(model.index(0, ui::WorkloadModel::Misses).data().toInt(), 1);
    QCOMPARE(model.index(0, ui::WorkloadModel::Compile).data().toString(), QStringLiteral("12.5"));
    QCOMPARE(model.rowCount(op), 1);
    auto miss = model.index(0, ui::WorkloadModel::Why, op);
    QVERIFY2(miss.data().toString().contains(QStringLiteral("nearest: entry #0")), qPrintable(miss.data().toString()));
    QVERIFY(miss.data().toString().contains(QStringLiteral("sizes: entry [4, 8], call [3, 3]")));
    // The miss created an entry that this cache does not hold: the row names it.
    auto created = model.index(0, ui::WorkloadModel::Registration, op).data().toString();
    QVERIFY2(created.startsWith(QStringLiteral("aten/cpu/abs@")), qPrintable(created));
    QCOMPARE(model.index(0, 0, op).data(ui::WorkloadModel::EntryIdRole).toString(), created);
}

namespace {
// Every field of every row, with its links: two indexes that say the same here show the same tree.
QStringList rowsText(const CacheTreeIndex& t) {
    QStringList out;
    for (const auto& n : t.nodes) {
        QStringList children;
        for (int c : n.children) children << QString::number(c);
        out << QStringLiteral("%1 p%2 r%3 [%4/%5/%6/%7] %8 e%9 b%10 m%11 s%12 h%13 {%14} {%15} {%16} -> %17")
                   .arg(int(n.kind)).arg(n.parent).arg(n.row).arg(n.ns).arg(n.device).arg(n.op).arg(n.entry)
                   .arg(n.name).arg(n.entries).arg(n.bytes).arg(n.mtime).arg(n.status).arg(n.hostStatus)
                   .arg(n.rules.join(QLatin1Char(','))).arg(n.dtypes.join(QLatin1Char(','))).arg(n.kinds.join(QLatin1Char(',')))
                   .arg(children.join(QLatin1Char(',')));
    }
    QStringList roots;
    for (int r : t.roots) roots << QString::number(r);
    out << QStringLiteral("roots ") + roots.join(QLatin1Char(','));
    return out;
}
} // namespace

void TestModels::treeOfARefreshIsAFreshTree() {
    // A refresh's index takes over the rows of the ops lint found settled (TreeReuse): it must be the index a full
    // build makes, after PyTorch appends to one op and another op's library starts needing a glibc no machine has
    // (that op's rows change status: taking them over would show the old one).
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto host = HostInfo::detect();
    auto first = scanAndLint(root, host, {});
    auto dev = root + "/aoti_eager/aten/cpu";
    appendToAbsAsPyTorch(dev, *findOp(first->snapshot, "abs"));
    patchBytes(dev + "/" + *findOp(first->snapshot, "add.Tensor")->entries[0].kernelPath, "GLIBC_2.34", "GLIBC_2.99");
    writeText(dev + "/add.Tensor.json", readText(dev + "/add.Tensor.json") + "\n"); // and its op file rewritten
    ScanOptions options;
    options.previous = &first->snapshot;
    auto refreshed = lintAndIndex(scanCache(root, options), host, true, first.get());
    std::size_t settled = 0;
    for (const auto& d : refreshed->lintSpans->devices) settled += std::size_t(std::ranges::count(d.opSettled, 1));
    // Every op but abs and add.Tensor, whose files were read again.
    QVERIFY2(settled == first->snapshot.opCount() - 2,
             qPrintable(QStringLiteral("%1 of %2 ops settled").arg(settled).arg(first->snapshot.opCount())));
    auto fresh = buildTreeIndex(refreshed->snapshot, refreshed->findings);
    QCOMPARE(rowsText(refreshed->tree), rowsText(fresh));
    // And what a full scan of the disk as it is now shows.
    auto full = scanAndLint(root, host, {});
    QCOMPARE(rowsText(refreshed->tree), rowsText(full->tree));
}

QTEST_MAIN(TestModels)
#include "tst_models.moc"

