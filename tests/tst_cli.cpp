// aotiscope-cli as a real process: output, JSON schemas and exit codes.
#include "TestSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

using namespace testsupport;

namespace {

struct Run {
    int code = -1;
    QByteArray out, err;
    QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
};

Run cli(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QString::fromStdString(cliPath()), args);
    if (!p.waitForFinished(120000)) {
        qFatal("aotiscope-cli did not finish");
    }
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

QString real() { return QString::fromStdString(realCache()); }
QString hostile() { return QString::fromStdString(fixture("caches/hostile")); }

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private slots:
    void lsJson();
    void lsText();
    void lsRemembersOnlyWhatHoldsStill();
    void showDecodesArguments();
    void showUnknownOp();
    void lintExitCodes();
    void lintJsonOfNonUtf8Names();
    void lintJsonSchema();
    void exportCsv();
    void locateFollowsEnvironment();
    void usageErrors();
    void missingRoot();
};

void TestCli::lsJson() {
    auto r = cli({"ls", "--json", "--root", real()});
    QCOMPARE(r.code, 0);
    auto j = r.json();
    QCOMPARE(j["schema"].toString(), QString("aotiscope.ls/1"));
    QCOMPARE(j["totals"].toObject()["entries"].toInt(), 6);
    auto ops = j["namespaces"].toArray()[0].toObject()["devices"].toArray()[0].toObject()["ops"].toArray();
    QCOMPARE(ops.size(), 5);
    QCOMPARE(ops[0].toObject()["name"].toString(), QString("abs"));
    QCOMPARE(ops[0].toObject()["entries"].toInt(), 2);
    QCOMPARE(ops[0].toObject()["status"].toString(), QString("ok"));
    QVERIFY(ops[0].toObject()["bytes"].toDouble() > 100000);
}

void TestCli::lsText() {
    auto r = cli({"ls", "--root", hostile()});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("missing"));
    QVERIFY(r.out.contains("error ("));
}

