#include "core/CompileWorker.h"

#include "core/FileUtil.h"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

extern char** environ;

namespace aotiscope {

std::string defaultPython() {
    if (const char* p = std::getenv("AOTISCOPE_PYTHON"); p && *p) {
        return p;
    }
#ifdef AOTISCOPE_SOURCE_DIR
    if (std::filesystem::exists(AOTISCOPE_SOURCE_DIR "/.venv/bin/python")) {
        return AOTISCOPE_SOURCE_DIR "/.venv/bin/python";
    }
#endif
    return "python3";
}

std::string defaultWorkerScript() {
    if (const char* d = std::getenv("AOTISCOPE_WORKERS_DIR"); d && *d) {
        return std::string(d) + "/compile_worker.py";
    }
    // An installed AOTIScope (packaging/): <prefix>/bin/aotiscope-cli and <prefix>/share/aotiscope/workers.
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        auto installed = exe.parent_path().parent_path() / "share/aotiscope/workers/compile_worker.py";
        if (std::filesystem::exists(installed, ec)) {
            return installed.string();
        }
    }
#ifdef AOTISCOPE_SOURCE_DIR
    return AOTISCOPE_SOURCE_DIR "/workers/compile_worker.py";
#else
    return "compile_worker.py";
#endif
}

CompileWorker::CompileWorker(CompileWorkerConfig config) : config_(std::move(config)) {
    if (config_.python.empty()) config_.python = defaultPython();
    if (config_.script.empty()) config_.script = defaultWorkerScript();
}

CompileWorker::~CompileWorker() {
    if (pid_ > 0) {
        send({{"type", "quit"}});
        for (int i = 0; i < 20 && pid_ > 0; ++i) {
            reap(false);
            if (pid_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        kill(500);
    }
    for (int fd : {in_, out_, err_}) {
        if (fd >= 0) ::close(fd);
    }
}

std::string CompileWorker::start() {
    int inPipe[2], outPipe[2], errPipe[2];
    if (::pipe2(inPipe, O_CLOEXEC) || ::pipe2(outPipe, O_CLOEXEC) || ::pipe2(errPipe, O_CLOEXEC)) {
        return fmt::format("cannot create pipes: {}", std::strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0);
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP); // its own group: cancel ends the compilers too
    posix_spawnattr_setpgroup(&attr, 0);
    std::vector<char*> argv{const_cast<char*>(config_.python.c_str()), const_cast<char*>("-u"),
                            const_cast<char*>(config_.script.c_str()), nullptr};
    int rc = posix_spawnp(&pid_, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(inPipe[0]);
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    in_ = inPipe[1];
    out_ = outPipe[0];
    err_ = errPipe[0];
    if (rc != 0) {
        pid_ = -1;
        return fmt::format("cannot start {}: {}", config_.python, std::strerror(rc));
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.readyTimeoutMs);
    std::string stderrTail;
    while (std::chrono::steady_clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        auto e = nextEvent(int(left));
        if (!e) break;
        auto kind = e->value("event", "");
        if (kind == "ready") {
            ready_ = *e;
            return {};
        }
        if (kind == "failed") {
            kill(500);
            return e->value("message", "the worker failed to start");
        }
        if (kind == "log") {
            stderrTail = e->value("message", "");
        }
        if (kind == "exited") {
            return fmt::format("{} {} exited before it was ready: {}", config_.python, config_.script, stderrTail);
        }
    }
    kill(500);
    return fmt::format("the compile worker ({}) was not ready within {} s", config_.python, config_.readyTimeoutMs / 1000);
}

std::string CompileWorker::send(const nlohmann::json& request) {
    if (pid_ <= 0 || in_ < 0) {
        return "the compile worker is not running";
    }
    auto line = request.dump() + "\n";
    std::size_t done = 0;
    while (done < line.size()) {
        auto n = ::write(in_, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fmt::format("cannot write to the compile worker: {}", std::strerror(errno));
        done += std::size_t(n);
    }
    return {};
}

std::optional<nlohmann::json> CompileWorker::popLine() {
    for (auto* buf : {&outBuf_, &errBuf_}) {
        auto nl = buf->find('\n');
        if (nl == std::string::npos) continue;
        auto line = buf->substr(0, nl);
        buf->erase(0, nl + 1);
        if (buf == &errBuf_) {
            return nlohmann::json{{"event", "log"}, {"stream", "stderr"}, {"message", line}};
        }
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_object()) return j;
        return nlohmann::json{{"event", "log"}, {"stream", "stdout"}, {"message", line}};
    }
    return std::nullopt;
}

bool CompileWorker::readSome(int timeoutMs) {
    pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
    if (::poll(fds, 2, timeoutMs) <= 0) return false;
    bool any = false;
    char buf[65536];
    for (auto& p : fds) {
        if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
        auto n = ::read(p.fd, buf, sizeof buf);
        if (n > 0) {
            (p.fd == out_ ? outBuf_ : errBuf_).append(buf, std::size_t(n));
            any = true;
        } else if (n == 0) {
            (p.fd == out_ ? out_ : err_) = -1;
            ::close(p.fd);
            any = true;
        }
    }
    return any;
}

void CompileWorker::reap(bool wait) {
    if (pid_ <= 0) return;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, wait ? 0 : WNOHANG);
    if (r == pid_) {
        exitEvent_ = nlohmann::json{{"event", "exited"},
                                    {"status", WIFEXITED(status) ? WEXITSTATUS(status) : -1},
                                    {"signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0},
                                    {"signal_name", WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : ""}};
        pid_ = -1;
    }
}

std::optional<nlohmann::json> CompileWorker::nextEvent(int timeoutMs) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        if (auto e = popLine()) return e;
        if (out_ < 0 && err_ < 0) {
            // Both pipes closed: whatever is left unterminated, then how the process ended.
            for (auto* buf : {&outBuf_, &errBuf_}) {
                if (!buf->empty()) {
                    *buf += '\n';
                    return popLine();
                }
            }
            reap(true);
            if (exitEvent_ && !exitReported_) {
                exitReported_ = true;
                return exitEvent_;
            }
            return std::nullopt;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) return std::nullopt;
        readSome(int(left));
    }
}

void CompileWorker::kill(int graceMs) {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(graceMs);
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
        reap(false);
        if (pid_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (pid_ > 0) {
        ::kill(-pid_, SIGKILL);
        reap(true);
    }
}

} // namespace aotiscope
