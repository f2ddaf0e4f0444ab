// The aotiscope-cli commands. Each returns the process exit code; output goes to the given streams.
#pragma once

#include "app/cli/CliOptions.h"

#include <ostream>

namespace aotiscope::cli {

int runCommand(const CliOptions& options, std::ostream& out, std::ostream& err);

} // namespace aotiscope::cli
