#include "core/check/HostInfo.h"

#include "core/read/ElfReader.h"
#include "core/base/FileUtil.h"
#include "core/base/Subprocess.h"

#include <sched.h>
#include <sys/utsname.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
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

std::string readVersionPyField(const std::string& text, const std::string& name) {
    // `name = '...'` or `name: Optional[str] = '...'` at the start of a line (not the mention in __all__).
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with(name)) continue;
        auto rest = line.substr(name.size());
        auto i = rest.find_first_not_of(" \t");
        if (i == std::string::npos) continue;
        if (rest[i] == ':') i = rest.find('=', i); // a type annotation first
        if (i == std::string::npos || rest[i] != '=') continue;
        auto value = rest.substr(i + 1);
        auto q1 = value.find_first_of("'\"");
        if (q1 == std::string::npos) return {}; // None
        auto q2 = value.find(value[q1], q1 + 1);
        return q2 == std::string::npos ? std::string() : value.substr(q1 + 1, q2 - q1 - 1);
    }
    return {};
}

std::string readTorchVersion(const std::string& torchDir) { return torchInstallAt(torchDir, "", "").version; }

TorchInstall torchInstallAt(const std::string& dir, std::string python, std::string source) {
    std::string text;
    readWholeFile(dir + "/version.py", text); // unreadable: version and CUDA stay empty
    return TorchInstall{dir, readVersionPyField(text, "__version__"), std::move(python), std::move(source),
                        readVersionPyField(text, "cuda")};
}

std::vector<std::pair<std::string, std::string>> pythonCandidates() {
    std::vector<std::pair<std::string, std::string>> out;
    // A chosen interpreter is the only one: falling back to another torch would judge the cache for a torch
    // the user did not pick.
    if (const char* py = std::getenv("AOTISCOPE_PYTHON"); py && *py) return {{"AOTISCOPE_PYTHON", py}};
    // An installed AOTIScope records its interpreter beside itself (packaging/): <prefix>/share/aotiscope/python.
    // It comes before the build's record, which names an interpreter of the machine that built the package.
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        std::string text;
        if (readWholeFile((exe.parent_path().parent_path() / "share/aotiscope/python").string(), text).empty()) {
            while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
            if (!text.empty()) out.emplace_back("recorded at install", text);
        }
    }
#ifdef AOTISCOPE_RECORDED_PYTHON
    out.emplace_back("recorded at build", AOTISCOPE_RECORDED_PYTHON);
#endif
    out.emplace_back("PATH", "python3");
    return out;
}

std::optional<TorchInstall> detectTorch() {
    if (const char* dir = std::getenv("AOTISCOPE_TORCH_DIR"); dir && *dir) {
        return torchInstallAt(absolutePath(dir), "", "AOTISCOPE_TORCH_DIR");
    }
    for (const auto& [source, py] : pythonCandidates()) {
        if (py.find('/') != std::string::npos && !fs::exists(py)) continue;
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
            return torchInstallAt(dir, py, source);
        }
    }
    return std::nullopt;
}

unsigned countPhysicalCoresFromSys(const std::string& sysDir) {
    std::set<std::pair<std::string, std::string>> cores;
    std::error_code ec;
    for (const auto& cpu : fs::directory_iterator(sysDir + "/devices/system/cpu", ec)) {
        auto name = cpu.path().filename().string();
        if (!name.starts_with("cpu") || name.size() == 3 || !std::isdigit(static_cast<unsigned char>(name[3]))) continue;
        std::string package, core;
        if (!readWholeFile(cpu.path().string() + "/topology/physical_package_id", package).empty() ||
            !readWholeFile(cpu.path().string() + "/topology/core_id", core).empty()) {
            continue;
        }
        cores.emplace(package, core);
    }
    return unsigned(cores.size());
}

std::optional<std::vector<std::string>> providedVersions(const std::string& soname, const std::vector<std::string>& dirs,
                                                         std::string* foundAt) {
    static std::mutex mutex;
    static std::map<std::string, std::vector<std::string>> byPath;
    for (const auto& d : dirs) {
        auto path = d + "/" + soname;
        std::error_code ec;
        if (!fs::exists(path, ec)) continue;
        auto real = fs::canonical(path, ec).string();
        if (foundAt) *foundAt = path;
        std::lock_guard lock(mutex);
        if (auto it = byPath.find(real); it != byPath.end()) return it->second;
        auto elf = readElfSummary(path);
        return byPath[real] = elf.definedVersions;
    }
    return std::nullopt;
}

std::string newestLike(const std::string& wanted, const std::vector<std::string>& offered) {
    auto prefix = wanted.substr(0, wanted.find('_') + 1);
    auto numbers = [](const std::string& v) {
        std::vector<int> n;
        std::istringstream in(v.substr(v.find('_') + 1));
        std::string part;
        while (std::getline(in, part, '.')) n.push_back(std::atoi(part.c_str()));
        return n;
    };
    std::string best;
    for (const auto& v : offered) {
        if (v.starts_with(prefix) && (best.empty() || numbers(v) > numbers(best))) best = v;
    }
    return best;
}

HostInfo HostInfo::detect(const HostSources& sources) {
    HostInfo h;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    h.cpuCount = ::sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? unsigned(CPU_COUNT(&cpus)) : 0;
    utsname u{};
    if (::uname(&u) == 0) {
        h.machine = u.machine;
    }
    std::string cpuinfo;
    auto cpuinfoPath = sources.proc + "/cpuinfo";
    if (auto error = readWholeFile(cpuinfoPath, cpuinfo); !error.empty()) {
        h.unknownFacts.push_back("CPU flags: " + error);
    } else {
        h.cpuFlags = parseCpuFlags(cpuinfo);
        if (h.cpuFlags.empty()) h.unknownFacts.push_back(fmt::format("CPU flags: {} lists none", cpuinfoPath));
        h.physicalCores = countPhysicalCores(cpuinfo);
        std::istringstream in(cpuinfo);
        for (std::string line; std::getline(in, line);) {
            if (line.starts_with("model name")) {
                h.cpuModel = line.substr(line.find(':') + 2);
                break;
            }
        }
    }
    if (h.physicalCores == 0) h.physicalCores = countPhysicalCoresFromSys(sources.sys);
    if (h.physicalCores == 0) {
        h.unknownFacts.push_back(fmt::format("physical cores: neither {} nor {}/devices/system/cpu/*/topology tells them",
                                             cpuinfoPath, sources.sys));
    }
    auto smi = runProcess({"nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"}, 5000);
    if (smi.exitCode == 0) {
        h.cudaComputeCapabilities = parseComputeCapabilities(smi.out);
    }
    h.torch = detectTorch();
    if (!h.torch) {
        std::string tried;
        for (const auto& [source, py] : pythonCandidates()) tried += (tried.empty() ? "" : ", ") + py + " (" + source + ")";
        h.unknownFacts.push_back("torch: no torch found with " + tried + "; set one with --python or AOTISCOPE_PYTHON");
    }
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
