// Dispatch key sets named in the numbering of the torch that wrote them: the built-in tables reproduce what each
// torch printed when its table was made, the active torch is asked again now, and an entry written by another
// release is named by that release's layout (known from its library's torch install, or inferred) and is not
// reported as recorded under another mode.
#include "TestSupport.h"
#include "core/read/CacheScanner.h"
#include "core/check/DispatchKeys.h"
#include "core/check/HostInfo.h"
#include "core/report/JsonReport.h"
#include "core/check/Linter.h"

#include <QProcess>
#include <QtTest>

#include <filesystem>
#include <regex>

using namespace aotiscope;
using namespace testsupport;
namespace fs = std::filesystem;

namespace {

std::string python() { return std::getenv("AOTISCOPE_PYTHON") ? std::getenv("AOTISCOPE_PYTHON") : "python3"; }

// A check's tensor ("cuda/float32 inference", "cpu/sparse_coo", "cpu/quint8") as device, layout, dtype, mode.
struct Made {
    std::string device, layout = "strided", dtype = "float32";
    bool inference = false;
};
Made madeOf(const std::string& what) {
    Made m;
    auto slash = what.find('/');
    m.device = what.substr(0, slash);
    auto rest = what.substr(slash + 1);
    m.inference = rest.ends_with(" inference");
    auto space = rest.find(' ');
    auto kind = rest.substr(0, space);
    if (kind == "sparse_coo") m.layout = kind;
    else m.dtype = kind;
    return m;
}

const DispatchKeyTable& table(const std::string& release) {
    const auto* t = dispatchKeyTableFor(release + ".0");
    if (!t) qFatal("no built-in dispatch key table for torch %s", release.c_str());
    return *t;
}

// The cpu abs entry of a copy of the real cache, its dispatch_key_set set to `raw`.
std::string cacheWithKeySet(QTemporaryDir& dir, std::uint64_t raw) {
    auto root = copyTree(realCache(), dir);
    auto path = root + "/aoti_eager/aten/cpu/abs.json";
    auto j = nlohmann::json::parse(readText(path));
    j[0]["meta_info"][0]["dispatch_key_set"] = raw;
    writeText(path, j.dump());
    return root;
}

nlohmann::json firstTensorOfAbs(const std::string& root, const HostInfo& host) {
    auto snap = scanCache(root);
    auto j = entriesToJson(snap, lintSnapshot(snap, host), "abs", KeySetNaming(host.torchVersion()));
    for (const auto& op : j["ops"]) {
        if (op["device"] == "cpu") return op["entries"][0]["args"][0]["tensor"];
    }
    return {};
}

std::size_t keyMismatches(const std::string& root, const HostInfo& host) {
    std::size_t n = 0;
    for (const auto& f : lintSnapshot(scanCache(root), host)) n += f.ruleId == rules::DispatchKeyMismatch && f.op == "abs" && f.entry == 0;
    return n;
}

} // namespace

class TestDispatchKeys : public QObject {
    Q_OBJECT
private slots:
    void tablesReproduceWhatTorchPrinted();
    void activeTorchAgreesNow();
    void releasesNumberKeysDifferently();
    void otherReleaseInferredFromTheSet();
    void writerKnownFromItsLibrary();
    void otherModeStillReported();
};

void TestDispatchKeys::tablesReproduceWhatTorchPrinted() {
    QVERIFY(builtInDispatchKeyTables().size() >= 2);
    int checked = 0;
    for (const auto& t : builtInDispatchKeyTables()) {
        QVERIFY2(!t->checks().empty(), qPrintable(QString::fromStdString(t->release())));
        for (const auto& c : t->checks()) {
            auto what = QString::fromStdString("torch " + t->release() + " " + c.tensor);
            QCOMPARE(QString::fromStdString(t->describe(c.raw)), QString::fromStdString(c.printed));
            auto m = madeOf(c.tensor);
            auto fresh = t->freshTensorSet(m.device, m.layout, m.dtype, m.inference);
            QVERIFY2(fresh && *fresh == c.raw, qPrintable(what));
            QCOMPARE(t->encode(t->keyNames(c.raw)), std::optional<std::uint64_t>(c.raw));
            ++checked;
        }
    }
    qInfo("%d key sets of real tensors named as their torch printed them", checked);
}

