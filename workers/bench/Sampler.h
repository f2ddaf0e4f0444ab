// The timing method of docs/benchmarking.md. Samples are taken in batches through the device's timer: on a GPU
// as triton's do_bench does (the cache flush and the timed launches queued with no host synchronisation between
// them, device events around the launches, one synchronisation per batch), on the CPU with the steady clock.
// The kernel and eager are timed in interleaved rounds (kernel first in even rounds, eager first in odd ones),
// so that load and frequency drifting during a run touch both alike; the speedup is the median of the rounds'
// eager/kernel ratios with a bootstrap confidence interval, and sampling stops once that interval is narrow
// enough or a time cap is reached.
#pragma once

#include "KernelProfile.h"

#include <c10/core/Device.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

namespace aotiscope::bench {

struct SamplerOptions {
    double warmupMs = 25.0;
    double maxMs = 2000.0;      // both series together
    int minRounds = 10;
    int samplesPerRound = 5;    // per series and round: one batch, one host synchronisation
    double targetRelCi = 0.02;  // stop when the speedup's 95 % interval is within ±2 %
    double targetRelIqr = 0.01; // single series (the copy ceiling)
    int minSamples = 25;        // single series
    bool cold = true;
};

struct SampleStats {
    double medianUs = 0, p20Us = 0, p80Us = 0, minUs = 0, maxUs = 0, meanUs = 0;
    double relIqr = 0;    // (p75 - p25) / median
    double medianCiLoUs = 0, medianCiHiUs = 0; // bootstrap 95 % interval of the median
    int samples = 0;
    int runsPerSample = 1; // warm blocks: several runs per sample, each sample divided by this
    bool converged = false;
    // Page faults the process took per timed run: above zero, the allocator handed memory back between runs
    // and the times include faulting it in again, which the kernel itself does not cost.
    double pageFaultsPerRun = 0;
    nlohmann::json toJson() const;
};

// What else happened on the machine while it sampled: the signs that make figures swing.
struct NoiseReport {
    double involuntarySwitchesPerSample = 0; // this thread taken off its core (another process wanted it)
    double loadAverage = -1;                 // /proc/loadavg, 1 minute; -1 unknown
    unsigned cpus = 0;
    double cpuMhzStart = 0, cpuMhzEnd = 0;   // cpufreq of the worker's core; 0 where the kernel does not say
    std::vector<std::string> signs;          // in words, empty when none was seen
    nlohmann::json toJson() const;
};

struct InterleavedResult {
    SampleStats kernel, eager;
    double speedup = 0, speedupLo = 0, speedupHi = 0; // eager time / kernel time, median of rounds, 95 % interval
    int rounds = 0;
    bool converged = false; // the interval reached the target before the cap
    NoiseReport noise;
};

// Times one device: batches of samples, each optionally preceded by a cache flush outside the timed region.
class DeviceTimer {
public:
    virtual ~DeviceTimer() = default;
    // `samples` samples of `runs` back-to-back runs each; returns microseconds per run for each sample.
    virtual std::vector<double> timeBatch(const std::function<void()>& run, int runs, int samples, bool flushFirst) = 0;
    virtual void synchronize() = 0;
    virtual std::size_t flushBytes() const = 0;
    // The device's own record of the kernels of `calls` flushed calls (unavailable on the CPU).
    virtual KernelProfile profileKernels(const std::function<void()>& run, int calls) = 0;
};

std::unique_ptr<DeviceTimer> makeTimer(const c10::Device& device);

// One series until its relative IQR reaches options.targetRelIqr (the copy ceiling).
SampleStats sample(const std::function<void()>& run, DeviceTimer& timer, const SamplerOptions& options);
// The kernel against eager, in rounds.
InterleavedResult sampleInterleaved(const std::function<void()>& kernel, const std::function<void()>& eager,
                                    DeviceTimer& timer, const SamplerOptions& options);

// Percentile with linear interpolation between closest ranks (numpy's default); values sorted.
double percentile(const std::vector<double>& sorted, double q);
// The 95 % percentile-bootstrap interval of the median of `values` (fixed seed: the same data, the same interval).
std::pair<double, double> bootstrapMedianCi(const std::vector<double>& values, int resamples = 2000);

} // namespace aotiscope::bench
