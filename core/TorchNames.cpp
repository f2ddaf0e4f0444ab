#include "core/TorchNames.h"

#include <algorithm>
#include <array>
#include <limits>
#include <tuple>
#include <utility>

namespace aotiscope {

namespace {

// (name, canonical name, item size) for every torch.dtype attribute of torch 2.13.
constexpr std::tuple<std::string_view, std::string_view, int> kDtypes[] = {
    {"bfloat16", "bfloat16", 2}, {"bit", "bits8", 0}, {"bits16", "bits16", 2}, {"bits1x8", "bits1x8", 1},
    {"bits2x4", "bits2x4", 1}, {"bits4x2", "bits4x2", 1}, {"bits8", "bits8", 1}, {"bool", "bool", 1},
    {"cdouble", "complex128", 16}, {"cfloat", "complex64", 8}, {"chalf", "complex32", 4},
    {"complex128", "complex128", 16}, {"complex32", "complex32", 4}, {"complex64", "complex64", 8},
    {"double", "float64", 8}, {"float", "float32", 4}, {"float16", "float16", 2}, {"float32", "float32", 4},
    {"float4_e2m1fn_x2", "float4_e2m1fn_x2", 1}, {"float64", "float64", 8}, {"float8_e4m3fn", "float8_e4m3fn", 1},
    {"float8_e4m3fnuz", "float8_e4m3fnuz", 1}, {"float8_e5m2", "float8_e5m2", 1},
    {"float8_e5m2fnuz", "float8_e5m2fnuz", 1}, {"float8_e8m0fnu", "float8_e8m0fnu", 1}, {"half", "float16", 2},
    {"int", "int32", 4}, {"int1", "int1", 0}, {"int16", "int16", 2}, {"int2", "int2", 0}, {"int3", "int3", 0},
    {"int32", "int32", 4}, {"int4", "int4", 0}, {"int5", "int5", 0}, {"int6", "int6", 0}, {"int64", "int64", 8},
    {"int7", "int7", 0}, {"int8", "int8", 1}, {"long", "int64", 8}, {"qint32", "qint32", 4},
    {"qint8", "qint8", 1}, {"quint2x4", "quint2x4", 1}, {"quint4x2", "quint4x2", 1}, {"quint8", "quint8", 1},
    {"short", "int16", 2}, {"uint1", "uint1", 0}, {"uint16", "uint16", 2}, {"uint2", "uint2", 0},
    {"uint3", "uint3", 0}, {"uint32", "uint32", 4}, {"uint4", "uint4", 0}, {"uint5", "uint5", 0},
    {"uint6", "uint6", 0}, {"uint64", "uint64", 8}, {"uint7", "uint7", 0}, {"uint8", "uint8", 1},
};

constexpr std::array<std::string_view, 8> kLayouts{"_mkldnn",    "jagged",     "sparse_bsc", "sparse_bsr",
                                                   "sparse_coo", "sparse_csc", "sparse_csr", "strided"};
constexpr std::array<std::string_view, 5> kMemoryFormats{"channels_last", "channels_last_3d", "contiguous_format",
                                                         "legacy_contiguous_format", "preserve_format"};

const std::tuple<std::string_view, std::string_view, int>* findDtype(std::string_view name) {
    auto last = lastDottedPart(name);
    for (const auto& d : kDtypes) {
        if (std::get<0>(d) == last) {
            return &d;
        }
    }
    return nullptr;
}

} // namespace

std::string_view lastDottedPart(std::string_view name) {
    auto dot = name.rfind('.');
    return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

bool isKnownDtype(std::string_view name) { return findDtype(name) != nullptr; }

bool isKnownLayout(std::string_view name) {
    return std::ranges::find(kLayouts, lastDottedPart(name)) != kLayouts.end();
}

bool isKnownMemoryFormat(std::string_view name) {
    return std::ranges::find(kMemoryFormats, lastDottedPart(name)) != kMemoryFormats.end();
}

std::string canonicalDtype(std::string_view name) {
    if (const auto* d = findDtype(name)) {
        return std::string(std::get<1>(*d));
    }
    return std::string(name);
}

bool isFloatingDtype(std::string_view name) {
    auto c = canonicalDtype(name);
    return c.starts_with("float") || c == "bfloat16" || c.starts_with("complex");
}

int dtypeItemSize(std::string_view name) {
    const auto* d = findDtype(name);
    return d ? std::get<2>(*d) : 0;
}

std::optional<double> nonFiniteValue(std::string_view text) {
    if (text == "NaN") {
        return std::numeric_limits<double>::quiet_NaN();
    }
    if (text == "Infinity") {
        return std::numeric_limits<double>::infinity();
    }
    if (text == "-Infinity") {
        return -std::numeric_limits<double>::infinity();
    }
    return std::nullopt;
}

} // namespace aotiscope
