#include "ArgumentBuilder.h"

#include <ATen/ATen.h>
#include <ATen/core/function_schema.h>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace aotiscope::bench {

namespace {

using nlohmann::json;

std::string lastPart(const std::string& s) {
    auto dot = s.rfind('.');
    return dot == std::string::npos ? s : s.substr(dot + 1);
}

enum class Kind { Tensor, TensorList, Scalar, String, ScalarType, Device, Layout, MemoryFormat, IntList };

struct Recorded {
    Kind kind;
    c10::IValue value;              // Tensor, TensorList (as std::vector), String, Device, IntList
    std::vector<at::Tensor> tensors; // TensorList
    c10::Scalar scalar;             // Scalar
    std::int64_t enumValue = 0;     // ScalarType, Layout, MemoryFormat
    const char* name() const {
        switch (kind) {
        case Kind::Tensor: return "Tensor";
        case Kind::TensorList: return "Tensor[]";
        case Kind::Scalar: return "Scalar";
        case Kind::String: return "str";
        case Kind::ScalarType: return "ScalarType";
        case Kind::Device: return "Device";
        case Kind::Layout: return "Layout";
        case Kind::MemoryFormat: return "MemoryFormat";
        case Kind::IntList: return "int[]";
        }
        return "?";
    }
};

c10::Device parseDevice(const json& meta, const char* typeKey, const char* indexKey) {
    std::string type = meta.value(typeKey, "cpu");
    c10::Device d(type);
    if (meta.contains(indexKey) && meta[indexKey].is_number_integer()) {
        auto index = meta[indexKey].get<std::int64_t>();
        if (index >= 0 && d.type() != c10::DeviceType::CPU) d.set_index(c10::DeviceIndex(index));
    }
    return d;
}

// Values valid for most ops: floats in [0, 1) (log, sqrt, acos, div by them), integers in [1, 8) (no
// division by zero), random booleans. Generated on the CPU from one seed, so cpu and cuda get the same data.
at::Tensor buildTensor(const json& meta, at::Generator& gen) {
    auto dtype = parseDtype(meta.at("dtype").get<std::string>());
    auto sizes = meta.at("sizes").get<std::vector<std::int64_t>>();
    auto strides = meta.at("strides").get<std::vector<std::int64_t>>();
    if (sizes.size() != strides.size()) {
        throw std::invalid_argument("sizes and strides differ in length");
    }
    auto device = parseDevice(meta, "device_type", "device_index");
    auto cpu = at::TensorOptions().device(at::kCPU);
    at::Tensor values;
    if (c10::isFloatingType(dtype) || c10::isComplexType(dtype)) {
        values = at::rand(sizes, gen, cpu.dtype(at::kFloat)).to(dtype);
    } else if (dtype == at::kBool) {
        values = at::rand(sizes, gen, cpu.dtype(at::kFloat)).gt(0.5);
    } else {
        values = at::randint(1, 8, sizes, gen, cpu.dtype(at::kLong)).to(dtype);
    }
    auto t = at::empty_strided(sizes, strides, at::TensorOptions().dtype(dtype).device(device));
    t.copy_(values);
    if (meta.value("requires_grad", false)) t.requires_grad_(true);
    return t;
}

Recorded buildValue(const json& meta, at::Generator& gen) {
    if (!meta.is_object()) throw std::invalid_argument("argument " + meta.dump() + " is not an object");
    if (meta.contains("tensor_list")) {
        Recorded r{Kind::TensorList, {}, {}, {}, 0};
        for (const auto& m : meta["tensor_list"]) r.tensors.push_back(buildTensor(m, gen));
        return r;
    }
    if (meta.contains("scalar_value")) {
        Recorded r{Kind::Scalar, {}, {}, {}, 0};
        auto dtype = lastPart(meta.value("dtype", "float"));
        const auto& v = meta["scalar_value"];
        if (dtype == "bool") {
            r.scalar = c10::Scalar(v.is_boolean() ? v.get<bool>() : v.get<double>() != 0);
        } else if (v.is_number_integer() && dtype != "float32" && dtype != "float64" && dtype != "float") {
            r.scalar = c10::Scalar(v.get<std::int64_t>());
        } else if (v.is_number()) {
            r.scalar = c10::Scalar(v.get<double>());
        } else if (v.is_string()) { // NaN and infinities, quoted by our reader
            r.scalar = c10::Scalar(std::stod(v.get<std::string>()));
        } else {
            throw std::invalid_argument("scalar_value " + v.dump() + " is not a number");
        }
        return r;
    }
    if (meta.contains("string_value")) {
        return {Kind::String, c10::IValue(meta["string_value"].get<std::string>()), {}, {}, 0};
    }
    if (meta.contains("dtype_value")) {
        return {Kind::ScalarType, {}, {}, {}, std::int64_t(parseDtype(meta["dtype_value"].get<std::string>()))};
    }
    if (meta.contains("device_type_value")) {
        return {Kind::Device, c10::IValue(parseDevice(meta, "device_type_value", "device_index_value")), {}, {}, 0};
    }
    if (meta.contains("layout_value")) {
        static const std::map<std::string, c10::Layout> layouts{{"strided", c10::kStrided}, {"sparse_coo", c10::kSparse},
            {"sparse_csr", c10::kSparseCsr}, {"sparse_csc", c10::kSparseCsc}, {"sparse_bsr", c10::kSparseBsr},
            {"sparse_bsc", c10::kSparseBsc}, {"_mkldnn", c10::kMkldnn}, {"jagged", c10::kJagged}};
        auto it = layouts.find(lastPart(meta["layout_value"].get<std::string>()));
        if (it == layouts.end()) throw std::invalid_argument("unknown layout " + meta["layout_value"].dump());
        return {Kind::Layout, {}, {}, {}, std::int64_t(it->second)};
    }
    if (meta.contains("memory_format_value")) {
        static const std::map<std::string, c10::MemoryFormat> formats{{"contiguous_format", c10::MemoryFormat::Contiguous},
            {"preserve_format", c10::MemoryFormat::Preserve}, {"channels_last", c10::MemoryFormat::ChannelsLast},
            {"channels_last_3d", c10::MemoryFormat::ChannelsLast3d}};
        auto it = formats.find(lastPart(meta["memory_format_value"].get<std::string>()));
        if (it == formats.end()) throw std::invalid_argument("unknown memory format " + meta["memory_format_value"].dump());
        return {Kind::MemoryFormat, {}, {}, {}, std::int64_t(it->second)};
    }
    if (meta.contains("int_list_value")) {
        return {Kind::IntList, c10::IValue(meta["int_list_value"].get<std::vector<std::int64_t>>()), {}, {}, 0};
    }
    if (meta.contains("dtype") && meta.contains("sizes")) {
        return {Kind::Tensor, c10::IValue(buildTensor(meta, gen)), {}, {}, 0};
    }
    std::string keys;
    for (const auto& [k, v] : meta.items()) keys += (keys.empty() ? "" : ", ") + k;
    throw std::invalid_argument("unsupported argument kind (keys: " + keys + ")");
}

// The declared type without Optional, e.g. "ScalarType", "Tensor[]", "Tensor?[]", "int[]".
std::string baseType(const c10::Argument& a) {
    auto type = a.real_type();
    if (auto opt = type->cast<c10::OptionalType>()) type = opt->getElementType();
    return type->str();
}

bool isOptional(const c10::Argument& a) {
    return a.default_value().has_value() || a.real_type()->kind() == c10::TypeKind::OptionalType;
}

bool fits(const std::string& declared, const Recorded& r) {
    switch (r.kind) {
    case Kind::Tensor: return declared == "Tensor";
    case Kind::TensorList: return declared == "Tensor[]" || declared == "Tensor?[]";
    case Kind::Scalar: return declared == "Scalar" || declared == "int" || declared == "SymInt" || declared == "float" || declared == "bool";
    case Kind::String: return declared == "str";
    case Kind::ScalarType: return declared == "ScalarType";
    case Kind::Device: return declared == "Device";
    case Kind::Layout: return declared == "Layout";
    case Kind::MemoryFormat: return declared == "MemoryFormat";
    case Kind::IntList: return declared == "int[]" || declared == "SymInt[]";
    }
    return false;
}

c10::IValue toIValue(const std::string& declared, const Recorded& r) {
    switch (r.kind) {
    case Kind::Scalar:
        if (declared == "int" || declared == "SymInt") return c10::IValue(r.scalar.toLong());
        if (declared == "float") return c10::IValue(r.scalar.toDouble());
        if (declared == "bool") return c10::IValue(r.scalar.toBool());
        return c10::IValue(r.scalar);
    case Kind::TensorList:
        if (declared == "Tensor?[]") {
            c10::List<std::optional<at::Tensor>> list;
            for (const auto& t : r.tensors) list.push_back(t);
            return c10::IValue(list);
        }
        return c10::IValue(c10::List<at::Tensor>(r.tensors));
    case Kind::ScalarType:
    case Kind::Layout:
    case Kind::MemoryFormat:
        return c10::IValue(r.enumValue);
    default:
        return r.value;
    }
}

} // namespace

