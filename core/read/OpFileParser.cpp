#include "core/read/OpFileParser.h"

#include "core/read/EntryKey.h"
#include "core/base/FileUtil.h"
#include "core/check/HolderCheck.h"
#include "core/read/TorchNames.h"

#include <fmt/format.h>

#include <simdjson.h>

#include <algorithm>

namespace aotiscope {

namespace dom = simdjson::dom;

namespace {

const char* jsonTypeName(dom::element_type t) {
    switch (t) {
    case dom::element_type::ARRAY: return "list";
    case dom::element_type::OBJECT: return "object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64: return "integer";
    case dom::element_type::DOUBLE: return "float";
    case dom::element_type::STRING: return "string";
    case dom::element_type::BOOL: return "bool";
    case dom::element_type::NULL_VALUE: return "null";
    }
    return "?";
}

std::string withArticle(dom::element_type t) {
    std::string name = jsonTypeName(t);
    return (name[0] == 'i' || name[0] == 'o' ? "an " : "a ") + name;
}

// Collects what is wrong with one entry while its fields are read.
struct EntryReader {
    Entry& entry;
    int argIndex = -1;

    void issue(ParseIssue::Kind kind, std::string message, std::string field = {}) {
        entry.issues.push_back({kind, std::move(message), argIndex, std::move(field)});
    }
    void wrongType(std::string_view key, const char* expected, dom::element v) {
        issue(argIndex >= 0 ? ParseIssue::Kind::WrongType : ParseIssue::Kind::Structure,
              fmt::format("\"{}\": expected {}, found {} {}", key, expected, jsonTypeName(v.type()),
                          simdjson::minify(v)),
              std::string(key));
    }

    std::optional<std::int64_t> readInt(std::string_view key, dom::element v) {
        if (v.type() == dom::element_type::INT64) {
            return int64_t(v);
        }
        if (v.type() == dom::element_type::UINT64) {
            issue(ParseIssue::Kind::Structure, fmt::format("\"{}\": {} does not fit a signed 64-bit integer",
                                                           key, uint64_t(v)));
            return std::nullopt;
        }
        wrongType(key, "an integer", v);
        return std::nullopt;
    }
    std::optional<bool> readBool(std::string_view key, dom::element v) {
        if (v.type() == dom::element_type::BOOL) {
            return bool(v);
        }
        wrongType(key, "true or false", v);
        return std::nullopt;
    }
    std::string readString(std::string_view key, dom::element v) {
        if (v.type() == dom::element_type::STRING) {
            return std::string(std::string_view(v));
        }
        wrongType(key, "a string", v);
        return {};
    }
    std::vector<std::int64_t> readIntList(std::string_view key, dom::element v) {
        std::vector<std::int64_t> out;
        if (v.type() != dom::element_type::ARRAY) {
            wrongType(key, "a list of integers", v);
            return out;
        }
        for (dom::element item : dom::array(v)) {
            if (auto i = readInt(key, item)) {
                out.push_back(*i);
            }
        }
        return out;
    }

    // Reads the tensor fields shared by tensors, tensor-list items and scalars; returns false for a key
    // that is none of them.
    bool readTensorField(std::string_view key, dom::element v, TensorMeta& t) {
        if (key == "is_dynamic") {
            // PyTorch tests truthiness: anything but false, 0, null, "" or [] makes the op dynamic.
            if (v.type() == dom::element_type::BOOL) {
                t.isDynamic = bool(v);
            } else {
                t.isDynamic = !(v.is_null() || (v.is_int64() && int64_t(v) == 0) ||
                                (v.is_string() && std::string_view(v).empty()));
            }
        } else if (key == "device_type") {
            t.deviceType = readString(key, v);
        } else if (key == "device_index") {
            if (!v.is_null()) {
                t.deviceIndex = readInt(key, v);
            }
        } else if (key == "dtype") {
            t.dtype = readTorchName(key, v, isKnownDtype, "dtype", ParseIssue::Kind::BadDtype);
        } else if (key == "sizes") {
            t.sizes = readIntList(key, v);
        } else if (key == "strides") {
            t.strides = readIntList(key, v);
        } else if (key == "requires_grad") {
            t.requiresGrad = readBool(key, v);
        } else if (key == "dispatch_key_set") {
            if (v.type() == dom::element_type::UINT64 || (v.type() == dom::element_type::INT64 && int64_t(v) >= 0)) {
                t.dispatchKeySet = v.type() == dom::element_type::UINT64 ? uint64_t(v) : std::uint64_t(int64_t(v));
            } else {
                wrongType(key, "an unsigned 64-bit integer", v);
            }
        } else {
            return false;
        }
        return true;
    }

