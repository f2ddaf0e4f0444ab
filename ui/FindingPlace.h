// What a finding is about, as a key of views: its namespace, device and op (empty: the device folder, or with all
// three empty the host). Views of texts that outlive the lookup (the findings', the snapshot's): finding the group or
// the row of each of 300,000 findings makes no string.
#pragma once

#include "core/check/Linter.h"

#include <functional>
#include <string_view>

namespace aotiscope::ui {

struct FindingPlace {
    std::string_view ns, device, op;
    bool operator==(const FindingPlace&) const = default;

    static FindingPlace of(const Finding& f) { return {f.ns, f.device, f.op}; }
};

struct FindingPlaceHash {
    std::size_t operator()(const FindingPlace& k) const noexcept {
        std::hash<std::string_view> h;
        return h(k.op) ^ (h(k.device) * 31) ^ (h(k.ns) * 1009);
    }
};

} // namespace aotiscope::ui
