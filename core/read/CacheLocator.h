// Finds the cache root exactly as PyTorch does (torch/_inductor/runtime/cache_dir_utils.py, torch 2.13):
//   $TORCHINDUCTOR_CACHE_DIR, else <tempfile.gettempdir()>/torchinductor_<getpass.getuser() sanitised>,
//   made absolute with os.path.abspath.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace aotiscope {

struct LocateStep {
    std::string rule;  // e.g. "TORCHINDUCTOR_CACHE_DIR", "TMPDIR", "LOGNAME"
    std::string value; // what it gave, empty when unset or unusable
    bool used = false;
    std::string note;
};

struct LocateResult {
    std::string root;
    std::vector<LocateStep> steps; // how the root was found, for `aotiscope-cli locate`
};

// The process environment and system the rules read; tests replace each part.
struct LocateEnvironment {
    std::function<std::optional<std::string>(const std::string&)> getenv;
    std::function<bool(const std::string&)> isWritableDir; // what tempfile's probe file creation tests
    std::function<std::optional<std::string>()> passwdName; // pwd.getpwuid(os.getuid())[0]
    std::function<unsigned()> uid;
    std::function<std::string()> cwd;
    static LocateEnvironment system();
};

LocateResult locateCacheRoot(const LocateEnvironment& env = LocateEnvironment::system());
// Python's tempfile.gettempdir(): where PyTorch's cache lives by default, and where AOTIScope stages bundles.
// `steps`, when given, gets how it was found.
std::string pythonTempDir(const LocateEnvironment& env = LocateEnvironment::system(), std::vector<LocateStep>* steps = nullptr);
// `<user>` with each of \ / : * ? " < > | replaced by '_', as re.sub(r'[\\/:*?"<>|]', "_", name).
std::string sanitiseUserName(std::string name);

} // namespace aotiscope
