// libtorch (c10 only) implementation of DispatchKeyDecoder.
#include "core/DispatchKeys.h"
#include "core/TorchNames.h"

#include <c10/core/DispatchKeySet.h>
#include <c10/core/TensorOptions.h>
#include <c10/util/Exception.h>

#include <sstream>

namespace aotiscope {

namespace {

std::optional<c10::ScalarType> scalarTypeOf(const std::string& dtype) {
    auto name = canonicalDtype(dtype);
    // canonical names as torch prints them
    static const std::pair<const char*, c10::ScalarType> named[] = {
        {"float32", c10::kFloat},   {"float64", c10::kDouble},  {"float16", c10::kHalf},
        {"bfloat16", c10::kBFloat16}, {"int32", c10::kInt},     {"int64", c10::kLong},
        {"int16", c10::kShort},     {"int8", c10::kChar},       {"uint8", c10::kByte},
        {"bool", c10::kBool},       {"complex64", c10::kComplexFloat}, {"complex128", c10::kComplexDouble},
        {"complex32", c10::kComplexHalf}, {"uint16", c10::kUInt16}, {"uint32", c10::kUInt32},
        {"uint64", c10::kUInt64}, {"float8_e4m3fn", c10::kFloat8_e4m3fn}, {"float8_e5m2", c10::kFloat8_e5m2},
        {"qint8", c10::kQInt8}, {"quint8", c10::kQUInt8}, {"qint32", c10::kQInt32},
    };
    for (const auto& [n, t] : named) {
        if (name == n) {
            return t;
        }
    }
    return std::nullopt;
}

std::optional<c10::Layout> layoutOf(const std::string& layout) {
    auto name = lastDottedPart(layout);
    if (name.empty() || name == "strided") return c10::kStrided;
    if (name == "sparse_coo") return c10::kSparse;
    if (name == "sparse_csr") return c10::kSparseCsr;
    if (name == "sparse_csc") return c10::kSparseCsc;
    if (name == "sparse_bsr") return c10::kSparseBsr;
    if (name == "sparse_bsc") return c10::kSparseBsc;
    if (name == "_mkldnn") return c10::kMkldnn;
    if (name == "jagged") return c10::kJagged;
    return std::nullopt;
}

class TorchDispatchKeyDecoder final : public DispatchKeyDecoder {
public:
    std::string describe(std::uint64_t raw) const override {
        return c10::toString(c10::DispatchKeySet(c10::DispatchKeySet::RAW, raw));
    }

    std::vector<std::string> keyNames(std::uint64_t raw) const override {
        std::vector<std::string> out;
        for (c10::DispatchKey k : c10::DispatchKeySet(c10::DispatchKeySet::RAW, raw)) {
            out.emplace_back(c10::toString(k));
        }
        return out;
    }

    std::optional<std::uint64_t> expectedFor(const std::string& deviceType, const std::string& layout,
                                             const std::string& dtype) const override {
        auto st = scalarTypeOf(dtype);
        auto lt = layoutOf(layout);
        if (!st || !lt) {
            return std::nullopt;
        }
        try {
            c10::Device device(deviceType);
            // As c10::TensorImpl's constructor builds key_set_ (c10/core/TensorImpl.cpp): the backend key,
            // its autocast keys, minus Python keys, plus the autograd keys and ADInplaceOrView.
            c10::DispatchKeySet ks(c10::computeDispatchKey(*st, *lt, device));
            auto backend = ks.highestBackendKey();
            ks = ks | c10::getAutocastRelatedKeySetFromBackend(backend);
            ks = ks - c10::python_ks;
            ks = ks | c10::getAutogradRelatedKeySetFromBackend(backend);
            return ks.raw_repr();
        } catch (const c10::Error&) {
            return std::nullopt;
        }
    }
};

} // namespace

std::shared_ptr<const DispatchKeyDecoder> linkedDispatchKeyDecoder() {
    static auto decoder = std::make_shared<TorchDispatchKeyDecoder>();
    return decoder;
}

} // namespace aotiscope
