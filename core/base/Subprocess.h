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

// This process's environment with each NAME=VALUE of `overrides` in place of NAME's own value: what a child
// process is started with.
std::vector<std::string> environmentWith(const std::vector<std::string>& overrides);
// "NAME=<dir>:<NAME's value>" (just "NAME=<dir>" when NAME is unset or empty): dir first on a search path.
std::string prependedToPath(const std::string& name, const std::string& dir);

} // namespace aotiscope
