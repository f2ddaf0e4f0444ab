#include "core/check/Matcher.h"

#include "core/check/EntryGuard.h"
#include "core/read/OpFileParser.h"
#include "core/read/TorchNames.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace aotiscope {

namespace {

std::int64_t deviceIndexOf(const TensorMeta& t) { return t.deviceType == "cpu" ? -1 : t.deviceIndex.value_or(-1); }

void compareTensor(int arg, const std::string& where, const TensorMeta& e, const TensorMeta& c, EntryOrigin origin,
                   std::vector<GuardDifference>& out) {
    auto add = [&](const std::string& field, std::string a, std::string b) { out.push_back({arg, where + field, std::move(a), std::move(b)}); };
    if (origin == EntryOrigin::InMemory) {
        // Guarded with the process's own state: the whole device and the key set count too.
        if (e.deviceType != c.deviceType) add("device type", e.deviceType, c.deviceType);
        if (e.dispatchKeySet != c.dispatchKeySet) {
            add("dispatch_key_set", e.dispatchKeySet ? std::to_string(*e.dispatchKeySet) : "none",
                c.dispatchKeySet ? std::to_string(*c.dispatchKeySet) : "none");
        }
    }
    // dynamo's TensorCheck as the holder builds it: dtype, device index, requires_grad, sizes, strides.
    if (canonicalDtype(e.dtype) != canonicalDtype(c.dtype)) add("dtype", e.dtype, c.dtype);
    if (deviceIndexOf(e) != deviceIndexOf(c)) add("device index", std::to_string(deviceIndexOf(e)), std::to_string(deviceIndexOf(c)));
    if (e.requiresGrad.value_or(false) != c.requiresGrad.value_or(false)) {
        add("requires_grad", e.requiresGrad.value_or(false) ? "true" : "false", c.requiresGrad.value_or(false) ? "true" : "false");
    }
    if (e.sizes != c.sizes) add("sizes", fmt::format("[{}]", fmt::join(e.sizes, ", ")), fmt::format("[{}]", fmt::join(c.sizes, ", ")));
    if (e.strides != c.strides) add("strides", fmt::format("[{}]", fmt::join(e.strides, ", ")), fmt::format("[{}]", fmt::join(c.strides, ", ")));
}

// The holder's tag of an argument: dtype and layout values become integer scalars.
const char* tagOf(ArgKind k) {
    switch (k) {
    case ArgKind::Tensor: return "tensor";
    case ArgKind::TensorList: return "tensor_list";
    case ArgKind::Scalar:
    case ArgKind::Dtype:
    case ArgKind::Layout: return "scalar";
    case ArgKind::String: return "string";
    case ArgKind::Device: return "device";
    default: return argKindName(k);
    }
}

std::string scalarText(const Arg& a) {
    if (a.kind == ArgKind::Dtype || a.kind == ArgKind::Layout) return std::string(lastDottedPart(a.text));
    if (!a.scalar) return "?";
    return scalarComparesAsFloat(a) ? fmt::format("{} (float)", a.scalar->f) : fmt::format("{} (int)", a.scalar->i);
}

} // namespace

std::vector<GuardDifference> guardDifferences(const Entry& e, const Entry& c, EntryOrigin origin) {
    std::vector<GuardDifference> out;
    if (e.args.size() != c.args.size()) {
        out.push_back({-1, "argument count", std::to_string(e.args.size()), std::to_string(c.args.size())});
        return out;
    }
    for (std::size_t i = 0; i < e.args.size(); ++i) {
        const Arg& a = e.args[i];
        const Arg& b = c.args[i];
        int arg = int(i);
        if (std::string_view(tagOf(a.kind)) != tagOf(b.kind)) {
            out.push_back({arg, "kind", argKindName(a.kind), argKindName(b.kind)});
            continue;
        }
        if (a.argOrder.value_or(-1) != b.argOrder.value_or(-1)) {
            out.push_back({arg, "arg_order", std::to_string(a.argOrder.value_or(-1)), std::to_string(b.argOrder.value_or(-1))});
            continue;
        }
        switch (a.kind) {
        case ArgKind::Tensor: compareTensor(arg, "", a.tensor, b.tensor, origin, out); break;
        case ArgKind::TensorList:
            if (a.list.size() != b.list.size()) {
                out.push_back({arg, "list length", std::to_string(a.list.size()), std::to_string(b.list.size())});
                break;
            }
            for (std::size_t k = 0; k < a.list.size(); ++k) compareTensor(arg, fmt::format("item {} ", k), a.list[k], b.list[k], origin, out);
            break;
        case ArgKind::Scalar:
        case ArgKind::Dtype:
        case ArgKind::Layout: {
            // c10::Scalar equality as ParameterMetadata::equal_to: doubles when both are floating, int64 when both
            // are integral (bool included), never across; dtype and layout values as their enum integers.
            bool equal = false;
            if (a.kind == ArgKind::Scalar && b.kind == ArgKind::Scalar) {
                bool af = scalarComparesAsFloat(a), bf = scalarComparesAsFloat(b);
                if (a.scalar && b.scalar && af == bf) equal = af ? a.scalar->f == b.scalar->f : a.scalar->i == b.scalar->i;
            } else if (a.kind == b.kind) {
                equal = (a.kind == ArgKind::Dtype ? canonicalDtype(a.text) == canonicalDtype(b.text)
                                                  : lastDottedPart(a.text) == lastDottedPart(b.text));
            }
            if (!equal) out.push_back({arg, a.kind == ArgKind::Scalar ? "scalar value" : argKindName(a.kind), scalarText(a), scalarText(b)});
            break;
        }
        case ArgKind::String:
            if (a.text != b.text) out.push_back({arg, "string", a.text, b.text});
            break;
        case ArgKind::Device: {
            auto da = fmt::format("{}:{}", a.text, a.deviceIndexValue.value_or(-1)), db = fmt::format("{}:{}", b.text, b.deviceIndexValue.value_or(-1));
            if (da != db) out.push_back({arg, "device", da, db});
            break;
        }
        default:
            out.push_back({arg, "kind", argKindName(a.kind), "(the holder cannot compare it)"});
            break;
        }
    }
    return out;
}

