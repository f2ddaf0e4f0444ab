#include "core/share/Bundle.h"
#include "core/share/BundleArchive.h"

#include "core/base/FileUtil.h"
#include "core/base/Sha256.h"
#include "core/edit/OpFileWriter.h"
#include "core/read/EntryKey.h"
#include "core/report/JsonReport.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace aotiscope {

namespace fs = std::filesystem;

namespace {

// A name PyTorch could have written as one path component (a namespace, device or op file stem).
bool isSafeComponent(const std::string& s) {
    return !s.empty() && s.size() <= 255 && s != "." && s != ".." && s.find('/') == std::string::npos &&
           s.find('\0') == std::string::npos;
}

// A path relative to the device folder that stays under its lib/: "lib/<component>/...".
bool isSafeLibPath(const std::string& rel) {
    if (!rel.starts_with("lib/")) return false;
    std::size_t start = 0;
    while (start <= rel.size()) {
        auto end = rel.find('/', start);
        if (end == std::string::npos) end = rel.size();
        if (!isSafeComponent(rel.substr(start, end - start))) return false;
        start = end + 1;
    }
    return true;
}

std::string dirOfRel(const std::string& rel) {
    auto slash = rel.rfind('/');
    return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

// Copies `source` into the stage while hashing it, and names the copy by its digest.
struct StagedBlob {
    std::string sha256, error;
    std::uint64_t size = 0;
    bool executable = false;
    bool isNew = false;
};

StagedBlob stageFile(const std::string& source, const std::string& stageDir) {
    StagedBlob b;
    int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st {};
    if (in < 0 || ::fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        b.error = fmt::format("cannot read {}: {}", source, in < 0 ? std::strerror(errno) : "not a plain file");
        if (in >= 0) ::close(in);
        return b;
    }
    b.executable = (st.st_mode & S_IXUSR) != 0;
    auto tmp = stageDir + "/.incoming";
    int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        b.error = fmt::format("cannot write {}: {}", tmp, std::strerror(errno));
        ::close(in);
        return b;
    }
    Sha256 hash;
    char buffer[1 << 16];
    for (;;) {
        auto n = ::read(in, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || (n > 0 && ::write(out, buffer, std::size_t(n)) != n)) {
            b.error = fmt::format("cannot copy {} into the bundle: {}", source, std::strerror(errno));
            break;
        }
        if (n == 0) break;
        hash.update(buffer, std::size_t(n));
        b.size += std::uint64_t(n);
    }
    ::close(in);
    ::close(out);
    if (!b.error.empty()) {
        ::unlink(tmp.c_str());
        return b;
    }
    b.sha256 = hash.hexDigest();
    auto named = stageDir + "/" + b.sha256;
    struct stat existing {};
    if (::stat(named.c_str(), &existing) == 0) {
        ::unlink(tmp.c_str()); // the same content, already staged for another file
    } else if (::rename(tmp.c_str(), named.c_str()) != 0) {
        b.error = fmt::format("cannot rename {} to {}: {}", tmp, named, std::strerror(errno));
    } else {
        b.isNew = true;
    }
    return b;
}

nlohmann::json needsOf(const LibraryFile& lib) {
    nlohmann::json needs = nlohmann::json::object();
    if (const auto* a = lib.artifacts.get()) {
        if (!a->cpuIsa.empty()) needs["cpu_isa"] = a->cpuIsa;
        if (!a->computeCapability.empty()) needs["compute_capability"] = a->computeCapability;
        if (!a->torchDir.empty()) needs["torch_dir"] = a->torchDir;
        if (!a->torchVersion.empty()) needs["torch_version"] = a->torchVersion;
        if (!a->kernelBinaries.empty()) needs["kernel_binaries"] = a->kernelBinaries;
    }
    if (const auto* e = lib.elf.get()) {
        needs["needed"] = e->needed;
        needs["symbol_versions"] = e->neededVersions;
    }
    return needs;
}

std::string isoNow() {
    auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

} // namespace

nlohmann::ordered_json BundleManifest::toJson() const {
    nlohmann::ordered_json entriesJson = nlohmann::ordered_json::array();
    for (const auto& e : entries) {
        nlohmann::ordered_json files = nlohmann::ordered_json::array();
        for (const auto& f : e.files) {
            files.push_back({{"path", f.relPath}, {"sha256", f.sha256}, {"size", f.size}, {"executable", f.executable}});
        }
        entriesJson.push_back({{"ns", e.ns}, {"device", e.device}, {"op", e.op}, {"key", e.key}, {"position", e.position},
                               {"entry", e.entry}, {"files", files}, {"needs", e.needs}});
    }
    return {{"schema", kBundleSchema}, {"source", source}, {"entries", entriesJson}};
}

std::string BundleManifest::fromJson(const nlohmann::ordered_json& j) {
    if (!j.is_object() || j.value("schema", "") != kBundleSchema) {
        return fmt::format("not an AOTIScope bundle manifest (schema \"{}\", expected \"{}\")",
                           j.is_object() && j.contains("schema") ? j["schema"].dump() : std::string("none"), kBundleSchema);
    }
    source = nlohmann::json::parse(j.value("source", nlohmann::ordered_json::object()).dump());
    if (!source.is_object() || !source.contains("root") || !source["root"].is_string()) return "the manifest names no source root";
    const auto list = j.value("entries", nlohmann::ordered_json::array());
    if (!list.is_array()) return "the manifest's \"entries\" is not a list";
    entries.clear();
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& x = list[i];
        auto where = fmt::format("manifest entry {}", i);
        try {
            BundleEntry e;
            e.ns = x.at("ns").get<std::string>();
            e.device = x.at("device").get<std::string>();
            e.op = x.at("op").get<std::string>();
            e.key = x.at("key").get<std::string>();
            e.position = x.value("position", -1);
            where = fmt::format("manifest entry {} ({}/{}/{})", i, e.ns, e.device, e.op);
            if (!isSafeComponent(e.ns) || !isSafeComponent(e.device) || !isSafeComponent(e.op)) {
                return where + ": namespace, device or op is not a plain file name";
            }
            e.entry = x.at("entry");
            if (!e.entry.is_object() || !e.entry.contains("meta_info") || !e.entry["meta_info"].is_array() ||
                !e.entry.contains("kernel_path") || !e.entry["kernel_path"].is_string()) {
                return where + ": the entry has no meta_info list or no kernel_path";
            }
            for (const auto& f : x.at("files")) {
                BundleFile bf{f.at("path").get<std::string>(), f.at("sha256").get<std::string>(), f.at("size").get<std::uint64_t>(),
                              f.value("executable", false)};
                if (!isSafeLibPath(bf.relPath)) return fmt::format("{}: file path \"{}\" is not under lib/ of its device folder", where, bf.relPath);
                if (!isSha256Hex(bf.sha256)) return fmt::format("{}: file {} has no valid sha256", where, bf.relPath);
                e.files.push_back(std::move(bf));
            }
            if (e.files.empty() || e.files.front().relPath != e.entry["kernel_path"].get<std::string>()) {
                return where + ": the first file is not the library kernel_path names";
            }
            e.needs = nlohmann::json::parse(x.value("needs", nlohmann::ordered_json::object()).dump());
            entries.push_back(std::move(e));
        } catch (const nlohmann::json::exception& ex) {
            return fmt::format("{}: {}", where, ex.what());
        }
    }
    return {};
}

