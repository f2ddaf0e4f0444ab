// Scanning a cache that PyTorch really wrote: every op, every argument kind, the library inventory.
#include "TestSupport.h"
#include "core/read/CacheScanner.h"
#include "core/read/CacheSizes.h"
#include "core/check/HostInfo.h"
#include "core/read/InspectionCache.h"
#include "core/report/JsonReport.h"
#include "core/check/DispatchKeys.h"
#include "core/check/Linter.h"

#include <QtTest>

#include <fmt/format.h>

#include <filesystem>
#include <random>
#include <sys/stat.h>

using namespace aotiscope;
using namespace testsupport;

class TestScanner : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void opsAndEntries();
    void argumentKindsFromPyTorch();
    void libraryInventory();
    void rescanCostsWhatChanged();
    void namedRescanReadsOnlyWhatWasNamed();
    void namedRescanSharesLibraryRecords();
    void sharedChunksCopyOnWrite();
    void refreshesShareFindingsAndFreeTheOldOnes();
    void lintOfARefreshIsAFullLint();
    void artifactsOfKernel();
    void weightsFolderIsItsLibrarys();
    void orphanAfterEntryRemoved();
    void missingRootIsAnError();
    void fifoDoesNotHang();
    void unreadableFile();
    void inspectionCacheReusesUnchanged();
    void inspectionCacheIgnoresCorruptFile();

private:
    CacheSnapshot snap_;
};

void TestScanner::initTestCase() {
    snap_ = scanCache(realCache());
    QVERIFY2(snap_.eagerDirExists, snap_.error.c_str());
}

void TestScanner::opsAndEntries() {
    QCOMPARE(snap_.namespaces.size(), 1u);
    QCOMPARE(snap_.namespaces[0].name, std::string("aten"));
    QCOMPARE(snap_.namespaces[0].devices[0].name, std::string("cpu"));
    std::vector<std::string> names;
    for (const auto& op : snap_.namespaces[0].devices[0].ops()) {
        names.push_back(op.name);
        QVERIFY2(op.parseError.empty(), op.parseError.c_str());
    }
    QCOMPARE(names, (std::vector<std::string>{"abs", "add.Tensor", "cat", "div.Tensor_mode", "tril_indices"}));
    QCOMPARE(findOp(snap_, "abs")->entries.size(), 2u);
    QCOMPARE(snap_.entryCount(), 6u);
}

namespace {

// Everything a scan says of a cache, as the tools print it (ls, show for every op, lint) and the lib/ inventory
// beneath: two scans that say the same here are the same to every user of a snapshot.
nlohmann::json everything(const CacheSnapshot& snap, const HostInfo& host) {
    auto findings = lintSnapshot(snap, host);
    nlohmann::json j;
    j["ls"] = treeToJson(snap, findings);
    forEachOp(snap, [&](const NamespaceDir&, const DeviceDir&, const OpFile& op) {
        j["show"].push_back(entriesToJson(snap, findings, op.name, KeySetNaming(host.torchVersion())));
    });
    for (const auto& f : findings) j["lint"].push_back(findingToJson(f));
    for (const auto& ns : snap.namespaces) {
        for (const auto& dev : ns.devices) {
            for (const auto& f : dev.libFiles) {
                nlohmann::json refs = nlohmann::json::array(); // the entries naming it, by op and position, in order
                for (const auto& r : f.referencedBy) refs.push_back(dev.ops()[r.op].name + " #" + std::to_string(r.entry));
                j["lib"].push_back({f.path, libraryRoleName(f.role), f.stat.size, f.stat.mtimeNs, f.artifactBytes,
                                    refs, bool(f.elf), bool(f.artifacts), f.sidecars ? f.sidecars->size() : 0});
            }
        }
    }
    return j;
}

} // namespace


