// Bundles and registries (core/share/): pack, unpack, push, pull against the real PyTorch cache, a real OCI
// registry (Debian's docker-registry) on loopback, and PyTorch itself as the oracle of what was placed.
#include "TestSupport.h"

#include "core/base/FileUtil.h"
#include "core/base/Sha256.h"
#include "core/edit/OpFileWriter.h"
#include "core/read/CacheScanner.h"
#include "core/read/EntryKey.h"

#include <QProcess>
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

// The entry keys of one op, in file order.
std::vector<std::string> keysOf(const std::string& root, const std::string& op, const std::string& device = "cpu") {
    return entryKeysOf(readOpEntries(root + "/aoti_eager/aten/" + device + "/" + op + ".json"));
}

QStringList q(std::initializer_list<std::string> args) {
    QStringList out;
    for (const auto& a : args) out << QString::fromStdString(a);
    return out;
}

nlohmann::json jsonOf(const CliRun& r) { return nlohmann::json::parse(r.out.toStdString(), nullptr, false); }

// The entries an unpack report gives each action.
std::map<std::string, int> actions(const nlohmann::json& report) {
    std::map<std::string, int> out;
    for (const auto& e : report["entries"]) ++out[e["action"].get<std::string>()];
    return out;
}

// Flips one byte in the middle of the archive member named `member` (a blob) of a bundle file.
void damageMember(const std::string& bundle, const std::string& member) {
    auto bytes = readText(bundle);
    for (std::size_t at = 0; at + 512 <= bytes.size(); at += 512) {
        std::string name(bytes.data() + at, strnlen(bytes.data() + at, 100));
        if (name.empty()) break;
        auto size = std::stoull(std::string(bytes.data() + at + 124, 11), nullptr, 8);
        if (name == member) {
            bytes[at + 512 + size / 2] ^= 0x5a;
            writeText(bundle, bytes);
            return;
        }
        at += (size + 511) / 512 * 512;
    }
    QFAIL(qPrintable(QString::fromStdString(member + " is not in " + bundle)));
}

nlohmann::json manifestOf(const std::string& bundle, QTemporaryDir& scratch) {
    auto dir = scratch.path().toStdString();
    QProcess tar;
    tar.start("tar", {"-xf", QString::fromStdString(bundle), "-C", QString::fromStdString(dir)});
    tar.waitForFinished();
    return nlohmann::json::parse(readText(dir + "/aotiscope-bundle.json"), nullptr, false);
}

} // namespace

class TestShare : public QObject {
    Q_OBJECT
private slots:
    void sha256AgreesWithSha256sum();
    void bundleFileIsATarWithTheManifest();
    void unpackIntoAnEmptyCacheIsWhatPyTorchRuns();
    void unpackMergesAfterTheEntriesThere();
    void unpackBesidePyTorchsWriterLosesNothing();
    void damagedOrHostileBundlesChangeNothing();
    void incompatibleHostSkipsWithTheRule();
    void registryRoundTrip();
    void corruptedRegistryBlobIsRefused();
    void registryGoneMidPushLosesNothing();
};