std::string BundleManifest::sourceDeviceDir(const BundleEntry& e) const {
    return source.value("root", std::string()) + "/aoti_eager/" + e.ns + "/" + e.device;
}

PackResult stageBundle(const CacheSnapshot& snap, const HostInfo& host, const PackRequest& request, const std::string& stageDir) {
    PackResult r;
    std::set<std::string> wanted(request.ops.begin(), request.ops.end());
    std::set<std::string> found;
    std::map<std::string, StagedBlob> staged; // source path -> its blob
    auto stage = [&](const std::string& source) -> const StagedBlob& {
        auto it = staged.find(source);
        if (it == staged.end()) {
            it = staged.emplace(source, stageFile(source, stageDir)).first;
            if (it->second.isNew) ++r.blobs, r.bytes += it->second.size;
        }
        return it->second;
    };
    for (const auto& ns : snap.namespaces) {
        if (!request.ns.empty() && ns.name != request.ns) continue;
        for (const auto& dev : ns.devices) {
            if (!request.device.empty() && dev.name != request.device) continue;
            for (const auto& op : dev.ops()) {
                if (!wanted.empty() && !wanted.contains(op.name)) continue;
                found.insert(op.name);
                auto place = [&](int i) { return entryPosition(ns.name, dev.name, op.name, i); };
                if (!op.unreadableReason().empty()) {
                    r.skipped.push_back(fmt::format("{}/{}/{}: {}", ns.name, dev.name, op.name, op.unreadableReason()));
                    continue;
                }
                // The entries as the file holds them now (exact values), matched to the scan by identity.
                auto raw = readOpEntries(op.path);
                auto keys = entryKeysOf(raw);
                for (std::size_t i = 0; i < raw.size(); ++i) {
                    const Entry* scanned = nullptr;
                    for (const auto& e : op.entries) {
                        if (e.key == keys[i]) scanned = &e;
                    }
                    if (!scanned) {
                        r.skipped.push_back(place(int(i)) + ": written after the scan; pack again to include it");
                        continue;
                    }
                    const LibraryFile* shipped = dev.libraryOf(*scanned);
                    if (!shipped) {
                        r.skipped.push_back(place(scanned->index) + ": its library is missing; nothing to ship");
                        continue;
                    }
                    const LibraryFile& lib = *shipped;
                    if (lib.isSymlink || lib.escapesRoot || !isSafeLibPath(lib.relPath) || raw[i].value("kernel_path", "") != lib.relPath) {
                        r.skipped.push_back(place(scanned->index) + ": its kernel_path (" + raw[i].value("kernel_path", "") +
                                            ") is not a plain file under lib/; a bundle ships only those");
                        continue;
                    }
                    BundleEntry be{ns.name, dev.name, op.name, keys[i], scanned->index, raw[i], {}, needsOf(lib)};
                    std::vector<std::string> rels{lib.relPath};
                    if (lib.sidecars) {
                        for (const auto& name : *lib.sidecars) rels.push_back(dirOfRel(lib.relPath) + "/" + name);
                    }
                    std::vector<std::string> outside;
                    if (lib.artifacts) {
                        for (const auto& bin : lib.artifacts->kernelBinaries) {
                            auto rel = isWithin(bin, dev.path) ? bin.substr(dev.path.size() + 1) : std::string();
                            if (isSafeLibPath(rel)) {
                                if (std::find(rels.begin(), rels.end(), rel) == rels.end()) rels.push_back(rel);
                            } else {
                                outside.push_back(bin);
                            }
                        }
                    }
                    std::string failure;
                    for (const auto& rel : rels) {
                        const auto& blob = stage(dev.path + "/" + rel);
                        if (!blob.error.empty()) {
                            failure = blob.error;
                            break;
                        }
                        be.files.push_back({rel, blob.sha256, blob.size, blob.executable});
                    }
                    if (!failure.empty()) {
                        r.skipped.push_back(place(scanned->index) + ": " + failure);
                        continue;
                    }
                    if (!outside.empty()) be.needs["kernel_binaries_outside_cache"] = outside;
                    r.manifest.entries.push_back(std::move(be));
                }
            }
        }
    }
    for (const auto& name : wanted) {
        if (!found.contains(name)) r.skipped.push_back(fmt::format("{}: no such op in {}", name, snap.root));
    }
    auto source = hostToJson(host);
    source["root"] = snap.root;
    source["created"] = isoNow();
    source["tool"] = "aotiscope " AOTISCOPE_VERSION_TEXT;
    r.manifest.source = source;
    auto text = r.manifest.toJson().dump(1);
    auto path = stageDir + "/" + kBundleManifestName;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fclose(f) != 0) {
        r.error = fmt::format("cannot write {}: {}", path, std::strerror(errno));
    }
    return r;
}

