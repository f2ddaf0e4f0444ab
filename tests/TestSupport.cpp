#include "TestSupport.h"

#include <QThread>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/Sha256.h"
#include "core/read/CacheScanner.h"
#include "core/check/HostInfo.h"

#include <QProcess>
#include <QtTest>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

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

QString named(const std::string& root, const QString& position) {
    auto hash = position.lastIndexOf(QLatin1Char('#'));
    auto parts = position.left(hash).split(QLatin1Char('/'));
    if (hash < 0 || parts.size() != 3) return position;
    if (position.mid(hash + 1).toInt() < 0) return position.left(hash); // the op itself
    aotiscope::ScanOptions fast;
    fast.inspectLibraries = false;
    auto snap = aotiscope::scanCache(root, fast);
    auto index = std::size_t(position.mid(hash + 1).toInt());
    QString id;
    aotiscope::forEachOp(snap, [&](const aotiscope::NamespaceDir& ns, const aotiscope::DeviceDir& dev, const aotiscope::OpFile& op) {
        if (QString::fromStdString(ns.name) == parts[0] && QString::fromStdString(dev.name) == parts[1] &&
            QString::fromStdString(op.name) == parts[2] && index < op.entries.size()) {
            id = QString::fromStdString(aotiscope::entryId(ns.name, dev.name, op.name, op.entries[index].key));
        }
    });
    return id.isEmpty() ? position + QStringLiteral(" (no such entry)") : id;
}

QStringList named(const std::string& root, const QStringList& positions) {
    QStringList out;
    for (const auto& p : positions) out << named(root, p);
    return out;
}

std::vector<aotiscope::Finding> beyondRealCache(const aotiscope::FindingList& findings) {
    static const auto baseline = [] {
        std::set<std::tuple<std::string, std::string, int>> b;
        for (const auto& f : aotiscope::lintSnapshot(aotiscope::scanCache(realCache()), aotiscope::HostInfo{},
                                                      aotiscope::LintOptions{false})) {
            b.emplace(f.ruleId, f.op, f.entry);
        }
        return b;
    }();
    std::vector<aotiscope::Finding> out;
    for (const auto& f : findings) {
        if (!baseline.contains({f.ruleId, f.op, f.entry})) out.push_back(f);
    }
    return out;
}

CliRun runCli(const QStringList& args, const QStringList& env) {
    QProcess p;
    auto environment = QProcessEnvironment::systemEnvironment();
    for (const auto& kv : env) environment.insert(kv.section(QLatin1Char('='), 0, 0), kv.section(QLatin1Char('='), 1));
    p.setProcessEnvironment(environment);
    p.start(QString::fromStdString(cliPath()), args);
    p.waitForFinished(900000);
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

nlohmann::json pytorchLoads(const std::string& root, const QStringList& ops, const std::string& ns, const std::string& device) {
    static const char* script = R"(
import json, sys
import torch
from torch._inductor.aoti_eager import load_aoti_eager_cache
ns, device = sys.argv[1], sys.argv[2]
out = {}
for op in sys.argv[3:]:
    out[op] = [{"kernel_path": e["kernel_path"], "meta_info": e["meta_info"]} for e in load_aoti_eager_cache(ns, op, device)]
print(json.dumps(out, default=str))
)";
    QProcess p;
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("TORCHINDUCTOR_CACHE_DIR"), QString::fromStdString(root));
    p.setProcessEnvironment(environment);
    QStringList args{QStringLiteral("-c"), QString::fromUtf8(script), QString::fromStdString(ns), QString::fromStdString(device)};
    args << ops;
    p.start(QString::fromStdString(env("AOTISCOPE_PYTHON")), args);
    p.waitForFinished(300000);
    auto text = p.readAllStandardOutput();
    auto j = nlohmann::json::parse(text.toStdString(), nullptr, false);
    if (p.exitCode() != 0 || j.is_discarded()) {
        qWarning("PyTorch's loader failed: %s", p.readAllStandardError().constData());
        return nlohmann::json::object();
    }
    return j;
}

void writeAbsRecording(const std::string& path, const std::string& root) {
    auto opFile = root + "/aoti_eager/aten/cpu/abs.json";
    auto entries = nlohmann::json::parse(readText(opFile));
    auto call = entries[0]["meta_info"];
    call[0]["sizes"] = {3, 3};
    call[0]["strides"] = {3, 1};
    nlohmann::json lines = nlohmann::json::array({
        {{"event", "process"}, {"schema", "aotiscope.record/1"}, {"pid", 4242}, {"ppid", 1}, {"time", 1000.0},
         {"argv", {"train.py"}}, {"forked", false}, {"calls_recorded", false}, {"torch", nullptr}},
        {{"event", "registration"}, {"pid", 4242}, {"time", 1001.0}, {"ns", "aten"}, {"op", "abs"}, {"device", "cpu"},
         {"requested", "abs"}, {"dispatch_key", "CPU"}, {"torch", "2.13.0+cpu"}, {"op_file", opFile}, {"op_file_exists", true},
         {"entries_on_disk", entries.size()}, {"disk_entries", entries}, {"missing_libraries", nlohmann::json::array()},
         {"entries_loaded", entries.size()}, {"entries", entries}, {"seconds", 0.2}},
        {{"event", "miss"}, {"pid", 4242}, {"time", 1020.0}, {"ns", "aten"}, {"op", "abs"}, {"device", "cpu"},
         {"meta_info", call}, {"seconds", 12.5}, {"library", root + "/aoti_eager/aten/cpu/lib/cx/cx.wrapper.so"},
         {"kernel_path", "lib/cx/cx.wrapper.so"}, {"log", nlohmann::json::array()}},
    });
    std::string text;
    for (const auto& l : lines) text += l.dump() + "\n";
    writeText(path, text);
}

