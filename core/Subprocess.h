// Runs a short helper command (nvidia-smi, python's find_spec) with a time limit and captures its output.
#pragma once

#include <string>
#include <vector>

namespace aotiscope {

struct ProcessResult {
    int exitCode = -1; // -1: could not start or timed out
    std::string out;
    std::string err;
};

ProcessResult runProcess(const std::vector<std::string>& argv, int timeoutMs);

} // namespace aotiscope
