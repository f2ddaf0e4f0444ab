// Every health rule fires on the input it describes, and none fires on a clean cache PyTorch wrote.
#include "TestSupport.h"
#include "core/read/CacheScanner.h"
#include "core/check/HostInfo.h"
#include "core/report/JsonReport.h"
#include "core/check/Linter.h"

#include <QtTest>

#include <filesystem>
#include <map>
#include <regex>
#include <sys/stat.h>

using namespace aotiscope;
using namespace testsupport;
namespace fs = std::filesystem;

namespace {

FindingList lintRoot(const std::string& root, const HostInfo& host) {
    auto snap = scanCache(root);
    return lintSnapshot(snap, host);
}

bool has(const FindingList& fs, std::string_view rule, const std::string& op = {}) {
    return std::any_of(fs.begin(), fs.end(), [&](const Finding& f) { return f.ruleId == rule && (op.empty() || f.op == op); });
}

std::string dump(const FindingList& fs) {
    std::string s;
    for (const auto& f : fs) {
        s += f.ruleId + " " + f.op + ": " + f.message + "\n";
    }
    return s;
}

// A host like this one, with the active torch being the one that built the real cache.
HostInfo thisHost() { return HostInfo::detect(); }

void replaceInFile(const std::string& path, const std::string& from, const std::string& to) {
    auto text = readText(path);
    auto at = text.find(from);
    QVERIFY2(at != std::string::npos, ("no \"" + from + "\" in " + path).c_str());
    text.replace(at, from.size(), to);
    writeText(path, text);
}

std::string firstWrapperMetadata(const std::string& root, const std::string& op) {
    auto snap = scanCache(root);
    for (const auto& f : snap.namespaces[0].devices[0].libFiles) {
        if (f.role == LibraryRole::Kernel && snap.namespaces[0].devices[0].ops()[f.referencedBy[0].op].name == op) {
            return f.artifacts->metadataFiles.at(0);
        }
    }
    return {};
}

} // namespace

class TestLint : public QObject {
    Q_OBJECT
private slots:
    void cleanCacheHasNoFindings();
    void notRunnableHereIsNotBroken();
    void hostile_data();
    void hostile();
    void everyFindingExplained();
    void orphanLibrary();
    void cpuIsaMissing();
    void computeCapability();
    void foreignTorch();
    void kernelThreadsFixed();
    void physicalCoresFromCpuinfo();
    void unresolvedDependency();
    void missingRunnerSymbols();
    void dispatchKeyMismatch();
    void unreadableOpFile();
    void kernelBinaryMissing();
};

void TestLint::kernelBinaryMissing() {
    // A wrapper that loads its kernels as inductor's CUDA wrappers do (an absolute path per kernel, compiled in
    // another folder): one binary moved with the cache, one left in a folder outside it. The real CUDA case is
    // in docs/cuda-verification.md.
    QTemporaryDir dir, elsewhere;
    auto root = copyTree(realCache(), dir);
    auto outsideCubin = elsewhere.path().toStdString() + "/kept.cubin";
    writeText(outsideCubin, "binary");
    std::string wrapper;
    for (const auto& f : fs::recursive_directory_iterator(root + "/aoti_eager/aten/cpu/lib")) {
        if (f.path().string().ends_with(".wrapper.cpp") && readText(f.path().string()).find("abs") != std::string::npos) {
            wrapper = f.path().string();
            break;
        }
    }
    QVERIFY(!wrapper.empty());
    auto moved = root + "/aoti_eager/aten/cpu/lib/zz/cmoved.cubin";
    fs::create_directories(fs::path(moved).parent_path());
    writeText(moved, "binary");
    auto text = readText(wrapper);
    text.insert(text.find('\n') + 1,
                "    kernels_.k0 = loadKernel(\"/compiled/here/aoti_eager/aten/cpu/lib/zz/cmoved.cubin\", \"k0\", 0, this->cubin_dir_);\n"
                "    kernels_.k1 = loadKernel(\"" + outsideCubin + "\", \"k1\", 0, this->cubin_dir_);\n");
    writeText(wrapper, text);
    auto findings = lintRoot(root, thisHost());
    std::vector<const Finding*> hits;
    for (const auto& f : findings) {
        if (f.ruleId == rules::KernelBinaryMissing) hits.push_back(&f);
    }
    QVERIFY2(hits.size() >= 2, dump(findings).c_str());
    bool error = false, warning = false;
    for (const auto* f : hits) {
        if (f->severity == Severity::Error) {
            error = true;
            QVERIFY2(f->message.find("/compiled/here/aoti_eager/aten/cpu/lib/zz/cmoved.cubin") != std::string::npos, f->message.c_str());
            QVERIFY2(f->message.find("moved") != std::string::npos && f->message.find(moved) != std::string::npos, f->message.c_str());
        } else {
            warning = true;
            QVERIFY2(f->message.find(outsideCubin) != std::string::npos, f->message.c_str());
        }
        QVERIFY(f->entry >= 0); // on the entries that use the library, so compile --stale picks them
    }
    QVERIFY(error && warning);
}

