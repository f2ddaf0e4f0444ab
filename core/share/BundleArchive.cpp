#include "core/share/BundleArchive.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace aotiscope {

namespace {

constexpr std::size_t kBlock = 512;
using Header = std::array<char, kBlock>;

std::string errnoText() { return std::strerror(errno); }

bool writeAll(int fd, const char* p, std::size_t n) {
    while (n) {
        auto w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w, n -= std::size_t(w);
    }
    return true;
}

// Reads exactly n bytes; false at the end of the file or on an error (errno 0 at the end).
bool readAll(int fd, char* p, std::size_t n) {
    while (n) {
        auto r = ::read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            if (r == 0) errno = 0;
            return false;
        }
        p += r, n -= std::size_t(r);
    }
    return true;
}

void putOctal(char* field, std::size_t width, std::uint64_t value) {
    // width-1 digits and a NUL, as tar writes them.
    auto text = fmt::format("{:0{}o}", value, width - 1);
    std::memcpy(field, text.data(), width - 1);
    field[width - 1] = '\0';
}

unsigned checksumOf(const Header& h) {
    unsigned sum = 0;
    for (std::size_t i = 0; i < kBlock; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    return sum;
}

Header headerFor(const std::string& name, std::uint64_t size) {
    Header h{};
    std::memcpy(h.data(), name.data(), name.size());
    putOctal(&h[100], 8, 0644);
    putOctal(&h[108], 8, 0);
    putOctal(&h[116], 8, 0);
    putOctal(&h[124], 12, size);
    putOctal(&h[136], 12, 0); // no time: the same content gives the same archive
    h[156] = '0';
    std::memcpy(&h[257], "ustar", 6);
    std::memcpy(&h[263], "00", 2);
    auto sum = fmt::format("{:06o}", checksumOf(h));
    std::memcpy(&h[148], sum.data(), 6);
    h[154] = '\0';
    h[155] = ' ';
    return h;
}

bool parseOctal(const char* field, std::size_t width, std::uint64_t& value) {
    value = 0;
    std::size_t i = 0;
    while (i < width && field[i] == ' ') ++i;
    bool any = false;
    for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
        if (value >> 60) return false;
        value = value * 8 + std::uint64_t(field[i] - '0');
        any = true;
    }
    for (; i < width; ++i) {
        if (field[i] != '\0' && field[i] != ' ') return false;
    }
    return any;
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

} // namespace

