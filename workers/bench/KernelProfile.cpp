#include "KernelProfile.h"

#include "Sampler.h"

#include <c10/core/impl/VirtualGuardImpl.h>
#include <torch/csrc/autograd/profiler_kineto.h>

#include <algorithm>
#include <set>

namespace aotiscope::bench {

namespace {

namespace profiler = torch::autograd::profiler;
using torch::profiler::impl::ActivityType;
using torch::profiler::impl::ProfilerConfig;
using torch::profiler::impl::ProfilerState;

bool activityTypeFor(const c10::Device& device, ActivityType& type) {
    switch (device.type()) {
    case c10::DeviceType::CUDA: type = ActivityType::CUDA; return true;
    case c10::DeviceType::XPU: type = ActivityType::XPU; return true;
    case c10::DeviceType::PrivateUse1: type = ActivityType::PrivateUse1; return true;
    default: return false;
    }
}

// The device activities of `body`, profiled with the CPU activities too (kineto needs them to start).
std::vector<DeviceActivity> profiled(const c10::Device& device, ActivityType type, const std::function<void()>& body) {
    c10::impl::VirtualGuardImpl impl(device.type());
    ProfilerConfig config(ProfilerState::KINETO);
    std::set<ActivityType> activities{ActivityType::CPU, type};
    impl.synchronizeDevice(device.index());
    profiler::prepareProfiler(config, activities);
    profiler::enableProfiler(config, activities);
    try {
        body();
        impl.synchronizeDevice(device.index());
    } catch (...) {
        profiler::disableProfiler();
        throw;
    }
    auto result = profiler::disableProfiler();
    std::vector<DeviceActivity> out;
    for (const auto& e : result->events()) {
        if (e.deviceType() != device.type()) continue;
        out.push_back({e.name(), e.startNs(), e.endNs()});
    }
    return out;
}

} // namespace

nlohmann::json KernelProfile::toJson() const {
    if (!unavailable.empty()) return {{"unavailable", unavailable}};
    return {{"median_us", medianUs}, {"kernels_per_call", kernelsPerCall}, {"calls", calls},
            {"kernels", kernelNames}, {"method", "profiler device activities (CUPTI through kineto), flushed calls"}};
}

std::vector<double> perCallDeviceUs(std::vector<DeviceActivity> activities, const std::vector<std::string>& flushNames,
                                    std::vector<std::string>* kernelNames, double* activitiesPerCall) {
    std::sort(activities.begin(), activities.end(), [](const auto& a, const auto& b) { return a.startNs < b.startNs; });
    auto isFlush = [&](const DeviceActivity& a) {
        return std::find(flushNames.begin(), flushNames.end(), a.name) != flushNames.end();
    };
    std::vector<double> calls;
    std::size_t counted = 0;
    bool inCall = false, previousWasFlush = false;
    for (const auto& a : activities) {
        if (isFlush(a)) {
            // A flush of several kernels begins one call, not several.
            if (!previousWasFlush) inCall = false;
            previousWasFlush = true;
            continue;
        }
        previousWasFlush = false;
        if (!inCall) {
            calls.push_back(0);
            inCall = true;
        }
        calls.back() += double(a.endNs - a.startNs) / 1000.0;
        ++counted;
        if (kernelNames && std::find(kernelNames->begin(), kernelNames->end(), a.name) == kernelNames->end()) {
            kernelNames->push_back(a.name);
        }
    }
    if (activitiesPerCall) *activitiesPerCall = calls.empty() ? 0 : double(counted) / double(calls.size());
    return calls;
}

KernelProfile profileKernels(const c10::Device& device, const std::function<void()>& run,
                             const std::function<void()>& flush, int calls) {
    KernelProfile p;
    ActivityType type{};
    if (!activityTypeFor(device, type)) {
        p.unavailable = "no profiler device activities for " + device.str();
        return p;
    }
    try {
        auto flushOnly = profiled(device, type, [&] {
            for (int i = 0; i < 3; ++i) flush();
        });
        if (flushOnly.empty()) {
            p.unavailable = "the profiler recorded no " + device.str() +
                            " activity (libtorch built without kineto's device support, or CUPTI not loadable)";
            return p;
        }
        std::vector<std::string> flushNames;
        for (const auto& a : flushOnly) {
            if (std::find(flushNames.begin(), flushNames.end(), a.name) == flushNames.end()) flushNames.push_back(a.name);
        }
        auto activities = profiled(device, type, [&] {
            for (int i = 0; i < calls; ++i) {
                flush();
                run();
            }
        });
        auto perCall = perCallDeviceUs(std::move(activities), flushNames, &p.kernelNames, &p.kernelsPerCall);
        if (perCall.empty()) {
            p.unavailable = "the profiler recorded no kernel of the call on " + device.str();
            return p;
        }
        p.calls = int(perCall.size());
        std::ranges::sort(perCall);
        p.medianUs = percentile(perCall, 0.5);
    } catch (const std::exception& e) {
        const auto* error = dynamic_cast<const c10::Error*>(&e);
        p.unavailable = std::string("the profiler failed: ") + (error ? error->what_without_backtrace() : e.what());
    }
    return p;
}

} // namespace aotiscope::bench
