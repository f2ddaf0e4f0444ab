// Host truth: every host fact read from the real /proc and /sys and checked against the compiler's own CPU
// detection and lscpu, and from faked files; symbol versions checked against what the dynamic loader does in a
// torch process; the torch the verdicts are for found the same way from any folder.
#include "TestSupport.h"
#include "core/read/CacheScanner.h"
#include "core/read/ElfReader.h"
#include "core/check/HostInfo.h"
#include "core/check/Linter.h"
#include "core/base/Subprocess.h"

#include <QProcess>
#include <QtTest>

#include <filesystem>
#include <fstream>

using namespace aotiscope;
using namespace testsupport;
namespace fs = std::filesystem;

namespace {

std::vector<const Finding*> withRule(const FindingList& fs, std::string_view rule) {
    std::vector<const Finding*> out;
    for (const auto& f : fs) {
        if (f.ruleId == rule) out.push_back(&f);
    }
    return out;
}

void writeFile(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

} // namespace

class TestHost : public QObject {
    Q_OBJECT
private slots:
    void realCpuFactsAgreeWithTheCompiler();
    void fakedProcAndSys();
    void unknownFlagsAreSaidNotSkipped();
    void symbolVersionsAgreeWithTheLoader();
    void verifyLoadsAsPyTorchAndAgreesWithLint();
    void noTorchTurnsTheChecksOffAndSaysSo();
    void torchFoundTheSameFromAnyFolder();
    void readsVersionPy();
    void installedRecordComesFirst();
};

void TestHost::realCpuFactsAgreeWithTheCompiler() {
    auto host = HostInfo::detect();
    QVERIFY2(!host.cpuFlags.empty(), "no CPU flags read from /proc/cpuinfo (its size is 0: read to the end)");
    QVERIFY(host.physicalCores > 0);
    QVERIFY(!host.cpuModel.empty());
    // The compiler's -march=native detection is the oracle for the ISA words inductor compiles for.
    auto gcc = runProcess({"gcc", "-march=native", "-Q", "--help=target"}, 30000);
    QCOMPARE(gcc.exitCode, 0);
    for (const auto& [option, flag] : {std::pair{"-mavx2 ", "avx2"}, {"-mfma ", "fma"}, {"-mavx512f ", "avx512f"},
                                       {"-mavx512bw ", "avx512bw"}, {"-mamx-tile ", "amx_tile"}}) {
        auto at = gcc.out.find(std::string("  ") + option);
        if (at == std::string::npos) continue; // this gcc has no such option
        auto line = gcc.out.substr(at, gcc.out.find('\n', at) - at);
        bool enabled = line.find("[enabled]") != std::string::npos;
        QVERIFY2(enabled == host.cpuFlags.contains(flag), qPrintable(QString::fromStdString(line)));
    }
    // lscpu counts the cores the same way.
    auto lscpu = runProcess({"lscpu", "-p=CORE,SOCKET"}, 10000);
    if (lscpu.exitCode == 0) {
        std::set<std::string> cores;
        std::istringstream in(lscpu.out);
        for (std::string line; std::getline(in, line);) {
            if (!line.empty() && line[0] != '#') cores.insert(line);
        }
        QCOMPARE(host.physicalCores, unsigned(cores.size()));
    }
    QCOMPARE(countPhysicalCoresFromSys("/sys"), host.physicalCores);
}

void TestHost::fakedProcAndSys() {
    QTemporaryDir tmp;
    fs::path root = tmp.path().toStdString();
    writeFile(root / "proc/cpuinfo", "processor\t: 0\nmodel name\t: Fake CPU\nflags\t\t: fpu sse2 avx2 fma\n\n"
                                     "processor\t: 1\nmodel name\t: Fake CPU\nflags\t\t: fpu sse2 avx2 fma\n");
    for (auto [cpu, core] : {std::pair{0, 0}, {1, 0}, {2, 1}}) {
        auto topo = root / "sys/devices/system/cpu" / ("cpu" + std::to_string(cpu)) / "topology";
        writeFile(topo / "physical_package_id", "0\n");
        writeFile(topo / "core_id", std::to_string(core) + "\n");
    }
    auto host = HostInfo::detect({(root / "proc").string(), (root / "sys").string()});
    QCOMPARE(host.cpuModel, std::string("Fake CPU"));
    QCOMPARE(host.cpuFlags, (std::set<std::string>{"fpu", "sse2", "avx2", "fma"}));
    QCOMPARE(host.physicalCores, 2u); // /proc/cpuinfo has no core ids here: from /sys, SMT siblings once
    QVERIFY(std::none_of(host.unknownFacts.begin(), host.unknownFacts.end(), [](auto& u) { return u.starts_with("CPU flags"); }));
    // The real cache's kernels were compiled for this machine's ISA; on an AVX2-only CPU that ISA is missing,
    // unless this machine is AVX2-only itself.
    auto snap = scanCache(realCache());
    auto findings = lintSnapshot(snap, host);
    bool builtBeyondAvx2 = false;
    for (const auto& f : snap.namespaces[0].devices[0].libFiles) {
        if (f.artifacts && f.artifacts->cpuIsa.find("AVX512") != std::string::npos) builtBeyondAvx2 = true;
    }
    QCOMPARE(!withRule(findings, "AOTI010").empty(), builtBeyondAvx2);
}

void TestHost::unknownFlagsAreSaidNotSkipped() {
    QTemporaryDir tmp;
    fs::path root = tmp.path().toStdString();
    writeFile(root / "proc/cpuinfo", "processor\t: 0\n"); // what some hypervisors show
    fs::create_directories(root / "sys");
    auto host = HostInfo::detect({(root / "proc").string(), (root / "sys").string()});
    QVERIFY(host.cpuFlags.empty());
    QCOMPARE(host.physicalCores, 0u);
    auto findings = lintSnapshot(scanCache(realCache()), host);
    auto unknown = withRule(findings, "AOTI022");
    QVERIFY(unknown.size() >= 2);
    QVERIFY(std::ranges::any_of(unknown, [](const Finding* f) { return f->message.starts_with("CPU flags:") && f->message.find("lists none") != std::string::npos; }));
    QVERIFY(std::ranges::any_of(unknown, [](const Finding* f) { return f->message.starts_with("physical cores:"); }));
}

void TestHost::symbolVersionsAgreeWithTheLoader() {
    // Two libraries made to need versions this machine's glibc and libstdc++ lack, as if built on a newer host.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto snap = scanCache(root);
    std::vector<std::string> kernels;
    for (const auto& f : snap.namespaces[0].devices[0].libFiles) {
        if (f.role == LibraryRole::Kernel) kernels.push_back(f.path);
    }
    QVERIFY(kernels.size() >= 3);
    auto glibcNeeds = readElfSummary(kernels[0]).neededVersions;
    QVERIFY(std::ranges::find(glibcNeeds, std::string("libc.so.6:GLIBC_2.34")) != glibcNeeds.end());
    patchBytes(kernels[0], "GLIBC_2.34", "GLIBC_2.99");
    patchBytes(kernels[1], "GLIBCXX_3.4.30", "GLIBCXX_3.9.30");
    auto findings = lintSnapshot(scanCache(root), HostInfo::detect());
    std::map<std::string, std::string> predicted; // library -> the version lint says is missing
    for (const auto* f : withRule(findings, "AOTI021")) {
        auto quote = f->message.find("version `");
        predicted[f->path] = f->message.substr(quote + 9, f->message.find('\'', quote) - quote - 9);
    }
    QCOMPARE(predicted.size(), 2u);
    // The oracle: dlopen of every kernel in a torch process (torch's own libraries loaded, as when PyTorch
    // registers an op).
    QProcess p;
    QStringList args{QStringLiteral("-c"), QStringLiteral("import sys, ctypes, torch\n"
                                                          "for path in sys.argv[1:]:\n"
                                                          "    try:\n"
                                                          "        ctypes.CDLL(path); print('ok', path)\n"
                                                          "    except OSError as e:\n"
                                                          "        print('fail', path, e)\n")};
    for (const auto& k : kernels) args << QString::fromStdString(k);
    p.start(QString::fromStdString(std::getenv("AOTISCOPE_PYTHON")), args);
    QVERIFY(p.waitForFinished(120000));
    auto lines = QString::fromUtf8(p.readAllStandardOutput()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), qsizetype(kernels.size()));
    for (const auto& line : lines) {
        auto path = line.section(QLatin1Char(' '), 1, 1).toStdString();
        bool failed = line.startsWith(QStringLiteral("fail"));
        QVERIFY2(failed == predicted.contains(path), qPrintable(line));
        if (failed) {
            QVERIFY2(line.contains(QStringLiteral("version `%1' not found").arg(QString::fromStdString(predicted[path]))), qPrintable(line));
        }
    }
}

