// Benchmark jobs over the isolated benchmark worker (workers/bench): one worker per batch; a library that
// crashes (SIGSEGV, SIGILL), aborts or hangs fails its own job with the signal or the timeout named, and the
// batch goes on in a fresh worker. Libraries whose path leaves the cache root are refused before any worker
// sees them (and the worker checks again).
#pragma once

#include "core/read/CacheModel.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace aotiscope {

struct BenchOptions {
    double warmupMs = 25.0;
    double maxMs = 2000.0;       // sampling stops here once minRounds are in
    int minRounds = 10;          // interleaved rounds of kernel and eager (docs/benchmarking.md)
    double targetRelCi = 0.02;   // or earlier, once the speedup's 95 % interval is within ± this
    std::optional<bool> cold;    // flush caches before each sample; default: cold on GPUs, warm on the CPU
    int threads = 0;             // CPU threads for the kernel and eager; 0: libtorch's default
    int jobTimeoutMs = 120000;   // a job that takes longer is a hang: its worker is killed
    std::string worker;          // empty: defaultBenchWorker()
    nlohmann::json toRequestJson(const std::string& device) const;
};

struct BenchJob {
    std::string id;     // entryId: "aten/cpu/abs@<entry key>"
    std::string key;    // the entry's identity across rescans and recompiles (op + guard hash), for history
    std::string root, ns, device, op;
    int entry = -1;
    std::string library;   // absolute path
    nlohmann::json metaInfo;
    std::string refusal;   // non-empty: never sent to a worker (missing library, path outside the root)
    int kernelThreads = 0; // fixed in the kernel at compile time (LibraryArtifacts::kernelThreads); 0: not fixed
    bool loadOnly = false; // verify: load the library as PyTorch does and run nothing
    // GPU kernel binaries the library loads by absolute path that do not exist: named when the job fails.
    std::vector<std::string> missingKernelBinaries;
    std::string title() const;
};

struct BenchOutcome {
    std::string id, key;
    std::string position; // "aten/cpu/abs #0": the entry's place when the job was planned, for people
    bool ok = false;         // a result came back (which may still say "wrong results")
    std::string message;     // why there is no result, in words
    nlohmann::json result = nlohmann::json::object(); // the worker's figures (docs/json-schema.md, "bench")
    double seconds = 0.0;
    double workerStartMs = 0.0; // starting the worker, when this job started one
    nlohmann::json toJson() const;
};

std::string defaultBenchWorker(); // $AOTISCOPE_BENCH_WORKER, an installed one (<prefix>/lib/aotiscope), else the build's

// Entries of an op (all when indices is empty), across namespaces and devices that hold it.
// Empty, or why a result's speedup compares different thread counts: a kernel whose count inductor fixed at
// compile time (kernel_threads) against eager on the worker's threads.
std::string threadMismatchNote(const nlohmann::json& result);
// Empty, or on a GPU the kernels' own device time (the worker's profiler pass) beside the call's time between
// events: on kernels of a few microseconds the two disagree and both are true, one is the kernel and the other
// what a call through the runner costs the stream. Says why there is no profile when there is none.
std::string kernelsNote(const nlohmann::json& result);
// "4.51 us", "1.2 ms": a benchmark's time for people, three significant digits.
std::string durationText(double microseconds);

std::vector<BenchJob> benchJobsForEntries(const CacheSnapshot& snap, const std::string& op, const std::vector<int>& indices,
                                          const std::vector<std::string>& keys = {});

using BenchEventSink = std::function<void(const BenchJob& job, const nlohmann::json& event)>;
std::vector<BenchOutcome> runBenchJobs(const std::vector<BenchJob>& jobs, const BenchOptions& options,
                                       const BenchEventSink& onEvent, const std::atomic<bool>* cancel = nullptr);

// A run against its baseline, by the kernel's time relative to eager measured in the same rounds (so a machine
// that is busier or slower today moves both and changes nothing), with the 95 % interval combined from the two
// runs' speedup intervals. A change is reported only when the interval excludes "no change" and the change is
// at least kMinimumChange (fresh worker processes on one machine differed by up to 9 % while each run's own interval
// was ±2 %: bench/bench_stability.py); otherwise "no significant change (±x %)". Results without speedup intervals (older
// history) fall back to the kernel's [p20, p80] ranges not overlapping.
inline constexpr double kMinimumChange = 0.10;
enum class RunChange : std::uint8_t { Faster, Slower, NoSignificantChange };
struct RunComparison {
    RunChange change = RunChange::NoSignificantChange;
    double ratio = 1.0;              // current kernel time / baseline kernel time (relative to eager where known)
    double ratioLo = 1.0, ratioHi = 1.0; // its 95 % interval
    std::string text() const;        // "12.3% faster", "no significant change (±2.1 %)"
};
RunComparison compareRuns(const nlohmann::json& baselineResult, const nlohmann::json& currentResult);

} // namespace aotiscope