void TestScanner::rescanCostsWhatChanged() {
    // A rescan from the last snapshot reads only the op files and lib/ folders whose identity changed, and says
    // exactly what a full scan of the same disk says.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto host = HostInfo::detect();
    auto first = scanCache(root);
    QCOMPARE(first.work.opFilesParsed, 5u);
    ScanOptions fromFirst;
    fromFirst.previous = &first;
    auto same = scanCache(root, fromFirst);
    QCOMPARE(same.work.summary(), std::string("nothing"));
    QCOMPARE(same.work.opFilesParsed, 0u);
    QCOMPARE(same.work.opFilesReused, 5u);
    QVERIFY(same.work.libFoldersListed.empty());
    QCOMPARE(same.work.librariesInspected, 0u);
    QCOMPARE(everything(same, host), everything(first, host));

    // As PyTorch appends to an op with several entries: a new library in a new lib/ folder, the op file rewritten
    // in place with one more entry. Besides: an op file added, one removed, a device folder made.
    auto dev = root + "/aoti_eager/aten/cpu";
    const auto* abs = findOp(first, "abs");
    QCOMPARE(abs->entries.size(), 2u);
    appendToAbsAsPyTorch(dev, *abs);
    writeText(dev + "/new_op.json", "[]");
    std::filesystem::remove(dev + "/cat.json");
    std::filesystem::create_directory(root + "/aoti_eager/aten/cuda");
    auto refreshed = scanCache(root, fromFirst);
    QCOMPARE(findOp(refreshed, "abs")->entries.size(), 3u);
    QCOMPARE(refreshed.work.opFilesParsed, 2u); // abs and new_op
    QCOMPARE(refreshed.work.opFilesReused, 3u);
    QCOMPARE(refreshed.work.libFoldersListed, (std::vector<std::string>{dev + "/lib", dev + "/lib/zz"}));
    QCOMPARE(refreshed.work.librariesInspected, 1u); // the new library; abs's others are stat-ed, not read
    QCOMPARE(refreshed.work.librariesStatted, 3u);
    std::vector<std::string> changes{dev + "/abs.json", dev + "/new_op.json", dev + "/cat.json (gone)", dev + "/lib",
                                     dev + "/lib/zz", root + "/aoti_eager/aten/cuda (new)"};
    QCOMPARE(refreshed.work.changes, changes);
    auto full = scanCache(root);
    QCOMPARE(everything(refreshed, host), everything(full, host));

    // A library of a rewritten op file, rewritten in place under a folder whose listing did not change: seen through
    // the op's own libraries, inspected again.
    ScanOptions fromFull;
    fromFull.previous = &full;
    auto absLib = dev + "/" + *findOp(full, "abs")->entries[1].kernelPath;
    writeText(absLib, "not an ELF file any more");
    writeText(dev + "/abs.json", readText(dev + "/abs.json") + "\n");
    auto again = scanCache(root, fromFull);
    QCOMPARE(again.work.librariesChanged, std::vector<std::string>{absLib});
    QCOMPARE(again.work.librariesInspected, 1u);
    QCOMPARE(everything(again, host), everything(scanCache(root), host));
}

