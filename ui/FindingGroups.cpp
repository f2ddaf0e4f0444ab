#include "ui/FindingGroups.h"

#include "core/check/Rules.h"
#include "ui/FindingPlace.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <utility>

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

namespace {

// The grouping, fed one finding at a time in the list's order. A finding may come with the slot of its place (an op,
// a device folder or the host, numbered over the snapshot), which stands for its text: places are then found in
// arrays, not hashed.
class Grouper {
public:
    Grouper(const FindingList& findings, const std::string& query, std::size_t slots) : slots_(slots) {
        g_.total = findings.size();
        g_.query = query;
        std::istringstream in(lowered(query));
        for (std::string w; in >> w;) words_.push_back(w);
    }

    void visit(const Finding& f, std::uint32_t index, int slot) {
        bool samePlace = previous_ && (slot >= 0 && previousSlot_ >= 0
                                           ? slot == previousSlot_
                                           : previous_->op == f.op && previous_->device == f.device && previous_->ns == f.ns);
        if (!samePlace) placeMade_ = false;
        auto placeText = [&]() -> const std::string& {
            if (!placeMade_) place_ = placeOf(f), placeMade_ = true;
            return place_;
        };
        previousSlot_ = slot;
        if (!words_.empty()) {
            const auto& rule = ruleById(f.ruleId);
            bool all = std::ranges::all_of(words_, [&](const std::string& w) {
                return containsLowered(f.ruleId, w) || containsLowered(rule.name, w) || containsLowered(placeText(), w) ||
                       containsLowered(f.message, w);
            });
            if (!all) {
                previous_ = &f;
                previousRule_ = SIZE_MAX; // its group, if any, is not this one's
                return;
            }
        }
        if (!(samePlace && previousRule_ != SIZE_MAX && previous_->ruleId == f.ruleId)) {
            auto [r, newRule] = ruleIndex_.try_emplace(f.ruleId, g_.rules.size());
            if (newRule) {
                g_.rules.push_back({f.ruleId, f.severity, {}, 0});
                placeIndex_.emplace_back();
                slotIndex_.emplace_back();
            }
            auto& rule = g_.rules[r->second];
            std::size_t* known = nullptr;
            if (slot >= 0) {
                auto& bySlot = slotIndex_[r->second];
                if (bySlot.empty()) bySlot.assign(slots_, SIZE_MAX);
                known = &bySlot[std::size_t(slot)];
            }
            if (known && *known != SIZE_MAX) {
                previousPlace_ = *known;
            } else {
                auto [p, newPlace] = placeIndex_[r->second].try_emplace(keyOf(f), rule.places.size());
                if (newPlace) rule.places.push_back({placeText(), {}});
                previousPlace_ = p->second;
                if (known) *known = p->second;
            }
            previousRule_ = r->second;
        }
        auto& rule = g_.rules[previousRule_];
        rule.severity = std::max(rule.severity, f.severity);
        ++rule.count;
        rule.places[previousPlace_].findings.push_back(index);
        ++g_.matched;
        previous_ = &f;
    }