std::map<std::string, std::string> contentDigests(const std::string& root) {
    std::map<std::string, std::string> out;
    std::error_code ec;
    if (!fs::exists(root + "/aoti_eager")) return out;
    for (const auto& e : fs::recursive_directory_iterator(root + "/aoti_eager", ec)) {
        if (!e.is_regular_file()) continue;
        std::string error;
        out[fs::relative(e.path(), root).string()] = aotiscope::sha256OfFile(e.path().string(), error);
    }
    return out;
}

// As PyTorch appends to abs (an op with several entries): a new library in a new lib/ folder (a copy of the first
// entry's), the op file rewritten in place with one more entry of other sizes (the writer's indent=4 layout).
void appendToAbsAsPyTorch(const std::string& dev, const aotiscope::OpFile& abs) {
    std::filesystem::create_directory(dev + "/lib/zz");
    auto newRel = std::string("lib/zz/czzappended.wrapper.so");
    std::filesystem::copy_file(dev + "/" + *abs.entries[0].kernelPath, dev + "/" + newRel);
    auto text = readText(dev + "/abs.json");
    auto body = text.substr(text.find('{'), text.rfind('}') - text.find('{') + 1);
    auto appended = body.substr(0, body.find("\n    },") + 6);
    appended.replace(appended.find(*abs.entries[0].kernelPath), abs.entries[0].kernelPath->size(), newRel);
    appended.replace(appended.find("4,"), 2, "5,"); // other sizes: a new meta_info
    QTest::qWait(20); // a later mtime even on coarse clocks
    writeText(dev + "/abs.json", text.substr(0, text.rfind('}') + 1) + ",\n    " + appended + "\n]");
}

void patchBytes(const std::string& path, const std::string& from, const std::string& to) {
    QCOMPARE(from.size(), to.size());
    auto bytes = readText(path);
    QVERIFY2(bytes.find(from) != std::string::npos, qPrintable(QString::fromStdString(path + " lacks " + from)));
    for (auto at = bytes.find(from); at != std::string::npos; at = bytes.find(from, at)) bytes.replace(at, from.size(), to);
    writeText(path, bytes);
}

nlohmann::json holderCalls(const std::string& mode, const std::string& root) {
    QProcess p;
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("TORCHINDUCTOR_CACHE_DIR"), QString::fromStdString(root));
    p.setProcessEnvironment(environment);
    p.start(QString::fromStdString(std::getenv("AOTISCOPE_PYTHON")),
            {QString::fromStdString(fixture("holder_calls.py")), QString::fromStdString(mode)});
    p.waitForFinished(300000);
    auto j = nlohmann::json::parse(p.readAllStandardOutput().toStdString(), nullptr, false);
    if (!j.is_object()) qWarning("holder_calls.py %s: %s", mode.c_str(), p.readAllStandardError().constData());
    return j;
}

quint16 loopbackPort(quint16 connectTo) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(connectTo);
    socklen_t size = sizeof a;
    quint16 port = 0;
    if (connectTo) {
        port = ::connect(fd, reinterpret_cast<sockaddr*>(&a), size) == 0 ? connectTo : 0;
    } else if (::bind(fd, reinterpret_cast<sockaddr*>(&a), size) == 0 && ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size) == 0) {
        port = ntohs(a.sin_port);
    }
    ::close(fd);
    return port;
}

LocalRegistry::LocalRegistry() {
    port_ = loopbackPort();
    store_ = dir_.path().toStdString() + "/store";
    auto config = dir_.path().toStdString() + "/config.yml";
    writeText(config, "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: " + store_ +
                          "\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port_) + "\n");
    process_.setStandardErrorFile(dir_.path() + "/registry.log"); // it logs every 404 of a push's existence checks
    process_.start("docker-registry", {"serve", QString::fromStdString(config)});
    if (!process_.waitForStarted(10000)) return;
    for (int i = 0; i < 100; ++i) {
        if (loopbackPort(port_)) {
            up_ = true;
            return;
        }
        QThread::msleep(100);
    }
}

LocalRegistry::~LocalRegistry() {
    process_.kill();
    process_.waitForFinished(5000);
}

std::string LocalRegistry::blobData(const std::string& sha) const {
    return store_ + "/docker/registry/v2/blobs/sha256/" + sha.substr(0, 2) + "/" + sha + "/data";
}

} // namespace testsupport