    // What torch.Tensor.size()/stride() can never produce.
    void checkShape(const TensorMeta& t) {
        if (t.sizes.size() != t.strides.size()) {
            issue(ParseIssue::Kind::Structure, fmt::format("sizes has {} dimensions but strides has {}", t.sizes.size(), t.strides.size()));
        }
        if (std::any_of(t.sizes.begin(), t.sizes.end(), [](std::int64_t s) { return s < 0; })) {
            issue(ParseIssue::Kind::Structure, "a size is negative");
        }
    }

    TensorMeta readTensorObject(dom::object obj, bool allowArgOrder, Arg* arg) {
        TensorMeta t;
        for (auto [key, v] : obj) {
            if (readTensorField(key, v, t)) {
                continue;
            }
            if (allowArgOrder && key == "arg_order") {
                arg->argOrder = readInt(key, v);
                continue;
            }
            t.unknown.push_back({std::string(key), simdjson::minify(v)});
            issue(ParseIssue::Kind::UnknownKey, fmt::format("unknown key \"{}\" kept as {}", key, t.unknown.back().json));
        }
        checkShape(t);
        return t;
    }

    static ArgKind kindOf(dom::object obj) {
        auto has = [&](const char* k) { return obj.at_key(k).error() == simdjson::SUCCESS; };
        if (has("tensor_list")) return ArgKind::TensorList;
        if (has("scalar_value")) return ArgKind::Scalar;
        if (has("string_value")) return ArgKind::String;
        if (has("dtype_value")) return ArgKind::Dtype;
        if (has("device_type_value")) return ArgKind::Device;
        if (has("layout_value")) return ArgKind::Layout;
        if (has("memory_format_value")) return ArgKind::MemoryFormat;
        if (has("int_list_value")) return ArgKind::IntList;
        return ArgKind::Tensor;
    }

    void readScalar(std::string_view key, dom::element v, Arg& arg) {
        ScalarValue s;
        s.text = simdjson::minify(v);
        switch (v.type()) {
        case dom::element_type::BOOL:
            s.type = ScalarType::Bool;
            s.i = bool(v) ? 1 : 0;
            break;
        case dom::element_type::INT64:
            s.type = ScalarType::Int;
            s.i = int64_t(v);
            s.f = double(s.i);
            break;
        case dom::element_type::UINT64:
            s.type = ScalarType::Int;
            s.f = double(uint64_t(v));
            issue(ParseIssue::Kind::Structure, fmt::format("\"{}\": {} does not fit a signed 64-bit integer", key, s.text));
            break;
        case dom::element_type::DOUBLE:
            s.type = ScalarType::Float;
            s.f = double(v);
            break;
        case dom::element_type::STRING: {
            // Non-finite floats arrive quoted by quotePythonNonFinite().
            auto text = std::string_view(v);
            if (auto nf = nonFiniteValue(text)) {
                s.type = ScalarType::Float;
                s.f = *nf;
                s.text = std::string(text);
                break;
            }
            wrongType(key, "a number or bool", v);
            return;
        }
        default:
            wrongType(key, "a number or bool", v);
            return;
        }
        arg.scalar = s;
    }

    // A value that must name one of torch's dtypes, layouts or memory formats: kept as written, said when not.
    std::string readTorchName(std::string_view key, dom::element v, bool (*known)(std::string_view), const char* what,
                              ParseIssue::Kind kind) {
        auto text = readString(key, v);
        if (!text.empty() && !known(text)) issue(kind, fmt::format("\"{}\": \"{}\" is not a torch {}", key, text, what));
        return text;
    }

    void readTensorList(std::string_view key, dom::element v, Arg& arg) {
        if (v.type() != dom::element_type::ARRAY) {
            wrongType(key, "a list of tensor objects", v);
            return;
        }
        for (dom::element item : dom::array(v)) {
            if (item.type() != dom::element_type::OBJECT) {
                wrongType("tensor_list[]", "a tensor object", item);
                continue;
            }
            arg.list.push_back(readTensorObject(dom::object(item), false, nullptr));
        }
    }

