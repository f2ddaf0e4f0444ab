// What a path holds at a moment, as text that differs whenever what a check reads there could differ: the folder
// walk behind `ls`'s listing index, and the paths outside the cache that lint's verdicts rest on.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace aotiscope {

// Nanoseconds since the epoch on the clock the kernel stamps files with (CLOCK_REALTIME).
std::int64_t realtimeNs();

// "absent", or the path's canonical target and the identity of the file there: type and mode, size, device and
// inode, modification and status-change time to the nanosecond. `changedNs` gets the status-change time (0 when
// absent): a file changed within the kernel's timestamp granularity of a record may look unchanged.
std::string pathState(const std::string& path, std::int64_t* changedNs = nullptr);

// The digest of everything under a folder: every entry's name and identity (as pathState, without following
// symlinks; a symlink's target and what is there), folder by folder on `threads` threads.
struct FolderState {
    std::string digest;          // SHA-256, hex; empty when the folder cannot be opened
    std::int64_t newestChangeNs = 0; // the latest status-change time of any entry
    std::size_t entries = 0;
    // False when a symlink leads to a folder: what lies below it is not in the digest.
    bool complete = true;
};
FolderState folderState(const std::string& dir, unsigned threads);

// The paths a run's verdicts rested on beyond the folder it scanned, each with its state when it was first
// reached (pathState). Thread-safe.
class PathProbes {
public:
    void note(const std::string& path);
    struct Probe {
        std::string path, state;
    };
    std::vector<Probe> probes() const;
    std::int64_t newestChangeNs() const;

private:
    mutable std::mutex mutex_;
    std::set<std::string> seen_;
    std::vector<Probe> probes_;
    std::int64_t newestChangeNs_ = 0;
};

} // namespace aotiscope
