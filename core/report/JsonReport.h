// The stable JSON shapes of AOTIScope's reports (documented in docs/json-schema.md). The CLI prints them and
// the GUI's export writes them; field names never change within a schema version.
#pragma once

#include "core/read/CacheModel.h"
#include "core/read/CacheLocator.h"
#include "core/check/DispatchKeys.h"
#include "core/check/HostInfo.h"
#include "core/check/Linter.h"

#include <nlohmann/json.hpp>

namespace aotiscope {

// writerTorch: the version of the torch that wrote the entry, where known (writerTorchVersion); it decides
// which release's numbering names the dispatch keys.
nlohmann::json tensorToJson(const TensorMeta& t, const KeySetNaming& naming, const std::string& writerTorch);
nlohmann::json argToJson(const Arg& a, int index, const KeySetNaming& naming, const std::string& writerTorch);
nlohmann::json libraryToJson(const LibraryFile* lib, const std::string& joinedPath);
// entryKey: the identity of the entry the finding is about (entryKeyOfFinding), empty when none.
nlohmann::json findingToJson(const Finding& f, const std::string& entryKey = {});
const std::string& entryKeyOfFinding(const CacheSnapshot& snap, const Finding& f);
nlohmann::json locateToJson(const LocateResult& r);
// ls: the tree with counts, sizes and worst status per op.
nlohmann::json treeToJson(const CacheSnapshot& snap, const FindingList& findings);
// show/export: every entry of the ops named (all ops when `opName` is empty).
nlohmann::json entriesToJson(const CacheSnapshot& snap, const FindingList& findings, const std::string& opName,
                             const KeySetNaming& naming);
// The torch the verdicts are about: {version, dir, python, source}, or null when none was found.
nlohmann::json torchToJson(const HostInfo& host);
// What this machine offers kernels (doctor): CPU, cores, C and C++ runtime versions, GPUs, torch, unknown facts.
nlohmann::json hostToJson(const HostInfo& host);
// lint --json, written as it goes (aotiscope.lint/2): each rule's name and explanation once under "rules",
// the findings one by one, so that 300,000 findings cost neither a document in memory nor 300,000 copies of
// the same explanations. `torch` is the torch the verdicts are for (torchToJson).
void writeLintJson(std::ostream& out, const CacheSnapshot& snap, const FindingList& findings,
                   const nlohmann::json& torch);

// One-line summary of an argument: "tensor float32[4, 8] cpu", "scalar int 2", "string \"floor\"".
std::string describeArg(const Arg& a);
std::string describeTensor(const TensorMeta& t);

} // namespace aotiscope
