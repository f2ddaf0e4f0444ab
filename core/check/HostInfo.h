// What this machine offers a kernel library: CPU ISA extensions, CUDA compute capabilities, the active torch
// install, and the folders the dynamic loader searches. Gathered once; tests build one by hand.
#pragma once

#include <optional>
#include <set>
#include <utility>
#include <string>
#include <vector>

namespace aotiscope {

struct TorchInstall {
    std::string dir;     // .../site-packages/torch
    std::string version; // from torch/version.py, e.g. "2.13.0+cpu"
    std::string python;  // interpreter that found it
    std::string source;  // how that interpreter was chosen: "AOTISCOPE_PYTHON", "recorded at build", "PATH", ...
    std::string cuda;    // torch.version.cuda, e.g. "13.0"; empty for a CPU build
};

// Where the host's facts are read from: the real /proc and /sys, or a test's fakes of them.
struct HostSources {
    std::string proc = "/proc";
    std::string sys = "/sys";
};

// The interpreters that may hold the torch whose behaviour the verdicts describe, in the order they are tried:
// $AOTISCOPE_PYTHON (set by --python) alone when set; else the one recorded when AOTIScope was installed, the
// one recorded when it was built, then python3 on PATH. Never the folder AOTIScope was started in. (label, interpreter) pairs.
std::vector<std::pair<std::string, std::string>> pythonCandidates();

struct HostInfo {
    std::string machine;                 // uname -m
    std::set<std::string> cpuFlags;      // /proc/cpuinfo "flags" (x86) or "Features" (arm)
    std::optional<std::vector<std::string>> cudaComputeCapabilities; // e.g. {"90"}; nullopt: no NVIDIA driver
    std::optional<TorchInstall> torch;
    std::vector<std::string> librarySearchPath; // LD_LIBRARY_PATH, ld.so.conf folders, system defaults
    unsigned cpuCount = 0;               // CPUs this process may run on (its affinity mask)
    unsigned physicalCores = 0;          // distinct cores (/proc/cpuinfo, else /sys topology); 0: unknown
    std::string cpuModel;                // /proc/cpuinfo "model name"
    // Facts that could not be read, each "what: why" ("CPU flags: /proc/cpuinfo lists none"): the checks that
    // need them say they are off instead of passing.
    std::vector<std::string> unknownFacts;

    // The active torch's version, "" when none was found.
    std::string torchVersion() const { return torch ? torch->version : std::string(); }

    // Detects everything. The active torch is the one the first of pythonCandidates() imports, found without
    // importing it; AOTISCOPE_TORCH_DIR overrides.
    static HostInfo detect(const HostSources& sources = {});
};

// The symbol versions (.gnu.version_d) the library the loader finds for `soname` offers, searching `dirs` in
// order; nullopt when no such library is found. Remembered per path.
std::optional<std::vector<std::string>> providedVersions(const std::string& soname, const std::vector<std::string>& dirs,
                                                         std::string* foundAt = nullptr);
// "GLIBC_2.38" vs "GLIBC_2.36": the newest of `offered` with the same prefix as `wanted`, for messages.
std::string newestLike(const std::string& wanted, const std::vector<std::string>& offered);

// Reads torch/version.py's __version__ without running Python.
std::string readTorchVersion(const std::string& torchDir);
// The torch install at `dir` (its version.py read without running Python), found through `python` by `source`.
TorchInstall torchInstallAt(const std::string& dir, std::string python, std::string source);
// One `name = 'value'` field of a version.py text ("" when absent or None).
std::string readVersionPyField(const std::string& text, const std::string& name);
std::optional<TorchInstall> detectTorch();
std::set<std::string> parseCpuFlags(const std::string& cpuinfo);
// Distinct (physical id, core id) pairs: the cores without their SMT siblings, which is what torch's default
// thread count (and so inductor's) is. 0 when /proc/cpuinfo does not say.
unsigned countPhysicalCores(const std::string& cpuinfo);
// The same from /sys/devices/system/cpu/cpu*/topology (package and core ids) under sysDir; 0 when absent.
unsigned countPhysicalCoresFromSys(const std::string& sysDir);
// "9.0\n8.0\n" (nvidia-smi --query-gpu=compute_cap) -> {"90", "80"}
std::vector<std::string> parseComputeCapabilities(const std::string& smiOutput);
// The /proc/cpuinfo flags an AOTI_CPU_ISA word needs ("AVX512" -> avx512f, avx512bw, avx512vl, avx512dq).
std::vector<std::string> cpuFlagsForIsa(const std::string& isaWord);

} // namespace aotiscope