bool isFlatMemberName(const std::string& name) {
    if (name.empty() || name.size() > 99 || name[0] == '.') return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string writeFlatArchive(const std::string& outPath, const std::vector<ArchiveMember>& members) {
    auto tmp = outPath + ".aotiscope-partial";
    Fd out{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    if (out.fd < 0) return fmt::format("cannot write {}: {}", tmp, errnoText());
    auto fail = [&](std::string why) {
        ::unlink(tmp.c_str());
        return why;
    };
    std::set<std::string> seen;
    std::vector<char> buffer(1 << 16);
    for (const auto& m : members) {
        if (!isFlatMemberName(m.name)) return fail(fmt::format("bundle member name \"{}\" is not a flat file name", m.name));
        if (!seen.insert(m.name).second) return fail(fmt::format("bundle member \"{}\" given twice", m.name));
        Fd in{::open(m.sourcePath.c_str(), O_RDONLY | O_CLOEXEC)};
        struct stat st {};
        if (in.fd < 0 || ::fstat(in.fd, &st) != 0) return fail(fmt::format("cannot read {} (for {}): {}", m.sourcePath, m.name, errnoText()));
        if (!S_ISREG(st.st_mode)) return fail(fmt::format("{} (for {}) is not a plain file", m.sourcePath, m.name));
        auto h = headerFor(m.name, std::uint64_t(st.st_size));
        if (!writeAll(out.fd, h.data(), kBlock)) return fail(fmt::format("cannot write {}: {}", tmp, errnoText()));
        std::uint64_t left = std::uint64_t(st.st_size);
        while (left) {
            auto want = std::size_t(std::min<std::uint64_t>(left, buffer.size()));
            if (!readAll(in.fd, buffer.data(), want)) {
                return fail(fmt::format("{} (for {}) changed while it was packed: {}", m.sourcePath, m.name,
                                        errno ? errnoText() : std::string("shorter than when it was opened")));
            }
            if (!writeAll(out.fd, buffer.data(), want)) return fail(fmt::format("cannot write {}: {}", tmp, errnoText()));
            left -= want;
        }
        std::array<char, kBlock> zeros{};
        auto pad = (kBlock - std::size_t(st.st_size) % kBlock) % kBlock;
        if (!writeAll(out.fd, zeros.data(), pad)) return fail(fmt::format("cannot write {}: {}", tmp, errnoText()));
    }
    std::array<char, 2 * kBlock> end{};
    if (!writeAll(out.fd, end.data(), end.size()) || ::fsync(out.fd) != 0) return fail(fmt::format("cannot write {}: {}", tmp, errnoText()));
    if (::rename(tmp.c_str(), outPath.c_str()) != 0) return fail(fmt::format("cannot rename {} to {}: {}", tmp, outPath, errnoText()));
    return {};
}

std::string readFlatArchive(const std::string& archivePath, const std::string& destDir, std::vector<std::string>& names) {
    Fd in{::open(archivePath.c_str(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) return fmt::format("cannot read {}: {}", archivePath, errnoText());
    std::set<std::string> seen;
    std::vector<char> buffer(1 << 16);
    std::uint64_t offset = 0;
    for (;;) {
        Header h;
        if (!readAll(in.fd, h.data(), kBlock)) {
            return fmt::format("{}: truncated at byte {} (no end-of-archive marker){}", archivePath, offset,
                               errno ? ": " + errnoText() : std::string());
        }
        if (std::all_of(h.begin(), h.end(), [](char c) { return c == '\0'; })) return {};
        std::uint64_t sum = 0, size = 0;
        if (!parseOctal(&h[148], 8, sum) || sum != checksumOf(h)) {
            return fmt::format("{}: the header at byte {} is damaged (checksum)", archivePath, offset);
        }
        std::string name(h.data(), strnlen(h.data(), 100));
        if (h[345] != '\0') return fmt::format("{}: member \"{}\" at byte {} has a folder prefix; a bundle is flat", archivePath, name, offset);
        if (h[156] != '0' && h[156] != '\0') {
            return fmt::format("{}: member \"{}\" at byte {} is not a plain file (type '{}'); a bundle holds only files",
                               archivePath, name, offset, h[156]);
        }
        if (!isFlatMemberName(name)) return fmt::format("{}: member \"{}\" at byte {} is not a flat file name", archivePath, name, offset);
        if (!seen.insert(name).second) return fmt::format("{}: member \"{}\" appears twice", archivePath, name);
        if (!parseOctal(&h[124], 12, size)) return fmt::format("{}: member \"{}\" at byte {} has a damaged size", archivePath, name, offset);
        auto target = destDir + "/" + name;
        Fd out{::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)};
        if (out.fd < 0) return fmt::format("cannot write {}: {}", target, errnoText());
        names.push_back(name);
        std::uint64_t left = size + (kBlock - size % kBlock) % kBlock;
        std::uint64_t data = size;
        while (left) {
            auto want = std::size_t(std::min<std::uint64_t>(left, buffer.size()));
            if (!readAll(in.fd, buffer.data(), want)) {
                return fmt::format("{}: member \"{}\" is truncated (the archive ends inside it)", archivePath, name);
            }
            auto keep = std::size_t(std::min<std::uint64_t>(data, want));
            if (!writeAll(out.fd, buffer.data(), keep)) return fmt::format("cannot write {}: {}", target, errnoText());
            data -= keep, left -= want;
        }
        offset += kBlock + size + (kBlock - size % kBlock) % kBlock;
    }
}

} // namespace aotiscope
