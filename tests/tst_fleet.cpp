// Distributed recompile (compile --ray, core/jobs/RayCompileJobs.h) on a real local Ray cluster: a head and one
// worker node started here as processes on loopback, each with one CPU, stopped afterwards. PyTorch is the oracle
// of the result: it registers the recompiled entries and runs them.
#include "TestSupport.h"

#include "core/base/Sha256.h"
#include "core/edit/OpFileWriter.h"
#include "core/check/Linter.h"
#include "core/jobs/CompileJobs.h"
#include "core/read/CacheScanner.h"
#ifdef AOTISCOPE_WITH_UI
#include "ui/JobsPanel.h"
#endif

#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

using namespace aotiscope;
using namespace testsupport;
namespace fs = std::filesystem;

namespace {

std::vector<nlohmann::ordered_json> metaInfosOf(const std::string& root, const std::string& op) {
    std::vector<nlohmann::ordered_json> out;
    for (const auto& e : readOpEntries(root + "/aoti_eager/aten/cpu/" + op + ".json")) out.push_back(e["meta_info"]);
    return out;
}

// Deletes the libraries of the op's entries: each is then stale (PyTorch drops the whole op).
void removeLibraries(const std::string& root, const std::string& op) {
    for (const auto& e : readOpEntries(root + "/aoti_eager/aten/cpu/" + op + ".json")) {
        fs::remove(root + "/aoti_eager/aten/cpu/" + e["kernel_path"].get<std::string>());
    }
}

std::string rayProgram() { return fs::path(std::getenv("AOTISCOPE_PYTHON")).parent_path().string() + "/ray"; }

// A head and one worker node, one CPU each, on loopback; `ray stop` on destruction.
class LocalRayCluster {
public:
    LocalRayCluster() {
        port_ = loopbackPort();
        auto head = run({"start", "--head", "--port=" + QString::number(port_), "--num-cpus=1", "--node-ip-address=127.0.0.1",
                         "--include-dashboard=false", "--disable-usage-stats"});
        auto worker = run({"start", "--address=127.0.0.1:" + QString::number(port_), "--num-cpus=1", "--node-ip-address=127.0.0.1"});
        up_ = head && worker;
    }
    ~LocalRayCluster() { run({"stop", "--force"}); }
    bool up() const { return up_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

private:
    static bool run(const QStringList& args) {
        QProcess p;
        auto environment = QProcessEnvironment::systemEnvironment();
        environment.insert("RAY_USAGE_STATS_ENABLED", "0");
        p.setProcessEnvironment(environment);
        p.start(QString::fromStdString(rayProgram()), args);
        p.waitForFinished(120000);
        if (p.exitCode() != 0) qWarning("ray %s: %s", qPrintable(args.join(' ')), p.readAllStandardError().constData());
        return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    }
    quint16 port_ = 0;
    bool up_ = false;
};

} // namespace

class TestFleet : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void distributedRecompileIsWhatPyTorchRuns();
    void workerKilledMidTaskLosesNothing();
    void clusterNotThereIsSaidAtOnce();
#ifdef AOTISCOPE_WITH_UI
    void windowJobsRunOnTheCluster();
    void cancelStopsTheClusterTasks();
#endif

private:
    std::unique_ptr<LocalRayCluster> cluster_;
};

void TestFleet::initTestCase() {
    QVERIFY2(fs::exists(rayProgram()), "ray is not installed in the test interpreter's environment (scripts/setup.sh installs it)");
    cluster_ = std::make_unique<LocalRayCluster>();
    QVERIFY2(cluster_->up(), "the local Ray cluster did not start");
}

void TestFleet::cleanupTestCase() { cluster_.reset(); }

void TestFleet::distributedRecompileIsWhatPyTorchRuns() {
    QTemporaryDir dir;
    auto root = copyTree(realCache(), dir);
    removeLibraries(root, "abs");
    removeLibraries(root, "add.Tensor");
    auto absBefore = metaInfosOf(root, "abs");
    auto r = runCli({"compile", "--stale", "--ray", QString::fromStdString(cluster_->address()), "--root", QString::fromStdString(root)});
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.err.contains("3 of 3 compiled") && r.err.contains("2 nodes"), r.err.constData());
    QVERIFY2(r.err.contains("compiled on"), r.err.constData());
    // Every entry is back where it stood, with a library, and no entry twice.
    QCOMPARE(metaInfosOf(root, "abs"), absBefore);
    QCOMPARE(metaInfosOf(root, "add.Tensor").size(), std::size_t(1));
    auto lint = runCli({"lint", "--json", "--root", QString::fromStdString(root)});
    auto findings = nlohmann::json::parse(lint.out.toStdString(), nullptr, false)["findings"];
    for (const auto& f : findings) QVERIFY2(f["rule"] != "AOTI001", f.dump().c_str());
    QVERIFY(!fs::exists(root + "/aotiscope-staging"));
    // PyTorch registers the op from the recompiled cache and runs its entries: the same hits as the original.
    auto here = holderCalls("outcome", root), there = holderCalls("outcome", realCache());
    QVERIFY(here.is_object() && there.is_object());
    for (const auto& [call, outcome] : there.items()) {
        if (call.starts_with("abs ") || call.starts_with("add ")) QCOMPARE(here[call], outcome);
    }
}