void TestHost::verifyLoadsAsPyTorchAndAgreesWithLint() {
    // Foreign libraries: one needing a newer glibc, one not ELF, one truncated. verify loads each in the
    // isolated worker as PyTorch would, and lint's static prediction must agree with every outcome.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    std::vector<std::string> kernels;
    auto snap = scanCache(root);
    for (const auto& f : snap.namespaces[0].devices[0].libFiles) {
        if (f.role == LibraryRole::Kernel) kernels.push_back(f.path);
    }
    QVERIFY(kernels.size() >= 5);
    patchBytes(kernels[0], "GLIBC_2.34", "GLIBC_2.99");
    writeText(kernels[1], "this is not a shared object\n");
    fs::resize_file(kernels[2], 100000);
    auto r = runCli({"verify", "--json", "--root", QString::fromStdString(root)});
    QCOMPARE(r.code, 1); // some fail to load
    auto j = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(j["results"].size(), 6u);
    std::map<std::string, nlohmann::json> byLibrary;
    for (const auto& x : j["results"]) {
        QVERIFY2(x["agrees"].get<bool>(), x.dump().c_str());
        byLibrary[fs::canonical(x["library"].get<std::string>()).string()] = x;
    }
    auto result = [&](const std::string& k) { return byLibrary[fs::canonical(k).string()]; };
    QVERIFY(!result(kernels[0])["loaded"].get<bool>());
    QVERIFY2(result(kernels[0])["message"].get<std::string>().find("version `GLIBC_2.99' not found") != std::string::npos,
             result(kernels[0]).dump().c_str());
    QCOMPARE(result(kernels[0])["lint_predicts"], nlohmann::json::array({"AOTI021"}));
    QVERIFY(!result(kernels[1])["loaded"].get<bool>());
    QVERIFY(!result(kernels[2])["loaded"].get<bool>());
    for (std::size_t i = 3; i < kernels.size(); ++i) QVERIFY(result(kernels[i])["loaded"].get<bool>());
}

