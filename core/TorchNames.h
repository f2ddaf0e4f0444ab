// Names torch accepts for dtypes, layouts and memory formats (torch 2.13's module attributes), resolved the
// way PyTorch's loader does it: by the last dotted part ("float32" and "torch.float32" are the same).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aotiscope {

std::string_view lastDottedPart(std::string_view name);
bool isKnownDtype(std::string_view name);
bool isKnownLayout(std::string_view name);
bool isKnownMemoryFormat(std::string_view name);
// "torch.half" -> "float16": the canonical name of an alias, so that equal dtypes compare equal.
std::string canonicalDtype(std::string_view name);
// "NaN", "Infinity", "-Infinity" as Python's json writes them.
std::optional<double> nonFiniteValue(std::string_view text);

} // namespace aotiscope
