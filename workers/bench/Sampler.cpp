#include "Sampler.h"

#include <ATen/ATen.h>
#include <c10/core/Event.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numeric>

#include <sys/resource.h>

namespace aotiscope::bench {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The last-level cache size from sysfs (the largest "index*/size"), or 32 MiB when sysfs says nothing.
std::size_t lastLevelCacheBytes() {
    std::size_t best = 0;
    for (int i = 0; i < 8; ++i) {
        std::ifstream in("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/size");
        std::string text;
        if (!(in >> text) || text.empty()) continue;
        std::size_t value = std::strtoull(text.c_str(), nullptr, 10);
        char unit = text.back();
        value *= unit == 'K' ? 1024 : unit == 'M' ? 1024 * 1024 : 1;
        best = std::max(best, value);
    }
    return best ? best : std::size_t(32) << 20;
}

class CpuTimer final : public DeviceTimer {
public:
    CpuTimer() : buffer_(2 * lastLevelCacheBytes()) {}
    void start() override { t0_ = Clock::now(); }
    double stopUs() override { return std::chrono::duration<double, std::micro>(Clock::now() - t0_).count(); }
    void synchronize() override {}
    void flush() override {
        std::memset(buffer_.data(), ++fill_, buffer_.size());
        volatile char sink = buffer_[buffer_.size() / 2];
        (void)sink;
    }
    std::size_t flushBytes() const override { return buffer_.size(); }

private:
    Clock::time_point t0_;
    std::vector<char> buffer_;
    char fill_ = 0;
};

// Device events through c10's device-generic interface: no CUDA code at compile time, so one worker build
// serves any device whose runtime libtorch has loaded.
class EventTimer final : public DeviceTimer {
public:
    explicit EventTimer(const c10::Device& device)
        : device_(device), impl_(device.type()), startEvent_(device.type(), c10::EventFlag::BACKEND_DEFAULT),
          stopEvent_(device.type(), c10::EventFlag::BACKEND_DEFAULT),
          // 256 MiB: at least twice the L2 of current data-centre GPUs (H100 50 MB, H200 60 MB, B200 126 MB).
          buffer_(at::empty({std::int64_t(256) << 20}, at::TensorOptions().dtype(at::kByte).device(device))) {}
    void start() override { startEvent_.record(impl_.getStream(device_)); }
    double stopUs() override {
        stopEvent_.record(impl_.getStream(device_));
        stopEvent_.synchronize();
        return startEvent_.elapsedTime(stopEvent_) * 1000.0;
    }
    void synchronize() override { impl_.synchronizeDevice(device_.index()); }
    void flush() override { buffer_.fill_(fill_ = (fill_ + 1) % 128); } // a byte value, never the same twice in a row
    std::size_t flushBytes() const override { return std::size_t(buffer_.nbytes()); }

private:
    c10::Device device_;
    c10::impl::VirtualGuardImpl impl_;
    c10::Event startEvent_, stopEvent_;
    at::Tensor buffer_;
    std::int64_t fill_ = 0;
};

// Minor and major page faults of the whole process so far (kernel threads included).
long pageFaults() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt + usage.ru_majflt;
}

SampleStats summarize(std::vector<double> xs, int runsPerSample, bool converged) {
    SampleStats s;
    std::sort(xs.begin(), xs.end());
    s.samples = int(xs.size());
    s.runsPerSample = runsPerSample;
    s.converged = converged;
    if (xs.empty()) return s;
    s.medianUs = percentile(xs, 0.5);
    s.p20Us = percentile(xs, 0.2);
    s.p80Us = percentile(xs, 0.8);
    s.minUs = xs.front();
    s.maxUs = xs.back();
    s.meanUs = std::accumulate(xs.begin(), xs.end(), 0.0) / double(xs.size());
    s.relIqr = s.medianUs > 0 ? (percentile(xs, 0.75) - percentile(xs, 0.25)) / s.medianUs : 0;
    return s;
}

double relIqrOf(std::vector<double> xs) {
    std::sort(xs.begin(), xs.end());
    double median = percentile(xs, 0.5);
    return median > 0 ? (percentile(xs, 0.75) - percentile(xs, 0.25)) / median : 0;
}

} // namespace

double percentile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return 0;
    double pos = q * double(sorted.size() - 1);
    auto lo = std::size_t(std::floor(pos));
    auto hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - double(lo));
}

nlohmann::json SampleStats::toJson() const {
    return {{"median_us", medianUs}, {"p20_us", p20Us}, {"p80_us", p80Us}, {"min_us", minUs}, {"max_us", maxUs},
            {"mean_us", meanUs}, {"rel_iqr", relIqr}, {"samples", samples}, {"runs_per_sample", runsPerSample},
            {"converged", converged}, {"page_faults_per_run", pageFaultsPerRun}};
}

std::unique_ptr<DeviceTimer> makeTimer(const c10::Device& device) {
    if (device.is_cpu()) return std::make_unique<CpuTimer>();
    return std::make_unique<EventTimer>(device);
}

SampleStats sample(const std::function<void()>& run, DeviceTimer& timer, const SamplerOptions& options) {
    // Warm-up by time, which also tells how long one run takes.
    auto t0 = Clock::now();
    int warmRuns = 0;
    timer.synchronize();
    do {
        run();
        timer.synchronize();
        ++warmRuns;
    } while (msSince(t0) < options.warmupMs);
    double perRunUs = msSince(t0) * 1000.0 / warmRuns;

    // Warm samples: a block long enough (20 us) for the clock's resolution and launch jitter not to dominate.
    int runsPerSample = options.cold ? 1 : std::clamp(int(std::ceil(20.0 / std::max(perRunUs, 1e-3))), 1, 10000);
    std::vector<double> xs;
    bool converged = false;
    t0 = Clock::now();
    long faultsBefore = pageFaults();
    for (;;) {
        if (options.cold) timer.flush();
        timer.synchronize();
        timer.start();
        for (int i = 0; i < runsPerSample; ++i) run();
        xs.push_back(timer.stopUs() / runsPerSample);
        int n = int(xs.size());
        if (n >= options.minSamples && (n % 5 == 0) && relIqrOf(xs) < options.targetRelIqr) {
            converged = true;
            break;
        }
        double elapsed = msSince(t0);
        // The cap ends sampling once the minimum count is there; a very slow kernel still stops at 10x the cap.
        if ((elapsed >= options.maxMs && n >= options.minSamples) || elapsed >= 10 * options.maxMs) break;
    }
    long faults = pageFaults() - faultsBefore;
    auto stats = summarize(std::move(xs), runsPerSample, converged);
    stats.pageFaultsPerRun = double(faults) / double(std::max(1, stats.samples * runsPerSample));
    return stats;
}

} // namespace aotiscope::bench
