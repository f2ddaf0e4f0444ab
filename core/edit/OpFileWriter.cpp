#include "core/edit/OpFileWriter.h"

#include "core/read/EntryKey.h"
#include "core/edit/FileLock.h"
#include "core/base/FileUtil.h"
#include "core/read/OpFileParser.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string_view>

namespace aotiscope {

namespace {

std::string writeAll(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        auto n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return std::strerror(errno);
        }
        done += std::size_t(n);
    }
    return {};
}

} // namespace

// The deepest nesting of [ and { outside strings. nlohmann's values free themselves recursively, so a
// hostile file nested 100,000 deep would overflow the stack: such text is refused before parsing.
static std::size_t nestingDepth(std::string_view text) {
    std::size_t depth = 0, deepest = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (inString) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                inString = false;
            }
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

static constexpr std::size_t kMaxDepth = 1024; // simdjson's default limit, which the scanner applies

nlohmann::ordered_json parseOpJson(const std::string& text, std::string& error) {
    if (nestingDepth(text) > kMaxDepth) {
        error = fmt::format("nested deeper than {} levels", kMaxDepth);
        return nlohmann::ordered_json(nlohmann::ordered_json::value_t::discarded);
    }
    auto quoted = quotePythonNonFinite(text, kNonFiniteMarker);
    auto j = nlohmann::ordered_json::parse(quoted ? *quoted : text, nullptr, false);
    if (j.is_discarded()) {
        error = "invalid JSON";
    }
    return j;
}

nlohmann::ordered_json readOpEntries(const std::string& path) {
    std::string text, error;
    if (!readWholeFile(path, text).empty()) {
        return nlohmann::ordered_json::array();
    }
    auto j = parseOpJson(text, error);
    return error.empty() && j.is_array() ? j : nlohmann::ordered_json::array();
}

std::string dumpOpJson(const nlohmann::ordered_json& entries) {
    auto text = entries.dump(4, ' ', true);
    // Put back what Python wrote bare: "<marker>NaN" -> NaN.
    for (std::string_view token : {"-Infinity", "Infinity", "NaN"}) {
        auto quoted = fmt::format("\"{}{}\"", kNonFiniteMarker, token);
        for (auto at = text.find(quoted); at != std::string::npos; at = text.find(quoted, at)) {
            text.replace(at, quoted.size(), token);
        }
    }
    return text;
}

std::string rewriteOpFile(const OpLocation& where, const std::function<std::string(nlohmann::ordered_json&)>& edit,
                          std::chrono::milliseconds lockTimeout, bool removeWhenEmpty, const std::string& removedCopyPath) {
    // Writer's lock first, then the readers': PyTorch never holds both, so no order of theirs can deadlock us.
    FileLock writer, reader;
    if (auto e = writer.acquire(where.writerLock(), lockTimeout); !e.empty()) {
        return e;
    }
    if (auto e = reader.acquire(where.readerLock(), lockTimeout); !e.empty()) {
        return e;
    }
    auto path = where.jsonPath();
    nlohmann::ordered_json entries = nlohmann::ordered_json::array();
    std::string text;
    if (std::filesystem::exists(path)) {
        if (auto e = readWholeFile(path, text); !e.empty()) {
            return e;
        }
        std::string parseError;
        entries = parseOpJson(text, parseError);
        if (!parseError.empty() || !entries.is_array()) {
            return fmt::format("{} is not a list of entries ({}): refusing to rewrite it", path,
                               parseError.empty() ? "unexpected structure" : parseError);
        }
    }
    if (auto refused = edit(entries); !refused.empty()) {
        return refused;
    }
    if (entries.empty() && removeWhenEmpty) {
        std::error_code ec;
        if (!removedCopyPath.empty()) {
            std::filesystem::create_directories(std::filesystem::path(removedCopyPath).parent_path(), ec);
            std::filesystem::rename(path, removedCopyPath, ec);
        } else {
            std::filesystem::remove(path, ec);
        }
        return ec ? fmt::format("cannot remove {}: {}", path, ec.message()) : std::string();
    }
    auto out = dumpOpJson(entries);
    auto tmp = fmt::format("{}.aotiscope-{}.tmp", path, ::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        return fmt::format("cannot create {}: {}", tmp, std::strerror(errno));
    }
    auto err = writeAll(fd, out);
    if (err.empty() && ::fsync(fd) != 0) {
        err = std::strerror(errno);
    }
    ::close(fd);
    if (err.empty() && ::rename(tmp.c_str(), path.c_str()) != 0) {
        err = std::strerror(errno);
    }
    if (!err.empty()) {
        ::unlink(tmp.c_str());
        return fmt::format("cannot write {}: {}", path, err);
    }
    // The rename is durable once the folder is synced.
    int dirFd = ::open(where.deviceDir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    return {};
}

} // namespace aotiscope
