// aotiscope-cli as a real process: output, JSON schemas and exit codes.
#include "TestSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include <filesystem>

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
