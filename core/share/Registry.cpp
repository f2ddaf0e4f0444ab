#include "core/share/Registry.h"

#include "core/base/Subprocess.h"
#include "core/base/FileUtil.h"
#include "core/jobs/CompileWorker.h"
#include "core/share/Bundle.h"

#include <fmt/format.h>

namespace aotiscope {

namespace {

TransferResult transfer(const std::string& verb, const std::string& a, const std::string& b, const std::string& ref,
                        const RegistryOptions& o) {
    std::vector<std::string> argv{o.python.empty() ? defaultPython() : o.python, workerFile("registry/oci_transfer.py"), verb, a, b};
    if (o.insecure) argv.emplace_back("--insecure");
    auto p = runProcess(argv, o.timeoutMs);
    TransferResult r;
    auto lastLine = p.out.substr(p.out.rfind('\n', p.out.size() >= 2 ? p.out.size() - 2 : 0) + 1);
    auto j = nlohmann::json::parse(lastLine, nullptr, false);
    if (j.is_object() && j.value("ok", false)) {
        r.ok = true;
        r.info = j;
    } else if (j.is_object()) {
        r.error = fmt::format("{} {}: {}", verb, ref, j.value("error", std::string("failed")));
    } else {
        r.error = fmt::format("{} {}: the transfer worker ({}) {}{}", verb, ref, argv[1],
                              p.exitCode < 0 ? "did not finish" : fmt::format("exited with {}", p.exitCode),
                              p.err.empty() ? std::string() : ": " + p.err.substr(p.err.size() > 600 ? p.err.size() - 600 : 0));
    }
    return r;
}

} // namespace

TransferResult pushBundleFolder(const std::string& folder, const std::string& ref, const RegistryOptions& options) {
    return transfer("push", folder, ref, ref, options);
}

TransferResult pullBundleFolder(const std::string& ref, const std::string& folder, const RegistryOptions& options) {
    return transfer("pull", ref, folder, ref, options);
}

UnpackReport unpackFromRegistry(const std::string& ref, const std::string& rootIn, const HostInfo& host,
                                const RegistryOptions& registry, const UnpackOptions& options) {
    UnpackReport failed;
    failed.root = absolutePath(rootIn);
    StageDir stage(failed.root + "/aotiscope-staging", "pull");
    if (stage.path().empty()) {
        failed.error = stage.error();
        return failed;
    }
    auto t = pullBundleFolder(ref, stage.path(), registry);
    if (!t.ok) {
        failed.error = t.error;
        return failed;
    }
    return unpackBundle(stage.path(), failed.root, host, options);
}

} // namespace aotiscope
