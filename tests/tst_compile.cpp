// Compiling through PyTorch in a long-lived worker: real CPU compiles, and every way a job can fail failing
// alone, with a clear message, leaving the cache as it was.
#include "TestSupport.h"
#include "core/read/CacheScanner.h"
#include "core/jobs/CompileJobs.h"
#include "core/check/HostInfo.h"
#include "core/check/Linter.h"
#include "core/edit/OpFileWriter.h"

#include <QProcess>
#include <QtTest>

#include <csignal>
#include <filesystem>

using namespace aotiscope;
using namespace testsupport;
namespace fs = std::filesystem;

namespace {

bool clean(const std::string& root) {
    auto snap = scanCache(root);
    auto findings = beyondRealCache(lintSnapshot(snap, HostInfo::detect(), LintOptions{false}));
    return std::none_of(findings.begin(), findings.end(), [](auto& f) { return f.severity == Severity::Error; });
}

std::string specFile(QTemporaryDir& dir, const std::string& json) {
    auto path = dir.path().toStdString() + "/spec.json";
    writeText(path, json);
    return path;
}

} // namespace

class TestCompile : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void recompileEntryAndNewEntryInOneWorker();
    void failures_data();
    void failures();
    void noTorch();
    void torchTooOld();
    void killedWorkerRestoresEntry();
    void cancelRestoresEntry();

private:
    std::string root_;
    QTemporaryDir dir_;
};

void TestCompile::initTestCase() { root_ = copyTree(realCache(), dir_); }

void TestCompile::recompileEntryAndNewEntryInOneWorker() {
    // abs #1 recompiled (old entry to the trash, new one appended), then a new add.Tensor entry from a spec.
    auto r = runCli({"compile", "abs", "--entry", "1", "--json", "--root", QString::fromStdString(root_)});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("\"event\":\"ready\""));
    QVERIFY(r.out.contains("\"event\":\"finished\""));
    QVERIFY(r.err.contains("1 of 1 compiled"));
    auto snap = scanCache(root_);
    const auto* abs = findOp(snap, "abs");
    QCOMPARE(abs->entries.size(), 2u);
    QCOMPARE(abs->entries[1].args[0].tensor.dtype, std::string("torch.float16")); // appended again, as PyTorch does
    QVERIFY(clean(root_));

    std::string error;
    auto add = parseOpJson(readText(root_ + "/aoti_eager/aten/cpu/add.Tensor.json"), error);
    auto meta = add[0]["meta_info"];
    meta[0]["sizes"] = {4, 4};
    meta[0]["strides"] = {4, 1};
    meta[1]["sizes"] = {4, 4};
    meta[1]["strides"] = {4, 1};
    QTemporaryDir specDir;
    auto spec = specFile(specDir, nlohmann::json{{"op", "add.Tensor"}, {"ns", "aten"}, {"device", "cpu"}, {"meta_info", nlohmann::json::parse(meta.dump())}}.dump());
    r = runCli({"compile", "--spec", QString::fromStdString(spec), "--root", QString::fromStdString(root_)});
    QCOMPARE(r.code, 0);
    auto after = scanCache(root_);
    QCOMPARE(findOp(after, "add.Tensor")->entries.size(), 2u);
    QCOMPARE(findOp(after, "add.Tensor")->entries[1].args[0].tensor.sizes, (std::vector<std::int64_t>{4, 4}));
    QVERIFY(clean(root_));
}

void TestCompile::failures_data() {
    QTest::addColumn<QString>("spec");
    QTest::addColumn<QString>("message");
    QTest::newRow("op does not exist") << R"({"op": "no_such_op", "meta_info": []})" << "has no operator 'no_such_op'";
    QTest::newRow("overload does not exist") << R"({"op": "abs.Nope", "meta_info": []})" << "has no overload 'Nope'";
    QTest::newRow("unsupported argument kind") << R"({"op": "abs", "meta_info": [{"frobnicate_value": 1, "arg_order": 0}]})" << "unsupported argument kind";
    QTest::newRow("argument of the wrong kind") << R"({"op": "abs", "meta_info": [{"string_value": "x", "arg_order": 0}]})" << "expects Tensor";
    QTest::newRow("not a spec") << R"([1, 2])" << "a new-entry spec is";
}

