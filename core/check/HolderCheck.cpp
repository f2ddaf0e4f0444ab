#include "core/check/HolderCheck.h"

#include "core/read/TorchNames.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string_view>

namespace aotiscope {

namespace dom = simdjson::dom;

namespace {

bool isInt(dom::element v) { return v.type() == dom::element_type::INT64 || v.type() == dom::element_type::UINT64; }
bool isBool(dom::element v) { return v.type() == dom::element_type::BOOL; }
bool isNumber(dom::element v) { return isInt(v) || v.type() == dom::element_type::DOUBLE; }

// pybind11's casters with conversion on, as py::object::cast<T>() uses them.
bool castsToBool(dom::element v) { return isBool(v) || isNumber(v) || v.is_null(); } // nb_bool; None is false
bool castsToDouble(dom::element v) { return isNumber(v) || isBool(v); }
bool castsToInt64(dom::element v) { // refuses floats; bool is an int subclass
    return (v.type() == dom::element_type::INT64) || isBool(v);
}
bool castsToUint64(dom::element v) {
    return v.type() == dom::element_type::UINT64 || (v.type() == dom::element_type::INT64 && std::int64_t(v) >= 0) || isBool(v);
}
bool castsToInt8(dom::element v) {
    if (isBool(v)) return true;
    if (v.type() != dom::element_type::INT64) return false;
    auto i = std::int64_t(v);
    return i >= std::numeric_limits<std::int8_t>::min() && i <= std::numeric_limits<std::int8_t>::max();
}
bool castsToIntList(dom::element v) {
    if (v.type() != dom::element_type::ARRAY) return false;
    for (dom::element x : dom::array(v)) {
        if (!castsToInt64(x)) return false;
    }
    return true;
}

// c10::Device(std::string): a lower-case device type, optionally ":index".
bool parsesAsDevice(std::string_view s) {
    static constexpr std::array<std::string_view, 20> types{"cpu",   "cuda", "ipu",  "xpu",  "mkldnn", "opengl", "opencl",
                                                            "ideep", "hip",  "ve",   "fpga", "maia",   "xla",    "lazy",
                                                            "vulkan", "mps", "meta", "hpu",  "mtia",   "privateuseone"};
    auto colon = s.find(':');
    auto type = s.substr(0, colon);
    if (std::find(types.begin(), types.end(), type) == types.end()) return false;
    if (colon == std::string_view::npos) return true;
    auto index = s.substr(colon + 1);
    return !index.empty() && index.find_first_not_of("0123456789") == std::string_view::npos;
}

class Checker {
public:
    std::string entry(dom::element e) {
        dom::element meta;
        if (e.type() != dom::element_type::OBJECT || dom::object(e)["meta_info"].get(meta)) return {}; // the loader's
        if (meta.type() != dom::element_type::ARRAY) return {};
        int i = 0;
        for (dom::element arg : dom::array(meta)) {
            if (auto why = argument(arg); !why.empty()) return fmt::format("argument #{}: {}", i, why);
            ++i;
        }
        dom::element path;
        if (!dom::object(e)["kernel_path"].get(path) && path.is_string() && std::string_view(path).empty()) {
            return "kernel_path is empty: the holder dlopens the device folder itself (\"Is a directory\")";
        }
        return {};
    }

private:
    static bool has(dom::object o, std::string_view k) { return o.at_key(k).error() == simdjson::SUCCESS; }

    std::string argument(dom::element arg) {
        if (arg.type() != dom::element_type::OBJECT) return "not an object: the holder's cast to a dict fails";
        dom::object o(arg);
        dom::element order;
        if (o["arg_order"].get(order)) return "no \"arg_order\" (KeyError)";
        if (!castsToUint64(order)) return fmt::format("\"arg_order\" {} is not a non-negative integer: its cast to uint64 fails", simdjson::minify(order));
        // The holder's own order of kinds: tensor_list, scalar, string, dtype, device, layout, else a tensor.
        if (has(o, "tensor_list")) return tensorList(o["tensor_list"]);
        if (has(o, "scalar_value")) return scalar(o);
        if (has(o, "string_value")) {
            return o["string_value"].is_string() ? std::string() : std::string("\"string_value\" is not a string: its cast fails");
        }
        if (has(o, "dtype_value")) return {};  // the loader turned it into a torch.dtype (or dropped the op)
        if (has(o, "device_type_value")) return device(o);
        if (has(o, "layout_value")) return {}; // likewise, a torch.layout
        auto why = tensor(o);
        if (!why.empty() && (has(o, "memory_format_value") || has(o, "int_list_value"))) {
            return fmt::format("a {} argument, for which the holder has no branch: read as a tensor, {}",
                               has(o, "memory_format_value") ? "memory_format" : "int_list", why);
        }
        return why;
    }