c10::ScalarType parseDtype(const std::string& text) {
    static const std::map<std::string, c10::ScalarType> names{
        {"float32", at::kFloat}, {"float", at::kFloat}, {"float64", at::kDouble}, {"double", at::kDouble},
        {"float16", at::kHalf}, {"half", at::kHalf}, {"bfloat16", at::kBFloat16}, {"int8", at::kChar},
        {"uint8", at::kByte}, {"int16", at::kShort}, {"short", at::kShort}, {"int32", at::kInt}, {"int", at::kInt},
        {"int64", at::kLong}, {"long", at::kLong}, {"bool", at::kBool}, {"complex64", at::kComplexFloat},
        {"cfloat", at::kComplexFloat}, {"complex128", at::kComplexDouble}, {"cdouble", at::kComplexDouble},
        {"uint16", at::kUInt16}, {"uint32", at::kUInt32}, {"uint64", at::kUInt64},
        {"float8_e4m3fn", at::kFloat8_e4m3fn}, {"float8_e5m2", at::kFloat8_e5m2}};
    auto it = names.find(lastPart(text));
    if (it == names.end()) throw std::invalid_argument("unknown dtype \"" + text + "\"");
    return it->second;
}

PreparedCall prepareCall(const std::string& ns, const std::string& opName, const json& metaInfo, std::uint64_t seed) {
    auto dot = opName.find('.');
    std::string name = ns + "::" + opName.substr(0, dot);
    std::string overload = dot == std::string::npos ? "" : opName.substr(dot + 1);
    if (overload == "default") overload.clear();
    auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
    if (!handle) {
        throw std::invalid_argument("no operator " + name + (overload.empty() ? "" : "." + overload) + " in this libtorch");
    }
    if (!metaInfo.is_array()) throw std::invalid_argument("meta_info is not a list");
    std::vector<json> metas(metaInfo.begin(), metaInfo.end());
    std::stable_sort(metas.begin(), metas.end(), [](const json& a, const json& b) {
        auto order = [](const json& m) { return m.is_object() ? m.value("arg_order", std::int64_t(0)) : 0; };
        return order(a) < order(b);
    });
    auto gen = at::detail::createCPUGenerator(seed);
    std::vector<Recorded> pending;
    for (std::size_t i = 0; i < metas.size(); ++i) {
        try {
            pending.push_back(buildValue(metas[i], gen));
        } catch (const std::exception& e) {
            throw std::invalid_argument("meta_info[" + std::to_string(i) + "]: " + e.what());
        }
    }

    const auto& schema = handle->schema();
    PreparedCall call{*handle, {}, {}, c10::toString(schema)};
    std::size_t next = 0;
    for (const auto& a : schema.arguments()) {
        auto declared = baseType(a);
        if (next < pending.size() && fits(declared, pending[next])) {
            call.stack.push_back(toIValue(declared, pending[next++]));
        } else if (a.default_value()) {
            call.stack.push_back(*a.default_value());
        } else if (isOptional(a)) {
            call.stack.emplace_back();
        } else if (next < pending.size()) {
            throw std::invalid_argument("argument '" + a.name() + "' of " + call.signature + " expects " + declared +
                                        ", the entry records " + pending[next].name());
        } else {
            throw std::invalid_argument("no value recorded for required argument '" + a.name() + "' of " + call.signature);
        }
    }
    if (next < pending.size()) {
        throw std::invalid_argument(std::to_string(pending.size() - next) + " recorded argument(s) fit no parameter of " +
                                    call.signature);
    }
    // kernel_holder.cpp's unpack_tensors, in stack order.
    for (const auto& v : call.stack) {
        if (v.isTensor()) {
            call.kernelInputs.push_back(v.toTensor());
        } else if (v.isTensorList() || v.isOptionalTensorList()) {
            for (const auto& item : v.toListRef()) {
                if (item.isTensor()) call.kernelInputs.push_back(item.toTensor());
            }
        }
    }
    return call;
}

std::vector<at::Tensor> flattenTensors(const std::vector<c10::IValue>& values) {
    std::vector<at::Tensor> out;
    for (const auto& v : values) {
        if (v.isTensor()) {
            out.push_back(v.toTensor());
        } else if (v.isTensorList()) {
            for (const auto& t : v.toTensorVector()) out.push_back(t);
        } else if (v.isTuple()) {
            auto inner = flattenTensors(v.toTupleRef().elements().vec());
            out.insert(out.end(), inner.begin(), inner.end());
        }
    }
    return out;
}

} // namespace aotiscope::bench
