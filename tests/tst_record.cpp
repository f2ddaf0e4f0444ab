// `record` and `report` against what PyTorch did: a real program (tests/fixtures/workload.py) registers ops for AOTI
// eager on CPU, calls them so that some hit, one misses and compiles, one meets an op its loader dropped and one
// an op whose registration fails, then uses a DataLoader with two forked workers. The same program runs once
// without the recorder on its own copy of the cache: its output and exit status must be the same, and the
// report's counts and explanations are checked against the program's own view and the op files PyTorch wrote.
#include "TestSupport.h"
#include "core/read/CacheScanner.h"

#include <QProcess>
#include <QtTest>

#include <fstream>

using namespace aotiscope;
using namespace testsupport;
using json = nlohmann::json;

namespace {

// A copy of the real cache plus neg.json: a real abs entry whose library is missing, so PyTorch's loader drops neg.
std::string workloadCache(QTemporaryDir& dir) {
    auto root = copyTree(realCache(), dir);
    auto abs = json::parse(readText(root + "/aoti_eager/aten/cpu/abs.json"));
    abs[0]["kernel_path"] = "lib/cmissing/cmissing.wrapper.so";
    writeText(root + "/aoti_eager/aten/cpu/neg.json", json::array({abs[0]}).dump(4));
    return root;
}

struct ProgramRun {
    int code;
    QByteArray out, err;
};

ProgramRun runWorkload(const std::string& cache, const QStringList& extra = {}) {
    QProcess p;
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("TORCHINDUCTOR_CACHE_DIR"), QString::fromStdString(cache));
    p.setProcessEnvironment(env);
    p.start(QString::fromStdString(std::getenv("AOTISCOPE_PYTHON")), QStringList{QString::fromStdString(fixture("workload.py"))} + extra);
    p.waitForFinished(600000);
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

CliRun record(const std::string& cache, const QStringList& options, const QStringList& programArgs = {}) {
    return runCli(options + QStringList{QStringLiteral("--"), QString::fromStdString(std::getenv("AOTISCOPE_PYTHON")),
                                        QString::fromStdString(fixture("workload.py"))} + programArgs,
                  {QStringLiteral("TORCHINDUCTOR_CACHE_DIR=") + QString::fromStdString(cache)});
}

json report(const QString& recording) {
    auto r = runCli({QStringLiteral("report"), recording, QStringLiteral("--json")});
    if (r.code != 0) qWarning("report: %s", r.err.constData());
    return json::parse(r.out.toStdString(), nullptr, false);
}

const json& op(const json& rep, long pid, const std::string& name) {
    for (const auto& o : rep["ops"]) {
        if (o["pid"] == pid && o["op"] == name) return o;
    }
    static const json none;
    return none;
}

long mainPid(const json& rep) {
    for (const auto& p : rep["processes"]) {
        if (!p["forked"].get<bool>() && p["argv"].size() > 0 && p["argv"][0].get<std::string>().ends_with("workload.py")) return p["pid"];
    }
    return -1;
}

std::vector<std::string> keysOf(const std::string& cache, const std::string& name) {
    std::vector<std::string> keys;
    auto snap = scanCache(cache);
    if (const auto* o = findOp(snap, name)) {
        for (const auto& e : o->entries) keys.push_back(e.key);
    }
    return keys;
}

} // namespace

class TestRecord : public QObject {
    Q_OBJECT
private slots:
    void recordsWhatPyTorchDid();
    void prewarmMakesTheNextRunHit();
    void withoutCallsOnlyMissesAreCounted();
    void aRecorderFaultNeverReachesTheProgram();
    void badRecordingsAreNamed();

private:
    QTemporaryDir kept_; // the first test's recording, pre-warmed from by the second
    QString recording_;
};

