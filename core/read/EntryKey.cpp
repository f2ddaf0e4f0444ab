#include "core/read/EntryKey.h"

#include "core/base/Fnv.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <ranges>

namespace aotiscope {

namespace canonical {

void appendString(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", int(c));
        } else {
            out += c;
        }
    }
    out += '"';
}

void appendInteger(std::string& out, std::int64_t v) { out += std::to_string(v); }
void appendUnsigned(std::string& out, std::uint64_t v) { out += std::to_string(v); }

void appendFloat(std::string& out, double v) {
    if (std::isnan(v)) {
        appendString(out, "NaN");
    } else if (std::isinf(v)) {
        appendString(out, v > 0 ? "Infinity" : "-Infinity");
    } else {
        auto text = fmt::format("{}", v);
        if (text.find_first_of(".e") == std::string::npos) text += ".0";
        out += text;
    }
}

void appendJson(std::string& out, const nlohmann::ordered_json& v) {
    using T = nlohmann::ordered_json::value_t;
    switch (v.type()) {
    case T::object: {
        std::vector<std::pair<std::string_view, const nlohmann::ordered_json*>> items;
        for (const auto& [k, x] : v.items()) items.emplace_back(k, &x);
        std::ranges::sort(items, {}, &decltype(items)::value_type::first);
        out += '{';
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i) out += ',';
            appendString(out, items[i].first);
            out += ':';
            appendJson(out, *items[i].second);
        }
        out += '}';
        break;
    }
    case T::array:
        out += '[';
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) out += ',';
            appendJson(out, v[i]);
        }
        out += ']';
        break;
    case T::string: {
        std::string_view text = v.get_ref<const std::string&>();
        if (text.starts_with(kNonFiniteMarker)) text.remove_prefix(kNonFiniteMarker.size()); // as the scanner reads it
        appendString(out, text);
        break;
    }
    case T::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case T::number_integer: appendInteger(out, v.get<std::int64_t>()); break;
    case T::number_unsigned: appendUnsigned(out, v.get<std::uint64_t>()); break;
    case T::number_float: appendFloat(out, v.get<double>()); break;
    default: out += "null"; break;
    }
}

} // namespace canonical

std::string entryKeyFromCanonical(std::string_view canonicalMetaInfo, const std::optional<std::string>& kernelPath) {
    auto h = fnv1a(canonicalMetaInfo);
    h = fnv1a(kernelPath ? std::string_view("\n") : std::string_view("\n\x01"), h);
    if (kernelPath) h = fnv1a(*kernelPath, h);
    return fmt::format("{:016x}", h);
}

std::string entryKeyOf(const nlohmann::ordered_json& entry) {
    std::string text;
    std::optional<std::string> kernelPath;
    if (entry.is_object() && entry.contains("meta_info")) {
        canonical::appendJson(text, entry["meta_info"]);
        if (entry.contains("kernel_path") && entry["kernel_path"].is_string()) kernelPath = entry["kernel_path"].get<std::string>();
    } else {
        text = "\x02"; // not an entry PyTorch could read: keyed on all of it
        canonical::appendJson(text, entry);
    }
    return entryKeyFromCanonical(text, kernelPath);
}

void numberDuplicateKeys(std::vector<std::string>& keys) {
    std::map<std::string, int> seen;
    for (auto& k : keys) {
        if (int n = ++seen[k]; n > 1) k += fmt::format("-{}", n);
    }
}

std::vector<std::string> entryKeysOf(const nlohmann::ordered_json& entries) {
    std::vector<std::string> keys;
    if (!entries.is_array()) return keys;
    for (const auto& e : entries) keys.push_back(entryKeyOf(e));
    numberDuplicateKeys(keys);
    return keys;
}

bool pythonEqual(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b) {
    auto numeric = [](const nlohmann::ordered_json& v) { return v.is_number() || v.is_boolean(); };
    if (numeric(a) && numeric(b)) {
        auto asDouble = [](const nlohmann::ordered_json& v) {
            return v.is_boolean() ? (v.get<bool>() ? 1.0 : 0.0) : v.get<double>();
        };
        if (a.is_number_float() || b.is_number_float()) return asDouble(a) == asDouble(b);
        // Integers (bool as 0 and 1) compared exactly, across the signed and unsigned ranges.
        auto split = [](const nlohmann::ordered_json& v) -> std::pair<bool, std::uint64_t> { // (negative, magnitude)
            if (v.is_boolean()) return {false, v.get<bool>() ? 1u : 0u};
            if (v.is_number_unsigned()) return {false, v.get<std::uint64_t>()};
            auto i = v.get<std::int64_t>();
            return {i < 0, i < 0 ? std::uint64_t(0) - std::uint64_t(i) : std::uint64_t(i)};
        };
        return split(a) == split(b);
    }
    if (a.type() != b.type()) return false;
    if (a.is_object()) {
        if (a.size() != b.size()) return false;
        for (const auto& [k, v] : a.items()) {
            auto it = b.find(k);
            if (it == b.end() || !pythonEqual(v, *it)) return false;
        }
        return true;
    }
    if (a.is_array()) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!pythonEqual(a[i], b[i])) return false;
        }
        return true;
    }
    return a == b;
}

} // namespace aotiscope