void TestScanner::namedRescanReadsOnlyWhatWasNamed() {
    // The watcher names abs.json after PyTorch appended to it (a new library in a new lib/ folder): only that file is
    // read, only abs's libraries are stat-ed, only the new folder is listed, and the snapshot says what a full scan
    // says. The full check after it finds nothing new: lib/ is listed again (its identity moved) but holds what the
    // named rescan recorded.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto host = HostInfo::detect();
    auto first = scanCache(root);
    auto dev = root + "/aoti_eager/aten/cpu";
    appendToAbsAsPyTorch(dev, *findOp(first, "abs"));
    std::vector<std::string> named{dev + "/abs.json"};
    ScanOptions fromFirst;
    fromFirst.previous = &first;
    fromFirst.onlyOpFiles = &named;
    auto refreshed = scanCache(root, fromFirst);
    QCOMPARE(refreshed.work.opFilesStatted, 1u);
    QCOMPARE(refreshed.work.opFilesParsed, 1u);
    QCOMPARE(refreshed.work.opFilesReused, 4u);
    QCOMPARE(refreshed.work.libFoldersListed, std::vector<std::string>{dev + "/lib/zz"});
    QCOMPARE(refreshed.work.librariesStatted, 3u); // abs's libraries, no other
    QCOMPARE(refreshed.work.librariesInspected, 1u);
    QCOMPARE(refreshed.work.changes, (std::vector<std::string>{dev + "/abs.json", dev + "/lib/zz"}));
    QCOMPARE(findOp(refreshed, "abs")->entries.size(), 3u);
    QCOMPARE(everything(refreshed, host), everything(scanCache(root), host));

    ScanOptions fromNamed;
    fromNamed.previous = &refreshed;
    auto check = scanCache(root, fromNamed);
    QCOMPARE(check.work.opFilesStatted, 5u);
    QCOMPARE(check.work.libFoldersListed, std::vector<std::string>{dev + "/lib"});
    QCOMPARE(check.work.summary(), std::string("nothing"));

    // The entry taken out again (an edit): its library is an orphan now, as a full scan says.
    auto absText = readText(dev + "/abs.json");
    QTest::qWait(20);
    writeText(dev + "/abs.json", readText(realCache() + "/aoti_eager/aten/cpu/abs.json"));
    fromNamed.onlyOpFiles = &named;
    auto shrunk = scanCache(root, fromNamed);
    QCOMPARE(shrunk.work.opFilesStatted, 1u);
    QCOMPARE(findOp(shrunk, "abs")->entries.size(), 2u);
    QCOMPARE(everything(shrunk, host), everything(scanCache(root), host));
    QTest::qWait(20);
    writeText(dev + "/abs.json", absText);

    // What a named rescan cannot tell from the named files alone makes it a full one: a named file that is gone, or
    // an entry that names a library added to a folder walked before (what else came with it only a listing says).
    std::filesystem::remove(dev + "/cat.json");
    std::vector<std::string> gone{dev + "/cat.json"};
    fromFirst.onlyOpFiles = &gone;
    auto afterRemoval = scanCache(root, fromFirst);
    QVERIFY(std::ranges::count(afterRemoval.work.changes, dev + "/cat.json (gone)") == 1);
    QCOMPARE(afterRemoval.work.opFilesParsed, 1u); // abs, found rewritten by the full rescan
    auto absNow = *findOp(refreshed, "abs");
    auto knownFolder = dev + "/" + absNow.entries[0].kernelPath->substr(0, absNow.entries[0].kernelPath->rfind('/'));
    std::filesystem::copy_file(dev + "/lib/zz/czzappended.wrapper.so", knownFolder + "/cadded.wrapper.so");
    auto text = readText(dev + "/abs.json");
    text.replace(text.find("lib/zz/czzappended.wrapper.so"), 29, knownFolder.substr(dev.size() + 1) + "/cadded.wrapper.so");
    QTest::qWait(20);
    writeText(dev + "/abs.json", text);
    fromNamed.onlyOpFiles = &named;
    auto intoKnown = scanCache(root, fromNamed);
    QVERIFY(std::ranges::count(intoKnown.work.libFoldersListed, knownFolder) == 1);
    QCOMPARE(everything(intoKnown, host), everything(scanCache(root), host));
}

void TestScanner::namedRescanSharesLibraryRecords() {
    // lib/ with 3,000 files more than the real cache's (four chunks of records): PyTorch appends to abs, and the
    // named rescan copies only the chunk its new library went into; the other records are the snapshot before's own,
    // and the snapshot says what a full scan says.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto host = HostInfo::detect();
    auto dev = root + "/aoti_eager/aten/cpu";
    std::filesystem::create_directory(dev + "/lib/filler");
    for (int i = 0; i < 3000; ++i) writeText(fmt::format("{}/lib/filler/autotune-{:04}.json", dev, i), "{}");
    auto first = scanCache(root);
    const auto& before = first.namespaces[0].devices[0].libFiles;
    QVERIFY(before.chunkCount() >= 3);
    appendToAbsAsPyTorch(dev, *findOp(first, "abs"));
    std::vector<std::string> named{dev + "/abs.json"};
    ScanOptions fromFirst;
    fromFirst.previous = &first;
    fromFirst.onlyOpFiles = &named;
    auto refreshed = scanCache(root, fromFirst);
    QCOMPARE(refreshed.work.opFilesStatted, 1u);
    const auto& now = refreshed.namespaces[0].devices[0].libFiles;
    QCOMPARE(now.size(), before.size() + 1);
    QCOMPARE(now.sharedChunks(before), now.chunkCount() - 1);
    QCOMPARE(everything(refreshed, host), everything(scanCache(root), host));
}

