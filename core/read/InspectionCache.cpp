#include "core/read/InspectionCache.h"

#include "core/base/FileUtil.h"

#include <fmt/format.h>

#include <filesystem>

namespace aotiscope {

namespace {

constexpr char kMagic[] = "AOTISCOPE-INSPECT-2\n"; // 2: symbol versions

void putU64(std::string& out, std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
void putStr(std::string& out, const std::string& s) {
    putU64(out, s.size());
    out += s;
}
void putList(std::string& out, const std::vector<std::string>& v) {
    putU64(out, v.size());
    for (const auto& s : v) putStr(out, s);
}

// Reads what put* wrote; any short read marks the whole file corrupt.
struct Reader {
    const std::string& data;
    std::size_t pos = 0;
    bool ok = true;
    std::uint64_t u64() {
        std::uint64_t v = 0;
        if (pos + sizeof v > data.size()) {
            ok = false;
            return 0;
        }
        std::memcpy(&v, data.data() + pos, sizeof v);
        pos += sizeof v;
        return v;
    }
    std::string str() {
        auto n = u64();
        if (!ok || n > data.size() - pos) {
            ok = false;
            return {};
        }
        std::string s = data.substr(pos, n);
        pos += n;
        return s;
    }
    std::vector<std::string> list() {
        auto n = u64();
        std::vector<std::string> v;
        for (std::uint64_t i = 0; ok && i < n && i < 1'000'000; ++i) v.push_back(str());
        return v;
    }
};

std::string serialise(const ElfSummary& s) {
    std::string out;
    putU64(out, s.isElf ? 1 : 0);
    putStr(out, s.error);
    putStr(out, s.machine);
    putList(out, s.needed);
    putList(out, s.runPaths);
    putList(out, s.aotiSymbols);
    putList(out, s.neededVersions);
    putList(out, s.definedVersions);
    return out;
}

ElfSummary deserialise(Reader& r) {
    ElfSummary s;
    s.isElf = r.u64() != 0;
    s.error = r.str();
    s.machine = r.str();
    s.needed = r.list();
    s.runPaths = r.list();
    s.aotiSymbols = r.list();
    s.neededVersions = r.list();
    s.definedVersions = r.list();
    return s;
}

} // namespace

std::string InspectionCache::defaultFileFor(const std::string& root) {
    return perRootCacheFile(root, "inspections", "bin");
}

InspectionCache::InspectionCache(std::string file) : file_(std::move(file)) {
    std::string data;
    if (file_.empty() || !readWholeFile(file_, data).empty() || !data.starts_with(kMagic)) {
        return;
    }
    Reader r{data, sizeof kMagic - 1};
    auto bodies = r.u64();
    for (std::uint64_t i = 0; r.ok && i < bodies; ++i) {
        intern(deserialise(r));
    }
    auto records = r.u64();
    std::unordered_map<std::string, Record> loaded;
    for (std::uint64_t i = 0; r.ok && i < records; ++i) {
        auto path = r.str();
        Record rec{r.u64(), r.u64(), r.u64(), std::int64_t(r.u64()), std::int64_t(r.u64()), std::uint32_t(r.u64())};
        if (rec.body >= bodies_.size()) {
            r.ok = false;
        }
        loaded.emplace(std::move(path), rec);
    }
    if (r.ok) {
        records_ = std::move(loaded);
    } else {
        bodies_.clear();
        bodyIndex_.clear();
    }
    dirty_ = false;
}

std::uint32_t InspectionCache::intern(ElfSummary summary) {
    auto key = serialise(summary);
    auto [it, inserted] = bodyIndex_.emplace(std::move(key), std::uint32_t(bodies_.size()));
    if (inserted) {
        bodies_.push_back(std::make_shared<const ElfSummary>(std::move(summary)));
    }
    return it->second;
}

std::shared_ptr<const ElfSummary> InspectionCache::find(const std::string& path, const FileStat& st) const {
    std::lock_guard lock(mutex_);
    auto it = records_.find(path);
    if (it == records_.end()) {
        return nullptr;
    }
    const Record& r = it->second;
    if (r.device != st.device || r.inode != st.inode || r.size != st.size || r.mtime != st.mtime || r.mtimeNs != st.mtimeNs) {
        return nullptr;
    }
    ++hits_;
    return bodies_[r.body];
}

std::shared_ptr<const ElfSummary> InspectionCache::remember(const std::string& path, const FileStat& st, ElfSummary summary) {
    std::lock_guard lock(mutex_);
    auto body = intern(std::move(summary));
    records_[path] = Record{st.device, st.inode, st.size, st.mtime, st.mtimeNs, body};
    dirty_ = true;
    return bodies_[body];
}

std::string InspectionCache::save() {
    std::lock_guard lock(mutex_);
    if (!dirty_ || file_.empty()) {
        return {};
    }
    std::string out(kMagic);
    putU64(out, bodies_.size());
    for (const auto& b : bodies_) {
        out += serialise(*b);
    }
    putU64(out, records_.size());
    for (const auto& [path, r] : records_) {
        putStr(out, path);
        for (std::uint64_t v : {r.device, r.inode, r.size, std::uint64_t(r.mtime), std::uint64_t(r.mtimeNs), std::uint64_t(r.body)}) {
            putU64(out, v);
        }
    }
    if (auto error = replaceFile(file_, out); !error.empty()) {
        return "inspection cache: " + error;
    }
    dirty_ = false;
    return {};
}

} // namespace aotiscope
