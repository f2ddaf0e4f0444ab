// What "fast" means on this device: the bandwidth a large copy reaches here and now (the measured ceiling),
// and the datasheet peak where the device is known.
#pragma once

#include "Sampler.h"

#include <optional>
#include <string>

namespace aotiscope::bench {

struct Ceiling {
    double gbps = 0;       // 2 x bytes / median time of one copy
    std::size_t bytes = 0; // size of the copied buffer
    SampleStats stats;
};

Ceiling measureCopyCeiling(const c10::Device& device, DeviceTimer& timer);

std::string deviceName(const c10::Device& device); // "NVIDIA H100 80GB HBM3", "Intel(R) Xeon(R) ..."
std::optional<double> datasheetPeakGbps(const std::string& deviceName);

} // namespace aotiscope::bench