MatchResult matchCall(const OpFile& op, const DeviceDir& dev, const Entry& call) {
    MatchResult r;
    if (const auto& broken = op.unreadableReason(); !broken.empty()) {
        r.opState = fmt::format("PyTorch's loader reads no entry of {}: {}", op.name, broken);
    }
    for (const auto& e : op.entries) {
        if (!r.opState.empty()) break;
        const LibraryFile* lib = dev.libraryOf(e);
        if (e.kernelPath && (!lib || !lib->stat.exists)) {
            r.opState = fmt::format("the op is dropped: the library {} of entry #{} is missing, so PyTorch's loader returns "
                                    "no entry of {}", *e.kernelPath, e.index, op.name);
        } else if (std::ranges::any_of(e.args, [](const Arg& a) { return a.tensor.isDynamic.value_or(false); })) {
            r.opState = fmt::format("the op is dropped: entry #{} has is_dynamic set", e.index);
        } else if (!e.registrationRefusal.empty()) {
            r.opState = fmt::format("registration fails: entry #{} {}", e.index, e.registrationRefusal);
        }
    }
    for (const auto& e : op.entries) {
        auto d = guardDifferences(e, call);
        if (d.empty() && r.entry < 0) r.entry = e.index;
        r.nearest.push_back({e.index, std::move(d)});
    }
    if (!r.opState.empty()) r.entry = -1;
    std::ranges::stable_sort(r.nearest, {}, [](const MatchResult::Near& n) { return n.differences.size(); });
    if (r.entry >= 0) r.nearest.clear();
    else if (r.nearest.size() > 3) r.nearest.resize(3);
    return r;
}

std::optional<bool> keepsMissesInMemory(const std::string& torchVersion) {
    auto release = torchVersion.substr(0, torchVersion.find('.', torchVersion.find('.') + 1));
    if (release == "2.13") return true;
    if (release == "2.11") return false;
    return std::nullopt;
}

bool parseCallSpec(const std::string& jsonText, Entry& call, std::string& error) {
    auto j = nlohmann::json::parse(jsonText, nullptr, false);
    if (j.is_object() && j.contains("meta_info")) j = j["meta_info"];
    if (!j.is_array()) {
        error = "a call is a meta_info list (as PyTorch's writer records it), or {\"meta_info\": [...]}";
        return false;
    }
    OpFile parsed;
    OpFileParser parser;
    parser.parseText(nlohmann::json::array({{{"meta_info", j}, {"kernel_path", ""}}}).dump(), parsed);
    if (parsed.entries.size() != 1) {
        error = "the call does not parse: " + parsed.parseError + parsed.structureError;
        return false;
    }
    call = parsed.entries.front();
    return true;
}

std::string describeMatch(const OpFile& op, const MatchResult& m) {
    if (m.entry >= 0) {
        return fmt::format("the call runs entry #{} ({}), the first whose guard fields all match\n", m.entry,
                           op.entries[std::size_t(m.entry)].key);
    }
    std::string out = !m.opState.empty() ? fmt::format("no entry can run: {}\n", m.opState)
                                         : std::string("a miss: no entry matches, so PyTorch compiles during the call (6-80 s)\n");
    for (const auto& n : m.nearest) {
        bool one = n.differences.size() == 1;
        out += fmt::format("  nearest: entry #{} ({} field{} differ{})\n", n.entry, n.differences.size(), one ? "" : "s", one ? "s" : "");
        for (const auto& d : n.differences) {
            out += fmt::format("    {}{}: entry {}, call {}\n", d.arg >= 0 ? fmt::format("arg {} ", d.arg) : "", d.field, d.entry, d.call);
        }
    }
    return out;
}

} // namespace aotiscope