void TestScanner::sharedChunksCopyOnWrite() {
    // Against a std::vector doing the same: inserts anywhere (chunks split), writes, positions and iterator
    // arithmetic; a copy shares every chunk, and a write to it copies one chunk and leaves the original as it was.
    std::vector<int> reference(5000);
    for (int i = 0; i < 5000; ++i) reference[std::size_t(i)] = 2 * i;
    SharedChunks<int> list(reference);
    auto original = list;
    QCOMPARE(list.sharedChunks(original), list.chunkCount());
    list.mutate(4321) += 1;
    reference[4321] += 1;
    QCOMPARE(list.sharedChunks(original), list.chunkCount() - 1);
    QCOMPARE(original[4321], 2 * 4321);
    std::mt19937 random(7);
    for (int k = 0; k < 3000; ++k) {
        auto at = std::size_t(random() % (reference.size() + 1));
        list.insert(at, -k);
        reference.insert(reference.begin() + std::ptrdiff_t(at), -k);
    }
    list.insert(0, 99);
    reference.insert(reference.begin(), 99);
    list.insert(list.size(), 98);
    reference.push_back(98);
    QCOMPARE(list.size(), reference.size());
    QVERIFY(std::ranges::equal(list, reference));
    for (std::size_t i = 0; i < reference.size(); i += 7) QCOMPARE(list[i], reference[i]);
    auto end = list.end();
    QCOMPARE(*--end, 98);
    auto it = list.begin() + 6001;
    QCOMPARE(*it, reference[6001]);
    QCOMPARE(*(it - 4000), reference[2001]);
    QCOMPARE(it - list.begin(), 6001);
    QCOMPARE(it.index(), 6001u);
    QCOMPARE(list.front(), 99);
    QCOMPARE(list.back(), 98);
    for (std::size_t i = 0; i < 5000; ++i) QCOMPARE(original[i], 2 * int(i)); // never written through the copy
    SharedChunks<int> sorted(std::vector<int>{1, 3, 5, 7});
    QCOMPARE(std::ranges::lower_bound(sorted, 5).index(), 2u);
    QCOMPARE(std::ranges::upper_bound(sorted, 9).index(), 4u);
}

namespace {
std::string findingsText(const FindingList& findings) {
    std::string out;
    for (const auto& f : findings) {
        out += fmt::format("{} {} {}/{}/{} #{} arg {} {} {}: {}\n", f.ruleId, int(f.severity), f.ns, f.device, f.op, f.entry, f.arg,
                           f.path, f.hostBound, f.message);
    }
    return out;
}
} // namespace

void TestScanner::refreshesShareFindingsAndFreeTheOldOnes() {
    // A refresh's lint takes the unchanged findings over by pointer (they stay where the lint before made them), and
    // an op rewritten again and again leaves its old findings behind only until the blocks hold twice what is listed.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto host = HostInfo::detect();
    LintOptions options{true, true};
    auto dev = root + "/aoti_eager/aten/cpu";
    auto absText = readText(dev + "/abs.json");
    auto entry = absText.substr(absText.find('{'), absText.rfind('}') - absText.find('{') + 1);
    auto snap = scanCache(root);
    LintSpans spans;
    auto findings = lintSnapshot(snap, host, options, &spans);
    auto catFinding = [](const FindingList& fs) {
        auto it = std::ranges::find(fs, std::string("AOTI023"), &Finding::ruleId);
        return it == fs.end() ? nullptr : &*it;
    };
    QVERIFY(catFinding(findings));
    std::size_t compactions = 0;
    for (int round = 0; round < 6; ++round) {
        // 40 entries with a key PyTorch does not write (40 findings and more), each round another value.
        std::string text = "[";
        for (int i = 0; i < 40; ++i) {
            auto e = entry;
            e.insert(1, fmt::format("\"aotiscope_round\": {}, ", round));
            text += (i ? ",\n" : "\n") + e;
        }
        writeText(dev + "/abs.json", text + "\n]");
        ScanOptions from;
        from.previous = &snap;
        auto now = scanCache(root, from);
        LintSpans nowSpans;
        LintPrevious previous{&snap, &findings, &spans};
        auto nowFindings = lintSnapshot(now, host, options, &nowSpans, &previous);
        QCOMPARE(findingsText(nowFindings), findingsText(lintSnapshot(scanCache(root), host, options)));
        QVERIFY(std::ranges::count(nowFindings, std::string("AOTI017"), &Finding::ruleId) >= 40);
        QVERIFY2(nowFindings.held() <= 2 * nowFindings.size() + 64, fmt::format("{} held, {} listed", nowFindings.held(), nowFindings.size()).c_str());
        // cat's finding was not made again: the same object, unless the blocks were compacted into one.
        bool compacted = nowFindings.blocks().size() == 1 && findings.blocks().size() > 1;
        if (compacted) ++compactions;
        else QCOMPARE(catFinding(nowFindings), catFinding(findings));
        snap = std::move(now);
        findings = std::move(nowFindings);
        spans = std::move(nowSpans);
    }
    QVERIFY(compactions > 0);
}