void TestRecord::recordsWhatPyTorchDid() {
    QTemporaryDir controlDir, recordedDir;
    auto control = workloadCache(controlDir), recorded = workloadCache(recordedDir);
    auto plain = runWorkload(control);
    QCOMPARE(plain.code, 3);
    auto run = recording_ = kept_.filePath(QStringLiteral("run.jsonl"));
    auto rec = record(recorded, {QStringLiteral("record"), QStringLiteral("--calls"), QStringLiteral("-o"), run});
    // Recording changes nothing the program computes or says on stdout, nor its exit status.
    QCOMPARE(rec.code, plain.code);
    QCOMPARE(rec.out, plain.out);
    QVERIFY2(rec.err.contains("aotiscope record: "), rec.err.constData());
    auto seen = json::parse(plain.out.toStdString());

    auto rep = report(run);
    QVERIFY(rep.is_object());
    QVERIFY2(rep["problems"].empty(), rep["problems"].dump().c_str());
    long pid = mainPid(rep);
    QVERIFY(pid > 0);
    int forks = 0;
    for (const auto& p : rep["processes"]) forks += p["forked"].get<bool>() && p["ppid"] == pid;
    QCOMPARE(forks, 2); // the DataLoader's two workers, each recorded as its own process

    // abs: two entries loaded (as PyTorch's loader returns them), 4 calls: fp32 and fp16 4x8 hit, 3x3 misses and
    // compiles, 3x3 again hits the kernel torch 2.13 keeps in memory.
    const auto& abs = op(rep, pid, "abs");
    QCOMPARE(abs["state"], "registered");
    QCOMPARE(abs["entries_loaded"].get<std::size_t>(), pytorchLoads(realCache(), {QStringLiteral("abs")})["abs"].size());
    QCOMPARE(abs["calls"], 4);
    QCOMPARE(abs["hits"], 3);
    QCOMPARE(abs["misses"], 1);
    QCOMPARE(abs["hits_per_entry"], json::parse("[1, 1]"));
    const auto& miss = abs["miss_list"][0];
    QVERIFY2(miss["reason"].get<std::string>().find("nearest: entry #0") != std::string::npos, miss["reason"].dump().c_str());
    QCOMPARE(miss["differences"][0]["field"], "sizes");
    QCOMPARE(miss["differences"][0]["call"], "[3, 3]");
    // The entry the miss created is the one PyTorch's writer appended to abs.json.
    auto absKeys = keysOf(recorded, "abs");
    QCOMPARE(absKeys.size(), std::size_t(3));
    QCOMPARE(miss["created_entry"], "aten/cpu/abs@" + absKeys.back());
    QVERIFY(abs["compile_seconds"].get<double>() > 0.5);

    // neg: the loader dropped the op (its library is missing), so the call missed; the writer appended nothing
    // because the entry with the same meta_info is there already: neg.json still holds one entry.
    const auto& neg = op(rep, pid, "neg");
    QCOMPARE(neg["entries_loaded"], 0);
    QVERIFY2(neg["drop_reason"].get<std::string>().find("lib/cmissing/cmissing.wrapper.so is missing") != std::string::npos, neg.dump().c_str());
    QCOMPARE(neg["misses"], 1);
    QVERIFY(neg["miss_list"][0]["created_entry"].is_null());
    QVERIFY(neg["miss_list"][0]["reason"].get<std::string>().find("appended nothing") != std::string::npos);
    QCOMPARE(keysOf(recorded, "neg").size(), std::size_t(1));

    // cat: the registration failed with PyTorch's own message (the one the program caught); its call ran eager.
    const auto& cat = op(rep, pid, "cat");
    QCOMPARE(cat["state"], "registration failed");
    auto caught = seen["registration_errors"]["cat"].get<std::string>();
    QVERIFY2(cat["error"].get<std::string>().find(caught.substr(0, 60)) != std::string::npos, cat.dump().c_str());
    QCOMPARE(cat["eager_calls"], 1);

    // Each worker inherited the holders and hit the fp32 entry for its two items.
    for (const auto& p : rep["processes"]) {
        if (!p["forked"].get<bool>()) continue;
        const auto& w = op(rep, p["pid"].get<long>(), "abs");
        QCOMPARE(w["state"], "inherited");
        QCOMPARE(w["calls"], 2);
        QCOMPARE(w["hits"], 2);
        QCOMPARE(w["misses"], 0);
    }

    auto text = runCli({QStringLiteral("report"), run});
    QCOMPARE(text.code, 0);
    QVERIFY(text.out.contains("the op was dropped: library lib/cmissing/cmissing.wrapper.so is missing"));
    QVERIFY(text.out.contains("registration failed: RuntimeError"));
    QVERIFY(text.out.contains(QByteArray("created: aten/cpu/abs@") + QByteArray::fromStdString(absKeys.back())));
}

void TestRecord::prewarmMakesTheNextRunHit() {
    QVERIFY(!recording_.isEmpty());
    QTemporaryDir dir, out;
    auto cache = workloadCache(dir);
    // abs 3x3 becomes a new entry; neg's entry for the same call is recompiled in place (a new one beside it
    // would never be written: PyTorch's writer sees equal meta_info).
    auto warm = runCli({QStringLiteral("compile"), QStringLiteral("--recording"), recording_, QStringLiteral("--root"), QString::fromStdString(cache)});
    QVERIFY2(warm.code == 0, warm.err.constData());
    QVERIFY2(warm.err.contains("2 of 2 compiled"), warm.err.constData());
    auto run = out.filePath(QStringLiteral("again.jsonl"));
    auto rec = record(cache, {QStringLiteral("record"), QStringLiteral("--calls"), QStringLiteral("-o"), run});
    QCOMPARE(rec.code, 3);
    auto rep = report(run);
    long pid = mainPid(rep);
    for (const char* name : {"abs", "neg"}) {
        const auto& o = op(rep, pid, name);
        QCOMPARE(o["misses"], 0);
        QCOMPARE(o["hits"], o["calls"]);
    }
    QCOMPARE(op(rep, pid, "neg")["entries_loaded"], 1);
    // Nothing left to do: a second pre-warm skips every call, as each hits.
    auto again = runCli({QStringLiteral("compile"), QStringLiteral("--recording"), recording_, QStringLiteral("--root"), QString::fromStdString(cache)});
    QCOMPARE(again.code, 0);
    QVERIFY2(again.err.contains("hits entry #2") && again.err.contains("nothing to compile"), again.err.constData());
}

