#include "core/base/PathState.h"

#include "core/base/Sha256.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;

namespace aotiscope {

namespace {

std::int64_t ns(const timespec& t) { return std::int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

std::string identity(const struct stat& st) {
    return fmt::format("{:o} {} {}:{} {} {}", unsigned(st.st_mode), std::uint64_t(st.st_size), std::uint64_t(st.st_dev),
                       std::uint64_t(st.st_ino), ns(st.st_mtim), ns(st.st_ctim));
}

// Walks folders from a shared queue: each worker takes one, records its entries in name order and queues the
// folders below it. The digest is taken over the folders' records sorted by path, so it does not depend on which
// thread took which folder.
class Walk {
public:
    explicit Walk(std::string top) { queue_.push_back(std::move(top)); }

    void work() {
        for (;;) {
            std::string dir;
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [&] { return !queue_.empty() || busy_ == 0; });
                if (queue_.empty()) return;
                dir = std::move(queue_.front());
                queue_.pop_front();
                ++busy_;
            }
            auto [record, below] = list(dir);
            std::lock_guard lock(mutex_);
            records_.emplace_back(dir, std::move(record));
            for (auto& d : below) queue_.push_back(std::move(d));
            --busy_;
            ready_.notify_all();
        }
    }

    FolderState result() {
        std::ranges::sort(records_);
        Sha256 h;
        for (const auto& [dir, record] : records_) {
            h.update(dir);
            h.update("\n", 1);
            h.update(record);
        }
        FolderState s;
        s.digest = h.hexDigest();
        s.newestChangeNs = newest_;
        s.entries = entries_;
        s.complete = complete_;
        return s;
    }

private:
    std::pair<std::string, std::vector<std::string>> list(const std::string& dir) {
        std::string record;
        std::vector<std::string> below;
        int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR* d = fd < 0 ? nullptr : ::fdopendir(fd);
        if (!d) {
            if (fd >= 0) ::close(fd);
            return {fmt::format("unreadable: errno {}\n", errno), below};
        }
        std::vector<std::string> names;
        while (auto* e = ::readdir(d)) {
            std::string_view n = e->d_name;
            if (n != "." && n != "..") names.emplace_back(n);
        }
        std::ranges::sort(names);
        std::int64_t newest = 0;
        bool complete = true;
        for (const auto& name : names) {
            struct stat st {};
            record += name;
            if (::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
                record += fmt::format(" gone: errno {}\n", errno);
                continue;
            }
            newest = std::max(newest, ns(st.st_ctim));
            record += ' ' + identity(st);
            auto path = dir + '/' + name;
            if (S_ISDIR(st.st_mode)) {
                below.push_back(path);
            } else if (S_ISLNK(st.st_mode)) {
                std::int64_t changed = 0;
                record += " -> " + pathState(path, &changed);
                newest = std::max(newest, changed);
                std::error_code ec;
                complete = complete && !fs::is_directory(path, ec);
            }
            record += '\n';
        }
        ::closedir(d);
        std::lock_guard lock(mutex_);
        newest_ = std::max(newest_, newest);
        entries_ += names.size();
        complete_ = complete_ && complete;
        return {std::move(record), std::move(below)};
    }

    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::string> queue_;
    unsigned busy_ = 0;
    std::vector<std::pair<std::string, std::string>> records_;
    std::int64_t newest_ = 0;
    std::size_t entries_ = 0;
    bool complete_ = true;
};

} // namespace

std::int64_t realtimeNs() {
    timespec t{};
    ::clock_gettime(CLOCK_REALTIME, &t);
    return ns(t);
}

std::string pathState(const std::string& path, std::int64_t* changedNs) {
    if (changedNs) *changedNs = 0;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return fmt::format("absent: errno {}", errno);
    if (changedNs) *changedNs = ns(st.st_ctim);
    std::error_code ec;
    auto target = fs::canonical(path, ec);
    return (ec ? std::string("?") : target.string()) + ' ' + identity(st);
}

FolderState folderState(const std::string& dir, unsigned threads) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return {};
    Walk walk(dir);
    {
        std::vector<std::jthread> pool;
        for (unsigned t = 1; t < std::max(1u, threads); ++t) pool.emplace_back([&] { walk.work(); });
        walk.work();
    }
    return walk.result();
}

void PathProbes::note(const std::string& path) {
    {
        std::lock_guard lock(mutex_);
        if (!seen_.insert(path).second) return;
    }
    std::int64_t changed = 0;
    auto state = pathState(path, &changed);
    std::lock_guard lock(mutex_);
    probes_.push_back({path, std::move(state)});
    newestChangeNs_ = std::max(newestChangeNs_, changed);
}

std::vector<PathProbes::Probe> PathProbes::probes() const {
    std::lock_guard lock(mutex_);
    return probes_;
}

std::int64_t PathProbes::newestChangeNs() const {
    std::lock_guard lock(mutex_);
    return newestChangeNs_;
}

} // namespace aotiscope
