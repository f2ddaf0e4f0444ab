// CSV for spreadsheets: every entry (`export --format csv`, the window's File > Export entries) and every finding
// (`lint --format csv`, File > Export findings), RFC 4180 quoting. The JSON forms are JsonReport's.
#pragma once

#include "core/read/CacheModel.h"
#include "core/check/Linter.h"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace aotiscope {

std::string csvField(const std::string& s);
// entries: entriesToJson's document.
void writeEntriesCsv(std::ostream& out, const nlohmann::json& entries);
void writeFindingsCsv(std::ostream& out, const CacheSnapshot& snap, const FindingList& findings);

} // namespace aotiscope
