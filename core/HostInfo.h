// What this machine offers a kernel library: CPU ISA extensions, CUDA compute capabilities, the active torch
// install, and the folders the dynamic loader searches. Gathered once; tests build one by hand.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace aotiscope {

struct TorchInstall {
    std::string dir;     // .../site-packages/torch
    std::string version; // from torch/version.py, e.g. "2.13.0+cpu"
    std::string python;  // interpreter that found it
};

struct HostInfo {
    std::string machine;                 // uname -m
    std::set<std::string> cpuFlags;      // /proc/cpuinfo "flags" (x86) or "Features" (arm)
    std::optional<std::vector<std::string>> cudaComputeCapabilities; // e.g. {"90"}; nullopt: no NVIDIA driver
    std::optional<TorchInstall> torch;
    std::vector<std::string> librarySearchPath; // LD_LIBRARY_PATH, ld.so.conf folders, system defaults
    unsigned cpuCount = 0;               // CPUs this process may run on (its affinity mask)
    unsigned physicalCores = 0;          // distinct (physical id, core id) in /proc/cpuinfo; 0: not listed

    // Detects everything. The active torch is the one `python` imports (AOTISCOPE_PYTHON, else the
    // project's .venv, else python3 on PATH), found without importing it; AOTISCOPE_TORCH_DIR overrides.
    static HostInfo detect();
};

// Reads torch/version.py's __version__ without running Python.
std::string readTorchVersion(const std::string& torchDir);
std::optional<TorchInstall> detectTorch();
std::set<std::string> parseCpuFlags(const std::string& cpuinfo);
// Distinct (physical id, core id) pairs: the cores without their SMT siblings, which is what torch's default
// thread count (and so inductor's) is. 0 when /proc/cpuinfo does not say.
unsigned countPhysicalCores(const std::string& cpuinfo);
// "9.0\n8.0\n" (nvidia-smi --query-gpu=compute_cap) -> {"90", "80"}
std::vector<std::string> parseComputeCapabilities(const std::string& smiOutput);
// The /proc/cpuinfo flags an AOTI_CPU_ISA word needs ("AVX512" -> avx512f, avx512bw, avx512vl, avx512dq).
std::vector<std::string> cpuFlagsForIsa(const std::string& isaWord);

} // namespace aotiscope
