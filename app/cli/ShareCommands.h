// pack, unpack, push, pull: a cache's entries as a bundle (a file or an OCI artifact) and back, checked against
// this host before anything is placed (core/share/).
#pragma once

#include "app/cli/CliOptions.h"

#include <ostream>

namespace aotiscope::cli {

int cmdPack(const CliOptions& o, std::ostream& out, std::ostream& err);
int cmdUnpack(const CliOptions& o, std::ostream& out, std::ostream& err);
int cmdPush(const CliOptions& o, std::ostream& out, std::ostream& err);
int cmdPull(const CliOptions& o, std::ostream& out, std::ostream& err);

} // namespace aotiscope::cli
