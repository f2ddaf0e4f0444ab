// An entry's identity: a key made from its content (canonical `meta_info` + `kernel_path`), so that a job, a
// plan, a trash record or a selection names the entry it means even after other entries were appended,
// removed or reordered. The index stays what it is in PyTorch: a position, where the first match wins.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aotiscope {

// The canonical text of JSON values, written piece by piece by a traversal (nlohmann here, simdjson in the
// parser): objects with their keys sorted, no blanks, integers in decimal, floats in their shortest
// round-trip form with a ".0" where it would read as an integer, and non-finite floats as the strings
// Python's json writes bare ("NaN", "Infinity", "-Infinity"), which is what the scanner sees after quoting.
// parseOpJson reads Python's bare NaN/Infinity as strings with this marker (dumpOpJson writes them back bare).
inline constexpr std::string_view kNonFiniteMarker = "__aotiscope_nonfinite__:";

namespace canonical {
void appendString(std::string& out, std::string_view s);
void appendInteger(std::string& out, std::int64_t v);
void appendUnsigned(std::string& out, std::uint64_t v);
void appendFloat(std::string& out, double v);
void appendJson(std::string& out, const nlohmann::ordered_json& v);
} // namespace canonical

// 16 hex digits from the canonical meta_info and the kernel_path (nullopt: none, or not a string).
std::string entryKeyFromCanonical(std::string_view canonicalMetaInfo, const std::optional<std::string>& kernelPath);
// The key of one entry object as nlohmann reads it (an entry without meta_info keys on its whole text).
std::string entryKeyOf(const nlohmann::ordered_json& entry);
// Keys of every entry of a list, in order. An exact copy of an earlier entry of the same file gets "-2",
// "-3", ... so that each entry has its own name; copies never shift the names of the entries before them.
std::vector<std::string> entryKeysOf(const nlohmann::ordered_json& entries);
// Applies that numbering to a list of plain content keys.
void numberDuplicateKeys(std::vector<std::string>& keys);

// Python's == on json-loaded values: what PyTorch's writer uses to decide that an entry "already exists"
// (dicts regardless of key order, True == 1 == 1.0).
bool pythonEqual(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b);

} // namespace aotiscope
