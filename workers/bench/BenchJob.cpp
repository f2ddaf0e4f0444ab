#include "BenchJob.h"

#include "ArgumentBuilder.h"
#include "OutputCheck.h"
#include "Roofline.h"
#include "Sampler.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/inductor/aoti_runner/model_container_runner.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>

namespace aotiscope::bench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The architecture's rule: never load a library whose resolved path leaves the cache root.
std::string checkedLibrary(const std::string& library, const std::string& root) {
    std::error_code ec;
    auto lib = fs::canonical(library, ec);
    if (ec) throw std::runtime_error("cannot resolve the library " + library + ": " + ec.message());
    auto base = fs::canonical(root, ec);
    if (ec) throw std::runtime_error("cannot resolve the cache root " + root + ": " + ec.message());
    auto rel = lib.lexically_relative(base);
    if (rel.empty() || *rel.begin() == "..") {
        throw std::runtime_error("refused: the library " + library + " resolves to " + lib.string() +
                                 ", outside the cache root " + base.string());
    }
    return lib.string();
}

// Before anything is built on it: a device this process cannot use gets one sentence, not c10's list of
// backends an operator exists for.
void requireDevice(const c10::Device& device) {
    if (device.is_cpu()) return;
    auto name = c10::DeviceTypeName(device.type(), /*lower_case=*/true);
    if (!c10::impl::hasDeviceGuardImpl(device.type())) {
        throw std::runtime_error("this libtorch has no " + name + " support (a CPU-only build?): the entry needs " +
                                 device.str() + "; benchmark it where torch has " + name + " and a GPU");
    }
    auto count = c10::impl::getDeviceGuardImpl(device.type())->deviceCount();
    if (device.index() >= count) {
        throw std::runtime_error("no " + device.str() + " here (" + std::to_string(count) + " " + name +
                                 " device(s) visible): the entry needs it");
    }
}

std::unique_ptr<torch::inductor::AOTIModelContainerRunner> loadRunner(const std::string& library, const c10::Device& device) {
    auto& registry = torch::inductor::getAOTIModelRunnerRegistry();
    auto name = c10::DeviceTypeName(device.type(), /*lower_case=*/true);
    auto it = registry.find(name);
    if (it == registry.end()) {
        std::string known;
        for (const auto& [k, v] : registry) known += (known.empty() ? "" : ", ") + k;
        throw std::runtime_error("this libtorch has no AOTI runner for " + name + " (it has: " + known + ")");
    }
    // Exactly what kernel_holder.cpp does: one model, no cubin folder, not single-threaded.
    return it->second(library, 1, device.str(), "", false);
}

std::size_t bytesOf(const std::vector<at::Tensor>& ts) {
    std::size_t n = 0;
    for (const auto& t : ts) n += std::size_t(t.numel()) * t.element_size();
    return n;
}

SamplerOptions samplerOptions(const json& o) {
    SamplerOptions s;
    s.warmupMs = o.value("warmup_ms", s.warmupMs);
    s.maxMs = o.value("max_ms", s.maxMs);
    s.minRounds = std::max(2, o.value("min_rounds", s.minRounds));
    s.samplesPerRound = std::clamp(o.value("samples_per_round", s.samplesPerRound), 1, 100);
    s.targetRelCi = o.value("target_rel_ci", s.targetRelCi);
    s.cold = o.value("cold", s.cold);
    return s;
}

struct DeviceState {
    std::unique_ptr<DeviceTimer> timer;
    std::optional<Ceiling> ceiling; // measured once per worker and device: "in the same run"
};

DeviceState& stateFor(const c10::Device& device) {
    static std::map<std::string, DeviceState> states;
    auto& s = states[device.str()];
    if (!s.timer) s.timer = makeTimer(device);
    return s;
}

