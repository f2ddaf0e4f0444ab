// `aotiscope-cli doctor`: this machine as a kernel library sees it, the torch the verdicts are about, and how
// much of the cache this host can run, with the reasons for the rest.
#pragma once

#include "app/cli/CliOptions.h"

#include <ostream>

namespace aotiscope::cli {

int cmdDoctor(const CliOptions& o, std::ostream& out, std::ostream& err);

} // namespace aotiscope::cli
