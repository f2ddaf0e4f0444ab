#include "core/read/TorchNames.h"

#include <algorithm>
#include <array>
#include <limits>
#include <tuple>
#include <utility>

namespace aotiscope {

namespace {

// (name, canonical name) for every torch.dtype attribute of torch 2.13.
constexpr std::pair<std::string_view, std::string_view> kDtypes[] = {
    {"bfloat16", "bfloat16"}, {"bit", "bits8"}, {"bits16", "bits16"}, {"bits1x8", "bits1x8"},
    {"bits2x4", "bits2x4"}, {"bits4x2", "bits4x2"}, {"bits8", "bits8"}, {"bool", "bool"},
    {"cdouble", "complex128"}, {"cfloat", "complex64"}, {"chalf", "complex32"},
    {"complex128", "complex128"}, {"complex32", "complex32"}, {"complex64", "complex64"},
    {"double", "float64"}, {"float", "float32"}, {"float16", "float16"}, {"float32", "float32"},
    {"float4_e2m1fn_x2", "float4_e2m1fn_x2"}, {"float64", "float64"}, {"float8_e4m3fn", "float8_e4m3fn"},
    {"float8_e4m3fnuz", "float8_e4m3fnuz"}, {"float8_e5m2", "float8_e5m2"},
    {"float8_e5m2fnuz", "float8_e5m2fnuz"}, {"float8_e8m0fnu", "float8_e8m0fnu"}, {"half", "float16"},
    {"int", "int32"}, {"int1", "int1"}, {"int16", "int16"}, {"int2", "int2"}, {"int3", "int3"},
    {"int32", "int32"}, {"int4", "int4"}, {"int5", "int5"}, {"int6", "int6"}, {"int64", "int64"},
    {"int7", "int7"}, {"int8", "int8"}, {"long", "int64"}, {"qint32", "qint32"},
    {"qint8", "qint8"}, {"quint2x4", "quint2x4"}, {"quint4x2", "quint4x2"}, {"quint8", "quint8"},
    {"short", "int16"}, {"uint1", "uint1"}, {"uint16", "uint16"}, {"uint2", "uint2"},
    {"uint3", "uint3"}, {"uint32", "uint32"}, {"uint4", "uint4"}, {"uint5", "uint5"},
    {"uint6", "uint6"}, {"uint64", "uint64"}, {"uint7", "uint7"}, {"uint8", "uint8"},
};

constexpr std::array<std::string_view, 8> kLayouts{"_mkldnn",    "jagged",     "sparse_bsc", "sparse_bsr",
                                                   "sparse_coo", "sparse_csc", "sparse_csr", "strided"};
constexpr std::array<std::string_view, 5> kMemoryFormats{"channels_last", "channels_last_3d", "contiguous_format",
                                                         "legacy_contiguous_format", "preserve_format"};

const std::pair<std::string_view, std::string_view>* findDtype(std::string_view name) {
    auto last = lastDottedPart(name);
    for (const auto& d : kDtypes) {
        if (d.first == last) {
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
        return std::string(d->second);
    }
    return std::string(name);
}

DtypeClass dtypeClass(std::string_view dtype) {
    auto name = canonicalDtype(dtype);
    if (name == "bool") return DtypeClass::Bool;
    if (name.starts_with("complex")) return DtypeClass::Complex;
    if (name.starts_with("float") || name == "bfloat16") return DtypeClass::Floating;
    if (name.starts_with("int") || name.starts_with("uint")) return DtypeClass::Integral;
    return DtypeClass::Other;
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
