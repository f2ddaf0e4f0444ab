#include "Roofline.h"

#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>

namespace aotiscope::bench {

namespace {

std::string trimmed(std::string s) {
    auto b = s.find_first_not_of(" \t");
    auto e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// "Model: NVIDIA H100 80GB HBM3" from the driver's /proc files: no CUDA API needed.
std::string nvidiaModel(int index) {
    std::error_code ec;
    std::vector<std::string> gpus;
    for (const auto& d : std::filesystem::directory_iterator("/proc/driver/nvidia/gpus", ec)) gpus.push_back(d.path());
    std::sort(gpus.begin(), gpus.end()); // PCI bus order, which CUDA's default device order follows
    if (index < 0 || std::size_t(index) >= gpus.size()) return {};
    std::ifstream in(gpus[std::size_t(index)] + "/information");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("Model:", 0) == 0) return trimmed(line.substr(6));
    }
    return {};
}

} // namespace

Ceiling measureCopyCeiling(const c10::Device& device, DeviceTimer& timer) {
    // Large enough to stream from memory: source and destination each as large as the flush buffer (twice the
    // last-level cache), at least 64 MiB. Four times the flush buffer each, as before, was 2 GiB apiece on a VM
    // reporting a 260 MiB L3: 6.5 s of page faults and copies before the first verdict, in every new worker.
    auto bytes = std::max<std::size_t>(std::size_t(64) << 20, timer.flushBytes());
    if (!device.is_cpu()) bytes = std::size_t(1) << 30;
    auto opts = at::TensorOptions().dtype(at::kByte).device(device);
    auto src = at::ones({std::int64_t(bytes)}, opts);
    auto dst = at::empty({std::int64_t(bytes)}, opts);
    SamplerOptions o;
    o.cold = false;
    o.minSamples = 10;
    o.maxMs = 400;
    o.targetRelIqr = 0.02;
    Ceiling c;
    c.bytes = bytes;
    c.stats = sample([&] { dst.copy_(src); }, timer, o);
    c.gbps = c.stats.medianUs > 0 ? 2.0 * double(bytes) / (c.stats.medianUs * 1e3) : 0;
    return c;
}

std::string deviceName(const c10::Device& device) {
    if (device.is_cuda()) return nvidiaModel(device.has_index() ? device.index() : 0);
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("model name", 0) == 0) return trimmed(line.substr(line.find(':') + 1));
    }
    return {};
}

std::optional<double> datasheetPeakGbps(const std::string& name) {
    // HBM/GDDR bandwidth from NVIDIA's datasheets, most specific names first.
    static const std::pair<const char*, double> table[] = {
        {"H200", 4800}, {"H100 NVL", 3900}, {"H100 PCIe", 2000}, {"H100", 3350}, {"GH200", 4000},
        {"B200", 8000}, {"A100-SXM4-80GB", 2039}, {"A100 80GB PCIe", 1935}, {"A100", 1555},
        {"L40S", 864}, {"L40", 864}, {"L4", 300}, {"A10", 600}, {"V100", 900}, {"RTX 4090", 1008}};
    for (const auto& [key, gbps] : table) {
        if (name.find(key) != std::string::npos) return gbps;
    }
    return std::nullopt;
}

} // namespace aotiscope::bench