std::string archiveBundleFolder(const std::string& folder, const std::string& outPath) {
    std::vector<ArchiveMember> members{{kBundleManifestName, folder + "/" + kBundleManifestName}};
    std::vector<std::string> blobs;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
        auto name = entry.path().filename().string();
        if (isSha256Hex(name)) blobs.push_back(name);
    }
    if (ec) return fmt::format("cannot list {}: {}", folder, ec.message());
    std::ranges::sort(blobs);
    for (const auto& b : blobs) members.push_back({b, folder + "/" + b});
    return writeFlatArchive(outPath, members);
}

std::string readBundleManifest(const std::string& dir, BundleManifest& manifest) {
    auto path = dir + "/" + kBundleManifestName;
    std::string text;
    if (auto err = readWholeFile(path, text); !err.empty()) return err;
    auto j = nlohmann::ordered_json::parse(text, nullptr, false);
    if (j.is_discarded()) return path + ": not valid JSON";
    if (auto err = manifest.fromJson(j); !err.empty()) return path + ": " + err;
    return {};
}

StageDir::StageDir(const std::string& parent, const std::string& prefix) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    std::string templ = parent + "/" + prefix + "-XXXXXX";
    if (::mkdtemp(templ.data())) {
        path_ = templ;
    } else {
        error_ = fmt::format("cannot make a staging folder in {}: {}", parent, std::strerror(errno));
    }
}

StageDir::~StageDir() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
    auto parent = fs::path(path_).parent_path();
    if (parent.filename() == "aotiscope-staging") fs::remove(parent, ec); // only when nothing else is in it
}

} // namespace aotiscope
