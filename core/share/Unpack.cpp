#include "core/share/Unpack.h"

#include "core/base/FileUtil.h"
#include "core/base/Sha256.h"
#include "core/check/Linter.h"
#include "core/check/Matcher.h"
#include "core/check/Rules.h"
#include "core/edit/OpFileWriter.h"
#include "core/jobs/BenchJobs.h"
#include "core/jobs/CompileJobs.h"
#include "core/read/CacheScanner.h"
#include "core/read/EntryKey.h"
#include "core/share/Bundle.h"
#include "core/share/BundleArchive.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace aotiscope {

namespace fs = std::filesystem;

namespace {

// Copies `from` to `to` without ever replacing a file there: written beside it, then linked into place (link
// fails when `to` appeared meanwhile). "" or what went wrong.
std::string placeFileNoReplace(const std::string& from, const std::string& to, bool executable) {
    std::error_code ec;
    fs::create_directories(fs::path(to).parent_path(), ec);
    if (ec) return fmt::format("cannot make {}: {}", fs::path(to).parent_path().string(), ec.message());
    auto tmp = to + ".aotiscope-incoming";
    fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) return fmt::format("cannot write {}: {}", tmp, ec.message());
    ::chmod(tmp.c_str(), executable ? 0755 : 0644);
    int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
    std::string err;
    if (::link(tmp.c_str(), to.c_str()) != 0) err = fmt::format("cannot place {}: {}", to, std::strerror(errno));
    ::unlink(tmp.c_str());
    return err;
}

// The entry as the matcher reads it, for the shadowing check.
std::optional<Entry> asEntry(const nlohmann::ordered_json& entry) {
    Entry e;
    std::string error;
    if (!parseCallSpec(entry.dump(), e, error)) return std::nullopt;
    return e;
}

// PyTorch's writer appends no entry while one of equal meta_info stands (Python's == on the loaded JSON).
bool hasMetaInfo(const nlohmann::ordered_json& entry, const nlohmann::ordered_json& meta) {
    return entry.contains("meta_info") && pythonEqual(entry["meta_info"], meta);
}

struct Member {
    const BundleEntry* entry = nullptr;
    UnpackOutcome* out = nullptr;
    int stagedIndex = -1;      // in the staged op file
    bool recompile = false;    // its kernel binaries could not be where its library loads them from
    std::vector<std::string> warnings;
};

using OpKey = std::tuple<std::string, std::string, std::string>;

void skip(Member& m, std::string reason, std::vector<std::string> rules = {}) {
    if (!m.out->action.empty()) return; // the first reason stands
    m.out->action = "skipped";
    m.out->reason = std::move(reason);
    m.out->rules = std::move(rules);
}

bool pending(const Member& m) { return m.out->action.empty(); }

} // namespace

std::size_t UnpackReport::count(const std::string& action) const {
    return std::size_t(std::ranges::count(entries, action, &UnpackOutcome::action));
}

nlohmann::json UnpackReport::toJson() const {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : entries) {
        list.push_back({{"ns", e.ns}, {"device", e.device}, {"op", e.op}, {"key", e.key}, {"position", e.position},
                        {"action", e.action}, {"reason", e.reason}, {"rules", e.rules}, {"entry_key", e.entryKey}});
    }
    return {{"schema", "aotiscope.unpack/1"}, {"root", root}, {"error", error}, {"entries", list}, {"notes", notes},
            {"counts", {{"placed", count("placed")}, {"present", count("present")}, {"recompiled", count("recompiled")},
                        {"skipped", count("skipped")}}}};
}

std::string UnpackReport::summary() const {
    if (!error.empty()) return error;
    return fmt::format("{} placed, {} already present, {} recompiled here, {} skipped (of {})", count("placed"), count("present"),
                       count("recompiled"), count("skipped"), entries.size());
}

