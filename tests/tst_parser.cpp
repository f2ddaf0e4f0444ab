// Every argument kind of the format, unknown keys and kinds kept, hostile text never crashing.
#include "core/read/OpFileParser.h"

#include <QtTest>

#include <cmath>

using namespace aotiscope;

namespace {
OpFile parse(const std::string& text) {
    OpFile op;
    op.name = "test";
    OpFileParser parser;
    parser.parseText(text, op);
    return op;
}
std::string entryWith(const std::string& arg) {
    return R"([{"meta_info": [)" + arg + R"(], "kernel_path": "lib/a/ca.wrapper.so"}])";
}
} // namespace

class TestParser : public QObject {
    Q_OBJECT
private slots:
    void kinds_data();
    void kinds();
    void tensorFields();
    void tensorList();
    void scalars();
    void deviceAndStrings();
    void unknownKeysKept();
    void unknownKindKept();
    void nonFiniteLikePython();
    void hostile_data();
    void hostile();
    void wrongTypesReported();
};

void TestParser::kinds_data() {
    QTest::addColumn<QString>("arg");
    QTest::addColumn<QString>("kind");
    QTest::newRow("tensor") << R"({"is_dynamic": false, "device_type": "cpu", "device_index": -1, "dtype": "torch.float32", "sizes": [2], "strides": [1], "requires_grad": false, "dispatch_key_set": 1, "arg_order": 0})" << "tensor";
    QTest::newRow("tensor_list") << R"({"tensor_list": [], "arg_order": 0})" << "tensor_list";
    QTest::newRow("scalar") << R"({"is_dynamic": false, "device_type": "cpu", "device_index": -1, "dtype": "torch.int32", "scalar_value": 2, "arg_order": 1})" << "scalar";
    QTest::newRow("string") << R"({"string_value": "floor", "arg_order": 2})" << "string";
    QTest::newRow("dtype") << R"({"dtype_value": "torch.int32", "arg_order": 3})" << "dtype";
    QTest::newRow("device") << R"({"device_type_value": "cuda", "device_index_value": 0, "arg_order": 4})" << "device";
    QTest::newRow("layout") << R"({"layout_value": "torch.strided", "arg_order": 5})" << "layout";
    QTest::newRow("memory_format") << R"({"memory_format_value": "torch.channels_last", "arg_order": 6})" << "memory_format";
    QTest::newRow("int_list") << R"({"int_list_value": [1, 2], "arg_order": 7})" << "int_list";
    // tensor_list is tested first: a scalar_value beside it does not make it a scalar.
    QTest::newRow("order of kinds") << R"({"scalar_value": 1, "tensor_list": [], "arg_order": 0})" << "tensor_list";
}

void TestParser::kinds() {
    QFETCH(QString, arg);
    QFETCH(QString, kind);
    auto op = parse(entryWith(arg.toStdString()));
    QVERIFY2(op.parseError.empty(), op.parseError.c_str());
    QCOMPARE(op.entries.size(), 1u);
    QCOMPARE(op.entries[0].args.size(), 1u);
    QCOMPARE(QString(argKindName(op.entries[0].args[0].kind)), kind);
}

void TestParser::tensorFields() {
    auto op = parse(entryWith(R"({"is_dynamic": false, "device_type": "cuda", "device_index": 1, "dtype": "torch.float16", "sizes": [4, 8], "strides": [8, 1], "requires_grad": true, "dispatch_key_set": 635655225345, "arg_order": 0})"));
    const auto& t = op.entries[0].args[0].tensor;
    QCOMPARE(t.deviceType, std::string("cuda"));
    QCOMPARE(*t.deviceIndex, 1);
    QCOMPARE(t.dtype, std::string("torch.float16"));
    QCOMPARE(t.sizes, (std::vector<std::int64_t>{4, 8}));
    QCOMPARE(t.strides, (std::vector<std::int64_t>{8, 1}));
    QCOMPARE(*t.requiresGrad, true);
    QCOMPARE(*t.dispatchKeySet, 635655225345ull);
    QCOMPARE(*op.entries[0].kernelPath, std::string("lib/a/ca.wrapper.so"));
    QVERIFY(op.entries[0].issues.empty());
}

void TestParser::tensorList() {
    auto op = parse(entryWith(R"({"tensor_list": [{"device_type": "cpu", "dtype": "torch.float32", "sizes": [2, 3], "strides": [3, 1]}, {"device_type": "cpu", "dtype": "torch.float32", "sizes": [], "strides": []}], "arg_order": 0})"));
    const auto& a = op.entries[0].args[0];
    QCOMPARE(a.list.size(), 2u);
    QCOMPARE(a.list[0].sizes, (std::vector<std::int64_t>{2, 3}));
    QVERIFY(a.list[1].sizes.empty()); // 0-d
}

void TestParser::scalars() {
    auto op = parse(R"([{"meta_info": [
        {"dtype": "torch.int32", "device_type": "cpu", "device_index": -1, "is_dynamic": false, "scalar_value": 2, "arg_order": 0},
        {"dtype": "torch.float32", "device_type": "cpu", "device_index": -1, "is_dynamic": false, "scalar_value": 0.5, "arg_order": 1},
        {"dtype": "torch.bool", "device_type": "cpu", "device_index": -1, "is_dynamic": false, "scalar_value": true, "arg_order": 2}],
        "kernel_path": "lib/x.so"}])");
    const auto& args = op.entries[0].args;
    QCOMPARE(args[0].scalar->type, ScalarType::Int);
    QCOMPARE(args[0].scalar->i, 2);
    QCOMPARE(args[1].scalar->type, ScalarType::Float);
    QCOMPARE(args[1].scalar->f, 0.5);
    QCOMPARE(args[2].scalar->type, ScalarType::Bool);
    QCOMPARE(args[2].scalar->i, 1);
}

