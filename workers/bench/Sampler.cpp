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
#include <random>
#include <thread>

#include <cstdarg>
#include <sched.h>

#include <sys/resource.h>

namespace aotiscope::bench {

namespace {

using Clock = std::chrono::steady_clock;

std::string formatted(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string formatted(const char* format, ...) {
    char text[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    return text;
}

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
    CpuTimer() : flushBytes_(2 * lastLevelCacheBytes()) {}
    std::vector<double> timeBatch(const std::function<void()>& run, int runs, int samples, bool flushFirst) override {
        std::vector<double> out;
        out.reserve(std::size_t(samples));
        for (int s = 0; s < samples; ++s) {
            if (flushFirst) flush();
            auto t0 = Clock::now();
            for (int i = 0; i < runs; ++i) run();
            out.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / runs);
        }
        return out;
    }
    void synchronize() override {}
    std::size_t flushBytes() const override { return flushBytes_; }
    KernelProfile profileKernels(const std::function<void()>&, int) override {
        KernelProfile p;
        p.unavailable = "the CPU has no device activities: its time is the clock's";
        return p;
    }

private:
    void flush() {
        // Made at the first cold sample: warm runs (the CPU's default) never touch it.
        if (buffer_.empty()) buffer_.resize(flushBytes_);
        std::memset(buffer_.data(), ++fill_, buffer_.size());
        volatile char sink = buffer_[buffer_.size() / 2];
        (void)sink;
    }
    std::size_t flushBytes_;
    std::vector<char> buffer_;
    char fill_ = 0;
};

// Device events through c10's device-generic interface: no CUDA code at compile time, so one worker build
// serves any device whose runtime libtorch has loaded. As do_bench: nothing waits on the host between the flush
// and the timed launches, so the flush (hundreds of microseconds of GPU work) hides the launches' host latency,
// and an event pair brackets only GPU work.
class EventTimer final : public DeviceTimer {
public:
    explicit EventTimer(const c10::Device& device)
        : device_(device), impl_(device.type()),
          // 256 MiB: at least twice the L2 of current data-centre GPUs (H100 50 MB, H200 60 MB, B200 126 MB).
          buffer_(at::empty({std::int64_t(256) << 20}, at::TensorOptions().dtype(at::kByte).device(device))) {}
    std::vector<double> timeBatch(const std::function<void()>& run, int runs, int samples, bool flushFirst) override {
        while (int(events_.size()) < 2 * samples) {
            events_.push_back(std::make_unique<c10::Event>(device_.type(), c10::EventFlag::BACKEND_DEFAULT));
        }
        auto stream = impl_.getStream(device_);
        for (int s = 0; s < samples; ++s) {
            if (flushFirst) flush();
            events_[std::size_t(2 * s)]->record(stream);
            for (int i = 0; i < runs; ++i) run();
            events_[std::size_t(2 * s + 1)]->record(stream);
        }
        events_[std::size_t(2 * samples - 1)]->synchronize();
        std::vector<double> out;
        out.reserve(std::size_t(samples));
        for (int s = 0; s < samples; ++s) {
            out.push_back(events_[std::size_t(2 * s)]->elapsedTime(*events_[std::size_t(2 * s + 1)]) * 1000.0 / runs);
        }
        return out;
    }
    void synchronize() override { impl_.synchronizeDevice(device_.index()); }
    std::size_t flushBytes() const override { return std::size_t(buffer_.nbytes()); }
    KernelProfile profileKernels(const std::function<void()>& run, int calls) override {
        return bench::profileKernels(device_, run, [this] { flush(); }, calls);
    }

private:
    void flush() { buffer_.fill_(fill_ = (fill_ + 1) % 128); } // a byte value, never the same twice in a row
    c10::Device device_;
    c10::impl::VirtualGuardImpl impl_;
    std::vector<std::unique_ptr<c10::Event>> events_;
    at::Tensor buffer_;
    std::int64_t fill_ = 0;
};

// Minor and major page faults of the whole process so far (kernel threads included).
long pageFaults() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt + usage.ru_majflt;
}

long involuntarySwitches() {
    rusage usage{};
    getrusage(RUSAGE_THREAD, &usage);
    return usage.ru_nivcsw;
}

double loadAverage() {
    std::ifstream in("/proc/loadavg");
    double v = -1;
    return in >> v ? v : -1;
}

double currentCpuMhz() {
    int cpu = sched_getcpu();
    std::ifstream in("/sys/devices/system/cpu/cpu" + std::to_string(cpu < 0 ? 0 : cpu) + "/cpufreq/scaling_cur_freq");
    double khz = 0;
    return in >> khz ? khz / 1000.0 : 0;
}

SampleStats summarize(std::vector<double> xs, int runsPerSample, bool converged) {
    SampleStats s;
    auto [lo, hi] = bootstrapMedianCi(xs);
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
    s.medianCiLoUs = lo;
    s.medianCiHiUs = hi;
    return s;
}

double relIqrOf(std::vector<double> xs) {
    std::sort(xs.begin(), xs.end());
    double median = percentile(xs, 0.5);
    return median > 0 ? (percentile(xs, 0.75) - percentile(xs, 0.25)) / median : 0;
}

double median(std::vector<double> xs) {
    std::sort(xs.begin(), xs.end());
    return percentile(xs, 0.5);
}

// Warm-up by time, which also tells how long one run takes; returns the runs per sample: one for cold samples
// (each its own flush), else a block long enough (20 us) for the clock's resolution not to dominate.
int warmUp(const std::function<void()>& run, DeviceTimer& timer, const SamplerOptions& options) {
    auto t0 = Clock::now();
    int warmRuns = 0;
    timer.synchronize();
    do {
        run();
        timer.synchronize();
        ++warmRuns;
    } while (msSince(t0) < options.warmupMs);
    double perRunUs = msSince(t0) * 1000.0 / warmRuns;
    return options.cold ? 1 : std::clamp(int(std::ceil(20.0 / std::max(perRunUs, 1e-3))), 1, 10000);
}

} // namespace

