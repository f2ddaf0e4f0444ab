#include "TestSupport.h"

#include "core/CacheScanner.h"

#include <QtTest>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace testsupport {

namespace {
std::string env(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) {
        qFatal("environment variable %s is not set: run the tests through ctest", name);
    }
    return v;
}
} // namespace

std::string realCache() { return env("AOTISCOPE_REAL_CACHE"); }
std::string fixture(const std::string& relative) { return env("AOTISCOPE_FIXTURES") + "/" + relative; }
std::string cliPath() { return env("AOTISCOPE_CLI"); }

std::string copyTree(const std::string& from, QTemporaryDir& into) {
    auto dest = into.path().toStdString() + "/cache";
    fs::copy(from, dest, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    return dest;
}

std::string readText(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeText(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
}

const aotiscope::OpFile* findOp(const aotiscope::CacheSnapshot& snap, const std::string& name) {
    for (const auto& ns : snap.namespaces) {
        for (const auto& dev : ns.devices) {
            for (const auto& op : dev.ops()) {
                if (op.name == name) {
                    return &op;
                }
            }
        }
    }
    return nullptr;
}

std::string firstKernelSource(const std::string& root, const std::string& op) {
    auto snap = aotiscope::scanCache(root);
    const auto& dev = snap.namespaces.at(0).devices.at(0);
    for (const auto& f : dev.libFiles) {
        if (f.role == aotiscope::LibraryRole::Kernel && dev.ops()[f.referencedBy[0].op].name == op && f.artifacts &&
            !f.artifacts->kernelSources.empty()) {
            return f.artifacts->kernelSources.front();
        }
    }
    return {};
}

} // namespace testsupport
