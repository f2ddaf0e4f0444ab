// The timing method of docs/benchmarking.md: warm-up by time, then samples until the relative IQR falls under
// a target or a time cap stops it (never under a minimum count). CPU samples use the steady clock; CUDA samples
// use device events around the launches, so host overhead outside them is not counted. Cold samples flush the
// cache first (outside the timed region); warm samples time a block of back-to-back runs when one run is too
// short for the clock.
#pragma once

#include <c10/core/Device.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

namespace aotiscope::bench {

struct SamplerOptions {
    double warmupMs = 25.0;
    double maxMs = 2000.0;
    int minSamples = 25;
    double targetRelIqr = 0.01;
    bool cold = true;
};

struct SampleStats {
    double medianUs = 0, p20Us = 0, p80Us = 0, minUs = 0, maxUs = 0, meanUs = 0;
    double relIqr = 0;    // (p75 - p25) / median
    int samples = 0;
    int runsPerSample = 1; // warm blocks: several runs per sample, each sample divided by this
    bool converged = false; // relIqr reached the target before the cap
    // Page faults the process took per timed run: above zero, the allocator handed memory back between runs
    // and the times include faulting it in again, which the kernel itself does not cost.
    double pageFaultsPerRun = 0;
    nlohmann::json toJson() const;
};

// Times one device: a clock around launches, and the flush that makes a sample cold.
class DeviceTimer {
public:
    virtual ~DeviceTimer() = default;
    virtual void start() = 0;
    virtual double stopUs() = 0; // waits for the device
    virtual void synchronize() = 0;
    virtual void flush() = 0;
    virtual std::size_t flushBytes() const = 0;
};

std::unique_ptr<DeviceTimer> makeTimer(const c10::Device& device);

SampleStats sample(const std::function<void()>& run, DeviceTimer& timer, const SamplerOptions& options);

// Percentile with linear interpolation between closest ranks (numpy's default); values sorted.
double percentile(const std::vector<double>& sorted, double q);

} // namespace aotiscope::bench
