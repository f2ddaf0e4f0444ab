#include "core/read/LibraryArtifactReader.h"

#include "core/base/FileUtil.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

namespace aotiscope {

namespace {

// The command that follows a "// Compile cmd" or "// Link cmd" comment line at the end of the source.
std::string commandAfter(const std::string& tail, const std::string& header) {
    auto at = tail.rfind("// " + header + "\n");
    if (at == std::string::npos) {
        return {};
    }
    auto start = tail.find("// ", at + header.size() + 4);
    if (start == std::string::npos) {
        return {};
    }
    start += 3;
    auto end = tail.find('\n', start);
    auto cmd = tail.substr(start, end == std::string::npos ? std::string::npos : end - start);
    while (!cmd.empty() && (cmd.back() == ' ' || cmd.back() == '\r')) {
        cmd.pop_back();
    }
    return cmd;
}

void readMetadata(const std::string& path, LibraryArtifacts& a) {
    std::string text;
    if (!readWholeFile(path, text).empty()) {
        return;
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) {
        return;
    }
    auto get = [&](const char* key) {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    a.cpuIsa = get("AOTI_CPU_ISA");
    a.computeCapability = get("AOTI_COMPUTE_CAPABILITY");
    a.platform = get("AOTI_PLATFORM");
    a.machine = get("AOTI_MACHINE");
    a.deviceKey = get("AOTI_DEVICE_KEY");
}

} // namespace

std::string fileStem(const std::string& name) { return name.substr(0, name.find('.')); }

std::string torchDirFromCommand(const std::string& command) {
    for (const char* marker : {"/torch/include", "/torch/lib"}) {
        auto at = command.find(marker);
        if (at == std::string::npos) {
            continue;
        }
        auto start = command.rfind(' ', at);
        start = start == std::string::npos ? 0 : start + 1;
        if (command.compare(start, 2, "-I") == 0 || command.compare(start, 2, "-L") == 0) {
            start += 2;
        }
        return command.substr(start, at + 6 - start); // up to and including "/torch"
    }
    return {};
}

int fixedOpenMpThreads(std::string_view source) {
    static constexpr std::string_view pragma = "#pragma omp parallel num_threads(";
    int most = 0;
    for (auto at = source.find(pragma); at != std::string_view::npos; at = source.find(pragma, at + 1)) {
        int n = 0;
        for (auto i = at + pragma.size(); i < source.size() && source[i] >= '0' && source[i] <= '9' && n < 1000000; ++i) {
            n = n * 10 + (source[i] - '0');
        }
        most = std::max(most, n);
    }
    return most;
}

std::vector<std::string> kernelBinaryPaths(std::string_view text) {
    std::vector<std::string> out;
    for (std::string_view suffix : {".cubin", ".hsaco", ".spv", ".fatbin"}) {
        for (auto at = text.find(suffix); at != std::string_view::npos; at = text.find(suffix, at + 1)) {
            auto end = at + suffix.size();
            // A path ends where the string does: a quote in source, a NUL in a library.
            if (end < text.size() && text[end] != '"' && text[end] != '\0') continue;
            auto begin = at;
            while (begin > 0 && text[begin - 1] != '"' && text[begin - 1] != '\0' && text[begin - 1] != '\n' &&
                   at - begin < 4096) {
                --begin;
            }
            if (text[begin] == '/') out.emplace_back(text.substr(begin, end - begin));
        }
    }
    std::ranges::sort(out);
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

SiblingIndex indexSiblings(const std::vector<std::string>& names) {
    SiblingIndex index;
    for (const auto& n : names) {
        index[fileStem(n)].push_back(n);
    }
    return index;
}

LibraryArtifacts readLibraryArtifacts(const std::string& libraryPath, const SiblingIndex& siblings,
                                      std::vector<std::string>& owned) {
    LibraryArtifacts a;
    std::filesystem::path lib(libraryPath);
    auto dir = lib.parent_path().string();
    auto libName = lib.filename().string();
    auto stem = fileStem(libName);
    static const std::vector<std::string> none;
    auto withStem = [&](const std::string& s) -> const std::vector<std::string>& {
        auto it = siblings.find(s);
        return it == siblings.end() ? none : it->second;
    };

    const auto& same = withStem(stem);
    for (const char* suffix : {".wrapper.cpp", ".cpp"}) {
        if (std::ranges::find(same, stem + suffix) != same.end()) {
            a.wrapperSource = dir + "/" + stem + suffix;
            break;
        }
    }
    // Files named by the link command in the same folder (torch 2.5+: "<other>.kernel.o") belong too.
    std::vector<std::string> stems{stem};
    // Generated sources are read once, up to 4 MiB from their end: the commands are in their last lines, and
    // the wrapper's text is searched again below for fixed thread counts (torch 2.4 keeps kernels in it).
    constexpr std::size_t sourceLimit = std::size_t(4) << 20;
    std::string wrapperText;
    if (!a.wrapperSource.empty()) {
        wrapperText = readFileTail(a.wrapperSource, sourceLimit);
        const auto& tail = wrapperText;
        a.compileCommand = commandAfter(tail, "Compile cmd");
        a.linkCommand = commandAfter(tail, "Link cmd");
        a.torchDir = torchDirFromCommand(a.compileCommand);
        if (a.torchDir.empty()) {
            a.torchDir = torchDirFromCommand(a.linkCommand);
        }
        for (std::size_t at = a.linkCommand.find(".kernel.o"); at != std::string::npos;
             at = a.linkCommand.find(".kernel.o", at + 1)) {
            auto start = a.linkCommand.find_last_of(" /", at);
            auto other = a.linkCommand.substr(start + 1, at - start - 1);
            if (siblings.contains(other) && other != stem) {
                stems.push_back(other);
            }
        }
    }
    for (const auto& s : stems) {
        for (const auto& name : withStem(s)) {
            if (name == libName) {
                continue;
            }
            owned.push_back(name);
            auto path = dir + "/" + name;
            if (path == a.wrapperSource) {
                continue;
            }
            if (name.ends_with("_metadata.json")) {
                a.metadataFiles.push_back(path);
            } else if (name.ends_with(".kernel.cpp")) {
                a.kernelSources.push_back(path);
            } else {
                a.others.push_back(path);
            }
        }
    }
    // Inductor fixes the kernel's thread count at compile time unless it equals the compiling machine's cores
    // (torch 2.13; torch 2.11 always fixes it). Kernels are in the .kernel.cpp (2.5+) or the wrapper (2.4).
    a.kernelThreads = fixedOpenMpThreads(wrapperText);
    if (!wrapperText.empty()) {
        a.kernelBinaries = kernelBinaryPaths(wrapperText);
    } else if (libraryPath.find("/cpu/lib/") == std::string::npos) {
        // No wrapper source beside a GPU library: the paths are string constants of the library itself (CPU
        // libraries load no kernel binaries, and reading each of them whole would cost a large cache dearly).
        a.kernelBinaries = kernelBinaryPaths(readFileTail(libraryPath, std::size_t(256) << 20));
    }
    for (const auto& source : a.kernelSources) {
        a.kernelThreads = std::max(a.kernelThreads, fixedOpenMpThreads(readFileTail(source, sourceLimit)));
    }
    // The wrapper's metadata is authoritative; a kernel's metadata is the fallback.
    std::ranges::sort(a.metadataFiles, [&](const std::string& x, const std::string& y) {
        return (x.find(stem + ".") != std::string::npos) > (y.find(stem + ".") != std::string::npos);
    });
    if (!a.metadataFiles.empty()) {
        readMetadata(a.metadataFiles.front(), a);
    }
    return a;
}

} // namespace aotiscope
