#include "core/report/EntryDiff.h"

#include "core/report/JsonReport.h"

#include "core/check/EntryGuard.h"
#include "core/read/TorchNames.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

namespace aotiscope {

namespace {

std::string opt(const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : "—"; }
std::string opt(const std::optional<bool>& v) { return v ? (*v ? "true" : "false") : "—"; }
std::string list(const std::vector<std::int64_t>& v) { return fmt::format("[{}]", fmt::join(v, ", ")); }

struct Collector {
    std::vector<DiffRow> rows;
    void add(std::string field, std::string l, std::string r, bool guard, bool differs) {
        rows.push_back({std::move(field), std::move(l), std::move(r), guard, differs});
    }
    void text(const std::string& field, const std::string& l, const std::string& r, bool guard) {
        add(field, l, r, guard, l != r);
    }
};

// One tensor's rows, guard fields in the matcher's order; dtypes compared by canonical name.
void tensorRows(Collector& c, const std::string& prefix, const TensorMeta* l, const TensorMeta* r) {
    auto get = [](const TensorMeta* t, auto f) { return t ? f(*t) : std::string("—"); };
    auto keys = [](const TensorMeta& t) { return t.dispatchKeySet ? std::to_string(*t.dispatchKeySet) : std::string("—"); };
    c.text(prefix + "dispatch_key_set", get(l, keys), get(r, keys), true);
    auto ld = get(l, [](auto& t) { return t.dtype; }), rd = get(r, [](auto& t) { return t.dtype; });
    c.add(prefix + "dtype", ld, rd, true, canonicalDtype(ld) != canonicalDtype(rd));
    c.text(prefix + "device", get(l, [](auto& t) { return t.deviceType + ":" + opt(t.deviceIndex); }),
           get(r, [](auto& t) { return t.deviceType + ":" + opt(t.deviceIndex); }), true);
    c.text(prefix + "requires_grad", get(l, [](auto& t) { return opt(t.requiresGrad); }), get(r, [](auto& t) { return opt(t.requiresGrad); }), true);
    c.text(prefix + "sizes", get(l, [](auto& t) { return list(t.sizes); }), get(r, [](auto& t) { return list(t.sizes); }), true);
    c.text(prefix + "strides", get(l, [](auto& t) { return list(t.strides); }), get(r, [](auto& t) { return list(t.strides); }), true);
}

std::string valueOf(const Arg& a) {
    switch (a.kind) {
    case ArgKind::Scalar: return a.scalar ? a.scalar->text : "—";
    case ArgKind::Device: return a.text + ":" + opt(a.deviceIndexValue);
    case ArgKind::IntList: return list(a.intList);
    case ArgKind::Unknown: return a.rawJson;
    default: return a.text;
    }
}

std::string unknownText(const std::vector<RawField>& fields) {
    std::string s;
    for (const auto& f : fields) {
        s += (s.empty() ? "" : ", ") + f.key + "=" + f.json;
    }
    return s;
}

// "arg 1 [0] dtype" -> "dtype": the field without the argument it belongs to.
std::string fieldName(const std::string& field) {
    if (!field.starts_with("arg ")) {
        return field;
    }
    auto at = field.find(' ', 4);
    if (at != std::string::npos && field.compare(at + 1, 1, "[") == 0) {
        at = field.find(' ', at + 1);
    }
    return at == std::string::npos ? field : field.substr(at + 1);
}

} // namespace

EntryDiff diffEntries(const Entry& left, const Entry& right, bool sameOpFile) {
    Collector c;
    c.text("argument count", std::to_string(left.args.size()), std::to_string(right.args.size()), true);
    auto n = std::max(left.args.size(), right.args.size());
    for (std::size_t i = 0; i < n; ++i) {
        const Arg* l = i < left.args.size() ? &left.args[i] : nullptr;
        const Arg* r = i < right.args.size() ? &right.args[i] : nullptr;
        auto p = fmt::format("arg {} ", i);
        c.text(p + "kind", l ? argKindName(l->kind) : "—", r ? argKindName(r->kind) : "—", true);
        c.text(p + "arg_order", l ? opt(l->argOrder) : "—", r ? opt(r->argOrder) : "—", true);
        auto kind = l ? l->kind : r->kind;
        if (kind == ArgKind::Tensor) {
            tensorRows(c, p, l && l->kind == kind ? &l->tensor : nullptr, r && r->kind == kind ? &r->tensor : nullptr);
        } else if (kind == ArgKind::TensorList) {
            auto m = std::max(l ? l->list.size() : 0, r ? r->list.size() : 0);
            for (std::size_t k = 0; k < m; ++k) {
                tensorRows(c, fmt::format("{}[{}] ", p, k), l && k < l->list.size() ? &l->list[k] : nullptr,
                           r && k < r->list.size() ? &r->list[k] : nullptr);
            }
        } else if (kind == ArgKind::Scalar) {
            // Compared as double when floating, as int64 otherwise: 2 and 2.0 are different entries.
            auto typeOf = [](const Arg* a) {
                return !a || !a->scalar ? std::string("—") : a->scalar->type == ScalarType::Float ? "float" : a->scalar->type == ScalarType::Bool ? "bool" : "int";
            };
            c.text(p + "scalar type", typeOf(l), typeOf(r), true);
            c.text(p + "value", l ? valueOf(*l) : "—", r ? valueOf(*r) : "—", true);
        } else {
            c.text(p + "value", l ? valueOf(*l) : "—", r ? valueOf(*r) : "—", true);
        }
        auto lu = l ? unknownText(l->tensor.unknown) : "", ru = r ? unknownText(r->tensor.unknown) : "";
        if (!lu.empty() || !ru.empty()) {
            c.text(p + "unknown keys", lu, ru, false);
        }
    }
    c.text("kernel_path", left.kernelPath.value_or("—"), right.kernelPath.value_or("—"), false);
    auto lu = unknownText(left.unknown), ru = unknownText(right.unknown);
    if (!lu.empty() || !ru.empty()) {
        c.text("unknown keys", lu, ru, false);
    }

    EntryDiff d;
    d.sameGuards = entryGuardKey(left) == entryGuardKey(right);
    // Guard rows first, in matcher order; then the rest.
    std::stable_partition(c.rows.begin(), c.rows.end(), [](const DiffRow& r) { return r.guard; });
    std::vector<std::string> differing;
    for (const auto& r : c.rows) {
        if (r.guard && r.differs) {
            differing.push_back(fieldName(r.field));
        }
    }
    std::ranges::sort(differing);
    differing.erase(std::unique(differing.begin(), differing.end()), differing.end());
    bool samePath = left.kernelPath == right.kernelPath;
    if (d.sameGuards) {
        d.verdict = sameOpFile ? "identical guards: the second entry is never used (the first match wins)"
                               : "identical guards: both match the same calls";
        if (!samePath) {
            d.verdict += "; they point at different libraries";
        }
    } else if (differing.size() == 1) {
        d.verdict = "differ only in " + differing.front() + ": each serves its own calls";
    } else {
        d.verdict = fmt::format("differ in {}: each serves its own calls", fmt::join(differing, ", "));
    }
    d.rows = std::move(c.rows);
    return d;
}

CacheDiff diffCaches(const CacheSnapshot& left, const CacheSnapshot& right) {
    // (ns, device, op, guard key) -> location and entry, for each side.
    using Key = std::tuple<std::string, std::string, std::string, std::string>;
    auto index = [](const CacheSnapshot& s) {
        std::map<Key, std::pair<EntryLocation, const Entry*>> m;
        for (const auto& ns : s.namespaces) {
            for (const auto& dev : ns.devices) {
                for (const auto& op : dev.ops()) {
                    for (const auto& e : op.entries) {
                        std::string summary;
                        for (const auto& a : e.args) summary += (summary.empty() ? "" : ", ") + describeArg(a);
                        m.emplace(Key{ns.name, dev.name, op.name, entryGuardKey(e)},
                                  std::pair{EntryLocation{ns.name, dev.name, op.name, e.index, e.key, summary}, &e});
                    }
                }
            }
        }
        return m;
    };
    auto l = index(left), r = index(right);
    CacheDiff d;
    for (const auto& [key, loc] : l) {
        auto it = r.find(key);
        if (it == r.end()) {
            d.removed.push_back(loc.first);
        } else if (loc.second->kernelPath != it->second.second->kernelPath ||
                   unknownText(loc.second->unknown) != unknownText(it->second.second->unknown)) {
            d.changed.emplace_back(loc.first, it->second.first);
            const auto &a = *loc.second, &b = *it->second.second;
            d.changeReasons.push_back(a.kernelPath != b.kernelPath
                                          ? fmt::format("kernel_path {} -> {}", a.kernelPath.value_or("(none)"), b.kernelPath.value_or("(none)"))
                                          : fmt::format("fields PyTorch does not read differ: {} -> {}", unknownText(a.unknown), unknownText(b.unknown)));
        } else {
            ++d.unchanged;
            ++d.unchangedByOp[fmt::format("{}/{}/{}", loc.first.ns, loc.first.device, loc.first.op)];
        }
    }
    for (const auto& [key, loc] : r) {
        if (!l.contains(key)) {
            d.added.push_back(loc.first);
        }
    }
    return d;
}

} // namespace aotiscope
