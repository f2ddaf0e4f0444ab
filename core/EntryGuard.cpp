#include "core/EntryGuard.h"

#include "core/TorchNames.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace aotiscope {

namespace {

std::int64_t effectiveDeviceIndex(const TensorMeta& t) {
    // load_aoti_eager_cache forces -1 on cpu, whatever was written.
    return t.deviceType == "cpu" ? -1 : t.deviceIndex.value_or(-1);
}

} // namespace

std::string tensorGuardKey(const TensorMeta& t) {
    return fmt::format("T{}|{}|{}|{}|{}|[{}]|[{}]", t.dispatchKeySet.value_or(0), canonicalDtype(t.dtype),
                       t.deviceType, effectiveDeviceIndex(t), t.requiresGrad.value_or(false) ? 1 : 0,
                       fmt::join(t.sizes, ","), fmt::join(t.strides, ","));
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
            if (a.scalar && a.scalar->type == ScalarType::Float) {
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
