// JSON text written straight into a string, for outputs of hundreds of thousands of records where building a
// nlohmann::json per record costs more than the writing (lint --json: 300,000 findings).
#pragma once

#include <string>
#include <string_view>

namespace aotiscope::jsontext {

// `s` as a JSON string, escaped as nlohmann::json's dump() escapes it (\n, \t, ... and \u00xx for other control
// characters, UTF-8 kept as is), except that a byte sequence that is not UTF-8 (a file name can be anything)
// becomes U+FFFD instead of an exception.
void appendString(std::string& out, std::string_view s);

} // namespace aotiscope::jsontext
