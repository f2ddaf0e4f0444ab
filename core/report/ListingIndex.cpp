#include "core/report/ListingIndex.h"

#include "core/base/FileUtil.h"
#include "core/base/Sha256.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

namespace aotiscope {

namespace {

constexpr std::string_view kMagic = "aotiscope.listing-index/1\n";

} // namespace

std::string hostDigest(const HostInfo& host) {
    Sha256 h;
    auto put = [&](std::string_view field, std::string_view value) {
        h.update(field);
        h.update("=", 1);
        h.update(value);
        h.update("\n", 1);
    };
    put("aotiscope", AOTISCOPE_VERSION_TEXT);
    put("binary", pathState("/proc/self/exe"));
    put("machine", host.machine);
    put("cpu flags", fmt::format("{}", fmt::join(host.cpuFlags, " ")));
    put("cuda", host.cudaComputeCapabilities ? fmt::format("{}", fmt::join(*host.cudaComputeCapabilities, " ")) : "none");
    if (host.torch) {
        put("torch", fmt::format("{}\n{}\n{}\n{}\n{}", host.torch->dir, host.torch->version, host.torch->python,
                                 host.torch->source, host.torch->cuda));
        put("torch folder", pathState(host.torch->dir));
    } else {
        put("torch", "none");
    }
    put("search path", fmt::format("{}", fmt::join(host.librarySearchPath, "\n")));
    put("cpus", fmt::format("{} {} {}", host.cpuCount, host.physicalCores, host.cpuModel));
    put("unknown", fmt::format("{}", fmt::join(host.unknownFacts, "\n")));
    return h.hexDigest();
}

std::string listingIndexFileFor(const std::string& root) { return perRootCacheFile(root, "listing", "idx"); }

std::optional<std::string> rememberedListing(const std::string& file, const ListingKey& key, std::string& why) {
    std::string data;
    if (file.empty()) {
        why = "no folder to remember listings in";
        return std::nullopt;
    }
    if (auto error = readWholeFile(file, data); !error.empty()) {
        why = "none remembered";
        return std::nullopt;
    }
    auto headerEnd = data.find('\n', kMagic.size());
    if (!data.starts_with(kMagic) || headerEnd == std::string::npos) {
        why = fmt::format("{} is not a listing index", file);
        return std::nullopt;
    }
    auto header = nlohmann::json::parse(data.begin() + std::ptrdiff_t(kMagic.size()), data.begin() + std::ptrdiff_t(headerEnd),
                                        nullptr, false);
    if (!header.is_object() || !header.contains("probes") || !header["probes"].is_array()) {
        why = fmt::format("{} has an unreadable header", file);
        return std::nullopt;
    }
    if (header.value("root", "") != key.root) {
        why = "made for another root";
        return std::nullopt;
    }
    if (header.value("folder", "") != key.folderDigest) {
        why = "the cache folder changed";
        return std::nullopt;
    }
    if (header.value("host", "") != key.hostDigest) {
        why = "the host or AOTIScope changed";
        return std::nullopt;
    }
    for (const auto& p : header["probes"]) {
        if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string()) {
            why = fmt::format("{} has an unreadable probe", file);
            return std::nullopt;
        }
        auto path = p[0].get<std::string>();
        if (pathState(path) != p[1].get<std::string>()) {
            why = fmt::format("{} changed", path);
            return std::nullopt;
        }
    }
    auto listing = data.substr(headerEnd + 1);
    if (sha256Hex(listing) != header.value("listing", "")) {
        why = fmt::format("{} is damaged: its listing does not have the digest its header gives", file);
        return std::nullopt;
    }
    return listing;
}

std::string rememberListing(const std::string& file, const ListingKey& key, const std::vector<PathProbes::Probe>& probes,
                            const std::string& listing) {
    if (file.empty()) return "no folder to remember listings in (set AOTISCOPE_CACHE_DIR, XDG_CACHE_HOME or HOME)";
    nlohmann::json header{{"root", key.root}, {"folder", key.folderDigest}, {"host", key.hostDigest},
                          {"listing", sha256Hex(listing)}};
    auto& list = header["probes"] = nlohmann::json::array();
    for (const auto& p : probes) list.push_back({p.path, p.state});
    auto text = std::string(kMagic) + header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n' + listing;
    if (auto error = replaceFile(file, text); !error.empty()) return "listing index: " + error;
    return {};
}

} // namespace aotiscope
