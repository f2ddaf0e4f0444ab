// Registration as PyTorch's C++ kernel holder does it, asked of PyTorch: one op file per defect (each a copy of
// a real entry with one field changed), every op registered with Library._impl_with_aoti_compile in a fresh
// torch process, and lint's AOTI023 prediction required to match what PyTorch did, op by op.
#include "TestSupport.h"
#include "core/edit/CacheEditor.h"
#include "core/read/CacheScanner.h"
#include "core/check/HostInfo.h"
#include "core/check/Linter.h"
#include "core/check/Matcher.h"
#include "core/read/OpFileParser.h"
#include "core/edit/OpFileWriter.h"

#include <QProcess>
#include <QtTest>

#include <fmt/format.h>

#include <functional>
#include <tuple>
#include <map>

using namespace aotiscope;
using namespace testsupport;
using ojson = nlohmann::ordered_json;

namespace {

struct Variant {
    const char* op;   // an aten op the variant's entries are registered for
    const char* base; // the real op whose first entry it copies
    std::function<void(ojson& entry)> edit;
};

ojson& firstArg(ojson& e) { return e["meta_info"][0]; }

// Registers each op in its own scoped library; prints {op: null | "error"}.
constexpr const char* kRegister = R"(
import json, sys
import torch
out = {}
for op in sys.argv[1:]:
    try:
        with torch.library._scoped_library("aten", "IMPL") as lib:
            lib._impl_with_aoti_compile(op, "CPU")
        out[op] = None
    except Exception as e:
        out[op] = f"{type(e).__name__}: {e}".splitlines()[0]
print(json.dumps(out))
)";

} // namespace

class TestRegistration : public QObject {
    Q_OBJECT
private slots:
    void lintPredictsWhatPyTorchRegisters();
    void matchingAsThePyTorchHolderMatches();
    void inMemoryEntriesCompareTheKeySet();
};

