#include "core/base/FileUtil.h"

#include "core/base/Fnv.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace aotiscope {

namespace {

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

} // namespace

std::string aotiscopeCacheDir() {
    if (const char* d = std::getenv("AOTISCOPE_CACHE_DIR"); d && *d) return d;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/aotiscope";
    if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/aotiscope";
    return {};
}

std::string perRootCacheFile(const std::string& root, std::string_view kind, std::string_view ext) {
    auto dir = aotiscopeCacheDir();
    if (dir.empty()) return {};
    return fmt::format("{}/{}-{:016x}.{}", dir, kind, fnv1a(absolutePath(root)), ext);
}

std::string replaceFile(const std::string& path, std::string_view content) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    auto tmp = path + ".tmp" + std::to_string(::getpid());
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f.write(content.data(), std::streamsize(content.size()));
        if (!f) {
            auto why = std::strerror(errno);
            std::filesystem::remove(tmp, ec);
            return fmt::format("cannot write {}: {}", tmp, why);
        }
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        return fmt::format("cannot replace {}: {}", path, ec.message());
    }
    return {};
}

std::string readWholeFile(const std::string& path, std::string& out, std::size_t padding) {
    // O_NONBLOCK: a FIFO planted under an op's name must not hang the scan; it is refused below.
    Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
    if (f.fd < 0) {
        return fmt::format("cannot read {}: {}", path, std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) {
        return fmt::format("cannot stat {}: {}", path, std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return fmt::format("cannot read {}: not a regular file", path);
    }
    // Read to the end of the file, not to its size: /proc and /sys files report a size of 0 (or 4096) whatever
    // they hold, and a file may grow while it is read.
    out.resize(std::max<std::size_t>(std::size_t(st.st_size), 4096) + padding);
    std::size_t done = 0;
    for (;;) {
        if (out.size() - padding - done == 0) out.resize(out.size() * 2);
        auto n = ::read(f.fd, out.data() + done, out.size() - padding - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return fmt::format("cannot read {}: {}", path, std::strerror(errno));
        }
        if (n == 0) {
            break;
        }
        done += std::size_t(n);
    }
    out.resize(done);
    out.reserve(done + padding);
    return {};
}

std::string readFileTail(const std::string& path, std::size_t limit) {
    Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
    if (f.fd < 0) {
        return {};
    }
    struct stat st {};
    if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        return {};
    }
    auto size = std::size_t(st.st_size);
    auto start = size > limit ? size - limit : 0;
    std::string out(size - start, '\0');
    auto n = ::pread(f.fd, out.data(), out.size(), off_t(start));
    out.resize(n > 0 ? std::size_t(n) : 0);
    return out;
}

bool sameFile(const FileStat& a, const FileStat& b) {
    return a.exists == b.exists && a.size == b.size && a.mtime == b.mtime && a.mtimeNs == b.mtimeNs && a.inode == b.inode &&
           a.device == b.device;
}

FileStat fileStatOf(const struct stat& st) {
    return FileStat{true, std::uint64_t(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_dev, st.st_ino};
}

FileStat statFile(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? fileStatOf(st) : FileStat{};
}

std::string absolutePath(std::string_view path) {
    std::string out;
    if (!path.starts_with('/')) {
        std::error_code ec;
        out = std::filesystem::current_path(ec).string();
    }
    out.reserve(out.size() + path.size() + 1);
    // Fold "." and ".." segment by segment (the scan calls this once per entry: no std::filesystem::path).
    std::size_t i = 0;
    while (i <= path.size()) {
        auto end = path.find('/', i);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        auto seg = path.substr(i, end - i);
        if (seg == "..") {
            auto slash = out.rfind('/');
            out.resize(slash == std::string::npos ? 0 : slash);
        } else if (!seg.empty() && seg != ".") {
            out += '/';
            out += seg;
        }
        i = end + 1;
    }
    return out.empty() ? "/" : out;
}

bool isWithin(std::string_view path, std::string_view root) {
    if (!path.starts_with(root)) {
        return false;
    }
    return path.size() == root.size() || path[root.size()] == '/' || root == "/";
}

std::string humanBytes(std::uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = double(bytes);
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        ++u;
    }
    return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

} // namespace aotiscope