// The SM clock, its maximum and the active clock-event (throttle) reasons of an NVIDIA GPU, from nvidia-smi;
// empty where there is none.
std::string gpuClocks(const c10::Device& device) {
    if (!device.is_cuda()) return {};
    auto command = "nvidia-smi -i " + std::to_string(device.index()) +
                   " --query-gpu=clocks.sm,clocks.max.sm,clocks_event_reasons.active --format=csv,noheader 2>/dev/null";
    std::string out;
    if (FILE* p = popen(command.c_str(), "r")) {
        char buf[256];
        while (std::fgets(buf, sizeof buf, p)) out += buf;
        pclose(p);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

void noteThrottling(const std::string& before, const std::string& after, NoiseReport& noise) {
    if (before.empty() && after.empty()) return;
    // "1980 MHz, 1980 MHz, 0x0000000000000000": a reason other than idle (bit 0) means the clocks were held down.
    auto reasons = after.substr(after.rfind(',') == std::string::npos ? 0 : after.rfind(',') + 1);
    auto value = std::strtoull(reasons.c_str(), nullptr, 16) & ~1ULL;
    if (value != 0 || before.substr(0, before.find(',')) != after.substr(0, after.find(','))) {
        noise.signs.push_back("GPU clocks: " + before + " before, " + after + " after");
    }
}

} // namespace

std::string verdictFor(const json& r) {
    if (!r.at("check").at("ok").get<bool>()) return "wrong results";
    // From the speedup's interval, not from one run's medians: a verdict that the noise could flip is not given.
    const auto& ci = r.at("speedup_ci");
    double lo = ci.at(0).get<double>(), hi = ci.at(1).get<double>(), mid = r.at("speedup").get<double>();
    if (mid > 0 && (hi - lo) / 2 > 0.10 * mid) return "noisy";
    if (hi < 1.0) return "slower than eager";
    double fraction = r.value("fraction_of_ceiling", 0.0);
    return fraction >= 0.7 ? "memory-bound near roof" : "far from roof";
}

std::string versusEager(const json& r) {
    const auto& ci = r.at("speedup_ci");
    double lo = ci.at(0).get<double>(), hi = ci.at(1).get<double>();
    if (lo > 1.0) return "faster";
    if (hi < 1.0) return "slower";
    return "same";
}

void runLoadJob(const json& request, const EventSink& emit) {
    const auto id = request.value("id", "");
    emit({{"id", id}, {"event", "started"}});
    auto library = checkedLibrary(request.at("library").get<std::string>(), request.at("root").get<std::string>());
    c10::Device device(request.value("device", "cpu"));
    if (!device.is_cpu() && !device.has_index()) device.set_index(0);
    requireDevice(device);
    auto t0 = std::chrono::steady_clock::now();
    auto runner = loadRunner(library, device);
    emit({{"id", id}, {"event", "finished"}, {"result", {{"loaded", true}, {"load_ms", msSince(t0)}, {"library", library}}}});
}

void runBenchJob(const json& request, const EventSink& emit) {
    const auto id = request.value("id", "");
    auto progress = [&](double fraction, const std::string& stage) {
        emit({{"id", id}, {"event", "progress"}, {"fraction", fraction}, {"stage", stage}});
    };
    emit({{"id", id}, {"event", "started"}});
    auto library = checkedLibrary(request.at("library").get<std::string>(), request.at("root").get<std::string>());
    std::string deviceText = request.value("device", "cpu");
    c10::Device device(deviceText);
    if (!device.is_cpu() && !device.has_index()) device.set_index(0);
    requireDevice(device);
    auto options = samplerOptions(request.value("options", json::object()));
    if (int threads = request.value("options", json::object()).value("threads", 0); threads > 0) at::set_num_threads(threads);

    auto call = prepareCall(request.value("ns", "aten"), request.at("op").get<std::string>(), request.at("meta_info"),
                            request.value("seed", std::uint64_t(0)));
    at::NoGradGuard noGrad;
    // The device's context exists before the library loads (the timer allocates on it): PyTorch's CUDA runner
    // assumes one, and an op without tensor inputs (tril_indices) would not have made it.
    auto& state = stateFor(device);
    auto t0 = std::chrono::steady_clock::now();
    auto runner = loadRunner(library, device);
    double loadMs = msSince(t0);
    progress(0.1, "library loaded");

    auto kernelOut = runner->run(call.kernelInputs);
    auto eagerStack = call.stack;
    call.op.callBoxed(eagerStack);
    auto eagerOut = flattenTensors(eagerStack);
    state.timer->synchronize();
    auto check = compareOutputs(kernelOut, eagerOut);

    json result{{"library", library}, {"device", device.str()}, {"device_name", deviceName(device)},
                {"threads", at::get_num_threads()}, {"mode", options.cold ? "cold" : "warm"},
                {"flush_bytes", options.cold ? state.timer->flushBytes() : 0}, {"load_ms", loadMs},
                {"schema", call.signature}, {"check", check.toJson()}};
    if (!check.ok) {
        result["verdict"] = verdictFor(result);
        emit({{"id", id}, {"event", "finished"}, {"result", result}});
        return;
    }
    progress(0.2, "outputs match eager");

    auto clocksBefore = gpuClocks(device);
    auto timed = sampleInterleaved([&] { runner->run(call.kernelInputs); },
                                   [&] {
                                       auto stack = call.stack;
                                       call.op.callBoxed(stack);
                                   },
                                   *state.timer, options);
    const auto& kernel = timed.kernel;
    const auto& eager = timed.eager;
    noteThrottling(clocksBefore, gpuClocks(device), timed.noise);
    progress(0.85, "kernel and eager timed");
    if (!device.is_cpu()) {
        // After the rounds, never during them: the profiler costs time of its own.
        auto kernelProfile = state.timer->profileKernels([&] { runner->run(call.kernelInputs); }, 100);
        auto eagerProfile = state.timer->profileKernels([&] {
            auto stack = call.stack;
            call.op.callBoxed(stack);
        }, 100);
        result["kernels"] = {{"aoti", kernelProfile.toJson()}, {"eager", eagerProfile.toJson()}};
        if (kernelProfile.medianUs > 0 && eagerProfile.medianUs > 0) {
            result["kernels"]["speedup"] = eagerProfile.medianUs / kernelProfile.medianUs;
        }
    }
    progress(0.9, "kernels profiled");
    if (!state.ceiling) state.ceiling = measureCopyCeiling(device, *state.timer);

    auto bytes = bytesOf(call.kernelInputs) + bytesOf(kernelOut);
    double gbps = kernel.medianUs > 0 ? double(bytes) / (kernel.medianUs * 1e3) : 0;
    result["aoti"] = kernel.toJson();
    result["eager"] = eager.toJson();
    result["speedup"] = timed.speedup;
    result["speedup_ci"] = {timed.speedupLo, timed.speedupHi};
    result["rounds"] = timed.rounds;
    result["converged"] = timed.converged;
    result["target_rel_ci"] = options.targetRelCi;
    result["noise"] = timed.noise.toJson();
    result["method"] = options.cold ? (device.is_cpu() ? "interleaved rounds, last-level cache flushed before each sample"
                                                        : "interleaved rounds, do_bench style: L2 flush and launch queued without host sync, events around the launch")
                                    : "interleaved rounds, back-to-back runs";
    result["bytes"] = bytes;
    result["gbps"] = gbps;
    result["ceiling"] = {{"gbps", state.ceiling->gbps}, {"bytes", state.ceiling->bytes},
                         {"rel_iqr", state.ceiling->stats.relIqr}, {"method", "copy of a large buffer, same device and run"}};
    result["fraction_of_ceiling"] = state.ceiling->gbps > 0 ? gbps / state.ceiling->gbps : 0;
    if (auto peak = datasheetPeakGbps(result["device_name"].get<std::string>())) {
        result["peak_gbps"] = *peak;
        result["fraction_of_peak"] = gbps / *peak;
    } else {
        result["peak_gbps"] = nullptr;
        result["fraction_of_peak"] = nullptr;
    }
    result["verdict"] = verdictFor(result);
    result["versus_eager"] = versusEager(result);
    emit({{"id", id}, {"event", "finished"}, {"result", result}});
}

} // namespace aotiscope::bench