void TestLint::cleanCacheHasNoFindings() {
    // PyTorch wrote this cache, and torch 2.13 still refuses one of its entries at registration: cat's
    // tensor_list (tst_registration shows PyTorch doing so). That is the only finding.
    auto fs = lintRoot(realCache(), thisHost());
    QCOMPARE(fs.size(), 1u);
    QCOMPARE(fs[0].ruleId, std::string("AOTI023"));
    QCOMPARE(fs[0].op, std::string("cat"));
    QVERIFY2(fs[0].message.find("THPDtype_Check") != std::string::npos, fs[0].message.c_str());
}

void TestLint::hostile_data() {
    QTest::addColumn<QString>("op");
    QTest::addColumn<QString>("rule");
    QTest::newRow("missing library") << "missing" << "AOTI001";
    QTest::newRow("dynamic entry") << "dynamic" << "AOTI003";
    QTest::newRow("corrupt json") << "corrupt" << "AOTI004";
    QTest::newRow("deep nesting") << "deep" << "AOTI004";
    QTest::newRow("invalid utf-8") << "invalid_utf8" << "AOTI004";
    QTest::newRow("top level not a list") << "not_list" << "AOTI005";
    QTest::newRow("wrong types") << "wrong_types" << "AOTI005";
    QTest::newRow("unknown kind") << "unknown" << "AOTI005";
    QTest::newRow("huge numbers") << "huge_numbers" << "AOTI005";
    QTest::newRow("shadowed entry") << "shadowed" << "AOTI006";
    QTest::newRow("escape by ..") << "escape_dotdot" << "AOTI007";
    QTest::newRow("escape by absolute path") << "escape_abs" << "AOTI007";
    QTest::newRow("escape by symlink") << "escape_symlink" << "AOTI007";
    QTest::newRow("cpu device index") << "cpu_index" << "AOTI008";
    QTest::newRow("bad dtype and layout") << "bad_dtype" << "AOTI009";
    QTest::newRow("not an ELF") << "" << "AOTI015";
    QTest::newRow("unknown keys") << "unknown" << "AOTI017";
    QTest::newRow("symlink out of root") << "escape_symlink" << "AOTI019";
}

void TestLint::hostile() {
    QFETCH(QString, op);
    QFETCH(QString, rule);
    auto fs = lintRoot(fixture("caches/hostile"), thisHost());
    QVERIFY2(has(fs, rule.toStdString(), op.toStdString()), dump(fs).c_str());
}