void TestRegistration::lintPredictsWhatPyTorchRegisters() {
    const std::map<std::string, Variant> variants{
        {"healthy copy", {"neg", "abs", [](ojson&) {}}},
        {"healthy scalar copy", {"sub.Tensor", "add.Tensor", [](ojson&) {}}},
        {"no is_dynamic", {"sin", "abs", [](ojson& e) { firstArg(e).erase("is_dynamic"); }}},
        {"is_dynamic 0 (falsy int)", {"cos", "abs", [](ojson& e) { firstArg(e)["is_dynamic"] = 0; }}},
        {"negative arg_order", {"exp", "abs", [](ojson& e) { firstArg(e)["arg_order"] = -1; }}},
        {"float arg_order", {"log", "abs", [](ojson& e) { firstArg(e)["arg_order"] = 0.5; }}},
        {"upper-case device_type", {"sqrt", "abs", [](ojson& e) { firstArg(e)["device_type"] = "CPU"; }}},
        {"empty kernel_path", {"tanh", "abs", [](ojson& e) { e["kernel_path"] = ""; }}},
        {"kernel_path naming a folder", {"sigmoid", "abs", [](ojson& e) { e["kernel_path"] = "lib"; }}},
        {"no requires_grad", {"relu", "abs", [](ojson& e) { firstArg(e).erase("requires_grad"); }}},
        {"no dispatch_key_set", {"floor", "abs", [](ojson& e) { firstArg(e).erase("dispatch_key_set"); }}},
        {"negative dispatch_key_set", {"ceil", "abs", [](ojson& e) { firstArg(e)["dispatch_key_set"] = -1; }}},
        {"float in sizes", {"round", "abs", [](ojson& e) { firstArg(e)["sizes"][0] = 4.0; }}},
        {"string requires_grad", {"trunc", "abs", [](ojson& e) { firstArg(e)["requires_grad"] = "false"; }}},
        {"memory_format argument", {"frac", "abs", [](ojson& e) {
             e["meta_info"].push_back({{"memory_format_value", "torch.contiguous_format"}, {"arg_order", 1}});
         }}},
        {"unknown key kept", {"reciprocal", "abs", [](ojson& e) { firstArg(e)["frobnicate"] = 1; }}},
        {"requires_grad 0", {"rsqrt", "abs", [](ojson& e) { firstArg(e)["requires_grad"] = 0; }}},
        {"cpu device_index a string", {"erf", "abs", [](ojson& e) { firstArg(e)["device_index"] = "x"; }}},
        {"float value, integral dtype", {"mul.Tensor", "add.Tensor", [](ojson& e) { e["meta_info"][2]["scalar_value"] = 2.5; }}},
        {"int value, float dtype", {"div.Tensor", "add.Tensor", [](ojson& e) { e["meta_info"][2]["dtype"] = "torch.float32"; }}},
        {"scalar without dtype", {"rsub.Tensor", "add.Tensor", [](ojson& e) { e["meta_info"][2].erase("dtype"); }}},
        {"complex scalar", {"maximum", "add.Tensor", [](ojson& e) { e["meta_info"][2]["dtype"] = "torch.complex64"; }}},
        {"string bool scalar", {"minimum", "add.Tensor", [](ojson& e) {
             e["meta_info"][2]["dtype"] = "torch.bool";
             e["meta_info"][2]["scalar_value"] = "yes";
         }}},
        {"tensor list, as PyTorch wrote it", {"stack", "cat", [](ojson&) {}}},
        {"no arg_order", {"sinh", "abs", [](ojson& e) { firstArg(e).erase("arg_order"); }}},
        {"string_value not a string", {"cosh", "div.Tensor_mode", [](ojson& e) { e["meta_info"][2]["string_value"] = 5; }}},
        {"healthy dtype, layout and device arguments", {"asin", "tril_indices", [](ojson&) {}}},
        {"upper-case device argument", {"acos", "tril_indices", [](ojson& e) {
             for (auto& a : e["meta_info"]) if (a.contains("device_type_value")) a["device_type_value"] = "CPU";
         }}},
        {"string device index argument", {"atan", "tril_indices", [](ojson& e) {
             for (auto& a : e["meta_info"]) if (a.contains("device_type_value")) a["device_index_value"] = "0";
         }}},
        {"is_dynamic null", {"tan", "abs", [](ojson& e) { firstArg(e)["is_dynamic"] = nullptr; }}},
        {"requires_grad null", {"log2", "abs", [](ojson& e) { firstArg(e)["requires_grad"] = nullptr; }}},
        {"sizes not a list", {"log10", "abs", [](ojson& e) { firstArg(e)["sizes"] = "abc"; }}},
        {"bool scalar written 1", {"exp2", "add.Tensor", [](ojson& e) {
             e["meta_info"][2]["dtype"] = "torch.bool";
             e["meta_info"][2]["scalar_value"] = 1;
         }}},
        {"integral scalar written true", {"expm1", "add.Tensor", [](ojson& e) { e["meta_info"][2]["scalar_value"] = true; }}},
        {"quantized scalar dtype", {"log1p", "add.Tensor", [](ojson& e) { e["meta_info"][2]["dtype"] = "torch.qint8"; }}},
    };
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto dir = root + "/aoti_eager/aten/cpu/";
    QStringList ops;
    for (const auto& [name, v] : variants) {
        auto entries = readOpEntries(dir + v.base + ".json");
        auto entry = entries[0];
        v.edit(entry);
        writeText(dir + v.op + ".json", dumpOpJson(ojson::array({entry})));
        ops << QString::fromLatin1(v.op);
    }
    // What PyTorch does.
    QProcess p;
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("TORCHINDUCTOR_CACHE_DIR"), QString::fromStdString(root));
    p.setProcessEnvironment(environment);
    p.start(QString::fromStdString(std::getenv("AOTISCOPE_PYTHON")), QStringList{QStringLiteral("-c"), QString::fromLatin1(kRegister)} + ops);
    QVERIFY(p.waitForFinished(300000));
    auto registered = nlohmann::json::parse(p.readAllStandardOutput().toStdString(), nullptr, false);
    QVERIFY2(registered.is_object(), p.readAllStandardError().constData());
    // What lint says.
    auto findings = lintSnapshot(scanCache(root), HostInfo::detect());
    std::map<std::string, std::string> predicted;
    for (const auto& f : findings) {
        if (f.ruleId == "AOTI023") predicted[f.op] = f.message;
    }
    int failures = 0, agreeing = 0;
    for (const auto& [name, v] : variants) {
        auto actual = registered[v.op];
        bool fails = !actual.is_null();
        bool says = predicted.contains(v.op);
        qInfo("%-34s PyTorch: %-60.60s lint: %s", name.c_str(), fails ? actual.get<std::string>().c_str() : "registered",
              says ? "AOTI023" : "-");
        QVERIFY2(fails == says, qPrintable(QString::fromStdString(name + ": PyTorch " + (fails ? actual.get<std::string>() : "registered") +
                                                                   ", lint " + (says ? predicted[v.op] : "silent"))));
        // Where PyTorch registers the op and uses its entry, no other verdict may call it broken either.
        if (!fails) {
            for (const auto& f : findings) {
                QVERIFY2(f.op != v.op || f.severity != Severity::Error, qPrintable(QString::fromStdString(name + ": " + f.ruleId + " " + f.message)));
            }
        }
        failures += fails;
        agreeing += fails == says;
    }
    qInfo("agree %d of %d", agreeing, int(variants.size()));
    QVERIFY(failures >= 15); // the cases really differ
}