double percentile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return 0;
    double pos = q * double(sorted.size() - 1);
    auto lo = std::size_t(std::floor(pos));
    auto hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - double(lo));
}

std::pair<double, double> bootstrapMedianCi(const std::vector<double>& values, int resamples) {
    if (values.empty()) return {0, 0};
    std::mt19937_64 rng(0x5eed);
    std::uniform_int_distribution<std::size_t> pick(0, values.size() - 1);
    std::vector<double> medians, draw(values.size());
    medians.reserve(std::size_t(resamples));
    for (int r = 0; r < resamples; ++r) {
        for (auto& d : draw) d = values[pick(rng)];
        medians.push_back(median(draw));
    }
    std::sort(medians.begin(), medians.end());
    return {percentile(medians, 0.025), percentile(medians, 0.975)};
}

nlohmann::json SampleStats::toJson() const {
    return {{"median_us", medianUs}, {"p20_us", p20Us}, {"p80_us", p80Us}, {"min_us", minUs}, {"max_us", maxUs},
            {"mean_us", meanUs}, {"rel_iqr", relIqr}, {"median_ci_us", {medianCiLoUs, medianCiHiUs}},
            {"samples", samples}, {"runs_per_sample", runsPerSample}, {"converged", converged},
            {"page_faults_per_run", pageFaultsPerRun}};
}

nlohmann::json NoiseReport::toJson() const {
    return {{"involuntary_switches_per_sample", involuntarySwitchesPerSample},
            {"load_average", loadAverage < 0 ? nlohmann::json(nullptr) : nlohmann::json(loadAverage)},
            {"cpus", cpus},
            {"cpu_mhz", cpuMhzStart > 0 ? nlohmann::json{cpuMhzStart, cpuMhzEnd} : nlohmann::json(nullptr)},
            {"signs", signs}};
}

std::unique_ptr<DeviceTimer> makeTimer(const c10::Device& device) {
    if (device.is_cpu()) return std::make_unique<CpuTimer>();
    return std::make_unique<EventTimer>(device);
}