void TestParser::deviceAndStrings() {
    auto op = parse(R"([{"meta_info": [{"device_type_value": "cpu", "device_index_value": null, "arg_order": 0}, {"string_value": "trunc", "arg_order": 1}], "kernel_path": "k.so"}])");
    const auto& args = op.entries[0].args;
    QCOMPARE(args[0].text, std::string("cpu"));
    QVERIFY(!args[0].deviceIndexValue);
    QCOMPARE(args[1].text, std::string("trunc"));
}

void TestParser::unknownKeysKept() {
    auto op = parse(R"([{"meta_info": [{"string_value": "x", "arg_order": 0, "extra": [1, {"y": 2}]}], "kernel_path": "k.so", "note": "hi"}])");
    const auto& e = op.entries[0];
    QCOMPARE(e.unknown.size(), 1u);
    QCOMPARE(e.unknown[0].key, std::string("note"));
    QCOMPARE(e.unknown[0].json, std::string("\"hi\""));
    QCOMPARE(e.args[0].tensor.unknown.size(), 1u);
    QCOMPARE(e.args[0].tensor.unknown[0].json, std::string(R"([1,{"y":2}])"));
    QCOMPARE(std::count_if(e.issues.begin(), e.issues.end(), [](auto& i) { return i.kind == ParseIssue::Kind::UnknownKey; }), 2);
}

void TestParser::unknownKindKept() {
    auto op = parse(entryWith(R"([1, 2], "plain string")"));
    QCOMPARE(op.entries[0].args.size(), 2u);
    QCOMPARE(op.entries[0].args[0].kind, ArgKind::Unknown);
    QCOMPARE(op.entries[0].args[0].rawJson, std::string("[1,2]"));
    QCOMPARE(op.entries[0].args[1].rawJson, std::string("\"plain string\""));
}

void TestParser::nonFiniteLikePython() {
    // json.dump writes float('nan') as NaN and json.load reads it back: not a corrupt file.
    auto op = parse(entryWith(R"({"dtype": "torch.float32", "device_type": "cpu", "scalar_value": NaN, "arg_order": 0}, {"string_value": "NaN stays a string", "arg_order": 1}, {"dtype": "torch.float32", "device_type": "cpu", "scalar_value": -Infinity, "arg_order": 2})"));
    QVERIFY2(op.parseError.empty(), op.parseError.c_str());
    QVERIFY(std::isnan(op.entries[0].args[0].scalar->f));
    QCOMPARE(op.entries[0].args[1].text, std::string("NaN stays a string"));
    QVERIFY(std::isinf(op.entries[0].args[2].scalar->f));
}

void TestParser::hostile_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("parseError");
    QTest::newRow("empty") << QByteArray("") << true;
    QTest::newRow("truncated") << QByteArray(R"([{"meta_info": [{"is_dyn)") << true;
    QTest::newRow("deep nesting") << QByteArray(4000, '[') + QByteArray(4000, ']') << true;
    QTest::newRow("invalid utf-8") << QByteArray("[{\"kernel_path\": \"\xff\xfe\"}]") << true;
    QTest::newRow("huge number") << QByteArray(R"([{"meta_info": [{"scalar_value": 1e400, "arg_order": 0}], "kernel_path": "k"}])") << true;
    QTest::newRow("null") << QByteArray("null") << false;
    QTest::newRow("entry not object") << QByteArray("[1, \"x\", null]") << false;
    QTest::newRow("NaN in key position") << QByteArray("[{NaN: 1}]") << true;
}

void TestParser::hostile() {
    QFETCH(QByteArray, text);
    QFETCH(bool, parseError);
    auto op = parse(text.toStdString());
    QCOMPARE(!op.parseError.empty(), parseError);
    if (!parseError) {
        QVERIFY(!op.structureError.empty() || std::all_of(op.entries.begin(), op.entries.end(), [](auto& e) { return !e.issues.empty(); }));
    }
}

void TestParser::wrongTypesReported() {
    auto op = parse(entryWith(R"({"device_type": 3, "dtype": "torch.float32", "sizes": "abc", "strides": [1, "x"], "requires_grad": 1, "arg_order": "zero"})"));
    const auto& issues = op.entries[0].issues;
    auto has = [&](const char* needle) {
        return std::any_of(issues.begin(), issues.end(), [&](auto& i) { return i.message.find(needle) != std::string::npos; });
    };
    QVERIFY(has("\"device_type\": expected a string"));
    QVERIFY(has("\"sizes\": expected a list of integers, found string \"abc\""));
    QVERIFY(has("\"strides\": expected an integer"));
    QVERIFY(has("\"requires_grad\": expected true or false"));
    QVERIFY(has("\"arg_order\": expected an integer"));
}

QTEST_GUILESS_MAIN(TestParser)
#include "tst_parser.moc"
