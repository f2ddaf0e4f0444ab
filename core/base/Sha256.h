// SHA-256 (FIPS 180-4): the digest that names every file of a bundle and every blob of an OCI registry, so that
// what arrives from elsewhere is checked before it is placed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace aotiscope {

class Sha256 {
public:
    Sha256();
    void update(const void* data, std::size_t size);
    void update(std::string_view s) { update(s.data(), s.size()); }
    std::string hexDigest(); // 64 lower-case hex digits; the object is spent afterwards

private:
    void block(const std::uint8_t* p);
    std::array<std::uint32_t, 8> h_;
    std::array<std::uint8_t, 64> buffer_{};
    std::size_t buffered_ = 0;
    std::uint64_t length_ = 0;
};

std::string sha256Hex(std::string_view data);
// The digest of a file's content; empty with `error` set when it cannot be read.
std::string sha256OfFile(const std::string& path, std::string& error);
// 64 lower-case hex digits: the only name a blob may have.
bool isSha256Hex(std::string_view s);

} // namespace aotiscope
