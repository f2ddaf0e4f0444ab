#include "app/cli/RecordCommand.h"

#include "core/jobs/CompileWorker.h"
#include "core/report/Recording.h"
#include "core/base/Subprocess.h"
#include "core/report/WorkloadReport.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace aotiscope::cli {

namespace {

namespace fs = std::filesystem;

// The environment of the recorded program: this one, with the shim first on PYTHONPATH.
std::vector<std::string> recordingEnvironment(const std::string& shimDir, const std::string& output, bool calls) {
    return environmentWith({prependedToPath("PYTHONPATH", shimDir), "AOTISCOPE_RECORD_OUT=" + output,
                            std::string("AOTISCOPE_RECORD_CALLS=") + (calls ? "1" : "0")});
}

// Runs argv with env, stdio inherited, and waits. Ctrl-C reaches the program (same process group); this process
// ignores it meanwhile so the program decides how to stop, as under `time`.
int runProgram(const std::vector<std::string>& argv, const std::vector<std::string>& env, std::ostream& err) {
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    struct sigaction ignore{}, oldInt{}, oldQuit{};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ignore, &oldInt);
    sigaction(SIGQUIT, &ignore, &oldQuit);
    // The child starts with the default dispositions, not the ignored ones.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGQUIT);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, args[0], nullptr, &attr, args.data(), envp.data());
    posix_spawnattr_destroy(&attr);
    int status = 0;
    if (rc == 0) {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    sigaction(SIGINT, &oldInt, nullptr);
    sigaction(SIGQUIT, &oldQuit, nullptr);
    if (rc != 0) {
        fmt::print(err, "aotiscope-cli: record: cannot run {}: {}\n", argv[0], std::strerror(rc));
        return 127;
    }
    if (WIFSIGNALED(status)) {
        fmt::print(err, "aotiscope-cli: record: {} was killed by signal {} ({})\n", argv[0], WTERMSIG(status), strsignal(WTERMSIG(status)));
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}

} // namespace

int cmdRecord(const CliOptions& o, std::ostream& /*out*/, std::ostream& err) {
    if (o.program.empty()) {
        fmt::print(err, "aotiscope-cli: record needs the program to run after \"--\", e.g. record -- python train.py\n");
        return 2;
    }
    auto shimDir = fs::path(workerFile("record"));
    std::error_code ec;
    if (!fs::exists(shimDir / "sitecustomize.py", ec)) {
        fmt::print(err, "aotiscope-cli: record: the recording shim is not at {} (set AOTISCOPE_WORKERS_DIR)\n", shimDir.string());
        return 3;
    }
    auto output = fs::absolute(o.output.empty() ? "run.jsonl" : o.output, ec).lexically_normal();
    // An earlier recording is kept as FILE.old, as perf keeps perf.data.old; the new one starts empty.
    if (fs::is_regular_file(output, ec)) fs::rename(output, output.string() + ".old", ec);
    int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fmt::print(err, "aotiscope-cli: record: cannot write {}: {}\n", output.string(), std::strerror(errno));
        return 3;
    }
    ::close(fd);
    int status = runProgram(o.program, recordingEnvironment(fs::absolute(shimDir).lexically_normal().string(), output.string(), o.recordCalls), err);

    auto rec = readRecording(output.string());
    if (!rec.error.empty()) {
        fmt::print(err, "aotiscope record: {}\n", rec.error);
        return status;
    }
    std::size_t registrations = 0, failed = 0, misses = 0;
    double compileSeconds = 0;
    for (const auto& p : rec.processes) {
        for (const auto& r : p.registrations) {
            registrations += !r.inherited;
            failed += !r.error.empty();
        }
        misses += p.misses.size();
        for (const auto& m : p.misses) compileSeconds += m.seconds;
    }
    fmt::print(err, "aotiscope record: {}: {} process{}, {} registration{} ({} failed), {} miss{} compiling {:.1f} s; "
               "aotiscope-cli report {}\n", output.string(), rec.processes.size(), rec.processes.size() == 1 ? "" : "es",
               registrations, registrations == 1 ? "" : "s", failed, misses, misses == 1 ? "" : "es", compileSeconds,
               output.string());
    return status;
}

int cmdReport(const CliOptions& o, std::ostream& out, std::ostream& err) {
    if (o.positional.size() != 1) {
        fmt::print(err, "aotiscope-cli: report needs one recording (a file `aotiscope-cli record` wrote)\n");
        return 2;
    }
    auto rec = readRecording(o.positional[0]);
    if (!rec.error.empty()) {
        fmt::print(err, "aotiscope-cli: report: {}\n", rec.error);
        return 3;
    }
    auto report = analyzeRecording(rec);
    if (o.json) out << workloadReportJson(report).dump(2) << "\n";
    else out << workloadReportText(report);
    return 0;
}

} // namespace aotiscope::cli
