// Entries keep their identity through recompiles and edits: real CPU compiles on a cache with ops of several
// entries, stale and healthy mixed, duplicates of equal meta_info, and PyTorch's writer appending during the
// batch. Every test ends by asking PyTorch's own loader what it returns.
#include "TestSupport.h"
#include "core/read/CacheScanner.h"
#include "core/jobs/CompileJobs.h"
#include "core/read/EntryKey.h"
#include "core/edit/OpFileWriter.h"

#include <QProcess>
#include <QtTest>

#include <filesystem>

using namespace aotiscope;
using namespace testsupport;
namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

ojson entriesOf(const std::string& root, const std::string& op) {
    return readOpEntries(root + "/aoti_eager/aten/cpu/" + op + ".json");
}

// The meta_info lists of an op's entries, in file order.
std::vector<ojson> metasOf(const ojson& entries) {
    std::vector<ojson> out;
    for (const auto& e : entries) out.push_back(e["meta_info"]);
    return out;
}

int countEqual(const std::vector<ojson>& metas, const ojson& meta) {
    return int(std::count_if(metas.begin(), metas.end(), [&](const ojson& m) { return pythonEqual(m, meta); }));
}

void removeLibrary(const std::string& root, const ojson& entry) {
    std::error_code ec;
    QVERIFY(fs::remove(root + "/aoti_eager/aten/cpu/" + entry["kernel_path"].get<std::string>(), ec));
}

std::string writeSpecs(QTemporaryDir& dir, const std::string& name, const nlohmann::json& specs) {
    auto path = dir.path().toStdString() + "/" + name;
    writeText(path, specs.dump());
    return path;
}

} // namespace

class TestIdentity : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void scannerAndEditorAgreeOnKeys();
    void staleRecompileKeepsEveryEntryInPlace();
    void jobWhoseEntryChangedTouchesNothing_data();
    void jobWhoseEntryChangedTouchesNothing();

private:
    QTemporaryDir dir_;
    std::string root_;
};

void TestIdentity::initTestCase() {
    // Ops of four and two entries, added by PyTorch's writer through two spec files (one a list) in one worker.
    root_ = copyTree(realCache(), dir_);
    QTemporaryDir specs;
    auto abs = entriesOf(root_, "abs")[0]["meta_info"];
    auto bf16 = abs, tall = abs;
    bf16[0]["dtype"] = "torch.bfloat16";
    tall[0]["sizes"] = {8, 4};
    tall[0]["strides"] = {4, 1};
    auto add = entriesOf(root_, "add.Tensor")[0]["meta_info"];
    for (int i : {0, 1}) {
        add[i]["sizes"] = {4, 4};
        add[i]["strides"] = {4, 1};
    }
    auto asJson = [](const ojson& j) { return nlohmann::json::parse(j.dump()); };
    auto first = writeSpecs(specs, "abs.json", nlohmann::json::array({{{"op", "abs"}, {"meta_info", asJson(bf16)}},
                                                                      {{"op", "abs"}, {"meta_info", asJson(tall)}}}));
    auto second = writeSpecs(specs, "add.json", {{"op", "add.Tensor"}, {"meta_info", asJson(add)}});
    auto r = runCli({"compile", "--spec", QString::fromStdString(first), "--spec", QString::fromStdString(second), "--json",
                     "--root", QString::fromStdString(root_)});
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.err.contains("3 of 3 compiled"), r.err.constData());
    QCOMPARE(r.out.count("\"event\":\"ready\""), 1); // one worker for the whole batch
    QCOMPARE(entriesOf(root_, "abs").size(), 4u);
    QCOMPARE(entriesOf(root_, "add.Tensor").size(), 2u);
}

void TestIdentity::scannerAndEditorAgreeOnKeys() {
    // The scanner (simdjson) and the editor and jobs (nlohmann) name every entry alike, also for Python's bare
    // NaN and Infinity, floats spelled as integers and exact copies within one file.
    QTemporaryDir tmp;
    auto root = copyTree(root_, tmp);
    auto path = root + "/aoti_eager/aten/cpu/abs.json";
    auto copy = entriesOf(root, "abs");
    copy.push_back(copy[0]); // an exact copy: a name of its own ("-2"), none shifted
    auto odd = copy[1];
    odd["meta_info"].push_back({{"scalar_value", 2.0}, {"dtype", "torch.float32"}, {"arg_order", 1}});
    copy.push_back(odd);
    writeText(path, dumpOpJson(copy));
    auto withNan = readText(path);
    auto at = withNan.rfind("2.0");
    QVERIFY(at != std::string::npos);
    writeText(path, withNan.replace(at, 3, "NaN"));
    auto snap = scanCache(root);
    std::vector<std::string> scanned;
    for (const auto& e : findOp(snap, "abs")->entries) scanned.push_back(e.key);
    auto edited = entryKeysOf(entriesOf(root, "abs"));
    QCOMPARE(scanned, edited);
    QCOMPARE(scanned.size(), 6u);
    QCOMPARE(scanned[4], scanned[0] + "-2");
    QCOMPARE(std::set<std::string>(scanned.begin(), scanned.end()).size(), scanned.size());
    // Every op of the real cache too (tensor lists, scalars, strings, dtypes, layouts, devices).
    auto real = scanCache(realCache());
    for (const auto& op : real.namespaces[0].devices[0].ops()) {
        std::vector<std::string> keys;
        for (const auto& e : op.entries) keys.push_back(e.key);
        QCOMPARE(keys, entryKeysOf(readOpEntries(op.path)));
    }
}

