#include "core/edit/FileLock.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

namespace aotiscope {

FileLock::~FileLock() { release(); }

FileLock::FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

std::chrono::milliseconds FileLock::defaultTimeout() {
    if (const char* v = std::getenv("TORCHINDUCTOR_FILE_LOCK_TIMEOUT"); v && *v) {
        char* end = nullptr;
        double seconds = std::strtod(v, &end);
        if (end != v && seconds >= 0) {
            return std::chrono::milliseconds(std::int64_t(seconds * 1000));
        }
    }
    return std::chrono::seconds(600);
}

std::string FileLock::acquire(const std::string& path, std::chrono::milliseconds timeout) {
    release();
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
            return fmt::format("cannot open lock {}: {}", path, std::strerror(errno));
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
            struct stat st {};
            if (::fstat(fd, &st) == 0 && st.st_nlink > 0) {
                fd_ = fd;
                return {};
            }
            ::close(fd); // the holder unlinked it on release: lock the file that now stands at the path
            continue;
        }
        int err = errno;
        ::close(fd);
        if (err != EWOULDBLOCK && err != EINTR) {
            return fmt::format("cannot lock {}: {}", path, std::strerror(err));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return fmt::format("timed out after {:.1f} s waiting for {} (another process, PyTorch perhaps, holds it)",
                               std::chrono::duration<double>(timeout).count(), path);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void FileLock::release() {
    if (fd_ >= 0) {
        ::flock(fd_, LOCK_UN);
        ::close(fd_);
        fd_ = -1;
    }
}

} // namespace aotiscope
