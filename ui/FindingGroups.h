// The health panel's grouping: findings by rule, then by the op (or device, or host) they are about, and the
// search that narrows them. Plain C++ computed off the GUI thread: 300,000 findings group in tens of
// milliseconds there and the panel then shows a few hundred rows, not 300,000.
#pragma once

#include "core/check/Linter.h"

#include <cstdint>
#include <string>
#include <vector>

namespace aotiscope::ui {

struct FindingGroups {
    struct Place {
        std::string where;                    // ns/device/op, ns/device, or "" for the host
        std::vector<std::uint32_t> findings;  // indices into the scan's findings, in their order
    };
    struct Rule {
        std::string ruleId;
        Severity severity = Severity::Info; // the most severe of its findings
        std::vector<Place> places;
        std::size_t count = 0;
    };
    std::vector<Rule> rules; // in the order of their first finding: the scan's findings are most severe first
    std::size_t matched = 0, total = 0;
    std::string query;
    bool bySpans = false; // the places were told by the lint's spans (FindingSource), not looked up by text
};

// Where a finding is about, as the panel writes it: "aten/cpu/abs", "aten/cpu", or "" for the host.
std::string placeOf(const Finding& f);

// Where the findings came from, when known: with their lint's spans over the snapshot, each finding's place is told
// by the op or library it was emitted for, not looked up by its text (a refresh groups 300,000 findings).
struct FindingSource {
    const CacheSnapshot* snapshot = nullptr;
    const LintSpans* spans = nullptr;
};

// Groups the findings that match `query` (case-insensitive words, all of which must occur in the rule's id or
// name, the place, or the message; empty: all). The groups are the same with a source or without.
FindingGroups groupFindings(const FindingList& findings, const std::string& query, FindingSource source = {});

} // namespace aotiscope::ui