void TestScanner::lintOfARefreshIsAFullLint() {
    // A refresh's lint takes over the findings of what did not change (LintPrevious) and says exactly what a lint of
    // a full scan says: after PyTorch appends to an op with several entries, a library of another op is rewritten
    // (and its op file with it), an orphan library appears, and then an op file is added.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto host = HostInfo::detect();
    LintOptions options{true, true};
    auto first = scanCache(root);
    LintSpans firstSpans;
    auto firstFindings = lintSnapshot(first, host, options, &firstSpans);
    QCOMPARE(firstSpans.opsReused, 0u);
    auto lintFrom = [&](const CacheSnapshot& before, const FindingList& beforeFindings, const LintSpans& beforeSpans,
                        const CacheSnapshot& now, LintSpans& spans) {
        LintPrevious previous{&before, &beforeFindings, &beforeSpans};
        return lintSnapshot(now, host, options, &spans, &previous);
    };
    {
        // Nothing changed: everything is taken over, the same findings in the same order.
        ScanOptions from;
        from.previous = &first;
        auto same = scanCache(root, from);
        LintSpans spans;
        QCOMPARE(findingsText(lintFrom(first, firstFindings, firstSpans, same, spans)), findingsText(firstFindings));
        QCOMPARE(spans.opsReused, first.opCount());
        QVERIFY(spans.librariesReused > 0);
    }
    auto dev = root + "/aoti_eager/aten/cpu";
    const auto* abs = findOp(first, "abs");
    appendToAbsAsPyTorch(dev, *abs);
    // add.Tensor's library now needs a glibc no machine has (AOTI021), and its op file is rewritten: both seen.
    auto addLib = dev + "/" + *findOp(first, "add.Tensor")->entries[0].kernelPath;
    patchBytes(addLib, "GLIBC_2.34", "GLIBC_2.99");
    writeText(dev + "/add.Tensor.json", readText(dev + "/add.Tensor.json") + "\n");
    std::filesystem::create_directory(dev + "/lib/yy");
    std::filesystem::copy_file(addLib, dev + "/lib/yy/cyyorphan.wrapper.so"); // named by no entry
    ScanOptions fromFirst;
    fromFirst.previous = &first;
    auto refreshed = scanCache(root, fromFirst);
    LintSpans spans;
    auto reused = lintFrom(first, firstFindings, firstSpans, refreshed, spans);
    auto full = lintSnapshot(scanCache(root), host, options);
    QCOMPARE(findingsText(reused), findingsText(full));
    QVERIFY(findingsText(full).find("AOTI021") != std::string::npos);
    QVERIFY(findingsText(full).find("cyyorphan") != std::string::npos);
    QCOMPARE(spans.opsReused, first.opCount() - 2); // all but abs and add.Tensor
    QVERIFY(spans.librariesReused > 0);

    // Op files rewritten over unchanged libraries: div.Tensor_mode gets a cpu device_index PyTorch does not write
    // (AOTI's own finding on the op), add.Tensor a second entry before the first naming the same library (whose
    // AOTI021 then stands for both entries).
    auto divText = readText(dev + "/div.Tensor_mode.json");
    std::string cpuIndex = "\"device_index\": -1";
    divText.replace(divText.find(cpuIndex), cpuIndex.size(), "\"device_index\": 3");
    writeText(dev + "/div.Tensor_mode.json", divText);
    auto addText = readText(dev + "/add.Tensor.json");
    auto addEntry = addText.substr(addText.find('{'), addText.rfind('}') - addText.find('{') + 1);
    auto moved = addEntry;
    moved.replace(moved.find("16,"), 3, "17,");
    writeText(dev + "/add.Tensor.json", "[\n    " + moved + ",\n    " + addEntry + "\n]");
    ScanOptions fromRefreshed;
    fromRefreshed.previous = &refreshed;
    auto rewritten = scanCache(root, fromRefreshed);
    QCOMPARE(rewritten.work.librariesInspected, 0u);
    LintSpans rewrittenSpans;
    auto rewrittenFindings = lintFrom(refreshed, reused, spans, rewritten, rewrittenSpans);
    auto rewrittenFull = lintSnapshot(scanCache(root), host, options);
    QCOMPARE(findingsText(rewrittenFindings), findingsText(rewrittenFull));
    QVERIFY2(findingsText(rewrittenFull).find("cpu device_index is 3") != std::string::npos, findingsText(rewrittenFull).c_str());
    QCOMPARE(std::ranges::count_if(rewrittenFull, [](const Finding& f) { return f.ruleId == "AOTI021" && f.op == "add.Tensor"; }), 2);
    QCOMPARE(rewrittenSpans.opsReused, first.opCount() - 2);

    // An op file added: positions of ops shift, so that folder is judged again whole; still the same findings.
    writeText(dev + "/aaa_new_op.json", "[]");
    ScanOptions fromRewritten;
    fromRewritten.previous = &rewritten;
    auto grown = scanCache(root, fromRewritten);
    LintSpans grownSpans;
    QCOMPARE(findingsText(lintFrom(rewritten, rewrittenFindings, rewrittenSpans, grown, grownSpans)),
             findingsText(lintSnapshot(scanCache(root), host, options)));
    QCOMPARE(grownSpans.opsReused, 0u);
}