void TestCompile::failures() {
    QFETCH(QString, spec);
    QFETCH(QString, message);
    auto before = readText(root_ + "/aoti_eager/aten/cpu/abs.json");
    QTemporaryDir specDir;
    auto path = specFile(specDir, spec.toStdString());
    auto r = runCli({"compile", "--spec", QString::fromStdString(path), "--root", QString::fromStdString(root_)});
    QVERIFY2(r.code == 1 || r.code == 2, r.err.constData());
    QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
    QCOMPARE(readText(root_ + "/aoti_eager/aten/cpu/abs.json"), before);
}

void TestCompile::noTorch() {
    QTemporaryDir venv;
    // An interpreter without torch: the system one in a fresh venv.
    QProcess mk;
    mk.start("python3", {"-m", "venv", "--without-pip", venv.path() + "/env"});
    QVERIFY(mk.waitForFinished(60000) && mk.exitCode() == 0);
    auto r = runCli({"compile", "abs", "--entry", "0", "--python", venv.path() + "/env/bin/python", "--root", QString::fromStdString(root_)});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("cannot import torch"), r.err.constData());
    QCOMPARE(findOp(scanCache(root_), "abs")->entries.size(), 2u); // the entry was not taken out
    auto missing = runCli({"compile", "abs", "--python", "/nonexistent/python", "--root", QString::fromStdString(root_)});
    QCOMPARE(missing.code, 1);
    QVERIFY2(missing.err.contains("cannot start /nonexistent/python"), missing.err.constData());
}

void TestCompile::torchTooOld() {
    // A torch package that reports 2.3: the worker refuses it with the reason, before any job runs.
    QTemporaryDir fake;
    auto pkg = fake.path().toStdString() + "/torch";
    fs::create_directories(pkg + "/_inductor");
    writeText(pkg + "/__init__.py", "__version__ = '2.3.1+cpu'\n");
    writeText(pkg + "/_inductor/__init__.py", "");
    writeText(pkg + "/_inductor/aoti_eager.py", "");
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("PYTHONPATH", fake.path());
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QString::fromStdString(cliPath()), {"compile", "abs", "--entry", "0", "--python", "python3", "--root", QString::fromStdString(root_)});
    QVERIFY(p.waitForFinished(120000));
    auto err = p.readAllStandardError();
    QCOMPARE(p.exitCode(), 1);
    QVERIFY2(err.contains("torch 2.3.1+cpu is too old"), err.constData());
    QCOMPARE(findOp(scanCache(root_), "abs")->entries.size(), 2u);
}

void TestCompile::killedWorkerRestoresEntry() {
    auto snap = scanCache(root_);
    auto jobs = jobsForEntries(snap, "div.Tensor_mode", {0});
    QCOMPARE(jobs.size(), 1u);
    int pid = -1;
    auto outcomes = runCompileJobs(jobs, {}, [&](const CompileJob&, const nlohmann::json& e) {
        if (e.value("event", "") == "ready") pid = e.value("pid", -1);
        if (e.value("event", "") == "started" && pid > 0) ::kill(pid, SIGKILL); // a crash in the middle
    });
    QCOMPARE(outcomes.size(), 1u);
    QVERIFY(!outcomes[0].ok);
    QVERIFY2(outcomes[0].message.find("killed") != std::string::npos, outcomes[0].message.c_str());
    auto after = scanCache(root_);
    QCOMPARE(findOp(after, "div.Tensor_mode")->entries.size(), 1u); // put back from the trash
    QVERIFY(clean(root_));
}

void TestCompile::cancelRestoresEntry() {
    auto jobs = jobsForEntries(scanCache(root_), "cat", {0});
    std::atomic<bool> cancel{false};
    auto outcomes = runCompileJobs(jobs, {}, [&](const CompileJob&, const nlohmann::json& e) {
        if (e.value("event", "") == "progress") cancel = true; // inputs built: the compile is under way
    }, &cancel);
    QCOMPARE(outcomes.size(), 1u);
    QVERIFY(!outcomes[0].ok);
    QVERIFY2(outcomes[0].message.find("cancelled") != std::string::npos, outcomes[0].message.c_str());
    std::string error;
    auto cat = parseOpJson(readText(root_ + "/aoti_eager/aten/cpu/cat.json"), error);
    QVERIFY(error.empty());
    QCOMPARE(cat.size(), 1u);
    QVERIFY(clean(root_));
}

QTEST_GUILESS_MAIN(TestCompile)
#include "tst_compile.moc"
