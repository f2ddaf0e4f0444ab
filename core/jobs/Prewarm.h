// Pre-warming from a recording: the compile jobs after which the recorded program's misses hit. Each distinct
// missed call is matched against the cache as it is now: one that hits already needs nothing; one whose only
// match is an entry PyTorch drops or cannot load recompiles that entry in place (its writer would append
// nothing beside it); one that meets an op dropped for another entry's sake is left, with the reason; the rest
// become new entries.
#pragma once

#include "core/jobs/CompileJobs.h"
#include "core/report/Recording.h"

#include <string>
#include <vector>

namespace aotiscope {

struct PrewarmPlan {
    std::vector<CompileJob> jobs;
    std::vector<std::string> skipped; // one line per missed call left alone, with the reason
};

PrewarmPlan planPrewarm(const CacheSnapshot& snap, const Recording& recording);

} // namespace aotiscope
