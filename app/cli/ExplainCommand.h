// `aotiscope-cli explain <op> --call SPEC`: the entry a call runs, or why it misses (the nearest entries and
// each guard field that differs), as PyTorch's kernel holder matches entries loaded from disk.
#pragma once

#include "app/cli/CliOptions.h"

#include <ostream>

namespace aotiscope::cli {

int cmdExplain(const CliOptions& o, std::ostream& out, std::ostream& err);

} // namespace aotiscope::cli