// ls remembers its listing (core/report/ListingIndex.h): what it prints from memory must be what a fresh scan and
// lint print, after a change in the cache, outside it where a verdict rests (an absolute kernel_path), of the
// host, and when the index is damaged; and a cache that changed within the last second is not remembered.
void TestCli::lsRemembersOnlyWhatHoldsStill() {
    QTemporaryDir tmp, cacheDir, outside;
    auto root = copyTree(realCache(), tmp);
    auto dev = root + "/aoti_eager/aten/cpu";
    QStringList env{"AOTISCOPE_CACHE_DIR=" + cacheDir.path()};
    auto lsSays = [&](const char* said, const QStringList& extra = {}) {
        auto r = runCli({"ls", "--json", "-v", "--root", QString::fromStdString(root)}, env + extra);
        auto fresh = runCli({"ls", "--json", "--no-inspection-cache", "--root", QString::fromStdString(root)}, env + extra);
        [&] {
            QCOMPARE(r.code, 0);
            QVERIFY2(r.err.contains(said), qPrintable(QString("expected \"%1\" in:\n%2").arg(said, r.err)));
            QCOMPARE(r.out, fresh.out);
        }();
        return nlohmann::json::parse(r.out.toStdString(), nullptr, false);
    };
    auto statusOf = [](const nlohmann::json& tree, const std::string& op) {
        for (const auto& o : tree["namespaces"][0]["devices"][0]["ops"]) {
            if (o["name"] == op) return o["status"].get<std::string>();
        }
        return std::string("no such op");
    };
    auto settle = [] { QTest::qWait(1100); };

    lsSays("not remembered: a file it rests on changed less than a second ago"); // just copied
    settle();
    lsSays("listing made again (none remembered)");
    auto before = lsSays("the listing remembered");
    QCOMPARE(statusOf(before, "abs"), std::string("ok"));

    // An entry of abs (an op with several) names a library outside the cache that is not there.
    auto abs = nlohmann::json::parse(readText(dev + "/abs.json"));
    auto library = dev + "/" + abs[0]["kernel_path"].get<std::string>();
    auto away = outside.path().toStdString() + "/abs-kernel.so";
    abs[1]["kernel_path"] = away;
    writeText(dev + "/abs.json", abs.dump(4));
    settle();
    lsSays("listing made again (the cache folder changed)");
    auto missing = lsSays("the listing remembered");
    QVERIFY(statusOf(missing, "abs") != "ok");

    // It appears there: nothing in the cache changed, the verdict did.
    std::filesystem::copy_file(library, away);
    auto found = lsSays(qPrintable(QString::fromStdString("listing made again (" + away + " changed)")));
    QVERIFY(found != missing);
    settle();
    lsSays("listing made again");
    lsSays("the listing remembered");

    // A library of another op goes.
    auto add = nlohmann::json::parse(readText(dev + "/add.Tensor.json"));
    std::filesystem::remove(dev + "/" + add[0]["kernel_path"].get<std::string>());
    auto gone = lsSays("listing made again (the cache folder changed)");
    QVERIFY(statusOf(gone, "add.Tensor") != "ok");
    settle();
    lsSays("listing made again");
    lsSays("the listing remembered");

    // Another torch is active: the host changed.
    lsSays("listing made again (the host or AOTIScope changed)", {"AOTISCOPE_TORCH_DIR=" + outside.path()});
    QTest::qWait(100);
    lsSays("listing made again (the host or AOTIScope changed)");
    lsSays("the listing remembered");

    // A writer at work (as PyTorch rewrites an op file in place): the listing is made each time, never remembered.
    {
        auto text = readText(dev + "/div.Tensor_mode.json");
        std::atomic<bool> stop{false};
        std::jthread writer([&] {
            while (!stop) {
                writeText(dev + "/div.Tensor_mode.json", text);
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        });
        for (int i = 0; i < 2; ++i) {
            auto r = runCli({"ls", "--json", "-v", "--root", QString::fromStdString(root)}, env);
            QCOMPARE(r.code, 0);
            QVERIFY2(r.err.contains("listing made again") && r.err.contains("listing not remembered"), r.err.constData());
        }
        stop = true;
    }
    settle();
    lsSays("listing made again");
    lsSays("the listing remembered");

    // Nowhere to remember it: said, and the listing is the same.
    auto blocked = cacheDir.path() + "/a-file";
    writeText(blocked.toStdString(), "");
    lsSays("listing index: cannot write", {"AOTISCOPE_CACHE_DIR=" + blocked + "/below"});

    // A damaged index is not believed.
    auto index = std::filesystem::directory_iterator(cacheDir.path().toStdString());
    auto file = std::ranges::find_if(index, [](const auto& e) { return e.path().filename().string().starts_with("listing-"); });
    QVERIFY(file != std::filesystem::end(index));
    auto text = readText(file->path().string());
    text[text.size() - 10] = text[text.size() - 10] == '1' ? '2' : '1';
    writeText(file->path().string(), text);
    lsSays("is damaged: its listing does not have the digest its header gives");
}

void TestCli::showDecodesArguments() {
    auto r = cli({"show", "tril_indices", "--json", "--root", real()});
    QCOMPARE(r.code, 0);
    auto entry = r.json()["ops"].toArray()[0].toObject()["entries"].toArray()[0].toObject();
    auto args = entry["args"].toArray();
    QCOMPARE(args.size(), 6);
    QCOMPARE(args[3].toObject()["kind"].toString(), QString("dtype"));
    QCOMPARE(args[4].toObject()["value"].toString(), QString("torch.strided"));
    QCOMPARE(args[5].toObject()["device_type"].toString(), QString("cpu"));
    QVERIFY(entry["library"].toObject()["exists"].toBool());

    r = cli({"show", "abs", "--root", real()});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains("AutogradCPU"), r.out.constData()); // dispatch keys decoded by c10
    QVERIFY(r.out.contains("float16[4, 8]"));
}

void TestCli::showUnknownOp() {
    auto r = cli({"show", "no_such_op", "--root", real()});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("no op named \"no_such_op\""));
}

void TestCli::lintExitCodes() {
    auto clean = cli({"lint", "--root", real()});
    QCOMPARE(clean.code, 1); // cat's entry does not register with torch 2.13 (AOTI023), the only error
    QVERIFY(clean.out.contains("1 error, 0 warnings"));
    auto r = cli({"lint", "--root", hostile()});
    QCOMPARE(r.code, 1);
    QVERIFY(r.out.contains("AOTI001 missing-library"));
}

