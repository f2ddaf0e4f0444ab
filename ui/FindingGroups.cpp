#include "ui/FindingGroups.h"

#include "core/check/Rules.h"
#include "ui/FindingPlace.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <sstream>
#include <string_view>
#include <unordered_map>

namespace aotiscope::ui {

namespace {

std::string lowered(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return out;
}

bool containsLowered(std::string_view haystack, const std::string& needle) {
    return std::ranges::search(haystack, needle, [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == b;
           }).begin() != haystack.end();
}

// Consecutive findings of libraries are mostly about different ops: a refresh's 300,000 findings met some 200,000
// runs, and making each run's text cost the grouping most of its time. Keyed by views, a place's text is made once.
FindingPlace keyOf(const Finding& f) {
    if (f.ns.empty() && f.device.empty()) return {}; // the host, as placeOf writes it
    return FindingPlace::of(f);
}

} // namespace

std::string placeOf(const Finding& f) {
    if (f.ns.empty() && f.device.empty()) return {};
    std::string where = f.ns + "/" + f.device;
    if (!f.op.empty()) where += "/" + f.op;
    return where;
}

FindingGroups groupFindings(const FindingList& findings, const std::string& query) {
    FindingGroups g;
    g.total = findings.size();
    g.query = query;
    std::vector<std::string> words;
    {
        std::istringstream in(lowered(query));
        for (std::string w; in >> w;) words.push_back(w);
    }
    std::unordered_map<std::string_view, std::size_t> ruleIndex;
    std::vector<std::unordered_map<FindingPlace, std::size_t, FindingPlaceHash>> placeIndex;
    // Consecutive findings are mostly about the same place, often under the same rule (lint's order): the group of
    // the finding before is taken again without a lookup. A place's text is made when the search needs it or when
    // the place is new to its rule.
    const Finding* previous = nullptr;
    std::string place;
    bool placeMade = false;
    std::size_t previousRule = 0, previousPlace = 0;
    for (std::size_t i = 0; i < findings.size(); ++i) {
        const auto& f = findings[i];
        bool samePlace = previous && previous->op == f.op && previous->device == f.device && previous->ns == f.ns;
        if (!samePlace) placeMade = false;
        auto placeText = [&]() -> const std::string& {
            if (!placeMade) place = placeOf(f), placeMade = true;
            return place;
        };
        if (!words.empty()) {
            const auto& rule = ruleById(f.ruleId);
            bool all = std::ranges::all_of(words, [&](const std::string& w) {
                return containsLowered(f.ruleId, w) || containsLowered(rule.name, w) || containsLowered(placeText(), w) ||
                       containsLowered(f.message, w);
            });
            if (!all) {
                previous = &f;
                previousRule = SIZE_MAX; // its group, if any, is not this one's
                continue;
            }
        }
        if (!(samePlace && previousRule != SIZE_MAX && previous->ruleId == f.ruleId)) {
            auto [r, newRule] = ruleIndex.try_emplace(f.ruleId, g.rules.size());
            if (newRule) {
                g.rules.push_back({f.ruleId, f.severity, {}, 0});
                placeIndex.emplace_back();
            }
            auto& rule = g.rules[r->second];
            auto [p, newPlace] = placeIndex[r->second].try_emplace(keyOf(f), rule.places.size());
            if (newPlace) rule.places.push_back({placeText(), {}});
            previousRule = r->second;
            previousPlace = p->second;
        }
        auto& rule = g.rules[previousRule];
        rule.severity = std::max(rule.severity, f.severity);
        ++rule.count;
        rule.places[previousPlace].findings.push_back(std::uint32_t(i));
        ++g.matched;
        previous = &f;
    }
    // Most severe rules first; among equals the one met first (the scan's order) stays first.
    std::ranges::stable_sort(g.rules, std::greater{}, &FindingGroups::Rule::severity);
    return g;
}

} // namespace aotiscope::ui
