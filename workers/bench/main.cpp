// aotiscope-bench-worker: loads AOTI-eager kernel libraries and times them against eager, in its own process,
// so that a library that crashes, aborts or hangs takes only this process down.
//
// Protocol: JSON lines. Requests on stdin, events on stdout (anything a library prints goes to stderr).
//   request {"type": "bench", "id", "root", "ns", "op", "device", "library", "meta_info", "options": {...}}
//           {"type": "load", "id", "root", "device", "library"}   (verify: load as PyTorch does, run nothing)
//           {"type": "quit"}
//   events  {"event": "ready", "torch", "runners", "threads", "pid"} once, at start
//           {"id", "event": "started" | "progress" (fraction, stage) | "finished" (result) | "failed" (message)}
#include "BenchJob.h"

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <torch/csrc/inductor/aoti_runner/model_container_runner.h>
#if __has_include(<torch/headeronly/version.h>)
#include <torch/headeronly/version.h>
#elif __has_include(<torch/version.h>)
#include <torch/version.h>
#endif

#include <cstdio>
#include <malloc.h>
#include <iostream>
#include <string>
#include <unistd.h>

namespace {

FILE* protocolOut = stdout;

void emit(const nlohmann::json& event) {
    auto line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::fwrite(line.data(), 1, line.size(), protocolOut);
    std::fflush(protocolOut);
}

std::string firstLine(const std::string& s) {
    auto nl = s.find('\n');
    return nl == std::string::npos ? s : s.substr(0, nl);
}

} // namespace

int main() {
    // Keep freed memory mapped (a long-running process's heap is warm): otherwise glibc returns a kernel's
    // output buffer to the system after each call and the next call pays page faults the kernel does not cause.
    // Every block comes from the heap (no mmap at all: glibc's threshold cannot exceed 32 MiB, and a 64 MiB
    // output would be mapped and faulted in afresh on every call), and the heap is not trimmed below 1 GiB.
    // bench/bench_accuracy.py runs torch.utils.benchmark.Timer under the same settings (GLIBC_TUNABLES).
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    // Keep stdout for the protocol: libraries and libtorch may print, and they print to fd 1.
    protocolOut = fdopen(dup(1), "w");
    dup2(2, 1);
    nlohmann::json runners = nlohmann::json::array();
    for (const auto& [name, create] : torch::inductor::getAOTIModelRunnerRegistry()) runners.push_back(name);
    std::string version = "unknown";
#ifdef TORCH_VERSION_MAJOR
    version = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH);
#endif
    emit({{"event", "ready"}, {"torch", version}, {"runners", runners}, {"threads", at::get_num_threads()}, {"pid", getpid()}});
    for (std::string line; std::getline(std::cin, line);) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        nlohmann::json request;
        try {
            request = nlohmann::json::parse(line);
        } catch (const std::exception& e) {
            emit({{"event", "failed"}, {"message", std::string("request is not JSON: ") + e.what()}});
            continue;
        }
        if (request.value("type", "") == "quit") break;
        auto id = request.value("id", "");
        try {
            if (request.value("type", "") == "load") aotiscope::bench::runLoadJob(request, emit);
            else aotiscope::bench::runBenchJob(request, emit);
        } catch (const c10::Error& e) {
            emit({{"id", id}, {"event", "failed"}, {"message", firstLine(e.what_without_backtrace())}});
        } catch (const std::exception& e) {
            emit({{"id", id}, {"event", "failed"}, {"message", firstLine(e.what())}});
        }
    }
    return 0;
}
