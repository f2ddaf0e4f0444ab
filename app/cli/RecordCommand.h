// `aotiscope-cli record [-o FILE] [--calls] -- PROGRAM ARGS...`: runs a program unchanged with the recording shim
// (workers/record) first on its PYTHONPATH and exits with its status; `aotiscope-cli report FILE [--json]`: what the
// recording says, per process and op, each miss explained.
#pragma once

#include "app/cli/CliOptions.h"

#include <ostream>

namespace aotiscope::cli {

int cmdRecord(const CliOptions& o, std::ostream& out, std::ostream& err);
int cmdReport(const CliOptions& o, std::ostream& out, std::ostream& err);

} // namespace aotiscope::cli
