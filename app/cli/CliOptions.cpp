#include "app/cli/CliOptions.h"

#include <stdexcept>
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
  rm <op>             delete an op, or some of its entries (--entry N, repeatable), with the libraries
                      no other entry uses
  prune               delete orphan kernel libraries (no entry references them) older than --min-age
  repair [op]         drop entries whose library is missing (PyTorch then ignores the whole op) and
                      shadowed duplicates
  evict               delete the oldest entries: --older-than DAYS and/or --max-bytes N for lib/
  restore [id]        undo a removal (the latest when no id is given)
  compile <op>...     recompile the ops' entries (one op: --entry N for some) through PyTorch, all in one worker
  compile --stale     recompile every entry with a missing, unloadable or foreign library
  compile --spec F    compile a new entry: F holds {"op","ns","device","meta_info"}; progress on stderr,
                      --json: the worker's events as JSON lines on stdout; --python PY picks the interpreter
  trash               list what removals can be undone

Removals take PyTorch's locks, rewrite op files atomically and move what goes to <root>/aotiscope-trash.

options:
  --root DIR          cache root (default: where PyTorch looks, see `locate`)
  --json              machine-readable output (schemas in docs/json-schema.md)
  --fast              lint: skip library inspection (ELF, ISA, compute capability, torch install)
  --no-inspection-cache
                      read every library's ELF header again instead of reusing what an earlier run
                      found for the unchanged file (kept in ~/.cache/aotiscope)
  --format json|csv   export format
  -o, --output FILE   export: write to FILE instead of stdout
  -n, --dry-run       removals: print the plan (what goes, how many bytes) and change nothing
  --entry N           rm: entry index (repeatable); --ns NS, --device DEV narrow rm to one folder
  --min-age SECONDS   prune: leave younger orphans (a compile may not have written its entry yet; 600)
  --lock-timeout S    removals: how long to wait for PyTorch's locks (default: PyTorch's, 600 s)
  -j, --threads N     scan threads (default: one per core)
  -v, --verbose       debug logging on stderr
  -h, --help          this text

exit codes: 0 ok, 1 error-level findings (lint) or op not found (show), 2 usage error, 3 cache unreadable
)";
}

namespace {

template <typename T>
T number(std::string_view option, const std::string& text) {
    try {
        std::size_t used = 0;
        double v = std::stod(text, &used);
        if (used != text.size() || v < 0) {
            throw std::invalid_argument(text);
        }
        return T(v);
    } catch (const std::exception&) {
        throw UsageError{std::string(option) + " needs a non-negative number, not \"" + text + "\""};
    }
}

} // namespace

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
        } else if (a == "--stale") {
            o.stale = true;
        } else if (a == "--spec") {
            o.spec = value();
        } else if (a == "--python") {
            o.python = value();
        } else if (a == "--dry-run" || a == "-n") {
            o.dryRun = true;
        } else if (a == "--entry") {
            o.entries.push_back(number<int>(a, value()));
        } else if (a == "--ns") {
            o.ns = value();
        } else if (a == "--device") {
            o.device = value();
        } else if (a == "--min-age") {
            o.minAgeSeconds = number<std::int64_t>(a, value());
        } else if (a == "--older-than") {
            o.olderThanDays = number<double>(a, value());
        } else if (a == "--max-bytes") {
            o.maxBytes = number<std::uint64_t>(a, value());
        } else if (a == "--lock-timeout") {
            o.lockTimeoutSeconds = number<double>(a, value());
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