SampleStats sample(const std::function<void()>& run, DeviceTimer& timer, const SamplerOptions& options) {
    int runsPerSample = warmUp(run, timer, options);
    std::vector<double> xs;
    bool converged = false;
    auto t0 = Clock::now();
    long faultsBefore = pageFaults();
    for (;;) {
        auto batch = timer.timeBatch(run, runsPerSample, 5, options.cold);
        xs.insert(xs.end(), batch.begin(), batch.end());
        int n = int(xs.size());
        if (n >= options.minSamples && relIqrOf(xs) < options.targetRelIqr) {
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

InterleavedResult sampleInterleaved(const std::function<void()>& kernel, const std::function<void()>& eager,
                                    DeviceTimer& timer, const SamplerOptions& options) {
    int kernelRuns = warmUp(kernel, timer, options);
    int eagerRuns = warmUp(eager, timer, options);
    InterleavedResult r;
    r.noise.cpus = std::thread::hardware_concurrency();
    r.noise.cpuMhzStart = currentCpuMhz();
    double loadBefore = loadAverage();
    long switchesBefore = involuntarySwitches();
    long faultsBefore = pageFaults();
    std::vector<double> ks, es, ratios;
    const int n = std::max(1, options.samplesPerRound);
    auto t0 = Clock::now();
    for (int round = 0;; ++round) {
        std::vector<double> k, e;
        if (round % 2 == 0) {
            k = timer.timeBatch(kernel, kernelRuns, n, options.cold);
            e = timer.timeBatch(eager, eagerRuns, n, options.cold);
        } else {
            e = timer.timeBatch(eager, eagerRuns, n, options.cold);
            k = timer.timeBatch(kernel, kernelRuns, n, options.cold);
        }
        double km = median(k), em = median(e);
        if (km > 0) ratios.push_back(em / km);
        ks.insert(ks.end(), k.begin(), k.end());
        es.insert(es.end(), e.begin(), e.end());
        int rounds = round + 1;
        double elapsed = msSince(t0);
        if (rounds >= options.minRounds && rounds % 5 == 0 && !ratios.empty()) {
            auto [lo, hi] = bootstrapMedianCi(ratios, 1000);
            double mid = median(ratios);
            if (mid > 0 && (hi - lo) / 2 <= options.targetRelCi * mid) {
                r.converged = true;
            }
        }
        bool capped = (elapsed >= options.maxMs && rounds >= options.minRounds) || elapsed >= 10 * options.maxMs;
        if (r.converged || capped) {
            r.rounds = rounds;
            break;
        }
    }
    long faults = pageFaults() - faultsBefore;
    r.kernel = summarize(ks, kernelRuns, r.converged);
    r.eager = summarize(es, eagerRuns, r.converged);
    r.kernel.pageFaultsPerRun = double(faults) / double(std::max(1, r.kernel.samples * kernelRuns + r.eager.samples * eagerRuns));
    r.eager.pageFaultsPerRun = r.kernel.pageFaultsPerRun;
    r.speedup = median(ratios);
    std::tie(r.speedupLo, r.speedupHi) = bootstrapMedianCi(ratios);

    auto& noise = r.noise;
    noise.cpuMhzEnd = currentCpuMhz();
    noise.loadAverage = std::max(loadBefore, loadAverage());
    noise.involuntarySwitchesPerSample =
        double(involuntarySwitches() - switchesBefore) / double(std::max<std::size_t>(1, ks.size() + es.size()));
    if (noise.involuntarySwitchesPerSample > 0.05) {
        noise.signs.push_back(formatted("the worker was taken off its core %.2f times per sample: other processes want these CPUs",
                                        noise.involuntarySwitchesPerSample));
    }
    if (noise.loadAverage > double(noise.cpus)) {
        noise.signs.push_back(formatted("load average %.1f on %u CPUs", noise.loadAverage, noise.cpus));
    }
    if (noise.cpuMhzStart > 0 && std::abs(noise.cpuMhzEnd - noise.cpuMhzStart) > 0.05 * noise.cpuMhzStart) {
        noise.signs.push_back(formatted("the CPU clock moved from %.0f to %.0f MHz", noise.cpuMhzStart, noise.cpuMhzEnd));
    }
    return r;
}

} // namespace aotiscope::bench
