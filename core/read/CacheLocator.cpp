#include "core/read/CacheLocator.h"

#include "core/base/FileUtil.h"

#include <cstdlib>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace aotiscope {

LocateEnvironment LocateEnvironment::system() {
    LocateEnvironment env;
    env.getenv = [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        return v ? std::optional<std::string>(v) : std::nullopt;
    };
    env.isWritableDir = [](const std::string& dir) {
        struct stat st {};
        return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && ::access(dir.c_str(), W_OK | X_OK) == 0;
    };
    env.passwdName = []() -> std::optional<std::string> {
        if (const passwd* pw = ::getpwuid(::getuid())) {
            return std::string(pw->pw_name);
        }
        return std::nullopt;
    };
    env.uid = [] { return unsigned(::getuid()); };
    env.cwd = [] {
        std::error_code ec;
        return std::filesystem::current_path(ec).string();
    };
    return env;
}

std::string sanitiseUserName(std::string name) {
    for (char& c : name) {
        switch (c) {
        case '\\': case '/': case ':': case '*': case '?': case '"': case '<': case '>': case '|':
            c = '_';
            break;
        default:
            break;
        }
    }
    return name;
}

namespace {

std::string absoluteFrom(const std::string& cwd, const std::string& path) {
    std::filesystem::path p(path);
    if (p.is_relative()) {
        p = std::filesystem::path(cwd) / p;
    }
    return absolutePath(p.string());
}

} // namespace

std::string pythonTempDir(const LocateEnvironment& env, std::vector<LocateStep>* steps) {
    // tempfile.gettempdir(): TMPDIR, TEMP, TMP, then /tmp, /var/tmp, /usr/tmp, then the cwd; the first
    // folder where a file can be created wins.
    auto say = [steps](LocateStep step) {
        if (steps) steps->push_back(std::move(step));
    };
    std::string tempdir;
    for (const char* var : {"TMPDIR", "TEMP", "TMP"}) {
        auto v = env.getenv(var);
        if (!v || v->empty()) {
            say({var, "", false, "unset"});
            continue;
        }
        auto dir = absoluteFrom(env.cwd(), *v);
        bool ok = tempdir.empty() && env.isWritableDir(dir);
        say({var, dir, ok, ok ? "writable folder" : (tempdir.empty() ? "not a writable folder" : "not reached")});
        if (ok) {
            tempdir = dir;
        }
    }
    if (tempdir.empty()) {
        for (const char* dir : {"/tmp", "/var/tmp", "/usr/tmp"}) {
            if (env.isWritableDir(dir)) {
                tempdir = dir;
                say({"default temp folder", dir, true, "writable folder"});
                break;
            }
        }
    }
    if (tempdir.empty()) {
        tempdir = env.cwd();
        say({"current folder", tempdir, true, "no writable temp folder"});
    }
    return tempdir;
}

LocateResult locateCacheRoot(const LocateEnvironment& env) {
    LocateResult r;
    if (auto v = env.getenv("TORCHINDUCTOR_CACHE_DIR")) {
        // Set but empty still counts in Python (os.environ.get returns ""): abspath("") is the cwd.
        r.root = absoluteFrom(env.cwd(), *v);
        r.steps.push_back({"TORCHINDUCTOR_CACHE_DIR", *v, true, "set: used as is, made absolute"});
        return r;
    }
    r.steps.push_back({"TORCHINDUCTOR_CACHE_DIR", "", false, "unset"});

    auto tempdir = pythonTempDir(env, &r.steps);

    // getpass.getuser(): LOGNAME, USER, LNAME, USERNAME, then the passwd entry; torch falls back to uid_<n>.
    std::string user;
    for (const char* var : {"LOGNAME", "USER", "LNAME", "USERNAME"}) {
        auto v = env.getenv(var);
        if (v && !v->empty() && user.empty()) {
            user = *v;
            r.steps.push_back({var, *v, true, "user name"});
        }
    }
    if (user.empty()) {
        if (auto pw = env.passwdName()) {
            user = *pw;
            r.steps.push_back({"passwd entry", user, true, "user name"});
        } else {
            user = "uid_" + std::to_string(env.uid());
            r.steps.push_back({"uid", user, true, "no passwd entry"});
        }
    }
    auto clean = sanitiseUserName(user);
    r.root = absolutePath(tempdir + "/torchinductor_" + clean);
    return r;
}

} // namespace aotiscope