void TestDispatchKeys::activeTorchAgreesNow() {
    // Asked now, not only when the table was made: sets the table's checks do not hold (conjugate, negative
    // and zero tensors, a cpu tensor in the inference-mode check's opposite) come out as torch prints them.
    QProcess p;
    p.start(QString::fromStdString(python()), {QStringLiteral("-c"), QStringLiteral(R"(
import json, torch
C = torch._C
ts = [torch.ones(2, dtype=torch.complex64).conj(), torch.ones(2, dtype=torch.complex64).conj().imag,
      torch._efficientzerotensor(2), torch.ones(2, 2).to_sparse_csr(), torch.ones(2, requires_grad=True) * 2,
      torch.empty(2, dtype=torch.bfloat16, device="meta")]
with torch.inference_mode():
    ts.append(torch.ones(2, 2).to_sparse())
print(json.dumps({"torch": torch.__version__, "sets": [[C._dispatch_keys(t).raw_repr(), str(C._dispatch_keys(t))] for t in ts]}))
)")});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);
    auto j = nlohmann::json::parse(p.readAllStandardOutput().toStdString());
    const auto* t = dispatchKeyTableFor(j["torch"].get<std::string>());
    QVERIFY2(t, qPrintable(QStringLiteral("no built-in table for the tests' torch %1: run scripts/make_dispatch_key_table.py")
                               .arg(QString::fromStdString(j["torch"].get<std::string>()))));
    for (const auto& s : j["sets"]) {
        QCOMPARE(QString::fromStdString(t->describe(s[0].get<std::uint64_t>())), QString::fromStdString(s[1].get<std::string>()));
    }
}

void TestDispatchKeys::releasesNumberKeysDifferently() {
    // The issue's case: a cpu float tensor's set as torch 2.11 wrote it names other keys in 2.13's numbering.
    const auto& old = table("2.11");
    const auto& now = table("2.13");
    auto written = *old.freshTensorSet("cpu", "strided", "float32");
    QCOMPARE(QString::fromStdString(old.describe(written)), QStringLiteral("DispatchKeySet(CPU, ADInplaceOrView, AutogradCPU, AutocastCPU)"));
    QVERIFY(now.describe(written) != old.describe(written));
    qInfo("torch 2.11 wrote %llu for a cpu float tensor; 2.13's numbering would call it %s",
          static_cast<unsigned long long>(written), now.describe(written).c_str());
    QCOMPARE(now.encode(old.keyNames(written)), now.freshTensorSet("cpu", "strided", "float32"));
}

void TestDispatchKeys::otherReleaseInferredFromTheSet() {
    auto host = HostInfo::detect();
    QVERIFY(host.torch);
    QTemporaryDir dir;
    auto written = *table("2.11").freshTensorSet("cpu", "strided", "float32");
    auto root = cacheWithKeySet(dir, written);
    // The library names the tests' own torch install, so the writer looks known: make it name nothing here.
    for (const auto& f : fs::recursive_directory_iterator(root)) {
        if (f.path().string().ends_with(".wrapper.cpp") || f.path().string().ends_with(".cpp")) {
            writeText(f.path().string(), std::regex_replace(readText(f.path().string()), std::regex(host.torch->dir), "/elsewhere/torch"));
        }
    }
    auto t = firstTensorOfAbs(root, host);
    QCOMPARE(t["dispatch_keys"], nlohmann::json({"CPU", "ADInplaceOrView", "AutogradCPU", "AutocastCPU"}));
    QCOMPARE(t["dispatch_keys_numbering"]["torch"], nlohmann::json("2.11"));
    QCOMPARE(t["dispatch_keys_numbering"]["basis"], nlohmann::json("inferred"));
    QCOMPARE(keyMismatches(root, host), std::size_t(0)); // a grad-mode cpu tensor's set, as 2.13 would record it
}

void TestDispatchKeys::writerKnownFromItsLibrary() {
    auto host = HostInfo::detect();
    QVERIFY(host.torch);
    QTemporaryDir dir;
    // A set 2.11's numbering names as an inference-mode tensor's: not a fresh one in any release, so only the
    // writer's install can say whose numbering it is.
    auto old = table("2.11");
    auto written = *old.encode({"CPU", "AutocastCPU", "Conjugate"});
    auto root = cacheWithKeySet(dir, written);
    auto fakeTorch = dir.path().toStdString() + "/site-packages/torch";
    fs::create_directories(fakeTorch);
    writeText(fakeTorch + "/version.py", "__version__ = '2.11.0+cu130'\ncuda: Optional[str] = '13.0'\n");
    for (const auto& f : fs::recursive_directory_iterator(root)) {
        if (f.path().string().ends_with(".wrapper.cpp")) {
            writeText(f.path().string(), std::regex_replace(readText(f.path().string()), std::regex(host.torch->dir), fakeTorch));
        }
    }
    auto t = firstTensorOfAbs(root, host);
    QCOMPARE(t["dispatch_keys"], nlohmann::json({"CPU", "Conjugate", "AutocastCPU"}));
    QCOMPARE(t["dispatch_keys_numbering"]["basis"], nlohmann::json("writer"));
    QCOMPARE(t["dispatch_keys_numbering"]["torch"], nlohmann::json("2.11"));
}

void TestDispatchKeys::otherModeStillReported() {
    // Recorded under inference mode by the torch in use: the same numbering, another mode, an Info finding
    // that names the keys; the entry is not called broken.
    auto host = HostInfo::detect();
    QVERIFY(host.torch);
    const auto* active = dispatchKeyTableFor(host.torch->version);
    QVERIFY(active);
    QTemporaryDir dir;
    auto root = cacheWithKeySet(dir, *active->freshTensorSet("cpu", "strided", "float32", /*inference=*/true));
    auto t = firstTensorOfAbs(root, host);
    QCOMPARE(t["dispatch_keys"], nlohmann::json({"CPU", "AutocastCPU"}));
    QCOMPARE(keyMismatches(root, host), std::size_t(1));
    for (const auto& f : lintSnapshot(scanCache(root), host)) {
        if (f.ruleId == rules::DispatchKeyMismatch && f.op == "abs") {
            QCOMPARE(f.severity, Severity::Info);
            QVERIFY2(f.message.find("CPU, ADInplaceOrView, AutogradCPU, AutocastCPU") != std::string::npos, f.message.c_str());
        }
    }
}

QTEST_GUILESS_MAIN(TestDispatchKeys)
#include "tst_dispatchkeys.moc"
