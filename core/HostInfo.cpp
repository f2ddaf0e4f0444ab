#include "core/HostInfo.h"

#include "core/FileUtil.h"
#include "core/Subprocess.h"

#include <sched.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace aotiscope {

namespace fs = std::filesystem;

std::set<std::string> parseCpuFlags(const std::string& cpuinfo) {
    std::set<std::string> flags;
    std::istringstream in(cpuinfo);
    std::string line;
    while (std::getline(in, line)) {
        if (!(line.starts_with("flags") || line.starts_with("Features"))) {
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string::npos) {
            continue;
        }
        std::istringstream words(line.substr(colon + 1));
        std::string w;
        while (words >> w) {
            flags.insert(w);
        }
        break; // every core lists the same flags
    }
    return flags;
}

unsigned countPhysicalCores(const std::string& cpuinfo) {
    std::set<std::pair<std::string, std::string>> cores;
    std::istringstream in(cpuinfo);
    std::string line, package;
    auto value = [](const std::string& l) {
        auto colon = l.find(':');
        auto v = colon == std::string::npos ? std::string() : l.substr(colon + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        return v;
    };
    while (std::getline(in, line)) {
        if (line.starts_with("physical id")) package = value(line);
        else if (line.starts_with("core id")) cores.emplace(package, value(line));
    }
    return unsigned(cores.size());
}

std::vector<std::string> parseComputeCapabilities(const std::string& smiOutput) {
    std::vector<std::string> out;
    std::istringstream in(smiOutput);
    std::string line;
    while (std::getline(in, line)) {
        std::string cc;
        for (char c : line) {
            if (c >= '0' && c <= '9') {
                cc += c;
            }
        }
        if (!cc.empty() && std::ranges::find(out, cc) == out.end()) {
            out.push_back(cc);
        }
    }
    return out;
}

std::vector<std::string> cpuFlagsForIsa(const std::string& isaWord) {
    // Inductor's VecAVX512 needs these four (torch/_inductor/cpu_vec_isa.py); the other words name one flag.
    if (isaWord == "AVX512") {
        return {"avx512f", "avx512bw", "avx512vl", "avx512dq"};
    }
    if (isaWord == "AVX2") {
        return {"avx2", "fma"};
    }
    if (isaWord == "NEON" || isaWord == "ASIMD") {
        return {"asimd"};
    }
    if (isaWord.starts_with("SVE")) {
        return {"sve"};
    }
    if (isaWord == "VSX" || isaWord == "ZVECTOR") {
        return {}; // not listed in /proc/cpuinfo flags: nothing to check
    }
    std::string flag = isaWord;
    std::ranges::transform(flag, flag.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return {flag};
}

std::string readTorchVersion(const std::string& torchDir) {
    std::string text;
    if (!readWholeFile(torchDir + "/version.py", text).empty()) {
        return {};
    }
    auto at = text.find("__version__");
    if (at == std::string::npos) {
        return {};
    }
    auto q1 = text.find_first_of("'\"", at);
    if (q1 == std::string::npos) {
        return {};
    }
    auto q2 = text.find(text[q1], q1 + 1);
    return q2 == std::string::npos ? std::string() : text.substr(q1 + 1, q2 - q1 - 1);
}

std::optional<TorchInstall> detectTorch() {
    if (const char* dir = std::getenv("AOTISCOPE_TORCH_DIR"); dir && *dir) {
        return TorchInstall{absolutePath(dir), readTorchVersion(dir), ""};
    }
    std::vector<std::string> candidates;
    if (const char* py = std::getenv("AOTISCOPE_PYTHON"); py && *py) {
        candidates.emplace_back(py);
    }
    if (fs::exists(".venv/bin/python")) {
        candidates.push_back(absolutePath(".venv/bin/python"));
    }
    candidates.emplace_back("python3");
    for (const auto& py : candidates) {
        // find_spec locates the package without importing it: milliseconds instead of seconds.
        auto r = runProcess({py, "-c",
                             "import importlib.util as u; s = u.find_spec('torch'); "
                             "print(s.submodule_search_locations[0] if s else '')"},
                            5000);
        if (r.exitCode != 0) {
            continue;
        }
        auto dir = r.out;
        while (!dir.empty() && (dir.back() == '\n' || dir.back() == '\r')) {
            dir.pop_back();
        }
        if (!dir.empty()) {
            return TorchInstall{dir, readTorchVersion(dir), py};
        }
    }
    return std::nullopt;
}

HostInfo HostInfo::detect() {
    HostInfo h;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    h.cpuCount = ::sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? unsigned(CPU_COUNT(&cpus)) : 0;
    utsname u{};
    if (::uname(&u) == 0) {
        h.machine = u.machine;
    }
    std::string cpuinfo;
    if (readWholeFile("/proc/cpuinfo", cpuinfo).empty()) {
        h.cpuFlags = parseCpuFlags(cpuinfo);
        h.physicalCores = countPhysicalCores(cpuinfo);
    }
    auto smi = runProcess({"nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"}, 5000);
    if (smi.exitCode == 0) {
        h.cudaComputeCapabilities = parseComputeCapabilities(smi.out);
    }
    h.torch = detectTorch();
    if (const char* ld = std::getenv("LD_LIBRARY_PATH")) {
        std::istringstream in(ld);
        std::string part;
        while (std::getline(in, part, ':')) {
            if (!part.empty()) {
                h.librarySearchPath.push_back(part);
            }
        }
    }
    std::error_code ec;
    for (const auto& conf : fs::directory_iterator("/etc/ld.so.conf.d", ec)) {
        std::string text;
        if (!readWholeFile(conf.path().string(), text).empty()) {
            continue;
        }
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line)) {
            if (line.starts_with('/')) {
                h.librarySearchPath.push_back(line);
            }
        }
    }
    for (const char* d : {"/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib"}) {
        h.librarySearchPath.emplace_back(d);
    }
    return h;
}

} // namespace aotiscope
