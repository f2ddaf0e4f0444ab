// `aotiscope-cli verify [op...]`: every entry's library loaded as PyTorch loads it (dlopen through the AOTI
// runner, in the isolated benchmark worker, with a timeout and the signal named), set beside lint's static
// prediction for the same library, so that a disagreement between the two shows.
#pragma once

#include "app/cli/CliOptions.h"

#include <ostream>

namespace aotiscope::cli {

int cmdVerify(const CliOptions& o, std::ostream& out, std::ostream& err);

} // namespace aotiscope::cli
