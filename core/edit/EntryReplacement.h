// The two steps of a recompile around PyTorch's writer: take out the entry it replaces (found by identity
// under the locks), and settle the entry the writer wrote (back at the old one's position, or what to do when
// the writer appended nothing because an entry of equal meta_info stood there).
#pragma once

#include "core/jobs/CompileJobs.h"

#include <chrono>
#include <string>
#include <vector>

namespace aotiscope {

struct TakenOut {
    std::string trashId;      // restoreTrash(root, trashId) puts everything back
    std::string successorKey; // where the new entry goes: before this entry (empty: at the end)
    std::vector<std::string> removedKeys;
    std::vector<std::string> oldLibraries; // absolute paths the removed entries named
    std::string note;
    std::string error; // non-empty: nothing was changed
};
TakenOut takeOutForRecompile(const CompileJob& job, std::chrono::milliseconds lockTimeout);

struct Settled {
    std::string entryKey;
    std::string note;
    std::vector<std::string> unusedFiles; // the library just built, when PyTorch kept another entry
    std::string error; // non-empty: PyTorch's writer recorded nothing usable
};
// `library` as the writer returned it (absolute); `recorded` the meta_info as PyTorch extracted it from the
// inputs (the worker reports it).
Settled settleCompiledEntry(const CompileJob& job, const std::string& library, const nlohmann::ordered_json& recorded,
                            const std::string& successorKey, std::chrono::milliseconds lockTimeout);

} // namespace aotiscope
