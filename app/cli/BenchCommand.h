// `aotiscope-cli bench`: entries timed against eager in the isolated benchmark worker.
#pragma once

#include "app/cli/CliOptions.h"

#include <ostream>

namespace aotiscope::cli {

int cmdBench(const CliOptions& o, std::ostream& out, std::ostream& err);

} // namespace aotiscope::cli