    FindingGroups done() {
        // Most severe rules first; among equals the one met first (the scan's order) stays first.
        std::ranges::stable_sort(g_.rules, std::greater{}, &FindingGroups::Rule::severity);
        return std::move(g_);
    }

private:
    FindingGroups g_;
    std::size_t slots_;
    std::vector<std::string> words_;
    std::unordered_map<std::string_view, std::size_t> ruleIndex_;
    std::vector<std::unordered_map<FindingPlace, std::size_t, FindingPlaceHash>> placeIndex_;
    std::vector<std::vector<std::size_t>> slotIndex_; // per rule: slot -> place, made at the rule's first slot
    // Consecutive findings are mostly about the same place, often under the same rule (lint's order): the group of
    // the finding before is taken again without a lookup. A place's text is made when the search needs it or when
    // the place is new to its rule.
    const Finding* previous_ = nullptr;
    int previousSlot_ = -1;
    std::string place_;
    bool placeMade_ = false;
    std::size_t previousRule_ = 0, previousPlace_ = 0;
};

// Visits the findings as the lint emitted them, once per severity (the list's order: most severe first, each in
// emission order), each with the slot of the op or library it was emitted for. False, having visited nothing, when
// the spans are not those of this list and snapshot.
bool visitBySpans(const FindingList& findings, const CacheSnapshot& snap, const LintSpans& spans, const std::string& query,
                  FindingGroups& out) {
    const auto& emitted = spans.emitted;
    std::vector<std::pair<const DeviceDir*, const LintSpans::Device*>> devices;
    for (const auto& ns : snap.namespaces) {
        for (const auto& dev : ns.devices) devices.emplace_back(&dev, spans.of(dev));
    }
    if (emitted.size() != findings.size() || std::ranges::any_of(devices, [](const auto& d) { return d.second == nullptr; }))
        return false;
    std::vector<int> opSlot(devices.size()); // the device's first op's slot; its own slot just before
    int slots = 0;
    std::size_t hostFrom = 0; // what follows the devices' spans is about the host
    for (std::size_t d = 0; d < devices.size(); ++d) {
        opSlot[d] = slots + 1;
        slots += 1 + int(devices[d].first->opFiles.size());
        hostFrom = std::max(hostFrom, devices[d].second->end());
    }
    int hostSlot = slots++;
    // The list's order is checked as it goes (a pointer compare): anything else and the caller groups by text.
    if (std::ranges::any_of(emitted, [](const LintSpans::Emitted& e) { return e.finding == nullptr; })) return false;
    Grouper grouper(findings, query, std::size_t(slots));
    // Per slot, the text of an op name found to be that op's: lint shares one text per op among its findings, so the
    // next one is told by a pointer.
    std::vector<const char*> opText(std::size_t(slots), nullptr);
    auto isOp = [&](const Finding& f, const DeviceDir& dev, std::uint32_t op, int slot) {
        auto& known = opText[std::size_t(slot)];
        if (known && f.op.data() == known) return true;
        if (f.op != dev.ops()[op].name) return false;
        known = f.op.data();
        return true;
    };
    std::uint32_t index = 0;
    for (auto severity : {Severity::Error, Severity::Warning, Severity::Info}) {
        auto visit = [&](std::size_t e, int slot) {
            if (emitted[e].severity != severity) return true;
            const Finding& f = *emitted[e].finding;
            if (&findings[index] != &f) return false;
            grouper.visit(f, index++, slot);
            return true;
        };
        for (std::size_t d = 0; d < devices.size(); ++d) {
            const auto& dev = *devices[d].first;
            const auto& span = *devices[d].second;
            for (std::size_t i = 0; i < dev.opFiles.size(); ++i) {
                auto [begin, end] = span.ofOp(i);
                for (auto e = begin; e < end; ++e) {
                    if (!visit(e, opSlot[d] + int(i))) return false;
                }
            }
            for (std::size_t i = 0; i < dev.libFiles.size(); ++i) {
                auto [begin, end] = span.ofLibrary(i);
                // Most libraries have no finding of this severity: their records are not read.
                if (std::none_of(emitted.begin() + std::ptrdiff_t(begin), emitted.begin() + std::ptrdiff_t(end),
                                 [&](const LintSpans::Emitted& e) { return e.severity == severity; }))
                    continue;
                const auto& refs = dev.libFiles[i].referencedBy;
                // A library's findings are about the entry that names it first, then repeated for each other one.
                std::size_t each = refs.empty() || (end - begin) % refs.size() ? 0 : (end - begin) / refs.size();
                for (auto e = begin; e < end; ++e) {
                    if (emitted[e].severity != severity) continue;
                    int slot = -1;
                    const Finding& f = *emitted[e].finding;
                    if (f.op.empty()) {
                        slot = opSlot[d] - 1;
                    } else if (each) {
                        auto op = refs[(e - begin) / each].op;
                        if (isOp(f, dev, op, opSlot[d] + int(op))) slot = opSlot[d] + int(op);
                    }
                    if (!visit(e, slot)) return false;
                }
            }
        }
        for (auto e = hostFrom; e < emitted.size(); ++e) { // about the host
            const Finding& f = *emitted[e].finding;
            if (!visit(e, f.ns.empty() && f.device.empty() ? hostSlot : -1)) return false;
        }
    }
    if (index != findings.size()) return false;
    out = grouper.done();
    out.bySpans = true;
    return true;
}

} // namespace

FindingGroups groupFindings(const FindingList& findings, const std::string& query, FindingSource source) {
    FindingGroups g;
    if (source.snapshot && source.spans && visitBySpans(findings, *source.snapshot, *source.spans, query, g)) return g;
    Grouper grouper(findings, query, 0);
    for (std::size_t i = 0; i < findings.size(); ++i) grouper.visit(findings[i], std::uint32_t(i), -1);
    return grouper.done();
}

} // namespace aotiscope::ui
