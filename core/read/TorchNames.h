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
// The class c10 puts a dtype in, by name (c10::isFloatingType, isIntegralType(includeBool=false), kBool,
// complex): what decides how the kernel holder reads and compares a scalar of that dtype.
enum class DtypeClass { Floating, Integral, Bool, Complex, Other };
DtypeClass dtypeClass(std::string_view name);
// "NaN", "Infinity", "-Infinity" as Python's json writes them.
std::optional<double> nonFiniteValue(std::string_view text);

} // namespace aotiscope