void TestHost::noTorchTurnsTheChecksOffAndSaysSo() {
    // A chosen interpreter without torch: no fallback to another torch, no "needs libtorch.so" errors, and the
    // output says the checks are off.
    auto r = runCli({"lint", "--python", "/nonexistent/python3", "--root", QString::fromStdString(realCache())});
    QVERIFY2(r.out.contains("no torch found: the checks that need one are off"), r.out.constData());
    QVERIFY2(r.out.contains("1 error, 1 warning"), r.out.constData()); // cat's AOTI023 (not torch-dependent) and AOTI022
    QVERIFY(!r.out.contains("AOTI013"));
    QVERIFY2(r.out.contains("AOTI022") && r.out.contains("/nonexistent/python3"), r.out.constData());
    auto json = runCli({"lint", "--json", "--python", "/nonexistent/python3", "--root", QString::fromStdString(realCache())});
    QVERIFY(nlohmann::json::parse(json.out.toStdString())["torch"].is_null());
}

void TestHost::torchFoundTheSameFromAnyFolder() {
    // Started in another folder, without AOTISCOPE_PYTHON: the torch recorded at build, named in the output.
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("AOTISCOPE_PYTHON"));
    QTemporaryDir elsewhere;
    std::map<QString, nlohmann::json> seen;
    for (const auto& dir : {elsewhere.path(), QStringLiteral("/")}) {
        QProcess p;
        p.setProcessEnvironment(environment);
        p.setWorkingDirectory(dir);
        p.start(QString::fromStdString(cliPath()), {"lint", "--json", "--root", QString::fromStdString(realCache())});
        QVERIFY(p.waitForFinished(120000));
        auto j = nlohmann::json::parse(p.readAllStandardOutput().toStdString());
        QVERIFY2(!j["torch"].is_null(), qPrintable(dir));
        QVERIFY(j["torch"]["version"].get<std::string>().starts_with("2."));
        QCOMPARE(j["counts"]["error"].get<int>(), 1); // only cat's AOTI023: no "needs libtorch.so" from a folder without .venv
        seen[dir] = j["torch"];
    }
    QCOMPARE(seen.begin()->second, seen.rbegin()->second);
    auto doctor = runCli({"doctor", "--json", "--root", QString::fromStdString(realCache())});
    auto d = nlohmann::json::parse(doctor.out.toStdString());
    QCOMPARE(d["schema"].get<std::string>(), std::string("aotiscope.doctor/1"));
    QVERIFY(d["glibc"]["newest"].get<std::string>().starts_with("GLIBC_2."));
    QVERIFY(d["libstdcxx"]["newest"].get<std::string>().starts_with("GLIBCXX_3.4."));
    QCOMPARE(d["cache"]["runnable"], d["cache"]["entries"]);
    QCOMPARE(d["physical_cores"].get<unsigned>(), HostInfo::detect().physicalCores);
}

