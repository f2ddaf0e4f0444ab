// An exclusive lock that interoperates with Python's filelock.UnixFileLock, which PyTorch uses for the cache:
// the lock file is opened O_RDWR|O_CREAT|O_TRUNC (never through a symlink) and flock(LOCK_EX|LOCK_NB) is
// retried every 50 ms until a timeout. A file unlinked by its previous holder while we waited is opened again.
// (QLockFile uses another protocol and does not exclude filelock.)
#pragma once

#include <chrono>
#include <string>

namespace aotiscope {

class FileLock {
public:
    FileLock() = default;
    ~FileLock();
    FileLock(FileLock&& other) noexcept;
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

    // Waits up to `timeout`; returns "" when held, else why not (with the path).
    std::string acquire(const std::string& path, std::chrono::milliseconds timeout);
    void release();
    bool held() const { return fd_ >= 0; }

    // PyTorch's timeout (torch/_inductor/codecache.py LOCK_TIMEOUT = 600 s), or TORCHINDUCTOR_FILE_LOCK_TIMEOUT.
    static std::chrono::milliseconds defaultTimeout();

private:
    int fd_ = -1;
};

} // namespace aotiscope