void TestScanner::argumentKindsFromPyTorch() {
    const auto* abs = findOp(snap_, "abs");
    QCOMPARE(abs->entries[0].args[0].tensor.dtype, std::string("torch.float32"));
    QCOMPARE(abs->entries[1].args[0].tensor.dtype, std::string("torch.float16"));
    QCOMPARE(abs->entries[0].args[0].tensor.sizes, (std::vector<std::int64_t>{4, 8}));

    const auto* add = findOp(snap_, "add.Tensor");
    QCOMPARE(add->entries[0].args.size(), 3u);
    QCOMPARE(add->entries[0].args[2].kind, ArgKind::Scalar);
    QCOMPARE(add->entries[0].args[2].scalar->i, 2); // alpha

    const auto* cat = findOp(snap_, "cat");
    QCOMPARE(cat->entries[0].args[0].kind, ArgKind::TensorList);
    QCOMPARE(cat->entries[0].args[0].list.size(), 2u);
    QCOMPARE(cat->entries[0].args[1].kind, ArgKind::Scalar);

    const auto* tril = findOp(snap_, "tril_indices");
    std::vector<ArgKind> kinds;
    for (const auto& a : tril->entries[0].args) {
        kinds.push_back(a.kind);
    }
    QCOMPARE(kinds, (std::vector<ArgKind>{ArgKind::Scalar, ArgKind::Scalar, ArgKind::Scalar, ArgKind::Dtype, ArgKind::Layout, ArgKind::Device}));
    QCOMPARE(tril->entries[0].args[3].text, std::string("torch.int32"));

    const auto* div = findOp(snap_, "div.Tensor_mode");
    QCOMPARE(div->entries[0].args[2].kind, ArgKind::String);
    QCOMPARE(div->entries[0].args[2].text, std::string("floor"));

    for (const auto* op : {abs, add, cat, tril, div}) {
        for (const auto& e : op->entries) {
            QVERIFY2(e.issues.empty(), (op->name + ": " + (e.issues.empty() ? "" : e.issues[0].message)).c_str());
        }
    }
}