void TestHost::readsVersionPy() {
    auto text = "__all__ = ['__version__', 'cuda']\n__version__ = '2.13.0+cpu'\ncuda: Optional[str] = None\n";
    QCOMPARE(readVersionPyField(text, "__version__"), std::string("2.13.0+cpu"));
    QCOMPARE(readVersionPyField(text, "cuda"), std::string());
    QCOMPARE(readVersionPyField("cuda: Optional[str] = '13.0'\n", "cuda"), std::string("13.0"));
    auto torch = HostInfo::detect().torch;
    QVERIFY(torch);
    QCOMPARE(readTorchVersion(torch->dir).substr(0, 2), std::string("2."));
}

void TestHost::installedRecordComesFirst() {
    // `cmake --install` writes the interpreter an installed AOTIScope uses (AOTISCOPE_INSTALLED_PYTHON, python3 by
    // default); the installed CLI takes it before the build's record, from any folder.
    QTemporaryDir prefix;
    auto build = fs::path(cliPath()).parent_path().parent_path().parent_path().string();
    auto install = runProcess({"cmake", "--install", build, "--prefix", prefix.path().toStdString()}, 300000);
    QVERIFY2(install.exitCode == 0, install.err.c_str());
    auto recorded = prefix.path().toStdString() + "/share/aotiscope/python";
    QCOMPARE(readText(recorded), std::string("python3\n"));
    // A site's own interpreter, recorded at install: a wrapper around the tests' torch, told apart by its path.
    auto wrapper = prefix.path().toStdString() + "/site-python";
    writeText(wrapper, "#!/bin/sh\nexec '" + std::string(std::getenv("AOTISCOPE_PYTHON")) + "' \"$@\"\n");
    fs::permissions(wrapper, fs::perms::owner_all);
    writeText(recorded, wrapper + "\n");
    QProcess p;
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("AOTISCOPE_PYTHON"));
    p.setProcessEnvironment(environment);
    p.setWorkingDirectory(QStringLiteral("/"));
    p.start(prefix.filePath(QStringLiteral("bin/aotiscope-cli")), {"doctor", "--json", "--root", QString::fromStdString(realCache())});
    QVERIFY(p.waitForFinished(120000));
    auto j = nlohmann::json::parse(p.readAllStandardOutput().toStdString(), nullptr, false);
    QVERIFY2(j.is_object() && j.contains("torch"), p.readAllStandardError().constData());
    QCOMPARE(j["torch"]["source"].get<std::string>(), std::string("recorded at install"));
    QCOMPARE(j["torch"]["python"].get<std::string>(), wrapper);
}

QTEST_GUILESS_MAIN(TestHost)
#include "tst_host.moc"
