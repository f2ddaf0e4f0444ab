#include "core/jobs/WorkerProcess.h"

#include "core/base/Subprocess.h"

#include "core/base/FileUtil.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

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

namespace aotiscope {

namespace {

// "SIGSEGV (Segmentation fault)": the name a performance engineer greps for, and the words.
std::string signalName(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return fmt::format("SIG{} ({})", abbrev ? abbrev : std::to_string(sig).c_str(), strsignal(sig));
}

} // namespace

WorkerProcess::WorkerProcess(WorkerCommand command) : command_(std::move(command)) {}

WorkerProcess::~WorkerProcess() {
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

std::string WorkerProcess::start() {
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
    std::vector<char*> argv;
    for (auto& a : command_.argv) argv.push_back(a.data());
    argv.push_back(nullptr);
    auto envText = environmentWith(command_.env);
    std::vector<char*> envp;
    for (auto& e : envText) envp.push_back(e.data());
    envp.push_back(nullptr);
    int rc = posix_spawnp(&pid_, argv[0], &actions, &attr, argv.data(), envp.data());
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
        return fmt::format("cannot start {}: {}", command_.argv.front(), std::strerror(rc));
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(command_.readyTimeoutMs);
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
            return fmt::format("the {} ({}) exited before it was ready: {}", command_.label, fmt::join(command_.argv, " "), stderrTail);
        }
    }
    kill(500);
    return fmt::format("the {} ({}) was not ready within {} s", command_.label, command_.argv.front(), command_.readyTimeoutMs / 1000);
}

std::string WorkerProcess::send(const nlohmann::json& request) {
    if (pid_ <= 0 || in_ < 0) {
        return fmt::format("the {} is not running", command_.label);
    }
    auto line = request.dump() + "\n";
    std::size_t done = 0;
    while (done < line.size()) {
        auto n = ::write(in_, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fmt::format("cannot write to the {}: {}", command_.label, std::strerror(errno));
        done += std::size_t(n);
    }
    return {};
}

std::optional<nlohmann::json> WorkerProcess::popLine() {
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

bool WorkerProcess::readSome(int timeoutMs) {
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

void WorkerProcess::reap(bool wait) {
    if (pid_ <= 0) return;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, wait ? 0 : WNOHANG);
    if (r == pid_) {
        exitEvent_ = nlohmann::json{{"event", "exited"},
                                    {"status", WIFEXITED(status) ? WEXITSTATUS(status) : -1},
                                    {"signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0},
                                    {"signal_name", WIFSIGNALED(status) ? signalName(WTERMSIG(status)) : ""}};
        pid_ = -1;
    }
}

std::optional<nlohmann::json> WorkerProcess::nextEvent(int timeoutMs) {
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

void WorkerProcess::kill(int graceMs) {
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
