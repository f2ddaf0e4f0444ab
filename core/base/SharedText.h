// An immutable string shared by reference: copying one costs a counter increment, not an allocation and a copy.
// For text that many records repeat or that is copied from one snapshot's results to the next (a finding's message,
// op and path: a refresh took over 300,000 findings, and copying their strings was most of its lint).
#pragma once

#include <fmt/format.h>

#include <compare>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace aotiscope {

class SharedText {
public:
    SharedText() = default;
    SharedText(std::string text) // NOLINT(google-explicit-constructor): stands where a std::string stood
        : text_(text.empty() ? nullptr : std::make_shared<const std::string>(std::move(text))) {}
    SharedText(const char* text) : SharedText(std::string(text)) {} // NOLINT(google-explicit-constructor)
    SharedText(std::string_view text) : SharedText(std::string(text)) {} // NOLINT(google-explicit-constructor)

    const std::string& str() const { return text_ ? *text_ : empty_(); }
    operator const std::string&() const { return str(); } // NOLINT(google-explicit-constructor)
    operator std::string_view() const { return str(); } // NOLINT(google-explicit-constructor)
    std::string_view view() const { return str(); }

    bool empty() const { return !text_; }
    std::size_t size() const { return str().size(); }
    const char* c_str() const { return str().c_str(); }
    const char* data() const { return str().data(); }
    bool starts_with(std::string_view prefix) const { return view().starts_with(prefix); }
    bool ends_with(std::string_view suffix) const { return view().ends_with(suffix); }
    std::size_t find(std::string_view part, std::size_t from = 0) const { return view().find(part, from); }
    std::size_t find(char c, std::size_t from = 0) const { return view().find(c, from); }
    std::size_t rfind(char c) const { return view().rfind(c); }
    std::string substr(std::size_t pos, std::size_t n = std::string::npos) const { return str().substr(pos, n); }

    friend bool operator==(const SharedText& a, const SharedText& b) { return a.text_ == b.text_ || a.view() == b.view(); }
    friend bool operator==(const SharedText& a, std::string_view b) { return a.view() == b; }
    friend bool operator==(const SharedText& a, const std::string& b) { return a.view() == b; }
    friend bool operator==(const SharedText& a, const char* b) { return a.view() == b; }
    friend std::strong_ordering operator<=>(const SharedText& a, const SharedText& b) { return a.view() <=> b.view(); }
    friend std::strong_ordering operator<=>(const SharedText& a, std::string_view b) { return a.view() <=> b; }
    friend std::strong_ordering operator<=>(const SharedText& a, const std::string& b) { return a.view() <=> b; }
    friend std::strong_ordering operator<=>(const SharedText& a, const char* b) { return a.view() <=> b; }
    friend std::string operator+(const SharedText& a, std::string_view b) { return std::string(a.view()) += b; }
    friend std::string operator+(std::string a, const SharedText& b) { return a += b.view(); }
    friend std::ostream& operator<<(std::ostream& out, const SharedText& t) { return out << t.view(); }

private:
    static const std::string& empty_() {
        static const std::string none;
        return none;
    }
    std::shared_ptr<const std::string> text_;
};

} // namespace aotiscope

template <>
struct fmt::formatter<aotiscope::SharedText> : fmt::formatter<std::string_view> {
    auto format(const aotiscope::SharedText& t, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(t.view(), ctx);
    }
};

template <>
struct std::hash<aotiscope::SharedText> {
    std::size_t operator()(const aotiscope::SharedText& t) const noexcept { return std::hash<std::string_view>{}(t.view()); }
};
