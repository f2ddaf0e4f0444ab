// Command-line parsing for aotiscope-cli: a command word, its positional arguments, and options that every
// command accepts (--root, --json) plus a few of its own.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <cstdint>
#include <vector>

namespace aotiscope::cli {

struct CliOptions {
    std::string command;
    std::vector<std::string> positional;
    std::optional<std::string> root;
    bool json = false;
    bool verbose = false;
    bool fast = false;          // lint: skip library inspection
    bool inspectionCache = true; // remember ELF summaries between runs
    std::string format = "json"; // export
    std::string output;          // export: file instead of stdout
    unsigned threads = 0;
    // management commands
    bool dryRun = false;
    std::vector<int> entries;          // rm --entry N: positions
    std::vector<std::string> entryKeys; // --entry KEY: identities
    std::string ns, device;            // rm --ns/--device: narrow to one folder
    std::int64_t minAgeSeconds = 600;  // prune --min-age
    std::optional<double> olderThanDays; // evict --older-than
    std::optional<std::uint64_t> maxBytes; // evict --max-bytes
    double lockTimeoutSeconds = -1;    // --lock-timeout (default: PyTorch's)
    // compile
    bool stale = false;
    std::vector<std::string> specs; // --spec FILE (repeatable): new entries
    std::string recording;          // --recording FILE: the missed calls of a `record` run (pre-warm)
    std::string call;               // explain --call SPEC: a call's meta_info, inline or in a file
    std::string python; // --python: interpreter with torch
    std::string ray;    // compile --ray ADDRESS: the jobs as tasks of a Ray cluster
    // bench
    std::optional<bool> cold;     // --cold / --warm
    double warmupMs = 25, maxMs = 2000;
    int minRounds = 10;
    double targetCiPercent = 2;
    std::string against;          // --against FILE: an earlier `bench --json`, compared entry by entry
    double timeoutSeconds = 120;
    int kernelThreads = 0;
    std::string worker;           // --worker: the benchmark worker program
    // push, pull
    bool insecure = false; // --insecure: the registry speaks plain HTTP (one on loopback)
    // record
    bool recordCalls = false;          // --calls: every call of a registered op, not only misses
    std::vector<std::string> program;  // after "--": the command to run and record
};

struct UsageError {
    std::string message;
};

// Throws UsageError on unknown options or missing values.
CliOptions parseCli(int argc, char** argv);
const char* usageText();

} // namespace aotiscope::cli
