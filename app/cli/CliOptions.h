// Command-line parsing for aotiscope-cli: a command word, its positional arguments, and options that every
// command accepts (--root, --json) plus a few of its own.
#pragma once

#include <map>
#include <optional>
#include <string>
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
};

struct UsageError {
    std::string message;
};

// Throws UsageError on unknown options or missing values.
CliOptions parseCli(int argc, char** argv);
const char* usageText();

} // namespace aotiscope::cli