    // A key of the argument's own kind (as torch/_inductor/aoti_eager.py writes it); false for a key the kind lacks.
    bool readKindField(std::string_view key, dom::element v, Arg& arg) {
        switch (arg.kind) {
        case ArgKind::TensorList:
            if (key != "tensor_list") return false;
            readTensorList(key, v, arg);
            return true;
        case ArgKind::Scalar:
            if (key != "scalar_value") return readTensorField(key, v, arg.tensor); // a scalar keeps its dtype and device
            readScalar(key, v, arg);
            return true;
        case ArgKind::String:
            if (key != "string_value") return false;
            arg.text = readString(key, v);
            return true;
        case ArgKind::Dtype:
            if (key != "dtype_value") return false;
            arg.text = readTorchName(key, v, isKnownDtype, "dtype", ParseIssue::Kind::BadDtype);
            return true;
        case ArgKind::Device:
            if (key == "device_type_value") {
                arg.text = readString(key, v);
            } else if (key == "device_index_value") {
                if (!v.is_null()) arg.deviceIndexValue = readInt(key, v);
            } else {
                return false;
            }
            return true;
        case ArgKind::Layout:
            if (key != "layout_value") return false;
            arg.text = readTorchName(key, v, isKnownLayout, "layout", ParseIssue::Kind::BadLayout);
            return true;
        case ArgKind::MemoryFormat:
            if (key != "memory_format_value") return false;
            arg.text = readTorchName(key, v, isKnownMemoryFormat, "memory format", ParseIssue::Kind::BadLayout);
            return true;
        case ArgKind::IntList:
            if (key != "int_list_value") return false;
            arg.intList = readIntList(key, v);
            return true;
        case ArgKind::Tensor:
            return readTensorField(key, v, arg.tensor);
        case ArgKind::Unknown:
            return false;
        }
        return false;
    }

    // What an argument must have whatever its keys: an arg_order, and a tensor's shape, dtype and device.
    void checkArg(const Arg& arg) {
        if (!arg.argOrder) {
            issue(ParseIssue::Kind::Structure, "missing \"arg_order\"");
        }
        if (arg.kind != ArgKind::Tensor) return;
        checkShape(arg.tensor);
        if (arg.tensor.dtype.empty() || arg.tensor.deviceType.empty()) {
            issue(ParseIssue::Kind::UnknownKind,
                  "no key of a known argument kind (tensor_list, scalar_value, string_value, dtype_value, "
                  "device_type_value, layout_value) and not a complete tensor (dtype, device_type)");
        }
    }

    Arg readArg(dom::element el) {
        Arg arg;
        if (el.type() != dom::element_type::OBJECT) {
            arg.kind = ArgKind::Unknown;
            arg.rawJson = simdjson::minify(el);
            issue(ParseIssue::Kind::UnknownKind, fmt::format("argument is {}, not an object: {}", withArticle(el.type()), arg.rawJson));
            return arg;
        }
        dom::object obj(el);
        arg.kind = kindOf(obj);
        for (auto [key, v] : obj) {
            if (key == "arg_order") {
                arg.argOrder = readInt(key, v);
            } else if (!readKindField(key, v, arg)) {
                arg.tensor.unknown.push_back({std::string(key), simdjson::minify(v)});
                issue(ParseIssue::Kind::UnknownKey, fmt::format("unknown key \"{}\" in a {} argument, kept as {}", key,
                                                               argKindName(arg.kind), arg.tensor.unknown.back().json));
            }
        }
        checkArg(arg);
        return arg;
    }

    void read(dom::element el) {
        if (el.type() != dom::element_type::OBJECT) {
            issue(ParseIssue::Kind::Structure,
                  fmt::format("entry is {}, expected an object with \"meta_info\" and \"kernel_path\"", withArticle(el.type())));
            return;
        }
        bool sawMeta = false;
        for (auto [key, v] : dom::object(el)) {
            if (key == "meta_info") {
                sawMeta = true;
                if (v.type() != dom::element_type::ARRAY) {
                    wrongType(key, "a list of arguments", v);
                    continue;
                }
                for (dom::element a : dom::array(v)) {
                    argIndex = int(entry.args.size());
                    entry.args.push_back(readArg(a));
                }
                argIndex = -1;
            } else if (key == "kernel_path") {
                if (v.type() == dom::element_type::STRING) {
                    entry.kernelPath = std::string(std::string_view(v));
                } else {
                    wrongType(key, "a path string", v);
                }
            } else {
                entry.unknown.push_back({std::string(key), simdjson::minify(v)});
                issue(ParseIssue::Kind::UnknownKey, fmt::format("unknown entry key \"{}\" kept as {}", key, entry.unknown.back().json));
            }
        }
        if (!sawMeta) {
            issue(ParseIssue::Kind::Structure, "missing \"meta_info\"");
        }
        if (!entry.kernelPath && !std::any_of(entry.issues.begin(), entry.issues.end(), [](const ParseIssue& i) {
                return i.message.starts_with("\"kernel_path\"");
            })) {
            issue(ParseIssue::Kind::Structure, "missing \"kernel_path\"");
        }
    }
};

// The canonical text of a value for its entry key (EntryKey.h): the same text EntryKey's nlohmann writer gives.
void appendCanonical(std::string& out, dom::element v) {
    switch (v.type()) {
    case dom::element_type::OBJECT: {
        std::vector<std::pair<std::string_view, dom::element>> items;
        for (auto [k, x] : dom::object(v)) items.emplace_back(k, x);
        std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        out += '{';
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i) out += ',';
            canonical::appendString(out, items[i].first);
            out += ':';
            appendCanonical(out, items[i].second);
        }
        out += '}';
        break;
    }
    case dom::element_type::ARRAY: {
        out += '[';
        bool first = true;
        for (dom::element x : dom::array(v)) {
            if (!first) out += ',';
            first = false;
            appendCanonical(out, x);
        }
        out += ']';
        break;
    }
    case dom::element_type::STRING: canonical::appendString(out, std::string_view(v)); break;
    case dom::element_type::BOOL: out += bool(v) ? "true" : "false"; break;
    case dom::element_type::INT64: canonical::appendInteger(out, std::int64_t(v)); break;
    case dom::element_type::UINT64: canonical::appendUnsigned(out, std::uint64_t(v)); break;
    case dom::element_type::DOUBLE: canonical::appendFloat(out, double(v)); break;
    case dom::element_type::NULL_VALUE: out += "null"; break;
    }
}