void TestShare::sha256AgreesWithSha256sum() {
    QTemporaryDir dir;
    auto base = dir.path().toStdString();
    std::string big(3 * 65536 + 17, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = char((i * 2654435761u) >> 13);
    writeText(base + "/empty", "");
    writeText(base + "/55", std::string(55, 'a')); // the padding's edge cases
    writeText(base + "/56", std::string(56, 'a'));
    writeText(base + "/64", std::string(64, 'a'));
    writeText(base + "/big", big);
    for (const auto* name : {"empty", "55", "56", "64", "big"}) {
        QProcess p;
        p.start("sha256sum", {QString::fromStdString(base + "/" + name)});
        p.waitForFinished();
        auto expected = p.readAllStandardOutput().left(64).toStdString();
        std::string error;
        QCOMPARE(sha256OfFile(base + "/" + name, error), expected);
    }
    QCOMPARE(sha256Hex("abc"), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

void TestShare::bundleFileIsATarWithTheManifest() {
    QTemporaryDir out;
    auto bundle = out.path().toStdString() + "/kernels.aotib";
    auto r = runCli(q({"pack", "abs", "add.Tensor", "--root", realCache(), "-o", bundle}));
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.out.contains("3 entries of 2 ops"), r.out.constData());
    // GNU tar reads it: the manifest first, then blobs named by digest, nothing else.
    QProcess tar;
    tar.start("tar", {"-tf", QString::fromStdString(bundle)});
    tar.waitForFinished();
    auto names = QString(tar.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(names.front(), QString("aotiscope-bundle.json"));
    QTemporaryDir scratch;
    auto m = manifestOf(bundle, scratch);
    QCOMPARE(m["schema"].get<std::string>(), std::string("aotiscope.bundle/1"));
    QCOMPARE(m["source"]["root"].get<std::string>(), absolutePath(realCache()));
    QVERIFY(!m["source"]["torch"]["version"].get<std::string>().empty());
    QVERIFY(m["source"]["glibc"].contains("newest"));
    // Entries in the order PyTorch matches them, named by the same identity as the cache's.
    auto absKeys = keysOf(realCache(), "abs");
    std::vector<std::string> packedAbs;
    for (const auto& e : m["entries"]) {
        if (e["op"] == "abs") packedAbs.push_back(e["key"]);
        // Every file is there under its digest, the library first with its sidecars.
        QVERIFY(e["files"].size() >= 2);
        QCOMPARE(e["files"][0]["path"], e["entry"]["kernel_path"]);
        for (const auto& f : e["files"]) {
            auto sha = f["sha256"].get<std::string>();
            QVERIFY(names.contains(QString::fromStdString(sha)));
            std::string error;
            QCOMPARE(sha256OfFile(scratch.path().toStdString() + "/" + sha, error), sha);
        }
        QVERIFY(e["needs"].contains("symbol_versions"));
        QVERIFY(!e["needs"].value("cpu_isa", std::string()).empty() || e["needs"].contains("torch_dir"));
    }
    QCOMPARE(packedAbs, absKeys);
    QCOMPARE(names.size(), qsizetype(1 + QSet<QString>(names.begin() + 1, names.end()).size())); // each blob once
}

void TestShare::unpackIntoAnEmptyCacheIsWhatPyTorchRuns() {
    QTemporaryDir out, target;
    auto bundle = out.path().toStdString() + "/kernels.aotib";
    auto root = target.path().toStdString();
    QCOMPARE(runCli(q({"pack", "abs", "add.Tensor", "--root", realCache(), "-o", bundle})).code, 0);
    auto dry = runCli(q({"unpack", bundle, "--root", root, "--dry-run", "--json"}));
    QVERIFY2(dry.code == 0, dry.err.constData());
    QCOMPARE(actions(jsonOf(dry))["placed"], 3);
    QVERIFY(contentDigests(root).empty()); // a dry run places nothing
    auto r = runCli(q({"unpack", bundle, "--root", root, "--json"}));
    QVERIFY2(r.code == 0, (r.out + r.err).constData());
    QCOMPARE(actions(jsonOf(r))["placed"], 3);
    QCOMPARE(keysOf(root, "abs"), keysOf(realCache(), "abs"));
    QCOMPARE(keysOf(root, "add.Tensor"), keysOf(realCache(), "add.Tensor"));
    // The op file is PyTorch's own, byte for byte (its key order and json.dump's layout kept).
    QCOMPARE(readText(root + "/aoti_eager/aten/cpu/abs.json"), readText(realCache() + "/aoti_eager/aten/cpu/abs.json"));
    QVERIFY(!fs::exists(root + "/aotiscope-staging")); // staging is cleaned up
    // PyTorch's kernel holder, registering from the unpacked cache in a fresh process, runs the same entries for
    // the same calls as from the cache they were packed from: hits, not recompiles.
    auto here = holderCalls("outcome", root), there = holderCalls("outcome", realCache());
    QVERIFY(here.is_object() && there.is_object());
    int compared = 0;
    for (const auto& [call, outcome] : there.items()) {
        if (call.starts_with("abs ") || call.starts_with("add ")) {
            QCOMPARE(here[call], outcome);
            compared += outcome == "hit";
        }
    }
    QVERIFY2(compared >= 2, there.dump().c_str());
    // A second unpack finds everything there and changes nothing.
    auto before = contentDigests(root);
    auto again = runCli(q({"unpack", bundle, "--root", root, "--json"}));
    QCOMPARE(again.code, 0);
    QCOMPARE(actions(jsonOf(again))["present"], 3);
    QCOMPARE(contentDigests(root), before);
}

void TestShare::unpackMergesAfterTheEntriesThere() {
    QTemporaryDir out, target;
    auto bundle = out.path().toStdString() + "/abs.aotib";
    QCOMPARE(runCli(q({"pack", "abs", "--root", realCache(), "-o", bundle})).code, 0);
    // The target has only the second abs entry (fp16), and one of its own that no bundle entry shadows.
    auto root = copyTree(realCache(), target);
    auto absPath = root + "/aoti_eager/aten/cpu/abs.json";
    auto entries = readOpEntries(absPath);
    auto fp32 = entries[0], fp16 = entries[1];
    writeText(absPath, dumpOpJson(nlohmann::ordered_json::array({fp16})));
    auto r = runCli(q({"unpack", bundle, "--root", root, "--json"}));
    QVERIFY2(r.code == 0, (r.out + r.err).constData());
    auto a = actions(jsonOf(r));
    QCOMPARE(a["present"], 1);
    QCOMPARE(a["placed"], 1);
    // The entry already there keeps its place (it matched first before, it still does); the new one follows.
    auto now = readOpEntries(absPath);
    QCOMPARE(now.size(), std::size_t(2));
    QCOMPARE(entryKeyOf(now[0]), entryKeyOf(fp16));
    QCOMPARE(entryKeyOf(now[1]), entryKeyOf(fp32));
    // An entry that an entry there would shadow is not appended: one that differs only in its dispatch key set
    // (which PyTorch's holder does not compare for entries loaded from disk: tst_registration asks it).
    auto shadow = fp32;
    shadow["meta_info"][0]["dispatch_key_set"] = shadow["meta_info"][0]["dispatch_key_set"].get<std::uint64_t>() ^ 1u;
    shadow["kernel_path"] = fp16["kernel_path"];
    writeText(absPath, dumpOpJson(nlohmann::ordered_json::array({shadow})));
    auto s = runCli(q({"unpack", bundle, "--root", root, "--json"}));
    auto report = jsonOf(s);
    QCOMPARE(s.code, 1);
    bool sawShadow = false;
    for (const auto& e : report["entries"]) {
        if (e["action"] == "skipped") {
            sawShadow = e["rules"].dump().find("AOTI006") != std::string::npos;
            QVERIFY2(e["reason"].get<std::string>().find("first match wins") != std::string::npos, e.dump().c_str());
        }
    }
    QVERIFY2(sawShadow, report.dump().c_str());
}

void TestShare::unpackBesidePyTorchsWriterLosesNothing() {
    // PyTorch's own writer appends 60 entries to abs (tests/fixtures/pytorch_writer.py: its locks and its in-place
    // rewrite, a stub compiler) while the abs bundle is unpacked into the same cache again and again.
    QTemporaryDir out, target;
    auto bundle = out.path().toStdString() + "/abs.aotib";
    QCOMPARE(runCli(q({"pack", "abs", "--root", realCache(), "-o", bundle})).code, 0);
    auto root = target.path().toStdString();
    QProcess writer;
    writer.start(QString::fromStdString(std::getenv("AOTISCOPE_PYTHON")),
                 {QString::fromStdString(fixture("pytorch_writer.py")), QString::fromStdString(root), "60", "--interval", "0.1"});
    QVERIFY(writer.waitForReadyRead(60000));
    int rounds = 0, placed = 0;
    while (writer.state() != QProcess::NotRunning || rounds == 0) {
        auto r = runCli(q({"unpack", bundle, "--root", root, "--json"}));
        QVERIFY2(r.code == 0, (r.out + r.err).constData());
        placed += actions(jsonOf(r))["placed"];
        ++rounds;
        writer.waitForFinished(10);
    }
    QCOMPARE(writer.exitCode(), 0);
    int written = 0;
    for (const auto& line : writer.readAllStandardOutput().split('\n')) written += line.contains("kernel_path");
    QCOMPARE(written, 60);
    // Every entry PyTorch wrote is there, the bundle's two entries once each, and the file is a list PyTorch reads.
    auto entries = readOpEntries(root + "/aoti_eager/aten/cpu/abs.json");
    QCOMPARE(entries.size(), std::size_t(62));
    QCOMPARE(placed, 2);
    auto keys = entryKeysOf(entries);
    for (const auto& k : keysOf(realCache(), "abs")) QCOMPARE(std::ranges::count(keys, k), 1);
    qInfo("%d unpacks beside PyTorch's writer: its 60 entries kept, the bundle's 2 placed once", rounds);
}

void TestShare::damagedOrHostileBundlesChangeNothing() {
    QTemporaryDir out, target;
    auto bundle = out.path().toStdString() + "/kernels.aotib";
    auto root = target.path().toStdString();
    QCOMPARE(runCli(q({"pack", "abs", "add.Tensor", "--root", realCache(), "-o", bundle})).code, 0);
    QTemporaryDir scratch;
    auto m = manifestOf(bundle, scratch);
    std::string absLibrary;
    for (const auto& e : m["entries"]) {
        if (e["op"] == "abs" && e["position"] == 0) absLibrary = e["files"][0]["sha256"];
    }
    // A damaged blob: the entry that needs it is skipped with the digest named, the others are placed.
    auto damaged = out.path().toStdString() + "/damaged.aotib";
    fs::copy_file(bundle, damaged);
    damageMember(damaged, absLibrary);
    auto r = runCli(q({"unpack", damaged, "--root", root, "--json"}));
    QCOMPARE(r.code, 1);
    auto report = jsonOf(r);
    QCOMPARE(actions(report)["skipped"], 1);
    QCOMPARE(actions(report)["placed"], 2);
    for (const auto& e : report["entries"]) {
        if (e["action"] == "skipped") {
            QCOMPARE(e["op"].get<std::string>(), std::string("abs"));
            QVERIFY2(e["reason"].get<std::string>().find(absLibrary.substr(0, 12)) != std::string::npos, e.dump().c_str());
        }
    }
    for (const auto& [path, sha] : contentDigests(root)) QVERIFY2(sha != absLibrary, path.c_str());
    QCOMPARE(keysOf(root, "abs").size(), std::size_t(1));

    // A truncated bundle, and one whose member would land outside: refused whole, nothing written.
    QTemporaryDir empty;
    auto fresh = empty.path().toStdString();
    auto truncated = out.path().toStdString() + "/truncated.aotib";
    writeText(truncated, readText(bundle).substr(0, 5000));
    auto t = runCli(q({"unpack", truncated, "--root", fresh}));
    QCOMPARE(t.code, 3);
    QVERIFY2(t.err.contains("truncated") && t.err.contains("nothing was changed"), t.err.constData());
    auto hostile = out.path().toStdString() + "/hostile.aotib";
    QProcess py;
    py.start(QString::fromStdString(std::getenv("AOTISCOPE_PYTHON")),
             {"-c", "import io,sys,tarfile\nt=tarfile.open(sys.argv[1],'w')\nd=b'x'\ni=tarfile.TarInfo('../escape')\ni.size=1\n"
                    "t.addfile(i,io.BytesIO(d))\nt.close()",
              QString::fromStdString(hostile)});
    py.waitForFinished();
    auto h = runCli(q({"unpack", hostile, "--root", fresh}));
    QCOMPARE(h.code, 3);
    QVERIFY2(h.err.contains("../escape") && h.err.contains("not a flat file name"), h.err.constData());
    QVERIFY(!fs::exists(fresh + "/aotiscope-staging/escape") && !fs::exists(fresh + "/escape"));
    QVERIFY(contentDigests(fresh).empty());
}

void TestShare::incompatibleHostSkipsWithTheRule() {
    // A library built against a newer glibc than this host's (the symbol version patched, as tst_host does):
    // lint's rule says so, and the entry stays out; the other entry of the op goes in.
    QTemporaryDir source, out, target;
    auto root = copyTree(realCache(), source);
    auto snap = scanCache(root);
    const auto* abs = findOp(snap, "abs");
    QVERIFY(abs);
    const DeviceDir* dev = nullptr;
    for (const auto& ns : snap.namespaces) {
        for (const auto& d : ns.devices) {
            if (d.name == "cpu") dev = &d;
        }
    }
    QVERIFY(dev && dev->libraryOf(abs->entries[0]));
    patchBytes(dev->libraryOf(abs->entries[0])->path, "GLIBC_2.34", "GLIBC_2.99");
    auto bundle = out.path().toStdString() + "/abs.aotib";
    QCOMPARE(runCli(q({"pack", "abs", "--root", root, "-o", bundle})).code, 0);
    auto r = runCli(q({"unpack", bundle, "--root", target.path().toStdString(), "--json"}));
    QCOMPARE(r.code, 1);
    auto report = jsonOf(r);
    const auto& first = report["entries"][0];
    QCOMPARE(first["action"].get<std::string>(), std::string("skipped"));
    QVERIFY2(first["rules"].dump().find("AOTI021") != std::string::npos, first.dump().c_str());
    QVERIFY2(first["reason"].get<std::string>().find("GLIBC_2.99") != std::string::npos, first.dump().c_str());
    QCOMPARE(report["entries"][1]["action"].get<std::string>(), std::string("placed"));
    QCOMPARE(keysOf(target.path().toStdString(), "abs"), std::vector<std::string>{keysOf(root, "abs")[1]});
}

void TestShare::registryRoundTrip() {
    LocalRegistry registry;
    QVERIFY2(registry.up(), "docker-registry did not start (scripts/setup.sh installs it)");
    auto ref = registry.ref("team/kernels:cpu");
    auto p = runCli(q({"push", ref, "abs", "add.Tensor", "--root", realCache(), "--insecure"}));
    QVERIFY2(p.code == 0, p.err.constData());
    QVERIFY2(p.out.contains("pushed 3 entries"), p.out.constData());
    QTemporaryDir target;
    auto root = target.path().toStdString();
    auto r = runCli(q({"pull", ref, "--root", root, "--insecure", "--json"}));
    QVERIFY2(r.code == 0, (r.out + r.err).constData());
    QCOMPARE(actions(jsonOf(r))["placed"], 3);
    QCOMPARE(keysOf(root, "abs"), keysOf(realCache(), "abs"));
    // The bundle saved as a file from the registry is the one pack writes.
    QTemporaryDir out;
    auto saved = out.path().toStdString() + "/pulled.aotib";
    auto s = runCli(q({"pull", ref, "--insecure", "-o", saved, "--root", root}));
    QVERIFY2(s.code == 0, s.err.constData());
    auto again = runCli(q({"unpack", saved, "--root", root, "--json"}));
    QCOMPARE(actions(jsonOf(again))["present"], 3);
    // A reference that is not there: said, nothing changed.
    auto before = contentDigests(root);
    auto missing = runCli(q({"pull", registry.ref("team/kernels:nope"), "--root", root, "--insecure"}));
    QCOMPARE(missing.code, 3);
    QVERIFY2(missing.err.contains("team/kernels:nope") && missing.err.contains("nothing was changed"), missing.err.constData());
    QCOMPARE(contentDigests(root), before);
}

void TestShare::corruptedRegistryBlobIsRefused() {
    LocalRegistry registry;
    QVERIFY2(registry.up(), "docker-registry did not start (scripts/setup.sh installs it)");
    auto ref = registry.ref("team/kernels:damaged");
    QCOMPARE(runCli(q({"push", ref, "abs", "--root", realCache(), "--insecure"})).code, 0);
    QTemporaryDir out;
    auto bundle = out.path().toStdString() + "/abs.aotib";
    QCOMPARE(runCli(q({"pack", "abs", "--root", realCache(), "-o", bundle})).code, 0);
    QTemporaryDir scratch;
    auto library = manifestOf(bundle, scratch)["entries"][0]["files"][0]["sha256"].get<std::string>();
    auto data = registry.blobData(library);
    QVERIFY2(fs::exists(data), data.c_str());
    auto bytes = readText(data);
    bytes[bytes.size() / 2] ^= 0x5a;
    writeText(data, bytes);
    QTemporaryDir target;
    auto root = target.path().toStdString();
    auto r = runCli(q({"pull", ref, "--root", root, "--insecure", "--json"}));
    // Whoever notices first (the client on download, or the unpack's digest check), the damaged library is
    // placed nowhere and the entry it belongs to is not in the cache; the message names the blob.
    QVERIFY(r.code != 0);
    QVERIFY2((r.out + r.err).contains(QByteArray::fromStdString(library.substr(0, 12))), (r.out + r.err).constData());
    for (const auto& [path, sha] : contentDigests(root)) QVERIFY2(sha != library, path.c_str());
    auto placed = keysOf(root, "abs");
    QVERIFY(std::ranges::find(placed, keysOf(realCache(), "abs")[0]) == placed.end());
}

void TestShare::registryGoneMidPushLosesNothing() {
    LocalRegistry registry;
    QVERIFY2(registry.up(), "docker-registry did not start (scripts/setup.sh installs it)");
    QTemporaryDir source, proxyDir;
    auto root = copyTree(realCache(), source);
    auto before = contentDigests(root);
    // A proxy that forwards to the registry and goes away after 200 KB: a push of several libraries dies in it.
    auto portFile = proxyDir.path().toStdString() + "/port";
    QProcess proxy;
    proxy.start(QString::fromStdString(std::getenv("AOTISCOPE_PYTHON")),
                {QString::fromStdString(fixture("cut_proxy.py")), QString::fromStdString(portFile),
                 QString::number(registry.port()), "200000"});
    QTRY_VERIFY_WITH_TIMEOUT(fs::exists(portFile) && !readText(portFile).empty(), 10000);
    auto viaProxy = "127.0.0.1:" + readText(portFile) + "/team/kernels:cut";
    auto p = runCli(q({"push", viaProxy, "--root", root, "--insecure"}));
    proxy.kill();
    proxy.waitForFinished();
    QCOMPARE(p.code, 3);
    QVERIFY2(p.err.contains("team/kernels:cut") && p.err.contains("the cache was not changed"), p.err.constData());
    QCOMPARE(contentDigests(root), before);
    // The registry holds no tag for the broken push: a pull says so and places nothing.
    QTemporaryDir target;
    auto pulled = runCli(q({"pull", registry.ref("team/kernels:cut"), "--root", target.path().toStdString(), "--insecure"}));
    QCOMPARE(pulled.code, 3);
    QVERIFY(contentDigests(target.path().toStdString()).empty());
    // Pushed again, directly, it completes.
    auto again = runCli(q({"push", registry.ref("team/kernels:cut"), "--root", root, "--insecure"}));
    QVERIFY2(again.code == 0, again.err.constData());
}

QTEST_GUILESS_MAIN(TestShare)
#include "tst_share.moc"
