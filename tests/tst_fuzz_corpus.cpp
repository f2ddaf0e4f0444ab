// Replays the committed hostile corpus (and inputs too big or too odd to commit) through the fuzzing step:
// nothing crashes or hangs, and every hostile input yields a clear finding.
#include "TestSupport.h"
#include "core/read/CacheScanner.h"
#include "core/check/HostInfo.h"
#include "core/check/Linter.h"
#include "core/edit/OpFileWriter.h"
#include "fuzz/FuzzOpFile.h"

#include <QtTest>

#include <filesystem>

using namespace aotiscope;
using namespace testsupport;
namespace fs = std::filesystem;

class TestFuzzCorpus : public QObject {
    Q_OBJECT
private slots:
    void corpus_data();
    void corpus();
    void fiftyMegabytes();
    void symlinkLoops();
    void deepNestingRefusedByWriter();
};

void TestFuzzCorpus::corpus_data() {
    QTest::addColumn<QString>("path");
    for (const auto& f : fs::directory_iterator(fixture("../fuzz-corpus"))) {
        QTest::newRow(f.path().filename().c_str()) << QString::fromStdString(f.path().string());
    }
}

void TestFuzzCorpus::corpus() {
    QFETCH(QString, path);
    FindingList findings;
    try {
        findings = fuzz::runOneOpFile(readText(path.toStdString()));
    } catch (const std::exception& e) {
        QFAIL(qPrintable(path + QStringLiteral(": ") + QString::fromUtf8(e.what())));
    }
    if (QFileInfo(path).fileName().startsWith(QStringLiteral("bad-"))) {
        // A missing library alone is no explanation of what is wrong with the file itself.
        bool specific = std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.ruleId != "AOTI001"; });
        QVERIFY2(specific, qPrintable(path));
    }
    for (const auto& f : findings) {
        QVERIFY(!f.message.empty());
    }
}

void TestFuzzCorpus::fiftyMegabytes() {
    // 50 MB of valid entries (PyTorch's format) and 50 MB of garbage: both handled, neither hangs.
    std::string big = "[";
    std::string entry = readText(fixture("../fuzz-corpus/ok-pytorch-abs.json"));
    entry = entry.substr(entry.find('{'), entry.rfind('}') - entry.find('{') + 1);
    while (big.size() < 50u << 20) {
        big += entry + ",";
    }
    big.back() = ']';
    auto findings = fuzz::runOneOpFile(big);
    QVERIFY(std::any_of(findings.begin(), findings.end(), [](auto& f) { return f.ruleId == "AOTI006"; })); // duplicates
    std::string garbage(50u << 20, '\xfe');
    findings = fuzz::runOneOpFile(garbage);
    QCOMPARE(findings.size(), 1u);
    QCOMPARE(findings[0].ruleId, std::string("AOTI004"));
}

void TestFuzzCorpus::symlinkLoops() {
    QTemporaryDir tmp;
    auto dev = tmp.path().toStdString() + "/aoti_eager/aten/cpu";
    fs::create_directories(dev + "/lib/loop");
    fs::create_symlink("b.wrapper.so", dev + "/lib/loop/a.wrapper.so");
    fs::create_symlink("a.wrapper.so", dev + "/lib/loop/b.wrapper.so");
    fs::create_directory_symlink("..", dev + "/lib/loop/up"); // a folder cycle
    writeText(dev + "/abs.json", R"([{"meta_info": [], "kernel_path": "lib/loop/a.wrapper.so"}])");
    auto snap = scanCache(tmp.path().toStdString());
    auto findings = lintSnapshot(snap, HostInfo{});
    QVERIFY(std::any_of(findings.begin(), findings.end(), [](auto& f) { return f.ruleId == "AOTI001"; }));
}

void TestFuzzCorpus::deepNestingRefusedByWriter() {
    // Found by libFuzzer: a value nested this deep overflowed the stack when the writer's JSON freed it.
    std::string deep = std::string(300000, '[') + std::string(300000, ']');
    std::string error;
    auto j = parseOpJson(deep, error);
    QVERIFY(error.find("nested deeper") != std::string::npos);
    QTemporaryDir tmp;
    fs::create_directories(tmp.path().toStdString() + "/aoti_eager/aten/cpu");
    writeText(tmp.path().toStdString() + "/aoti_eager/aten/cpu/abs.json", deep);
    auto refused = rewriteOpFile(OpLocation{tmp.path().toStdString(), "aten", "cpu", "abs"}, [](auto&) { return std::string(); }, std::chrono::seconds(1));
    QVERIFY2(refused.find("refusing to rewrite") != std::string::npos, refused.c_str());
}

QTEST_GUILESS_MAIN(TestFuzzCorpus)
#include "tst_fuzz_corpus.moc"
