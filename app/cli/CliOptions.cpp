#include "app/cli/CliOptions.h"

#include <string_view>

namespace aotiscope::cli {

const char* usageText() {
    return R"(usage: aotiscope-cli <command> [options]

Inspect PyTorch's AOTI-eager kernel cache.

commands:
  locate              print the cache root PyTorch would use, and why
  ls                  tree of namespaces, devices and ops with counts, sizes and status
  show <op>           entries of an op (e.g. abs, add.Tensor) with decoded arguments and libraries
  lint                health findings; exits 1 when any error-level finding exists
  export              every entry, as JSON (default) or CSV
  rules               the health rules with their IDs and the PyTorch behaviour behind each

options:
  --root DIR          cache root (default: where PyTorch looks, see `locate`)
  --json              machine-readable output (schemas in docs/json-schema.md)
  --fast              lint: skip library inspection (ELF, ISA, compute capability, torch install)
  --no-inspection-cache
                      read every library's ELF header again instead of reusing what an earlier run
                      found for the unchanged file (kept in ~/.cache/aotiscope)
  --format json|csv   export format
  -o, --output FILE   export: write to FILE instead of stdout
  -j, --threads N     scan threads (default: one per core)
  -v, --verbose       debug logging on stderr
  -h, --help          this text

exit codes: 0 ok, 1 error-level findings (lint) or op not found (show), 2 usage error, 3 cache unreadable
)";
}

CliOptions parseCli(int argc, char** argv) {
    CliOptions o;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                throw UsageError{"option " + std::string(a) + " needs a value"};
            }
            return argv[++i];
        };
        if (a == "--root") {
            o.root = value();
        } else if (a.starts_with("--root=")) {
            o.root = std::string(a.substr(7));
        } else if (a == "--json") {
            o.json = true;
        } else if (a == "--fast") {
            o.fast = true;
        } else if (a == "--no-inspection-cache") {
            o.inspectionCache = false;
        } else if (a == "--format") {
            o.format = value();
            if (o.format != "json" && o.format != "csv") {
                throw UsageError{"--format must be json or csv, not " + o.format};
            }
        } else if (a == "-o" || a == "--output") {
            o.output = value();
        } else if (a == "-j" || a == "--threads") {
            auto v = value();
            try {
                o.threads = unsigned(std::stoul(v));
            } catch (...) {
                throw UsageError{"--threads needs a number, not " + v};
            }
        } else if (a == "-v" || a == "--verbose") {
            o.verbose = true;
        } else if (a == "-h" || a == "--help") {
            o.command = "help";
        } else if (a.starts_with("-") && a.size() > 1) {
            throw UsageError{"unknown option " + std::string(a)};
        } else if (o.command.empty()) {
            o.command = std::string(a);
        } else {
            o.positional.emplace_back(a);
        }
    }
    if (o.command.empty()) {
        throw UsageError{"no command given"};
    }
    return o;
}

} // namespace aotiscope::cli
