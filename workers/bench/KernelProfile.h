// What the device spent in the kernels of one call, as the profiler's device activities record it (CUPTI on
// NVIDIA GPUs, through libtorch's kineto: what torch.profiler reads). Event pairs around a call also time the
// launch and whatever the AOTI runner queues around its kernel; on kernels of a few microseconds that is most
// of the figure, so the worker reports both.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace aotiscope::bench {

struct KernelProfile {
    double medianUs = 0;        // device time of one call's kernels (sum over the call), median over calls
    double kernelsPerCall = 0;  // device activities (kernels, memsets, copies) per call
    int calls = 0;
    std::vector<std::string> kernelNames; // distinct, in the order first seen
    std::string unavailable;    // why there is no profile (no device activities in this libtorch...)
    nlohmann::json toJson() const;
};

// A device activity of the profile: its name and interval.
struct DeviceActivity {
    std::string name;
    std::uint64_t startNs = 0, endNs = 0;
};

// `calls` calls, each after `flush`, profiled; `flush` is profiled alone first to learn its kernels' names, which
// then mark where each call begins. Run after the timed rounds: the profiler's own cost never enters a timing.
KernelProfile profileKernels(const c10::Device& device, const std::function<void()>& run,
                             const std::function<void()>& flush, int calls);

// Per call, the summed duration of the activities between two flushes (activities sorted by start; those named
// as one of `flushNames` begin a call). Exposed for the figures' arithmetic to be checked without a device.
std::vector<double> perCallDeviceUs(std::vector<DeviceActivity> activities, const std::vector<std::string>& flushNames,
                                    std::vector<std::string>* kernelNames = nullptr, double* activitiesPerCall = nullptr);

} // namespace aotiscope::bench
