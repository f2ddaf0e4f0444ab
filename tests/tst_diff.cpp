// Entry and cache diffs: guard fields first, verdicts in words, caches matched by op and guards.
#include "TestSupport.h"
#include "core/read/CacheScanner.h"
#include "core/report/EntryDiff.h"
#include "core/read/OpFileParser.h"

#include <QtTest>

#include <filesystem>

using namespace aotiscope;
using namespace testsupport;

namespace {
Entry entryFrom(const std::string& json) {
    OpFile op;
    OpFileParser parser;
    parser.parseText("[" + json + "]", op);
    return op.entries.at(0);
}
std::string tensor(const char* dtype, const char* sizes, const char* path = "lib/a/ca.so") {
    return std::string(R"({"meta_info": [{"is_dynamic": false, "device_type": "cpu", "device_index": -1, "dtype": ")") + dtype +
           R"(", "sizes": )" + sizes + R"(, "strides": [8, 1], "requires_grad": false, "dispatch_key_set": 1, "arg_order": 0}], "kernel_path": ")" + path + "\"}";
}
} // namespace

class TestDiff : public QObject {
    Q_OBJECT
private slots:
    void verdicts_data();
    void verdicts();
    void guardRowsFirst();
    void scalarKindsNeverMix();
    void wholeCaches();
};

void TestDiff::verdicts_data() {
    QTest::addColumn<QString>("left");
    QTest::addColumn<QString>("right");
    QTest::addColumn<bool>("sameFile");
    QTest::addColumn<QString>("verdict");
    QTest::newRow("duplicate in one file") << QString::fromStdString(tensor("torch.float32", "[4, 8]")) << QString::fromStdString(tensor("float32", "[4, 8]", "lib/b/cb.so"))
                                           << true << "identical guards: the second entry is never used (the first match wins); they point at different libraries";
    QTest::newRow("same guards, two caches") << QString::fromStdString(tensor("torch.float32", "[4, 8]")) << QString::fromStdString(tensor("torch.float32", "[4, 8]"))
                                             << false << "identical guards: both match the same calls";
    QTest::newRow("dtype only") << QString::fromStdString(tensor("torch.float32", "[4, 8]")) << QString::fromStdString(tensor("torch.float16", "[4, 8]"))
                                << true << "differ only in dtype: each serves its own calls";
    QTest::newRow("dtype and sizes") << QString::fromStdString(tensor("torch.float32", "[4, 8]")) << QString::fromStdString(tensor("torch.float16", "[2, 8]"))
                                     << true << "differ in dtype, sizes: each serves its own calls";
}

void TestDiff::verdicts() {
    QFETCH(QString, left);
    QFETCH(QString, right);
    QFETCH(bool, sameFile);
    QFETCH(QString, verdict);
    auto d = diffEntries(entryFrom(left.toStdString()), entryFrom(right.toStdString()), sameFile);
    QCOMPARE(QString::fromStdString(d.verdict), verdict);
}

void TestDiff::guardRowsFirst() {
    auto d = diffEntries(entryFrom(tensor("torch.float32", "[4, 8]")), entryFrom(tensor("torch.float16", "[4, 8]", "lib/b/cb.so")), true);
    bool seenNonGuard = false;
    for (const auto& r : d.rows) {
        QVERIFY2(!(seenNonGuard && r.guard), r.field.c_str());
        seenNonGuard |= !r.guard;
    }
    auto dtype = std::find_if(d.rows.begin(), d.rows.end(), [](auto& r) { return r.field == "arg 0 dtype"; });
    QVERIFY(dtype != d.rows.end() && dtype->differs && dtype->guard);
    auto path = std::find_if(d.rows.begin(), d.rows.end(), [](auto& r) { return r.field == "kernel_path"; });
    QVERIFY(path != d.rows.end() && path->differs && !path->guard);
    auto sizes = std::find_if(d.rows.begin(), d.rows.end(), [](auto& r) { return r.field == "arg 0 sizes"; });
    QVERIFY(!sizes->differs);
}

void TestDiff::scalarKindsNeverMix() {
    // 2 and 2.0 are compared as int64 and double: PyTorch never matches one against the other.
    auto l = entryFrom(R"({"meta_info": [{"dtype": "torch.int32", "device_type": "cpu", "scalar_value": 2, "arg_order": 0}], "kernel_path": "k"})");
    auto r = entryFrom(R"({"meta_info": [{"dtype": "torch.float32", "device_type": "cpu", "scalar_value": 2.0, "arg_order": 0}], "kernel_path": "k"})");
    auto d = diffEntries(l, r, true);
    QVERIFY(!d.sameGuards);
    QVERIFY2(d.verdict.find("scalar type") != std::string::npos, d.verdict.c_str());
}

void TestDiff::wholeCaches() {
    QTemporaryDir tmp;
    auto right = copyTree(realCache(), tmp);
    auto dev = right + "/aoti_eager/aten/cpu/";
    std::filesystem::remove(dev + "cat.json"); // removed
    auto add = readText(dev + "add.Tensor.json");
    writeText(dev + "add.Tensor.json", add.replace(add.find("\"kernel_path\": \"lib/"), 20, "\"kernel_path\": \"lib/x")); // changed
    auto abs = readText(dev + "abs.json");
    writeText(dev + "abs.json", abs.replace(abs.find("4,\n"), 2, "5,")); // float32[5, 8]: one removed, one added
    auto d = diffCaches(scanCache(realCache()), scanCache(right));
    QCOMPARE(d.removed.size(), 2u); // cat and the old abs entry
    QCOMPARE(d.added.size(), 1u);
    QCOMPARE(d.added[0].op, std::string("abs"));
    QCOMPARE(d.changed.size(), 1u);
    QCOMPARE(d.changed[0].first.op, std::string("add.Tensor"));
    QVERIFY2(d.changeReasons[0].find("-> lib/x") != std::string::npos, d.changeReasons[0].c_str());
    QCOMPARE(d.added[0].summary, std::string("tensor float32[5, 8] cpu"));
    QVERIFY(!d.added[0].key.empty());
    QCOMPARE(d.unchanged, 3u);
    QCOMPARE(d.unchangedByOp.at("aten/cpu/abs"), 1u);
}

QTEST_GUILESS_MAIN(TestDiff)
#include "tst_diff.moc"
