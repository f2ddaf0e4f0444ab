// Health checks over a snapshot: each finding names its rule, where it is, and what exactly is wrong.
#pragma once

#include "core/read/CacheModel.h"
#include "core/check/DispatchKeys.h"
#include "core/check/HostInfo.h"
#include "core/check/Rules.h"

#include <string>
#include <vector>

namespace aotiscope {

struct Finding {
    std::string ruleId;
    Severity severity = Severity::Info;
    std::string message;
    std::string ns, device, op; // empty when not about one op
    int entry = -1;             // entry index in the op file
    int arg = -1;
    std::string path;           // the file the finding is about
    // About this host, not the entry: the entry may be sound and run elsewhere (an ISA, a GPU, a glibc or a
    // CUDA runtime this machine lacks). An entry whose worst findings are all host-bound is "not runnable
    // here", a status of its own, not "broken".
    bool hostBound = false;
};

// "not_runnable_here" when the worst of these findings (warning or error) are all host-bound, else the worst
// severity's name ("error", "warning", "info") or "ok".
const char* statusOfFindings(const std::vector<const Finding*>& findings);

struct LintOptions {
    bool checkLibraries = true; // ELF, ISA, compute capability, torch install (needs an inspected scan)
};

std::vector<Finding> lintSnapshot(const CacheSnapshot& snapshot, const HostInfo& host,
                                  const LintOptions& options = {});

struct FindingCounts {
    std::size_t info = 0, warning = 0, error = 0;
};
FindingCounts countFindings(const std::vector<Finding>& findings);

} // namespace aotiscope