void TestRegistration::matchingAsThePyTorchHolderMatches() {
    // abs #0: fp32 4x8 recorded with another dispatch key set and device type. add.Tensor: #0 alpha dtype float32
    // written as the integer 2, #1 alpha dtype int64 2. neg: two entries that differ only in the key set.
    QTemporaryDir tmp;
    auto root = copyTree(realCache(), tmp);
    auto dir = root + "/aoti_eager/aten/cpu/";
    auto abs = readOpEntries(dir + "abs.json");
    auto original = abs[0];
    firstArg(abs[0])["dispatch_key_set"] = 1;
    firstArg(abs[0])["device_type"] = "cuda";
    firstArg(abs[0])["device_index"] = -1;
    writeText(dir + "abs.json", dumpOpJson(abs));
    auto add = readOpEntries(dir + "add.Tensor.json");
    add[0]["meta_info"][2]["dtype"] = "torch.float32";
    add[0]["meta_info"][2]["scalar_value"] = 2;
    auto intAlpha = add[0];
    intAlpha["meta_info"][2]["dtype"] = "torch.int64";
    add.push_back(intAlpha);
    writeText(dir + "add.Tensor.json", dumpOpJson(add));
    auto shadow = original;
    firstArg(shadow)["dispatch_key_set"] = 1;
    writeText(dir + "neg.json", dumpOpJson(ojson::array({original, shadow})));
    writeText(dir + "sign.default.json", dumpOpJson(ojson::array({original}))); // not the name PyTorch reads

    // What PyTorch does with calls (tests/fixtures/holder_calls.py): a miss reaches
    // aoti_compile_with_persistent_cache, recorded there and made to fail so that nothing is compiled. The
    // calls' meta_info comes from PyTorch too: the same calls against an empty cache all miss, and the recorder
    // turns the inputs the holder passed on into meta_info with aoti_eager's own extract functions.
    QTemporaryDir empty;
    auto did = holderCalls("outcome", root);
    auto metas = holderCalls("meta", empty.path().toStdString());
    QVERIFY(did.is_object() && metas.is_object());
    qInfo("PyTorch: %s", did.dump().c_str());
    // The tool's matcher on the same calls.
    auto scanned = scanCache(root);
    const auto& cpu = scanned.namespaces[0].devices[0];
    auto callOf = [](const nlohmann::json& meta) {
        OpFile parsed;
        OpFileParser().parseText(nlohmann::json::array({{{"meta_info", meta}, {"kernel_path", ""}}}).dump(), parsed);
        return parsed.entries.at(0);
    };
    int agree = 0, total = 0;
    for (const auto& [name, outcome] : did.items()) {
        const auto& m = metas[name];
        QVERIFY2(m.is_object(), name.c_str()); // against an empty cache, every call misses
        auto op = std::ranges::find(cpu.ops(), m["op"].get<std::string>(), &OpFile::name);
        // An op without an op file PyTorch reads (sign: only sign.default.json) has no entry to run.
        auto match = op == cpu.ops().end() ? MatchResult{} : matchCall(*op, cpu, callOf(m["meta_info"]));
        auto tool = match.entry >= 0 ? std::string("hit") : std::string("miss");
        ++total;
        agree += tool == outcome.get<std::string>();
        qInfo("%-30s PyTorch %-4s tool %s%s", name.c_str(), outcome.get<std::string>().c_str(), tool.c_str(),
              match.entry >= 0 ? fmt::format(" (entry #{})", match.entry).c_str() : "");
    }
    qInfo("calls: agree %d of %d", agree, total);
    QCOMPARE(agree, total);
    auto small = metas["abs fp32 3x3"]["meta_info"];
    // The same through the CLI: a miss, explained by the nearest entry's differing fields.
    auto explain = runCli({"explain", "abs", "--call", QString::fromStdString(small.dump()), "--root", QString::fromStdString(root)});
    QCOMPARE(explain.code, 1);
    QVERIFY2(explain.out.contains("a miss") && explain.out.contains("arg 0 sizes: entry [4, 8], call [3, 3]"), explain.out.constData());
    auto hit = runCli({"explain", "add.Tensor", "--json", "--call", QString::fromStdString(metas["add alpha=2"]["meta_info"].dump()),
                       "--root", QString::fromStdString(root)});
    QCOMPARE(hit.code, 0);
    QCOMPARE(nlohmann::json::parse(hit.out.toStdString())["results"][0]["entry"].get<int>(), 1);
    QCOMPARE(did["abs fp32 4x8"].get<std::string>(), std::string("hit")); // key set and device type not compared
    QCOMPARE(did["abs fp16 4x8"].get<std::string>(), std::string("hit"));
    QCOMPARE(did["abs fp32 3x3"].get<std::string>(), std::string("miss"));
    QCOMPARE(did["sign fp32 4x8"].get<std::string>(), std::string("miss")); // sign.default.json is never read
    QCOMPARE(did["add alpha=2.0"].get<std::string>(), std::string("hit")); // float32 scalar written "2" is a float
    QCOMPARE(did["add alpha=2"].get<std::string>(), std::string("hit"));   // and the int64 one is another entry
    QCOMPARE(did["add alpha=3"].get<std::string>(), std::string("miss"));

    // What lint says of the same entries.
    auto snap = scanCache(root);
    auto findings = lintSnapshot(snap, HostInfo::detect());
    auto about = [&](const std::string& op, int entry, const std::string& rule) {
        return std::ranges::any_of(findings, [&](const Finding& f) { return f.op == op && f.entry == entry && f.ruleId == rule; });
    };
    QVERIFY(!about("add.Tensor", 1, "AOTI006")); // not shadowed: PyTorch uses it
    QVERIFY(about("neg", 1, "AOTI006"));         // shadowed: the key set is not a guard
    QVERIFY(about("sign.default", -1, "AOTI024"));
    QVERIFY(std::ranges::none_of(findings, [](const Finding& f) {
        return f.op == "abs" && f.severity >= Severity::Warning && f.ruleId != "AOTI012";
    }));
    auto repair = planRepair(snap, "add.Tensor");
    QVERIFY(repair.entries.empty()); // nothing of add.Tensor is dead weight
}

