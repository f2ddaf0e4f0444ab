// Parses one `<op>.json` of the cache into entries and arguments, keeping everything it does not know.
#pragma once

#include "core/read/CacheModel.h"

#include <memory>
#include <string_view>

namespace aotiscope {

// Reusable parser: one per thread (it owns simdjson buffers). simdjson's DOM API picks the fastest
// implementation for this CPU at run time (see implementationName()).
class OpFileParser {
public:
    OpFileParser();
    ~OpFileParser();
    OpFileParser(const OpFileParser&) = delete;
    OpFileParser& operator=(const OpFileParser&) = delete;

    // Reads and parses `op.path` into `op` (entries, errors). Never throws.
    void parseFile(OpFile& op);
    // Parses JSON text already in memory.
    void parseText(std::string_view text, OpFile& op);

    static const char* implementationName();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Python's json module accepts the non-standard tokens NaN, Infinity and -Infinity (json.dump writes them
// for float('nan') scalars). Returns the text with those tokens outside strings quoted, or nullopt when
// there are none, so that a strict parser reads what PyTorch's loader reads.
// `marker` is put before each quoted token ("NaN" -> "<marker>NaN"), so that a writer can restore them.
std::optional<std::string> quotePythonNonFinite(std::string_view text, std::string_view marker = {});

} // namespace aotiscope