void TestFleet::workerKilledMidTaskLosesNothing() {
    QTemporaryDir dir;
    auto root = copyTree(realCache(), dir);
    removeLibraries(root, "abs");
    auto before = contentDigests(root);
    QProcess cli;
    auto environment = QProcessEnvironment::systemEnvironment();
    cli.setProcessEnvironment(environment);
    cli.start(QString::fromStdString(cliPath()), {"compile", "--stale", "--ray", QString::fromStdString(cluster_->address()), "--root",
                                                  QString::fromStdString(root)});
    // Ray names a worker process after the task it runs: kill the first one found compiling.
    QString pid;
    for (int i = 0; i < 600 && pid.isEmpty(); ++i) {
        QProcess pgrep;
        pgrep.start("pgrep", {"-f", "ray::compile_in_temporary_cache"});
        pgrep.waitForFinished();
        pid = QString(pgrep.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts).value(0);
        if (pid.isEmpty()) QThread::msleep(100);
    }
    QVERIFY2(!pid.isEmpty(), "no Ray worker was seen compiling");
    QProcess::execute("kill", {"-9", pid});
    QVERIFY(cli.waitForFinished(300000));
    auto err = cli.readAllStandardError();
    QCOMPARE(cli.exitCode(), 1);
    QVERIFY2(err.contains("the Ray worker compiling it died (nothing of it was merged)"), err.constData());
    // The job whose worker died changed nothing; the other one (if it ran) replaced its own entry only.
    auto after = contentDigests(root);
    auto absNow = metaInfosOf(root, "abs");
    QCOMPARE(absNow, metaInfosOf(realCache(), "abs"));
    for (const auto& [path, sha] : before) {
        if (path.find("abs.json") == std::string::npos) QVERIFY2(after.contains(path), path.c_str());
    }
    QVERIFY(!fs::exists(root + "/aotiscope-staging"));
}

void TestFleet::clusterNotThereIsSaidAtOnce() {
    QTemporaryDir dir;
    auto root = copyTree(realCache(), dir);
    removeLibraries(root, "abs");
    auto before = contentDigests(root);
    auto nobody = "127.0.0.1:" + std::to_string(loopbackPort());
    QElapsedTimer timer;
    timer.start();
    auto r = runCli({"compile", "--stale", "--ray", QString::fromStdString(nobody), "--root", QString::fromStdString(root)});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QByteArray::fromStdString("cannot connect to the Ray cluster at " + nobody)), r.err.constData());
    QVERIFY2(timer.elapsed() < 60000, "an absent cluster took a minute to be said"); // ray.init alone waits minutes
    QCOMPARE(contentDigests(root), before);
}

#ifdef AOTISCOPE_WITH_UI
void TestFleet::windowJobsRunOnTheCluster() {
    // The window's jobs panel sends stale entries to the cluster (File > Recompile everything stale on the
    // cluster) and shows each job done as it is merged.
    QTemporaryDir dir;
    auto root = copyTree(realCache(), dir);
    removeLibraries(root, "abs");
    auto snap = scanCache(root);
    auto jobs = jobsForStale(snap, lintSnapshot(snap, HostInfo::detect()));
    QCOMPARE(jobs.size(), std::size_t(2));
    ui::JobsPanel panel;
    QSignalSpy idle(&panel, &ui::JobsPanel::allIdle);
    panel.enqueueOnCluster(jobs, cluster_->address());
    QVERIFY(idle.wait(300000));
    for (int i = 0; i < panel.model()->rowCount(); ++i) {
        const auto& row = panel.model()->row(i);
        QVERIFY2(row.state == ui::JobRow::State::Done, qPrintable(row.message));
    }
    QCOMPARE(metaInfosOf(root, "abs"), metaInfosOf(realCache(), "abs"));
    for (const auto& e : readOpEntries(root + "/aoti_eager/aten/cpu/abs.json")) {
        QVERIFY(fs::exists(root + "/aoti_eager/aten/cpu/" + e["kernel_path"].get<std::string>()));
    }
}

void TestFleet::cancelStopsTheClusterTasks() {
    // Cancel all, as for local jobs: the jobs end cancelled, the tasks stop on the cluster, nothing is merged.
    QTemporaryDir dir;
    auto root = copyTree(realCache(), dir);
    removeLibraries(root, "abs");
    auto before = contentDigests(root);
    auto snap = scanCache(root);
    auto jobs = jobsForStale(snap, lintSnapshot(snap, HostInfo::detect()));
    ui::JobsPanel panel;
    QSignalSpy idle(&panel, &ui::JobsPanel::allIdle);
    panel.enqueueOnCluster(jobs, cluster_->address());
    auto compiling = [] {
        QProcess pgrep;
        pgrep.start("pgrep", {"-f", "ray::compile_in_temporary_cache"});
        pgrep.waitForFinished();
        return !pgrep.readAllStandardOutput().trimmed().isEmpty();
    };
    QTRY_VERIFY_WITH_TIMEOUT(compiling(), 60000);
    panel.cancelAll();
    QVERIFY(idle.wait(60000));
    for (int i = 0; i < panel.model()->rowCount(); ++i) {
        const auto& row = panel.model()->row(i);
        QVERIFY2(row.state == ui::JobRow::State::Cancelled, qPrintable(row.message));
    }
    QTRY_VERIFY_WITH_TIMEOUT(!compiling(), 30000); // the tasks were cancelled, not left running
    QCOMPARE(contentDigests(root), before);
    QVERIFY(!fs::exists(root + "/aotiscope-staging"));
}
#endif

QTEST_MAIN(TestFleet)
#include "tst_fleet.moc"