void TestCli::lintJsonOfNonUtf8Names() {
    // A file name is bytes: one that is not UTF-8 (and a newline in a message) still gives a whole, valid JSON
    // document, the byte shown as U+FFFD. (It used to end the output mid-document with an exception, exit 3.)
    QTemporaryDir tmp;
    auto dev = std::filesystem::path(tmp.path().toStdString()) / "aoti_eager" / "aten" / "cpu";
    std::filesystem::create_directories(dev);
    writeText((dev / "bad\xff\nop.json").string(), "[{");
    auto r = cli({"lint", "--json", "--root", tmp.path()});
    QCOMPARE(r.code, 1);
    QJsonParseError error{};
    auto doc = QJsonDocument::fromJson(r.out, &error);
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString() + ": " + r.err));
    auto findings = doc.object()["findings"].toArray();
    QCOMPARE(findings.size(), 1);
    QCOMPARE(findings[0].toObject()["op"].toString(), QStringLiteral("bad\uFFFD\nop"));
    QCOMPARE(findings[0].toObject()["rule"].toString(), QStringLiteral("AOTI004"));
}

void TestCli::lintJsonSchema() {
    auto r = cli({"lint", "--json", "--root", hostile()});
    QCOMPARE(r.code, 1);
    auto j = r.json();
    QCOMPARE(j["schema"].toString(), QString("aotiscope.lint/2"));
    QVERIFY(j["counts"].toObject()["error"].toInt() > 5);
    QVERIFY(j.contains("torch"));
    // Each rule's name and explanation once, for every rule a finding names; the findings without them.
    auto rules = j["rules"].toObject();
    int findings = 0;
    for (const auto& f : j["findings"].toArray()) {
        auto o = f.toObject();
        for (const char* key : {"rule", "severity", "message", "namespace", "device", "op", "entry", "entry_key", "arg", "path", "host_bound"}) {
            QVERIFY2(o.contains(key), key);
        }
        QVERIFY(!o.contains("explanation"));
        auto rule = rules[o["rule"].toString()].toObject();
        QVERIFY2(!rule["name"].toString().isEmpty() && !rule["explanation"].toString().isEmpty(), qPrintable(o["rule"].toString()));
        ++findings;
    }
    QCOMPARE(findings, j["counts"].toObject()["error"].toInt() + j["counts"].toObject()["warning"].toInt() +
                           j["counts"].toObject()["info"].toInt());
}

void TestCli::exportCsv() {
    auto r = cli({"export", "--format", "csv", "--root", real()});
    QCOMPARE(r.code, 0);
    auto lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 7); // header + 6 entries
    QVERIFY(lines[0].startsWith("namespace,device,op,entry,args"));
    QVERIFY(r.out.contains("string \"\"floor\"\"")); // CSV-quoted
}

void TestCli::locateFollowsEnvironment() {
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("TORCHINDUCTOR_CACHE_DIR", "/some/where/../cache");
    auto r = cli({"locate", "--json"}, env);
    QCOMPARE(r.code, 0);
    QCOMPARE(r.json()["root"].toString(), QString("/some/cache"));
    env.remove("TORCHINDUCTOR_CACHE_DIR");
    env.insert("TMPDIR", QDir::tempPath());
    env.insert("LOGNAME", "a:b");
    r = cli({"locate"}, env);
    QVERIFY2(r.out.startsWith((QDir::tempPath() + "/torchinductor_a_b").toUtf8()), r.out.constData());
}

void TestCli::usageErrors() {
    QCOMPARE(cli({}).code, 2);
    QCOMPARE(cli({"frobnicate"}).code, 2);
    QCOMPARE(cli({"ls", "--bogus"}).code, 2);
    QCOMPARE(cli({"ls", "--root"}).code, 2);
    QCOMPARE(cli({"show", "--root", real()}).code, 2);
    QCOMPARE(cli({"--help"}).code, 0);
}

void TestCli::missingRoot() {
    auto r = cli({"ls", "--root", "/nonexistent/cache"});
    QCOMPARE(r.code, 3);
    QVERIFY(r.err.contains("/nonexistent/cache does not exist"));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