void TestRegistration::inMemoryEntriesCompareTheKeySet() {
    // One real compile (about 30 s): torch 2.13 keeps the kernel of a miss for the process, and that entry,
    // unlike one from disk, tells a call in inference mode (another key set) apart.
    QTemporaryDir cache;
    QProcess p;
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("TORCHINDUCTOR_CACHE_DIR"), cache.path());
    p.setProcessEnvironment(environment);
    p.start(QString::fromStdString(std::getenv("AOTISCOPE_PYTHON")), {QString::fromStdString(fixture("in_memory_entries.py"))});
    QVERIFY(p.waitForFinished(600000));
    auto did = nlohmann::json::parse(p.readAllStandardOutput().toStdString(), nullptr, false);
    QVERIFY2(did.is_object(), p.readAllStandardError().constData());
    qInfo("torch %s: compiles after each call %s", did["torch"].get<std::string>().c_str(), did["compiles"].dump().c_str());
    auto kept = keepsMissesInMemory(did["torch"].get<std::string>());
    QVERIFY2(kept.has_value(), "a torch release whose in-memory behaviour the tool does not state");
    // The tool's claim about this torch, against what it did.
    QCOMPARE(did["compiles"][1].get<int>() == 1, *kept);
    auto entryOf = [](const nlohmann::json& meta) {
        OpFile parsed;
        OpFileParser().parseText(nlohmann::json::array({{{"meta_info", meta}, {"kernel_path", ""}}}).dump(), parsed);
        return parsed.entries.at(0);
    };
    auto first = entryOf(did["first"]), inference = entryOf(did["inference"]);
    QVERIFY(guardDifferences(first, inference, EntryOrigin::Disk).empty()); // from disk it would hit
    auto inMemory = guardDifferences(first, inference, EntryOrigin::InMemory);
    QCOMPARE(inMemory.size(), std::size_t(1));
    QCOMPARE(inMemory[0].field, std::string("dispatch_key_set"));
    if (*kept) QCOMPARE(did["compiles"][2].get<int>(), 2); // and PyTorch compiled again: the in-memory entry missed
    // explain says it for the torch in use.
    auto root = cache.path().toStdString();
    auto explain = runCli({"explain", "abs", "--call", QString::fromStdString(did["first"].dump()), "--root", QString::fromStdString(root),
                           "--json"});
    auto j = nlohmann::json::parse(explain.out.toStdString(), nullptr, false);
    QVERIFY2(j.is_object(), explain.err.constData());
    QCOMPARE(j["in_memory"]["keeps_misses"], nlohmann::json(*kept));
}

QTEST_GUILESS_MAIN(TestRegistration)
#include "tst_registration.moc"