void TestScanner::libraryInventory() {
    const auto& dev = snap_.namespaces[0].devices[0];
    std::size_t kernels = 0, helpers = 0, locks = 0, orphans = 0;
    for (const auto& f : dev.libFiles) {
        kernels += f.role == LibraryRole::Kernel;
        helpers += f.role == LibraryRole::HelperBuild;
        locks += f.role == LibraryRole::Lock;
        orphans += f.role == LibraryRole::OrphanKernel;
        if (f.role == LibraryRole::Kernel) {
            QCOMPARE(f.referencedBy.size(), 1u);
            QVERIFY(f.stat.size > 10000);
            QVERIFY(f.elf && f.elf->isElf);
        }
    }
    QCOMPARE(kernels, 6u);
    QCOMPARE(orphans, 0u);
    QVERIFY2(helpers >= 1, "inductor's ISA probe builds are classified as helper builds");
    QVERIFY(locks >= 1);
}

void TestScanner::artifactsOfKernel() {
    const auto& dev = snap_.namespaces[0].devices[0];
    const LibraryFile* lib = nullptr;
    for (const auto& f : dev.libFiles) {
        if (f.role == LibraryRole::Kernel && dev.ops()[f.referencedBy[0].op].name == "abs") {
            lib = &f;
        }
    }
    QVERIFY(lib && lib->artifacts);
    const auto& a = *lib->artifacts;
    QVERIFY(a.wrapperSource.ends_with(".wrapper.cpp"));
    QVERIFY(a.compileCommand.find("-march=native") != std::string::npos);
    QVERIFY(!a.linkCommand.empty());
    QCOMPARE(a.deviceKey, std::string("cpu"));
    QVERIFY(!a.cpuIsa.empty() || a.machine != "x86_64");
    QVERIFY2(a.torchDir.ends_with("/torch"), a.torchDir.c_str());
    QCOMPARE(a.kernelSources.size(), 1u); // found through the link command, though its stem differs
    QVERIFY(lib->artifactBytes > 0);
}

// torch 2.13 keeps what a "<stem>.wrapper.so" loads (its weights) in a folder "<stem>/" beside it: those files are
// that library's bytes in every size the tools show; a file in a folder no library is named after is the
// compiler's own.
void TestScanner::weightsFolderIsItsLibrarys() {
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto before = scanCache(root);
    const auto& dev = before.namespaces[0].devices[0];
    const LibraryFile* wrapper = nullptr;
    std::uint64_t written = 0;
    for (const auto& f : dev.libFiles) {
        auto folder = dev.path + "/" + f.relPath.str().substr(0, f.relPath.rfind('/') + 1) +
                      f.relPath.str().substr(f.relPath.rfind('/') + 1, f.relPath.find(".wrapper.so") - f.relPath.rfind('/') - 1);
        if (f.role == LibraryRole::Kernel && f.relPath.ends_with(".wrapper.so") && std::filesystem::is_directory(folder)) {
            wrapper = &f;
            writeText(folder + "/weights.bin", std::string(1000, 'w'));
            written += 1000;
        }
    }
    QVERIFY2(wrapper, "PyTorch wrote no wrapper library with a folder beside it");
    std::filesystem::create_directories(dev.path + "/lib/zz/nolibrary");
    writeText(dev.path + "/lib/zz/nolibrary/stray.bin", std::string(300, 's'));
    auto after = scanCache(root);
    const auto& now = after.namespaces[0].devices[0];
    auto same = std::ranges::find(now.libFiles, wrapper->relPath, &LibraryFile::relPath);
    QVERIFY(same != now.libFiles.end());
    QCOMPARE(same->artifactBytes, wrapper->artifactBytes + 1000);
    auto sizesBefore = deviceSizes(dev), sizesAfter = deviceSizes(now);
    QCOMPARE(sizesAfter.referenced, sizesBefore.referenced + written);
    QCOMPARE(sizesAfter.other, sizesBefore.other + 300);
}