std::string entryKeyOfElement(dom::element el, const Entry& entry) {
    std::string text;
    dom::element meta;
    if (el.type() == dom::element_type::OBJECT && !dom::object(el)["meta_info"].get(meta)) {
        appendCanonical(text, meta);
        return entryKeyFromCanonical(text, entry.kernelPath);
    }
    text = "\x02";
    appendCanonical(text, el);
    return entryKeyFromCanonical(text, std::nullopt);
}

} // namespace

struct OpFileParser::Impl {
    dom::parser parser;
};

OpFileParser::OpFileParser() : impl_(std::make_unique<Impl>()) {}
OpFileParser::~OpFileParser() = default;

const char* OpFileParser::implementationName() {
    return simdjson::get_active_implementation()->name().data();
}

void OpFileParser::parseFile(OpFile& op) {
    std::string text;
    if (auto err = readWholeFile(op.path, text, simdjson::SIMDJSON_PADDING); !err.empty()) {
        op.readError = err;
        return;
    }
    parseText(text, op);
}

void OpFileParser::parseText(std::string_view text, OpFile& op) {
    dom::element root;
    auto error = impl_->parser.parse(text.data(), text.size(), true).get(root);
    std::string quoted;
    if (error) {
        if (auto q = quotePythonNonFinite(text)) {
            quoted = std::move(*q);
            error = impl_->parser.parse(quoted.data(), quoted.size(), true).get(root);
        }
    }
    if (error) {
        op.parseError = fmt::format("invalid JSON: {}", simdjson::error_message(error));
        return;
    }
    if (root.type() != dom::element_type::ARRAY) {
        op.structureError = fmt::format("top level is {}, expected a list of entries", withArticle(root.type()));
        return;
    }
    for (dom::element el : dom::array(root)) {
        Entry entry;
        entry.index = int(op.entries.size());
        EntryReader{entry}.read(el);
        entry.key = entryKeyOfElement(el, entry);
        entry.registrationRefusal = holderRefusal(el);
        op.entries.push_back(std::move(entry));
    }
    std::vector<std::string> keys;
    keys.reserve(op.entries.size());
    for (const auto& e : op.entries) keys.push_back(e.key);
    numberDuplicateKeys(keys);
    for (std::size_t i = 0; i < keys.size(); ++i) op.entries[i].key = std::move(keys[i]);
}

std::optional<std::string> quotePythonNonFinite(std::string_view text, std::string_view marker) {
    std::string out;
    bool changed = false;
    bool inString = false;
    std::string containers; // '[' and '{' outside strings, innermost last
    char previous = 0;      // last non-blank character outside strings
    out.reserve(text.size() + 16);
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (inString) {
            out += c;
            if (c == '\\' && i + 1 < text.size()) {
                out += text[++i];
            } else if (c == '"') {
                inString = false;
                previous = '"';
            }
            continue;
        }
        // Python accepts these tokens only where a value stands, never as an object key.
        bool valuePosition = previous == ':' || previous == '[' || previous == 0 ||
                             (previous == ',' && !containers.empty() && containers.back() == '[');
        bool matched = false;
        if (valuePosition) {
            for (std::string_view token : {"-Infinity", "Infinity", "NaN"}) {
                if (text.substr(i, token.size()) == token) {
                    out += '"';
                    out += marker;
                    out += token;
                    out += '"';
                    i += token.size() - 1;
                    matched = changed = true;
                    previous = '"';
                    break;
                }
            }
        }
        if (matched) {
            continue;
        }
        out += c;
        if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            containers += c;
        } else if ((c == ']' || c == '}') && !containers.empty()) {
            containers.pop_back();
        }
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
            previous = c;
        }
    }
    if (!changed) {
        return std::nullopt;
    }
    return out;
}

} // namespace aotiscope