void TestLint::everyFindingExplained() {
    auto fs = lintRoot(fixture("caches/hostile"), thisHost());
    QVERIFY(!fs.empty());
    // A NaN scalar is what Python's json writes and reads: it is no finding at all.
    QVERIFY2(!has(fs, "AOTI004", "nan_scalar") && !has(fs, "AOTI005", "nan_scalar"), dump(fs).c_str());
    for (const auto& f : fs) {
        QVERIFY(!ruleById(f.ruleId).pytorchBehaviour.empty());
        QVERIFY(!f.message.empty());
        QVERIFY2(!f.path.empty(), f.message.c_str());
    }
    // The missing library names the whole op's fate.
    auto it = std::find_if(fs.begin(), fs.end(), [](auto& f) { return f.ruleId == "AOTI001"; });
    QVERIFY(it->message.find("all 2 entries of missing") != std::string::npos);
    QCOMPARE(it->entry, 1);
}

void TestLint::orphanLibrary() {
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    std::filesystem::remove(root + "/aoti_eager/aten/cpu/cat.json");
    auto fs = lintRoot(root, thisHost());
    QVERIFY2(has(fs, "AOTI002"), dump(fs).c_str());
    QCOMPARE(std::count_if(fs.begin(), fs.end(), [](auto& f) { return f.ruleId == "AOTI002"; }), 1);
}

