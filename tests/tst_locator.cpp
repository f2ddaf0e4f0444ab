// The cache root rules of torch/_inductor/runtime/cache_dir_utils.py, one row per rule.
#include "core/read/CacheLocator.h"

#include <QtTest>

#include <map>

using namespace aotiscope;

class TestLocator : public QObject {
    Q_OBJECT
private slots:
    void root_data();
    void root();
    void sanitise_data();
    void sanitise();
};

void TestLocator::root_data() {
    QTest::addColumn<QString>("vars");     // NAME=value;NAME=value
    QTest::addColumn<QString>("writable"); // folders where a file can be created
    QTest::addColumn<bool>("hasPasswd");
    QTest::addColumn<QString>("expected");
    QTest::newRow("TORCHINDUCTOR_CACHE_DIR wins") << "TORCHINDUCTOR_CACHE_DIR=/data/cache;TMPDIR=/scratch;USER=ann" << "/scratch" << true << "/data/cache";
    QTest::newRow("TORCHINDUCTOR_CACHE_DIR relative is made absolute") << "TORCHINDUCTOR_CACHE_DIR=rel/../c" << "" << true << "/home/ann/c";
    QTest::newRow("TMPDIR then user") << "TMPDIR=/scratch;USER=ann" << "/scratch;/tmp" << true << "/scratch/torchinductor_ann";
    QTest::newRow("unwritable TMPDIR falls to TEMP") << "TMPDIR=/ro;TEMP=/t2;USER=ann" << "/t2;/tmp" << true << "/t2/torchinductor_ann";
    QTest::newRow("TMP when TMPDIR and TEMP unset") << "TMP=/t3;USER=ann" << "/t3" << true << "/t3/torchinductor_ann";
    QTest::newRow("default /tmp") << "USER=ann" << "/tmp" << true << "/tmp/torchinductor_ann";
    QTest::newRow("/var/tmp when /tmp unwritable") << "USER=ann" << "/var/tmp" << true << "/var/tmp/torchinductor_ann";
    QTest::newRow("cwd when no temp folder") << "USER=ann" << "" << true << "/home/ann/torchinductor_ann";
    QTest::newRow("LOGNAME before USER") << "LOGNAME=log;USER=usr" << "/tmp" << true << "/tmp/torchinductor_log";
    QTest::newRow("LNAME then USERNAME") << "USERNAME=un;LNAME=ln" << "/tmp" << true << "/tmp/torchinductor_ln";
    QTest::newRow("passwd entry") << "" << "/tmp" << true << "/tmp/torchinductor_pwuser";
    QTest::newRow("uid fallback") << "" << "/tmp" << false << "/tmp/torchinductor_uid_1234";
    QTest::newRow("user name sanitised") << R"(USER=dom\a:b*c?"d<e>f|g/h)" << "/tmp" << true << "/tmp/torchinductor_dom_a_b_c__d_e_f_g_h";
    QTest::newRow("trailing slash and dots normalised") << "TMPDIR=/scratch/./x/../;USER=ann" << "/scratch" << true << "/scratch/torchinductor_ann";
}

void TestLocator::root() {
    QFETCH(QString, vars);
    QFETCH(QString, writable);
    QFETCH(bool, hasPasswd);
    QFETCH(QString, expected);
    std::map<std::string, std::string> env;
    for (const auto& kv : vars.split(';', Qt::SkipEmptyParts)) {
        auto eq = kv.indexOf('=');
        env[kv.left(eq).toStdString()] = kv.mid(eq + 1).toStdString();
    }
    auto dirs = writable.split(';', Qt::SkipEmptyParts);
    LocateEnvironment e;
    e.getenv = [&](const std::string& n) -> std::optional<std::string> {
        auto it = env.find(n);
        return it == env.end() ? std::nullopt : std::optional(it->second);
    };
    e.isWritableDir = [&](const std::string& d) { return dirs.contains(QString::fromStdString(d)); };
    e.passwdName = [&]() -> std::optional<std::string> { return hasPasswd ? std::optional<std::string>("pwuser") : std::nullopt; };
    e.uid = [] { return 1234u; };
    e.cwd = [] { return std::string("/home/ann"); };
    auto r = locateCacheRoot(e);
    QCOMPARE(QString::fromStdString(r.root), expected);
    QVERIFY(!r.steps.empty());
}

void TestLocator::sanitise_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("expected");
    QTest::newRow("plain") << "alice" << "alice";
    QTest::newRow("domain") << R"(CORP\alice)" << "CORP_alice";
    QTest::newRow("all") << R"(\/:*?"<>|)" << "_________";
}

void TestLocator::sanitise() {
    QFETCH(QString, name);
    QFETCH(QString, expected);
    QCOMPARE(QString::fromStdString(sanitiseUserName(name.toStdString())), expected);
}

QTEST_GUILESS_MAIN(TestLocator)
#include "tst_locator.moc"
