// Dispatch key sets recorded in entries are raw c10::DispatchKeySet values: their bits change between torch
// releases. A decoder backed by libtorch's c10 (target aotiscope_torchkeys) names the keys and computes the
// set that the linked torch gives a fresh tensor; without libtorch the raw numbers are shown as they are.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aotiscope {

class DispatchKeyDecoder {
public:
    virtual ~DispatchKeyDecoder() = default;
    // "DispatchKeySet(CPU, ADInplaceOrView, AutogradCPU, AutocastCPU)"
    virtual std::string describe(std::uint64_t raw) const = 0;
    virtual std::vector<std::string> keyNames(std::uint64_t raw) const = 0;
    // The key set of a fresh, non-inference tensor of this device type, layout and dtype under the linked
    // torch (what torch._C._dispatch_keys(t) reports); nullopt when the device type is unknown to it.
    virtual std::optional<std::uint64_t> expectedFor(const std::string& deviceType, const std::string& layout,
                                                     const std::string& dtype) const = 0;
};

// The decoder linked into this build, or null when AOTIScope was built without libtorch.
std::shared_ptr<const DispatchKeyDecoder> linkedDispatchKeyDecoder();

} // namespace aotiscope