void TestLint::cpuIsaMissing() {
    auto host = thisHost();
    auto fs = lintRoot(realCache(), host);
    QVERIFY(!has(fs, "AOTI010"));
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto meta = firstWrapperMetadata(root, "abs");
    QVERIFY(!meta.empty());
    std::regex isa(R"("AOTI_CPU_ISA": "[^"]*")");
    writeText(meta, std::regex_replace(readText(meta), isa, R"("AOTI_CPU_ISA": "AVX512 AMX_TILE")"));
    host.cpuFlags = {"sse2", "avx2", "fma"}; // a CPU without AVX512 or AMX
    fs = lintRoot(root, host);
    QVERIFY2(has(fs, "AOTI010", "abs"), dump(fs).c_str());
}

void TestLint::computeCapability() {
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto meta = firstWrapperMetadata(root, "add.Tensor");
    replaceInFile(meta, R"("AOTI_COMPUTE_CAPABILITY": "")", R"("AOTI_COMPUTE_CAPABILITY": "90")");
    auto host = thisHost();
    host.cudaComputeCapabilities = std::vector<std::string>{"80"};
    auto fs = lintRoot(root, host);
    auto it = std::find_if(fs.begin(), fs.end(), [](auto& f) { return f.ruleId == "AOTI011"; });
    QVERIFY2(it != fs.end(), dump(fs).c_str());
    QCOMPARE(it->severity, Severity::Error);
    host.cudaComputeCapabilities = std::nullopt; // no GPU: a warning, the library may serve another machine
    fs = lintRoot(root, host);
    it = std::find_if(fs.begin(), fs.end(), [](auto& f) { return f.ruleId == "AOTI011"; });
    QVERIFY(it != fs.end());
    QCOMPARE(it->severity, Severity::Warning);
    host.cudaComputeCapabilities = std::vector<std::string>{"90"};
    QVERIFY(!has(lintRoot(root, host), "AOTI011"));
}

void TestLint::foreignTorch() {
    auto host = thisHost();
    QVERIFY(host.torch.has_value());
    host.torch->dir = "/opt/other-env/lib/python3.11/site-packages/torch";
    auto fs = lintRoot(realCache(), host);
    QCOMPARE(std::count_if(fs.begin(), fs.end(), [](auto& f) { return f.ruleId == "AOTI012"; }), 6);
}

void TestLint::kernelThreadsFixed() {
    // The real cache's kernels leave the thread count to the runtime: no finding. A kernel whose loops inductor
    // fixed at 7 threads (as torch 2.11 writes "#pragma omp parallel num_threads(16)" on a 16-core machine):
    // a warning on any machine with another CPU count, saying which way it is wrong.
    auto host = thisHost();
    QVERIFY(host.cpuCount > 0);
    QVERIFY(!has(lintRoot(realCache(), host), "AOTI020"));
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto source = firstKernelSource(root, "add.Tensor");
    QVERIFY(!source.empty());
    writeText(source, "#include <omp.h>\nvoid kernel() {\n    #pragma omp parallel num_threads(7)\n    {}\n}\n" + readText(source));
    host.cpuCount = 2;
    host.physicalCores = 2;
    auto fs = lintRoot(root, host);
    auto it = std::find_if(fs.begin(), fs.end(), [](auto& f) { return f.ruleId == "AOTI020"; });
    QVERIFY2(it != fs.end(), dump(fs).c_str());
    QCOMPARE(it->op, std::string("add.Tensor"));
    QCOMPARE(it->severity, Severity::Warning);
    QVERIFY2(it->message.find("on 7 threads") != std::string::npos && it->message.find("oversubscribes") != std::string::npos,
             it->message.c_str());
    host.cpuCount = 16;
    host.physicalCores = 8;
    fs = lintRoot(root, host);
    it = std::find_if(fs.begin(), fs.end(), [](auto& f) { return f.ruleId == "AOTI020"; });
    QVERIFY(it != fs.end());
    QVERIFY2(it->message.find("leaves 9 of them idle") != std::string::npos, it->message.c_str());
    host.cpuCount = 7;
    QVERIFY(!has(lintRoot(root, host), "AOTI020"));
    // 14 CPUs in 7 cores: torch's default is 7 threads there, the count inductor fixes on that very machine.
    host.cpuCount = 14;
    host.physicalCores = 7;
    QVERIFY(!has(lintRoot(root, host), "AOTI020"));
}

void TestLint::physicalCoresFromCpuinfo() {
    // Two packages of two cores, each core with two SMT siblings; then a VM that lists no topology.
    std::string cpuinfo;
    for (int package = 0; package < 2; ++package)
        for (int core = 0; core < 2; ++core)
            for (int sibling = 0; sibling < 2; ++sibling)
                cpuinfo += "processor\t: x\nphysical id\t: " + std::to_string(package) + "\ncore id\t\t: " +
                           std::to_string(core) + "\nflags\t\t: sse2\n\n";
    QCOMPARE(countPhysicalCores(cpuinfo), 4u);
    QCOMPARE(countPhysicalCores("processor\t: 0\nflags\t: sse2\n"), 0u);
}

void TestLint::unresolvedDependency() {
    // A torch install whose lib folder lacks libtorch_cpu.so: the kernels' dependency resolves nowhere.
    QTemporaryDir emptyTorch;
    auto host = thisHost();
    host.torch = TorchInstall{emptyTorch.path().toStdString(), "2.13.0", "", "test", ""};
    auto fs = lintRoot(realCache(), host);
    auto it = std::find_if(fs.begin(), fs.end(), [](auto& f) { return f.ruleId == "AOTI013"; });
    QVERIFY2(it != fs.end(), dump(fs).c_str());
    QVERIFY(it->message.find("libtorch") != std::string::npos);
    // Without any torch, whether torch's own libraries resolve is unknown: said once, never an error per library.
    host.torch = std::nullopt;
    host.unknownFacts = {"torch: no torch found"};
    auto without = lintRoot(realCache(), host);
    QVERIFY2(std::none_of(without.begin(), without.end(), [](auto& f) { return f.ruleId == "AOTI013"; }), dump(without).c_str());
    QCOMPARE(std::count_if(without.begin(), without.end(), [](auto& f) { return f.ruleId == "AOTI022"; }), 1);
}

void TestLint::missingRunnerSymbols() {
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    // Point cat's entry at one of inductor's ISA probe builds: a real ELF without the runner API.
    auto snap = scanCache(root);
    std::string helper;
    for (const auto& f : snap.namespaces[0].devices[0].libFiles) {
        if (f.role == LibraryRole::HelperBuild) {
            helper = f.relPath;
        }
    }
    QVERIFY(!helper.empty());
    const auto* cat = findOp(snap, "cat");
    replaceInFile(cat->path, *cat->entries[0].kernelPath, helper);
    auto fs = lintRoot(root, thisHost());
    QVERIFY2(has(fs, "AOTI014", "cat"), dump(fs).c_str());
}

void TestLint::dispatchKeyMismatch() {
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    // A raw value from another torch release: the same bits name other keys now.
    replaceInFile(root + "/aoti_eager/aten/cpu/abs.json", "\"dispatch_key_set\": 635655225345", "\"dispatch_key_set\": 32769");
    auto fs = lintRoot(root, thisHost());
    auto it = std::find_if(fs.begin(), fs.end(), [](auto& f) { return f.ruleId == "AOTI016"; });
    QVERIFY2(it != fs.end(), dump(fs).c_str());
    QVERIFY2(it->message.find("AutogradCPU") != std::string::npos, it->message.c_str()); // decoded names
}

void TestLint::unreadableOpFile() {
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto path = root + "/aoti_eager/aten/cpu/relu.json";
    QCOMPARE(::mkfifo(path.c_str(), 0644), 0);
    auto fs = lintRoot(root, thisHost());
    QVERIFY2(has(fs, "AOTI018", "relu"), dump(fs).c_str());
}

void TestLint::notRunnableHereIsNotBroken() {
    // A cuda folder (libraries built for compute capability 9.0) on a machine without a GPU: its entries are
    // "not runnable here", not errors; an entry of it whose library is missing is broken all the same.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto cuda = fs::path(root) / "aoti_eager/aten/cuda";
    fs::copy(fs::path(root) / "aoti_eager/aten/cpu", cuda, fs::copy_options::recursive);
    for (const auto& f : fs::recursive_directory_iterator(cuda)) {
        if (!f.path().string().ends_with("_metadata.json")) continue;
        auto text = readText(f.path().string());
        text = std::regex_replace(text, std::regex(R"("AOTI_COMPUTE_CAPABILITY": "")"), R"("AOTI_COMPUTE_CAPABILITY": "90")");
        writeText(f.path().string(), text);
    }
    auto snap = scanCache(root);
    const aotiscope::OpFile* cudaAbs = nullptr;
    for (const auto& d : snap.namespaces[0].devices) {
        if (d.name == "cuda") cudaAbs = &d.ops()[0];
    }
    QVERIFY(cudaAbs && cudaAbs->name == "abs");
    fs::remove(cuda / cudaAbs->entries[1].kernelPath.value());
    snap = scanCache(root);
    auto host = thisHost();
    host.cudaComputeCapabilities = std::nullopt;
    auto findings = lintSnapshot(snap, host);
    auto entries = entriesToJson(snap, findings, "abs", KeySetNaming(host.torchVersion()));
    std::map<std::string, std::vector<std::string>> status;
    for (const auto& op : entries["ops"]) {
        for (const auto& e : op["entries"]) status[op["device"].get<std::string>()].push_back(e["status"].get<std::string>());
    }
    QCOMPARE(status["cpu"], (std::vector<std::string>{"ok", "ok"}));
    QCOMPARE(status["cuda"], (std::vector<std::string>{"not_runnable_here", "error"}));
    auto ls = treeToJson(snap, findings);
    bool seen = false;
    for (const auto& dev : ls["namespaces"][0]["devices"]) {
        for (const auto& op : dev["ops"]) {
            if (dev["name"] == "cuda" && op["name"] == "add.Tensor") {
                QCOMPARE(op["status"].get<std::string>(), std::string("not_runnable_here"));
                seen = true;
            }
        }
    }
    QVERIFY(seen);
}

QTEST_GUILESS_MAIN(TestLint)
#include "tst_lint.moc"
