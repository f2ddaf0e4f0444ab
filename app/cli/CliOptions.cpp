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
  compile --spec F    compile new entries: F holds {"op","ns","device","meta_info"} or a list of them
                      (--spec repeatable; every spec in one worker); progress on stderr,
                      --json: the worker's events as JSON lines on stdout; --python PY picks the interpreter
  compile --recording FILE
                      pre-warm: compile what the recorded program missed so that its next run hits (calls
                      that hit now are skipped; an unusable entry for the call is recompiled in place)
  compile ... --ray ADDRESS
                      the same jobs as tasks of a Ray cluster (head at ADDRESS, host:port): each compiles in its
                      own temporary cache on a node, and its entry is merged here as it arrives, checked as
                      `unpack` checks a bundle (CPU entries; CUDA ones compile here)
  trash               list what removals can be undone
  verify [op...]      load every entry's library as PyTorch does (isolated worker, --timeout S), beside
                      lint's prediction for it; exits 1 when any fails to load
  explain <op> --call SPEC
                      the entry a call runs, or why it misses: the nearest entries and each guard field
                      that differs (SPEC: the call's meta_info as PyTorch records it, inline or a file);
                      exits 1 on a miss
  doctor              this machine as a kernel sees it (CPU, cores, glibc, libstdc++, GPUs), the torch in
                      use, and how much of the cache this host can run, with the reasons
  pack [op...] -o FILE
                      the ops' entries (all when none; --ns, --device narrow) with every file they need and a
                      manifest (this host's torch, CUDA, CPU, glibc and libstdc++; each entry's identity, needs
                      and file digests) as one bundle file (a tar of blobs named by SHA-256)
  unpack FILE         place a bundle's entries here: each is checked first (digests, then lint's rules with this
                      host, then its library loaded in the isolated worker), files placed before entries, entries
                      appended under PyTorch's locks after those already there, never twice; says what it
                      skipped and why; exits 1 when it skipped any; --dry-run checks and changes nothing
  push REF [op...]    pack the ops' entries and push the bundle to an OCI registry as an artifact (oras-py);
                      REF: host[:port]/repository:tag; --insecure for plain HTTP
  pull REF            pull a bundle from an OCI registry and unpack it here (-o FILE: save it as a bundle file)
  record [-o FILE] [--calls] -- PROGRAM ARGS...
                      run a program unchanged and record its AOTI-eager activity per process (registrations
                      with the entries loaded or PyTorch's error, each miss with the call and its compile time;
                      --calls: every call of a registered op, at a cost per ATen call) to FILE (run.jsonl);
                      exits with the program's status
  report FILE         per op and process: calls, hits, misses, compile seconds; each miss explained by the
                      matcher (nearest entry, differing guard fields, a dropped op, a failed registration)
                      and the entry it created
  bench <op>...       time the ops' entries (one op: --entry N for some) against eager in an isolated
                      worker: correctness first, then median [p20-p80], speedup, GB/s against a measured
                      copy ceiling, and a verdict; exits 1 when any entry fails or gives wrong results

Removals take PyTorch's locks, rewrite op files atomically and move what goes to <root>/aotiscope-trash.

options:
  --root DIR          cache root (default: where PyTorch looks, see `locate`)
  --json              machine-readable output (schemas in docs/json-schema.md)
  --fast              ls, lint: skip library inspection (ELF, ISA, compute capability, torch install): the
                      statuses then say nothing of whether the libraries load here
  --no-inspection-cache
                      read every library's ELF header again instead of reusing what an earlier run
                      found for the unchanged file (kept in ~/.cache/aotiscope); ls: make the listing
                      again even when nothing it rests on changed, and remember none
  --format json|csv   export format; lint --format csv: the findings as CSV
  -o, --output FILE   export: write to FILE instead of stdout; record: the recording (run.jsonl)
  --insecure          push, pull: the registry speaks plain HTTP (one on loopback)
  -n, --dry-run       removals: print the plan (what goes, how many bytes) and change nothing
  --entry N|KEY       rm, compile, bench: an entry by position (N, as ls shows it) or by its entry_key
                      (repeatable); --ns NS, --device DEV narrow rm to one folder
  --min-age SECONDS   prune: leave younger orphans (a compile may not have written its entry yet; 600)
  --lock-timeout S    removals: how long to wait for PyTorch's locks (default: PyTorch's, 600 s)
  --device DEV        rm, bench: only this device folder (cpu, cuda)
  --cold | --warm     bench: flush caches before each sample (default on GPUs) or time back-to-back runs
                      (default on the CPU)
  --max-ms MS         bench: stop sampling after MS once --min-rounds (10) are in (2000); --warmup-ms (25)
  --target-ci PCT     bench: or earlier, once the speedup's 95 % interval is within ±PCT % (2)
  --against FILE      bench: compare with an earlier `bench --json` of the same entries (same statistics as the
                      window's baselines: a change only when the interval excludes none and it is 10 % or more)
  --timeout S         bench: a job running longer is a hang and its worker is killed (120)
  --kernel-threads N  bench: CPU threads for kernel and eager (default: libtorch's)
  --worker PATH       bench: the benchmark worker program (default: beside aotiscope-cli)
  --python PY         the interpreter whose torch the verdicts are about and that compiles (default:
                      $AOTISCOPE_PYTHON, the one recorded at build or install, then python3 on PATH)
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
        if (a == "--") {
            o.program.assign(argv + i + 1, argv + argc); // the recorded program's own arguments, untouched
            break;
        } else if (a == "--root") {
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
        } else if (a == "--call") {
            o.call = value();
        } else if (a == "--recording") {
            o.recording = value();
        } else if (a == "--spec") {
            o.specs.emplace_back(value());
        } else if (a == "--ray") {
            o.ray = value();
        } else if (a == "--python") {
            o.python = value();
        } else if (a == "--cold" || a == "--warm") {
            o.cold = a == "--cold";
        } else if (a == "--max-ms") {
            o.maxMs = number<double>(a, value());
        } else if (a == "--warmup-ms") {
            o.warmupMs = number<double>(a, value());
        } else if (a == "--min-rounds") {
            o.minRounds = number<int>(a, value());
        } else if (a == "--target-ci") {
            o.targetCiPercent = number<double>(a, value());
        } else if (a == "--against") {
            o.against = value();
        } else if (a == "--timeout") {
            o.timeoutSeconds = number<double>(a, value());
        } else if (a == "--kernel-threads") {
            o.kernelThreads = number<int>(a, value());
        } else if (a == "--worker") {
            o.worker = value();
        } else if (a == "--calls") {
            o.recordCalls = true;
        } else if (a == "--insecure") {
            o.insecure = true;
        } else if (a == "--dry-run" || a == "-n") {
            o.dryRun = true;
        } else if (a == "--entry") {
            // A position (#N, as ls shows it) or an identity (entry_key, 16 hex digits and maybe "-2").
            auto v = std::string(value());
            if (v.starts_with('#')) v.erase(0, 1);
            if (v.size() >= 16) o.entryKeys.push_back(v);
            else o.entries.push_back(number<int>(a, v));
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