    static std::string tensorList(dom::element list) {
        if (list.type() != dom::element_type::ARRAY) return "\"tensor_list\" is not a list: its cast fails";
        int k = 0;
        for (dom::element item : dom::array(list)) {
            if (item.type() != dom::element_type::OBJECT) return fmt::format("tensor_list item {} is not an object", k);
            auto o = dom::object(item);
            // build_tensor_metadata reads is_dynamic, device_type, device_index, then asserts THPDtype_Check on
            // dtype, which the loader converted only at the top level: a list item's dtype is still a string.
            for (auto key : {"is_dynamic", "device_type", "device_index", "dtype"}) {
                if (!has(o, key)) return fmt::format("tensor_list item {} has no \"{}\" (KeyError)", k, key);
            }
            return fmt::format("tensor_list item {}: the loader leaves its \"dtype\" a string and the holder asserts "
                               "THPDtype_Check on it (a PyTorch bug, seen with torch 2.11 on CPU and CUDA and 2.13 on "
                               "CPU: ops with a tensor-list argument never register)", k);
        }
        return {};
    }

    static std::string scalar(dom::object o) {
        dom::element dtype, value = o["scalar_value"];
        if (o["dtype"].get(dtype)) return "a scalar without \"dtype\" (KeyError)";
        if (!dtype.is_string()) return "a scalar whose \"dtype\" is not a dtype name";
        switch (dtypeClass(std::string_view(dtype))) {
        case DtypeClass::Floating:
            return castsToDouble(value) || value.is_string() /* NaN, Infinity: floats to Python */ ? std::string()
                                                                                                  : fmt::format("scalar value {} does not cast to double", simdjson::minify(value));
        case DtypeClass::Integral:
            return castsToInt64(value) ? std::string()
                                       : fmt::format("scalar value {} with the integral dtype {} does not cast to int64 "
                                                     "(pybind11 refuses floats)", simdjson::minify(value), std::string_view(dtype));
        case DtypeClass::Bool:
            return castsToBool(value) ? std::string() : fmt::format("scalar value {} does not cast to bool", simdjson::minify(value));
        case DtypeClass::Complex:
        case DtypeClass::Other:
            return fmt::format("a scalar of dtype {}: \"Not implemented for operations that contain a scalar parameter\" of it",
                               std::string_view(dtype));
        }
        return {};
    }

    static std::string device(dom::object o) {
        dom::element type = o["device_type_value"], index;
        if (!type.is_string()) return "\"device_type_value\" is not a string";
        if (!parsesAsDevice(std::string_view(type))) {
            return fmt::format("\"device_type_value\" \"{}\" is not a device c10 parses (lower-case type, e.g. cuda)", std::string_view(type));
        }
        if (!o["device_index_value"].get(index) && !index.is_null() && !castsToInt8(index)) {
            return fmt::format("\"device_index_value\" {} does not cast to a device index", simdjson::minify(index));
        }
        return {};
    }

    static std::string tensor(dom::object o) {
        // build_tensor_metadata, in its order of reads.
        struct Field {
            const char* key;
            bool (*casts)(dom::element);
            const char* what;
        };
        static const Field fields[] = {
            {"is_dynamic", castsToBool, "bool"},
            {"device_type", [](dom::element v) { return v.is_string(); }, "a string"},
            {"device_index", castsToInt8, "a device index (int8)"},
            {"dtype", [](dom::element v) { return v.is_string(); }, "a dtype"},
            {"sizes", castsToIntList, "a list of int64"},
            {"strides", castsToIntList, "a list of int64"},
            {"requires_grad", castsToBool, "bool"},
            {"dispatch_key_set", castsToUint64, "uint64"},
        };
        // A truthy is_dynamic makes the loader drop the whole op before the holder sees it: not the holder's.
        dom::element dynamic;
        if (!o["is_dynamic"].get(dynamic) && ((dynamic.is_string() && !std::string_view(dynamic).empty()) ||
                                              (dynamic.type() == dom::element_type::ARRAY && dom::array(dynamic).size() > 0) ||
                                              (dynamic.type() == dom::element_type::OBJECT && dom::object(dynamic).size() > 0))) {
            return {};
        }
        bool cpu = false;
        dom::element deviceType;
        if (!o["device_type"].get(deviceType) && deviceType.is_string()) cpu = std::string_view(deviceType) == "cpu";
        for (const auto& f : fields) {
            dom::element v;
            if (o[f.key].get(v)) return fmt::format("a tensor without \"{}\" (KeyError)", f.key);
            if (cpu && std::string_view(f.key) == "device_index") continue; // the loader writes -1 on cpu
            if (!f.casts(v)) return fmt::format("\"{}\" {} does not cast to {}", f.key, simdjson::minify(v), f.what);
        }
        if (!parsesAsDevice(std::string_view(deviceType))) {
            return fmt::format("\"device_type\" \"{}\" is not a device c10 parses (lower-case, e.g. cpu, cuda)", std::string_view(deviceType));
        }
        return {};
    }
};

} // namespace

std::string holderRefusal(dom::element entry) { return Checker{}.entry(entry); }

} // namespace aotiscope
