// Jobs for the tree rows a user selected: an entry alone, or every entry of an op, in the row's own device folder
// (core's job builders cover every folder holding the op), each job once.
#pragma once

#include "core/jobs/BenchJobs.h"
#include "ui/CacheTreeModel.h"

#include <algorithm>
#include <string>
#include <vector>

namespace aotiscope::ui {

using SelectedRows = std::vector<CacheTreeModel::EntryRef>;

template <typename Job, typename MakeJobs>
std::vector<Job> jobsForRows(const CacheSnapshot& snap, const SelectedRows& rows, MakeJobs makeJobs) {
    std::vector<Job> jobs;
    for (const auto& ref : rows) {
        if (!ref.op) continue;
        auto more = makeJobs(snap, ref.op->name, std::vector<int>{},
                             ref.entry ? std::vector<std::string>{ref.entry->key} : std::vector<std::string>{});
        for (auto& j : more) {
            if (j.device == ref.device->name && std::none_of(jobs.begin(), jobs.end(), [&](const Job& k) { return k.id == j.id; })) {
                jobs.push_back(std::move(j));
            }
        }
    }
    return jobs;
}

// Every entry of the snapshot, each op once across its device folders.
std::vector<BenchJob> benchJobsForAll(const CacheSnapshot& snap);

} // namespace aotiscope::ui