void TestRecord::withoutCallsOnlyMissesAreCounted() {
    QTemporaryDir dir, out;
    auto cache = workloadCache(dir);
    auto run = out.filePath(QStringLiteral("run.jsonl"));
    auto rec = record(cache, {QStringLiteral("record"), QStringLiteral("-o"), run}, {QStringLiteral("--no-compile")});
    QCOMPARE(rec.code, 3);
    auto rep = report(run);
    const auto& abs = op(rep, mainPid(rep), "abs");
    QCOMPARE(abs["state"], "registered");
    QVERIFY(abs["calls"].is_null()); // not recorded: no claim of zero calls
    QVERIFY(abs["hits"].is_null());
    QCOMPARE(abs["misses"], 0);
    // An earlier recording is kept beside the new one.
    auto again = record(cache, {QStringLiteral("record"), QStringLiteral("-o"), run}, {QStringLiteral("--no-compile")});
    QCOMPARE(again.code, 3);
    QVERIFY(QFile::exists(run + QStringLiteral(".old")));
}

void TestRecord::aRecorderFaultNeverReachesTheProgram() {
    QTemporaryDir controlDir, dir;
    auto plain = runWorkload(workloadCache(controlDir), {QStringLiteral("--no-compile")});
    // /dev/full: every write of the recorder fails (ENOSPC), as on a full disk.
    auto rec = record(workloadCache(dir), {QStringLiteral("record"), QStringLiteral("--calls"), QStringLiteral("-o"), QStringLiteral("/dev/full")},
                      {QStringLiteral("--no-compile")});
    QCOMPARE(rec.code, plain.code);
    QCOMPARE(rec.out, plain.out);
    QVERIFY2(rec.err.contains("aotiscope record: recording stopped: cannot write /dev/full"), rec.err.constData());
    QVERIFY(QFileInfo(QStringLiteral("/dev/full")).exists()); // not renamed to .old

    // A program that cannot start: the recorder says so and exits 127, like a shell.
    auto missing = runCli({QStringLiteral("record"), QStringLiteral("-o"), dir.filePath(QStringLiteral("x.jsonl")), QStringLiteral("--"),
                           QStringLiteral("/nonexistent/program")});
    QCOMPARE(missing.code, 127);
    QVERIFY(missing.err.contains("cannot run /nonexistent/program"));
}

void TestRecord::badRecordingsAreNamed() {
    QTemporaryDir dir;
    auto gone = runCli({QStringLiteral("report"), dir.filePath(QStringLiteral("none.jsonl"))});
    QCOMPARE(gone.code, 3);
    QVERIFY(gone.err.contains("none.jsonl"));

    // A process killed mid-line leaves a cut record; a stray line from elsewhere: both named, the rest reported.
    auto path = dir.filePath(QStringLiteral("cut.jsonl")).toStdString();
    std::ofstream(path) << R"({"event": "process", "schema": "aotiscope.record/1", "pid": 7, "ppid": 1, "argv": ["p.py"], "forked": false, "calls_recorded": false})" "\n"
                        << R"({"event": "registration", "pid": 7, "ns": "aten", "op": "abs", "device": "cpu", "requested": "abs", "torch": "2.13.0", "entries_loaded": 0, "entries": [], "op_file": "/c/abs.json", "op_file_exists": false})" "\n"
                        << "hello\n"
                        << R"({"event": "miss", "pid": 7, "ns": "aten", "op": "abs", "device": "cpu", "meta_info": [{"is_dyn)";
    auto r = runCli({QStringLiteral("report"), QString::fromStdString(path), QStringLiteral("--json")});
    QCOMPARE(r.code, 0);
    auto rep = json::parse(r.out.toStdString());
    QCOMPARE(rep["problems"].size(), std::size_t(2));
    QVERIFY(rep["problems"][0].get<std::string>().find("cut.jsonl:3") != std::string::npos);
    QVERIFY(rep["problems"][1].get<std::string>().find("cut.jsonl:4") != std::string::npos);
    QCOMPARE(op(rep, 7, "abs")["drop_reason"], "no entry: /c/abs.json did not exist when the op was registered");
}

QTEST_GUILESS_MAIN(TestRecord)
#include "tst_record.moc"
