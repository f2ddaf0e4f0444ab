// One fuzzing step shared by the libFuzzer target and the corpus replay test: the bytes are an <op>.json;
// they are parsed, linted, diffed, reported and (when PyTorch would read them) rewritten as PyTorch writes.
#pragma once

#include "core/check/Linter.h"

#include <string_view>
#include <vector>

namespace aotiscope::fuzz {

FindingList runOneOpFile(std::string_view data);

} // namespace aotiscope::fuzz