UnpackReport unpackBundle(const std::string& bundleDir, const std::string& rootIn, const HostInfo& host, const UnpackOptions& o) {
    UnpackReport report;
    report.root = absolutePath(rootIn);
    const auto& root = report.root;
    BundleManifest manifest;
    if (auto err = readBundleManifest(bundleDir, manifest); !err.empty()) {
        report.error = err;
        return report;
    }
    report.entries.reserve(manifest.entries.size());
    std::vector<Member> members;
    std::map<OpKey, std::vector<std::size_t>> ops; // members of each op, in bundle order
    for (const auto& e : manifest.entries) {
        report.entries.push_back({e.ns, e.device, e.op, e.key, e.position, "", "", {}, ""});
    }
    for (std::size_t i = 0; i < manifest.entries.size(); ++i) {
        members.push_back({&manifest.entries[i], &report.entries[i], -1, false, {}});
        const auto& e = manifest.entries[i];
        ops[{e.ns, e.device, e.op}].push_back(i);
    }

    // 1. Every blob against its digest: a damaged one takes out the entries that need it, nothing else.
    std::map<std::string, std::string> damaged; // sha256 -> what is wrong
    std::set<std::string> checked;
    for (auto& m : members) {
        for (const auto& f : m.entry->files) {
            if (checked.insert(f.sha256).second) {
                auto path = bundleDir + "/" + f.sha256;
                std::string error;
                auto st = statFile(path);
                if (!st.exists) {
                    damaged[f.sha256] = "missing from the bundle";
                } else if (st.size != f.size) {
                    damaged[f.sha256] = fmt::format("{} bytes, the manifest says {}", st.size, f.size);
                } else if (auto digest = sha256OfFile(path, error); digest != f.sha256) {
                    damaged[f.sha256] = error.empty() ? "its content does not match its SHA-256 (damaged or altered)" : error;
                }
            }
            if (auto it = damaged.find(f.sha256); it != damaged.end()) {
                skip(m, fmt::format("{} (blob sha256:{}): {}", f.relPath, f.sha256.substr(0, 12), it->second), {"digest"});
            }
        }
        // CUDA wrappers load their kernel binaries by the absolute path they were compiled at: placed here they
        // work only when that path is where they land.
        auto binaries = m.entry->needs.value("kernel_binaries", std::vector<std::string>{});
        if (!binaries.empty()) {
            auto from = absolutePath(manifest.sourceDeviceDir(*m.entry));
            auto to = root + "/aoti_eager/" + m.entry->ns + "/" + m.entry->device;
            m.recompile = from != to || m.entry->needs.contains("kernel_binaries_outside_cache");
        }
    }

    // 2. The bundle as a cache of its own, beside the target (same file system), for the lint and the loader.
    StageDir stage(root + "/aotiscope-staging", "unpack");
    if (stage.path().empty()) {
        report.error = stage.error();
        return report;
    }
    const auto& staging = stage.path();
    std::map<std::string, std::vector<std::size_t>> byStagedLibrary; // absolute staged library path -> members
    for (auto& [op, list] : ops) {
        const auto& [ns, device, name] = op;
        auto dev = staging + "/aoti_eager/" + ns + "/" + device;
        nlohmann::ordered_json entries = nlohmann::ordered_json::array();
        for (auto i : list) {
            auto& m = members[i];
            if (!pending(m)) continue;
            for (const auto& f : m.entry->files) {
                auto to = dev + "/" + f.relPath;
                if (statFile(to).exists) continue; // shared by entries
                if (auto err = placeFileNoReplace(bundleDir + "/" + f.sha256, to, f.executable); !err.empty()) {
                    report.error = "staging the bundle: " + err;
                    return report;
                }
            }
            m.stagedIndex = int(entries.size());
            entries.push_back(m.entry->entry);
            byStagedLibrary[dev + "/" + m.entry->files.front().relPath].push_back(i);
        }
        if (entries.empty()) continue;
        std::error_code ec;
        fs::create_directories(dev, ec);
        auto text = dumpOpJson(entries);
        FILE* f = std::fopen((dev + "/" + name + ".json").c_str(), "wb");
        if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fclose(f) != 0) {
            report.error = fmt::format("staging the bundle: cannot write {}/{}.json", dev, name);
            return report;
        }
    }

    // 3. The lint rules, with this host: an error about an entry, its op or its library keeps it out.
    auto staged = scanCache(staging);
    auto findings = lintSnapshot(staged, host);
    auto membersOfFinding = [&](const Finding& f) {
        std::vector<std::size_t> out;
        if (auto it = byStagedLibrary.find(f.path); it != byStagedLibrary.end()) return it->second;
        auto it = ops.find({f.ns, f.device, f.op});
        if (it == ops.end()) return out;
        for (auto i : it->second) {
            if (f.entry < 0 || members[i].stagedIndex == f.entry) out.push_back(i);
        }
        return out;
    };
    for (const auto& f : findings) {
        for (auto i : membersOfFinding(f)) {
            auto& m = members[i];
            // A kernel binary is "missing" in staging by construction (it is loaded from its absolute path):
            // either it lands there, or the entry is recompiled.
            if (f.ruleId == rules::KernelBinaryMissing) continue;
            if (f.severity == Severity::Error) {
                skip(m, fmt::format("{}{} ({})", f.hostBound ? "not runnable on this host: " : "", f.message, ruleById(f.ruleId).name),
                     {f.ruleId});
            } else if (f.severity == Severity::Warning) {
                m.warnings.push_back(fmt::format("{} {}", f.ruleId, f.message));
            }
        }
    }

    // 4. The loader's answer: each library loaded in the isolated worker as PyTorch loads it.
    if (o.loadCheck) {
        std::vector<BenchJob> jobs;
        std::vector<std::size_t> jobMember;
        for (auto& [op, list] : ops) {
            std::vector<std::string> keys;
            std::map<int, std::size_t> byIndex;
            for (auto i : list) {
                if (pending(members[i]) && !members[i].recompile) byIndex[members[i].stagedIndex] = i;
            }
            if (byIndex.empty()) continue;
            for (auto& j : benchJobsForEntries(staged, std::get<2>(op), {})) {
                if (j.ns != std::get<0>(op) || j.device != std::get<1>(op) || !byIndex.contains(j.entry)) continue;
                j.loadOnly = true;
                jobMember.push_back(byIndex[j.entry]);
                jobs.push_back(std::move(j));
            }
        }
        if (!jobs.empty()) {
            BenchOptions bench;
            bench.worker = o.benchWorker;
            bench.jobTimeoutMs = o.loadTimeoutMs;
            auto outcomes = runBenchJobs(jobs, bench, [](const BenchJob&, const nlohmann::json&) {});
            for (std::size_t k = 0; k < outcomes.size(); ++k) {
                const auto& r = outcomes[k];
                if (!(r.ok && r.result.value("loaded", false))) {
                    skip(members[jobMember[k]], "the loader refuses it here: " + r.message, {"load"});
                }
            }
        }
    }

    // 5. Into the cache, op by op: files first (never over a different file), then the entries under the locks.
    for (auto& [op, list] : ops) {
        const auto& [ns, device, name] = op;
        OpLocation where{root, ns, device, name};
        auto current = readOpEntries(where.jsonPath());
        auto currentKeys = entryKeysOf(current);
        std::vector<std::optional<Entry>> currentParsed; // as the matcher reads them, once for every member
        for (const auto& c : current) currentParsed.push_back(asEntry(c));
        std::vector<std::size_t> toPlace;
        for (auto i : list) {
            auto& m = members[i];
            if (!pending(m)) continue;
            const auto& meta = m.entry->entry["meta_info"];
            bool present = false;
            for (std::size_t c = 0; c < current.size() && !present; ++c) {
                if (hasMetaInfo(current[c], meta)) {
                    m.out->action = "present";
                    m.out->reason = fmt::format("an entry of equal meta_info is already there ({}), and PyTorch would append none",
                                                entryPosition(ns, device, name, int(c)));
                    m.out->entryKey = currentKeys[c];
                    present = true;
                }
            }
            if (present) continue;
            auto incoming = asEntry(m.entry->entry);
            for (std::size_t c = 0; c < current.size() && incoming; ++c) {
                const auto& existing = currentParsed[c];
                if (existing && guardDifferences(*existing, *incoming).empty()) {
                    skip(m, fmt::format("{} already matches every call this entry would, and the first match wins",
                                        entryPosition(ns, device, name, int(c))),
                         {std::string(rules::ShadowedEntry)});
                    break;
                }
            }
            if (pending(m) && m.recompile) continue; // step 6
            if (pending(m)) toPlace.push_back(i);
        }
        if (o.dryRun) {
            for (auto i : toPlace) {
                members[i].out->action = "placed";
                members[i].out->reason = "dry run: would be placed";
            }
            continue;
        }
        auto dev = where.deviceDir();
        std::vector<std::size_t> ready;
        for (auto i : toPlace) {
            auto& m = members[i];
            std::string conflict;
            for (const auto& f : m.entry->files) {
                auto to = dev + "/" + f.relPath;
                if (statFile(to).exists) {
                    std::string err;
                    if (sha256OfFile(to, err) == f.sha256) continue;
                    // The library must be the one checked; a sidecar (sources, metadata) differs between builds
                    // of the same kernel in other folders (the compile command names them), and is kept.
                    if (&f == &m.entry->files.front()) {
                        conflict = fmt::format("{} is already there with other content; it is left as it is", f.relPath);
                        break;
                    }
                    m.warnings.push_back(fmt::format("{} was already there with other content and is kept", f.relPath));
                    continue;
                }
                if (auto err = placeFileNoReplace(bundleDir + "/" + f.sha256, to, f.executable); !err.empty()) {
                    conflict = err;
                    break;
                }
            }
            if (conflict.empty()) {
                ready.push_back(i);
            } else {
                skip(m, conflict);
            }
        }
        if (ready.empty()) continue;
        std::vector<std::string> placedKeys;
        auto err = rewriteOpFile(
            where,
            [&](nlohmann::ordered_json& entries) {
                placedKeys.clear();
                for (auto i : ready) {
                    const auto& entry = members[i].entry->entry;
                    bool there = std::ranges::any_of(entries, [&](const auto& x) { return hasMetaInfo(x, entry["meta_info"]); });
                    if (there) {
                        placedKeys.push_back({});
                        continue;
                    }
                    entries.push_back(entry);
                    placedKeys.push_back(entryKeysOf(entries).back());
                }
                return std::string();
            },
            o.lockTimeout);
        for (std::size_t k = 0; k < ready.size(); ++k) {
            auto& m = members[ready[k]];
            if (!err.empty()) {
                skip(m, fmt::format("{} was not changed: {} (its files were placed and no entry names them: `prune` removes them)",
                                    where.jsonPath(), err));
            } else if (placedKeys[k].empty()) {
                m.out->action = "present";
                m.out->reason = "PyTorch wrote an entry of equal meta_info meanwhile";
            } else {
                m.out->action = "placed";
                m.out->entryKey = placedKeys[k];
                if (!m.warnings.empty()) m.out->reason = fmt::format("placed with warnings: {}", fmt::join(m.warnings, "; "));
            }
        }
    }

    // 6. CUDA entries that cannot load their kernel binaries where they would land: compiled again here.
    std::vector<CompileJob> jobs;
    std::vector<std::size_t> jobMember;
    for (std::size_t i = 0; i < members.size(); ++i) {
        auto& m = members[i];
        if (!pending(m) || !m.recompile) continue;
        auto why = fmt::format("its library loads kernel binaries by absolute path under {}, not where it would land here",
                               manifest.sourceDeviceDir(*m.entry));
        if (!o.recompileWith || o.dryRun) {
            skip(m, why + (o.dryRun ? " (dry run: would be recompiled here)" : "; recompiling is off"), {"kernel-binary-path"});
            continue;
        }
        nlohmann::json spec{{"op", m.entry->op}, {"ns", m.entry->ns}, {"device", m.entry->device}, {"meta_info", m.entry->entry["meta_info"]}};
        std::string err;
        auto job = jobFromSpec(root, spec, err);
        if (!err.empty()) {
            skip(m, why + "; it cannot be recompiled: " + err);
            continue;
        }
        m.out->reason = why;
        jobs.push_back(std::move(job));
        jobMember.push_back(i);
    }
    if (!jobs.empty()) {
        auto outcomes = runCompileJobs(jobs, *o.recompileWith, [](const CompileJob&, const nlohmann::json&) {}, nullptr, o.lockTimeout);
        for (std::size_t k = 0; k < outcomes.size(); ++k) {
            auto& m = members[jobMember[k]];
            if (outcomes[k].ok) {
                m.out->action = "recompiled";
                m.out->entryKey = outcomes[k].entryKey;
            } else {
                auto why = m.out->reason;
                m.out->reason.clear();
                skip(m, why + "; recompiling it here failed: " + outcomes[k].message);
            }
        }
    }
    if (staged.entryCount() == 0 && !manifest.entries.empty()) report.notes.push_back("no entry of the bundle passed its digest check");
    spdlog::info("unpack into {}: {}", root, report.summary());
    return report;
}

UnpackReport unpackBundleFile(const std::string& file, const std::string& rootIn, const HostInfo& host, const UnpackOptions& options) {
    auto root = absolutePath(rootIn);
    UnpackReport failed;
    failed.root = root;
    StageDir stage(root + "/aotiscope-staging", "bundle");
    if (stage.path().empty()) {
        failed.error = stage.error();
        return failed;
    }
    std::vector<std::string> names;
    if (auto e = readFlatArchive(file, stage.path(), names); !e.empty()) {
        failed.error = e;
        return failed;
    }
    return unpackBundle(stage.path(), root, host, options);
}

} // namespace aotiscope