void TestScanner::orphanAfterEntryRemoved() {
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto absJson = root + "/aoti_eager/aten/cpu/abs.json";
    auto text = readText(absJson);
    // Keep only the first entry: the float16 library is left without a reference.
    auto second = text.find("    {", text.find("kernel_path"));
    writeText(absJson, text.substr(0, text.rfind(',', second)) + "\n]");
    auto snap = scanCache(root);
    QCOMPARE(findOp(snap, "abs")->entries.size(), 1u);
    std::size_t orphans = 0;
    for (const auto& f : snap.namespaces[0].devices[0].libFiles) {
        if (f.role == LibraryRole::OrphanKernel) {
            ++orphans;
            QVERIFY(f.artifacts != nullptr);
        }
    }
    QCOMPARE(orphans, 1u);
}

void TestScanner::missingRootIsAnError() {
    auto snap = scanCache("/nonexistent/aotiscope-root");
    QVERIFY(!snap.eagerDirExists);
    QVERIFY(snap.error.find("/nonexistent/aotiscope-root does not exist") != std::string::npos);
}

void TestScanner::fifoDoesNotHang() {
    QTemporaryDir tmp;
    auto dir = tmp.path().toStdString() + "/aoti_eager/aten/cpu";
    std::filesystem::create_directories(dir);
    QCOMPARE(::mkfifo((dir + "/abs.json").c_str(), 0644), 0);
    auto snap = scanCache(tmp.path().toStdString());
    const auto* op = findOp(snap, "abs");
    QVERIFY(op);
    QVERIFY2(op->readError.find("not a regular file") != std::string::npos, op->readError.c_str());
}

void TestScanner::unreadableFile() {
    if (::geteuid() == 0) {
        QSKIP("root reads files whatever their mode; the FIFO case covers unreadable input as root");
    }
    QTemporaryDir tmp;
    auto dir = tmp.path().toStdString() + "/aoti_eager/aten/cpu";
    std::filesystem::create_directories(dir);
    writeText(dir + "/abs.json", "[]");
    ::chmod((dir + "/abs.json").c_str(), 0);
    auto snap = scanCache(tmp.path().toStdString());
    QVERIFY(findOp(snap, "abs")->readError.find("Permission denied") != std::string::npos);
}

void TestScanner::inspectionCacheReusesUnchanged() {
    QTemporaryDir tmp, store;
    auto root = copyTree(realCache(), tmp);
    auto file = store.path().toStdString() + "/inspections.bin";
    {
        InspectionCache cache(file);
        ScanOptions o;
        o.inspectionCache = &cache;
        auto snap = scanCache(root, o);
        QCOMPARE(cache.hits(), 0u);
        QVERIFY(cache.size() >= 6);
        QCOMPARE(cache.save(), std::string());
    }
    // A library rewritten since (a recompile in place) must be read again; the others come from the cache.
    auto snap0 = scanCache(root);
    const LibraryFile* kernel = nullptr;
    for (const auto& f : snap0.namespaces[0].devices[0].libFiles) {
        if (f.role == LibraryRole::Kernel) kernel = &f;
    }
    QVERIFY(kernel);
    std::string kernelPath = kernel->path;
    auto bytes = readText(kernelPath);
    std::filesystem::remove(kernelPath);
    writeText(kernelPath, bytes.substr(0, 100)); // truncated: no longer a loadable ELF

    InspectionCache cache(file);
    ScanOptions o;
    o.inspectionCache = &cache;
    auto snap = scanCache(root, o);
    QCOMPARE(cache.hits(), cache.size() - 1);
    for (const auto& f : snap.namespaces[0].devices[0].libFiles) {
        if (f.path == kernelPath) {
            QVERIFY(f.elf && !f.elf->isElf);
        } else if (f.role == LibraryRole::Kernel) {
            QVERIFY(f.elf && f.elf->isElf);
        }
    }
}

void TestScanner::inspectionCacheIgnoresCorruptFile() {
    QTemporaryDir store;
    auto file = store.path().toStdString() + "/inspections.bin";
    writeText(file, std::string("AOTISCOPE-INSPECT-1\n") + std::string(40, '\xff'));
    InspectionCache cache(file);
    QCOMPARE(cache.size(), 0u);
    ScanOptions o;
    o.inspectionCache = &cache;
    auto snap = scanCache(realCache(), o);
    QVERIFY(cache.size() >= 6);
    QCOMPARE(cache.save(), std::string());
    QVERIFY(InspectionCache(file).size() >= 6);
}

QTEST_GUILESS_MAIN(TestScanner)
#include "tst_scanner.moc"
