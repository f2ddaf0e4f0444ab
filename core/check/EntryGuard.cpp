#include "core/check/EntryGuard.h"

#include "core/base/Fnv.h"
#include "core/read/TorchNames.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace aotiscope {

namespace {

std::int64_t effectiveDeviceIndex(const TensorMeta& t) {
    // load_aoti_eager_cache forces -1 on cpu, whatever was written.
    return t.deviceType == "cpu" ? -1 : t.deviceIndex.value_or(-1);
}

// FNV-1a over the guard fields, mixing each in as raw bytes.
class GuardHasher {
public:
    void bytes(const void* data, std::size_t n) { h_ = fnv1a(std::string_view(static_cast<const char*>(data), n), h_); }
    template <typename T>
    void value(const T& v) { bytes(&v, sizeof v); }
    void text(std::string_view s) {
        value(s.size());
        bytes(s.data(), s.size());
    }
    void ints(const std::vector<std::int64_t>& v) {
        value(v.size());
        bytes(v.data(), v.size() * sizeof(std::int64_t));
    }
    void tensor(const TensorMeta& t) {
        // Entries loaded from disk: the holder's TensorCheck compares the cached key set with itself and the
        // device by index only (kernel_meta_info.cpp), so neither the key set nor the device type is a guard.
        text(canonicalDtype(t.dtype));
        value(effectiveDeviceIndex(t));
        value(t.requiresGrad.value_or(false));
        ints(t.sizes);
        ints(t.strides);
    }
    std::uint64_t result() const { return h_; }

private:
    std::uint64_t h_ = kFnvOffset;
};

} // namespace

std::uint64_t entryGuardHash(const Entry& entry) {
    GuardHasher h;
    h.value(entry.args.size());
    for (const auto& a : entry.args) {
        h.value(a.kind);
        h.value(a.argOrder.value_or(-1));
        switch (a.kind) {
        case ArgKind::Tensor: h.tensor(a.tensor); break;
        case ArgKind::TensorList:
            h.value(a.list.size());
            for (const auto& t : a.list) h.tensor(t);
            break;
        case ArgKind::Scalar:
            if (a.scalar && scalarComparesAsFloat(a)) {
                h.value(a.scalar->f);
            } else if (a.scalar) {
                h.value(a.scalar->i);
            }
            break;
        case ArgKind::Dtype: h.text(canonicalDtype(a.text)); break;
        case ArgKind::Layout:
        case ArgKind::MemoryFormat: h.text(lastDottedPart(a.text)); break;
        case ArgKind::Device:
            h.text(a.text);
            h.value(a.deviceIndexValue.value_or(-1));
            break;
        case ArgKind::IntList: h.ints(a.intList); break;
        case ArgKind::String: h.text(a.text); break;
        case ArgKind::Unknown: h.text(a.rawJson); break;
        }
    }
    return h.result();
}

std::string tensorGuardKey(const TensorMeta& t) {
    return fmt::format("T{}|{}|{}|[{}]|[{}]", canonicalDtype(t.dtype), effectiveDeviceIndex(t), t.requiresGrad.value_or(false) ? 1 : 0,
                       fmt::join(t.sizes, ","), fmt::join(t.strides, ","));
}

bool scalarComparesAsFloat(const Arg& scalar) {
    // The holder builds the cached c10::Scalar from the entry's dtype, not from how the number is spelled.
    if (scalar.tensor.dtype.empty()) return scalar.scalar && scalar.scalar->type == ScalarType::Float;
    return dtypeClass(scalar.tensor.dtype) == DtypeClass::Floating;
}

std::string entryGuardKey(const Entry& entry) {
    std::string key = fmt::format("{}#", entry.args.size());
    for (const auto& a : entry.args) {
        key += fmt::format("{}@{}:", argKindName(a.kind), a.argOrder.value_or(-1));
        switch (a.kind) {
        case ArgKind::Tensor:
            key += tensorGuardKey(a.tensor);
            break;
        case ArgKind::TensorList:
            for (const auto& t : a.list) {
                key += tensorGuardKey(t) + ";";
            }
            break;
        case ArgKind::Scalar:
            if (a.scalar && scalarComparesAsFloat(a)) {
                key += fmt::format("f{}", a.scalar->f);
            } else if (a.scalar) {
                key += fmt::format("i{}", a.scalar->i);
            }
            break;
        case ArgKind::Dtype:
            key += canonicalDtype(a.text);
            break;
        case ArgKind::Layout:
        case ArgKind::MemoryFormat:
            key += std::string(lastDottedPart(a.text));
            break;
        case ArgKind::Device:
            key += fmt::format("{}:{}", a.text, a.deviceIndexValue.value_or(-1));
            break;
        case ArgKind::IntList:
            key += fmt::format("[{}]", fmt::join(a.intList, ","));
            break;
        case ArgKind::String:
            key += fmt::format("{}:{}", a.text.size(), a.text); // length-prefixed: no separator can collide
            break;
        case ArgKind::Unknown:
            key += a.rawJson;
            break;
        }
        key += '/';
    }
    return key;
}

} // namespace aotiscope