void TestIdentity::staleRecompileKeepsEveryEntryInPlace() {
    // abs: #0 fp32 (library deleted), #1 fp16 (healthy), #2 a copy of #0's meta_info naming a missing library,
    // #3 bf16 (library deleted), #4 fp32 8x4 (healthy); add.Tensor: #0 stale, #1 healthy. PyTorch's writer
    // appends abs entries all through the batch.
    QTemporaryDir tmp;
    auto root = copyTree(root_, tmp);
    auto abs = entriesOf(root, "abs");
    auto add = entriesOf(root, "add.Tensor");
    removeLibrary(root, abs[0]);
    removeLibrary(root, abs[2]);
    removeLibrary(root, add[0]);
    auto duplicate = abs[0];
    duplicate["kernel_path"] = "lib/cgone/cgone.wrapper.so";
    abs.insert(abs.begin() + 2, duplicate);
    writeText(root + "/aoti_eager/aten/cpu/abs.json", dumpOpJson(abs));
    auto before = metasOf(abs);
    QVERIFY(pytorchLoads(root, {"abs"})["abs"].empty()); // a missing library: PyTorch ignores the whole op

    QProcess writer;
    writer.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    writer.start(QString::fromStdString(std::getenv("AOTISCOPE_PYTHON")),
                 {QString::fromStdString(fixture("pytorch_writer.py")), QString::fromStdString(root), "6", "--interval", "4",
                  "--first-size", "100"});
    QVERIFY(writer.waitForStarted());
    auto r = runCli({"compile", "--stale", "--root", QString::fromStdString(root)});
    QVERIFY(writer.waitForFinished(120000));
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.err.contains("3 of 3 compiled"), r.err.constData()); // #0 and its copy are one job
    QVERIFY2(r.err.contains("also replaced 1 entry of equal meta_info"), r.err.constData());

    auto afterAbs = entriesOf(root, "abs");
    auto metas = metasOf(afterAbs);
    // Each meta_info that stood before stands once, in the order it stood (first match wins), then the writer's.
    QCOMPARE(afterAbs.size(), 4u + 6u);
    for (std::size_t i : {0u, 1u, 3u, 4u}) QCOMPARE(countEqual(metas, before[i]), 1);
    std::vector<ojson> firstFour(metas.begin(), metas.begin() + 4);
    for (std::size_t i = 0, j = 0; i < before.size(); ++i) {
        if (i == 2) continue; // the copy
        QVERIFY2(pythonEqual(firstFour[j++], before[i]), before[i].dump().c_str());
    }
    for (int size = 100; size < 106; ++size) {
        QVERIFY(std::ranges::any_of(afterAbs, [&](const ojson& e) { return e["meta_info"][0]["sizes"][0] == size; }));
    }
    for (const auto& e : afterAbs) QVERIFY(fs::exists(root + "/aoti_eager/aten/cpu/" + e["kernel_path"].get<std::string>()));
    auto afterAdd = entriesOf(root, "add.Tensor");
    QCOMPARE(afterAdd.size(), 2u);
    QVERIFY(pythonEqual(afterAdd[0]["meta_info"], add[0]["meta_info"]));
    QVERIFY(pythonEqual(afterAdd[1]["meta_info"], add[1]["meta_info"]));

    // PyTorch's own loader returns every entry.
    auto loaded = pytorchLoads(root, {"abs", "add.Tensor"});
    QCOMPARE(loaded["abs"].size(), afterAbs.size());
    QCOMPARE(loaded["add.Tensor"].size(), 2u);
}

void TestIdentity::jobWhoseEntryChangedTouchesNothing_data() {
    QTest::addColumn<QString>("change");
    QTest::newRow("entry rewritten") << "rewritten";
    QTest::newRow("entry removed") << "removed";
}

void TestIdentity::jobWhoseEntryChangedTouchesNothing() {
    QFETCH(QString, change);
    QTemporaryDir tmp;
    auto root = copyTree(root_, tmp);
    auto jobs = jobsForEntries(scanCache(root), "abs", {1});
    QCOMPARE(jobs.size(), 1u);
    auto entries = entriesOf(root, "abs");
    if (change == "removed") {
        entries.erase(entries.begin() + 1);
    } else {
        entries[1]["kernel_path"] = entries[0]["kernel_path"]; // same meta_info, another library: another entry
    }
    writeText(root + "/aoti_eager/aten/cpu/abs.json", dumpOpJson(entries));
    auto text = readText(root + "/aoti_eager/aten/cpu/abs.json");
    std::vector<nlohmann::json> events;
    CompileWorkerConfig config;
    config.python = std::getenv("AOTISCOPE_PYTHON");
    auto outcomes = runCompileJobs(jobs, config, [&](const CompileJob&, const nlohmann::json& e) { events.push_back(e); });
    QCOMPARE(outcomes.size(), 1u);
    QVERIFY(!outcomes[0].ok);
    QVERIFY2(outcomes[0].message.find("changed or vanished") != std::string::npos, outcomes[0].message.c_str());
    QVERIFY2(outcomes[0].message.find(jobs[0].replacesKey) != std::string::npos, outcomes[0].message.c_str());
    QCOMPARE(readText(root + "/aoti_eager/aten/cpu/abs.json"), text);
    QVERIFY(std::none_of(events.begin(), events.end(), [](const nlohmann::json& e) { return e.value("event", "") == "ready"; }));
    QCOMPARE(pytorchLoads(root, {"abs"})["abs"].size(), entries.size());
}

QTEST_GUILESS_MAIN(TestIdentity)
#include "tst_identity.moc"
