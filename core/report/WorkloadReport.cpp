#include "core/report/WorkloadReport.h"

#include "core/read/EntryKey.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace aotiscope {

namespace {

using json = nlohmann::json;

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

// One of the kernels the holder tries in order: loaded entries first, then what it compiled on misses.
struct Candidate {
    const Entry* entry;
    bool inMemory;
    int position;        // loaded: the entry's position; in memory: its order among those
    const RecordedMiss* from = nullptr; // in memory: the miss that compiled it (null: inherited)
};

std::string differenceText(const std::vector<GuardDifference>& diffs) {
    std::string out;
    for (const auto& d : diffs) {
        if (!out.empty()) out += "; ";
        out += fmt::format("{}{}: entry {}, call {}", d.arg >= 0 ? fmt::format("arg {} ", d.arg) : "", d.field, d.entry, d.call);
    }
    return out;
}

// Why PyTorch's loader handed the holder nothing of an op, from what the op file held at that moment.
std::string dropReason(const RecordedRegistration& r) {
    if (!r.loaded.entries.empty() || !r.error.empty() || r.inherited) return {};
    if (!r.opFileExists) return fmt::format("no entry: {} did not exist when the op was registered", r.opFile);
    if (!r.missingLibraries.empty()) {
        return fmt::format("the op was dropped: library {} is missing, and PyTorch's loader returns no entry of an op "
                           "when any entry's library is missing ({} entr{} in {})", r.missingLibraries.front(),
                           r.entriesOnDisk.value_or(0), r.entriesOnDisk.value_or(0) == 1 ? "y" : "ies", r.opFile);
    }
    if (!r.loaderLog.empty()) return "the op was dropped: PyTorch's loader says " + firstLine(r.loaderLog.front());
    if (!r.opFileError.empty()) return fmt::format("the op was dropped: {} does not read ({})", r.opFile, r.opFileError);
    if (r.entriesOnDisk.value_or(0) == 0) return fmt::format("no entry: {} holds none", r.opFile);
    return "the loader returned no entry";
}

class ProcessAnalysis {
public:
    ProcessAnalysis(const RecordedProcess& p, std::vector<OpWorkload>& out) : p_(p), out_(out) {
        keepsMisses_ = keepsMissesInMemory(p.torch).value_or(false);
    }

    void run() {
        for (const auto& r : p_.registrations) {
            auto& w = opFor(r.ns, r.op.empty() ? r.requested : r.op, r.device);
            w.state = !r.error.empty() ? "registration failed" : r.inherited ? "inherited" : "registered";
            w.error = firstLine(r.error);
            w.entriesLoaded = int(r.loaded.entries.size());
            w.dropReason = dropReason(r);
            w.hitsPerEntry.assign(r.loaded.entries.size(), 0);
            if (r.error.empty()) registration_[key(r.ns, r.op, r.device)] = &r;
        }
        // Misses and calls in the order they happened: each miss adds a kernel the holder may keep.
        std::size_t c = 0;
        for (const auto& m : p_.misses) {
            for (; c < p_.calls.size() && p_.calls[c].line < m.line; ++c) countCall(p_.calls[c]);
            explainMiss(m);
        }
        for (; c < p_.calls.size(); ++c) countCall(p_.calls[c]);
    }

private:
    using Key = std::tuple<std::string, std::string, std::string>;
    static Key key(const std::string& ns, const std::string& op, const std::string& dev) { return {ns, op, dev}; }

    OpWorkload& opFor(const std::string& ns, const std::string& op, const std::string& device) {
        auto k = key(ns, op, device);
        if (auto it = index_.find(k); it != index_.end()) return out_[it->second];
        index_[k] = out_.size();
        auto& w = out_.emplace_back();
        w.ns = ns;
        w.op = op;
        w.device = device;
        w.pid = p_.pid;
        w.state = "not registered";
        if (p_.callsRecorded) w.calls = w.hits = 0;
        return w;
    }

    std::vector<Candidate> candidates(const Key& k) const {
        std::vector<Candidate> list;
        auto reg = registration_.find(k);
        if (reg == registration_.end()) return list;
        int i = 0;
        for (const auto& e : reg->second->loaded.entries) list.push_back({&e, false, i++, nullptr});
        i = 0;
        for (const auto& e : reg->second->inMemory) list.push_back({&e, true, i++, nullptr});
        if (auto it = compiled_.find(k); it != compiled_.end()) {
            for (const auto* m : it->second) list.push_back({&m->call, true, i++, m});
        }
        return list;
    }

    // The identity of a loaded entry: the loader returns every entry of the file or none, in file order, so it
    // is the file's entry at that position (the loaded form has absolute paths and other spellings).
    std::string loadedEntryId(const Key& k, int position) const {
        const auto& [ns, op, dev] = k;
        const auto& reg = *registration_.at(k);
        const auto& named = reg.onDisk.entries.size() == reg.loaded.entries.size() ? reg.onDisk : reg.loaded;
        return entryId(ns, dev, op, named.entries[std::size_t(position)].key);
    }

    std::string entryName(const Key& k, const Candidate& c) const {
        if (c.inMemory) return c.from ? fmt::format("the kernel compiled on the miss of line {}", c.from->line)
                                      : "a kernel the parent process compiled";
        return fmt::format("entry #{} ({})", c.position, loadedEntryId(k, c.position));
    }

    void countCall(const RecordedCall& call) {
        auto k = key(call.ns, call.op, call.device);
        auto& w = opFor(call.ns, call.op, call.device);
        ++w.calls;
        w.callSeconds += call.seconds;
        if (call.compiled) return; // counted with its miss record
        if (call.eager) {
            ++w.eagerCalls;
            return;
        }
        ++w.hits;
        auto list = candidates(k);
        auto hit = std::ranges::find_if(list, [&](const Candidate& c) {
            return guardDifferences(*c.entry, call.call, c.inMemory ? EntryOrigin::InMemory : EntryOrigin::Disk).empty();
        });
        if (hit == list.end()) {
            w.disagreements.push_back(fmt::format("line {}: PyTorch ran a kernel without compiling, but AOTIScope's matcher "
                                                  "finds no entry for the call", call.line));
        } else if (!hit->inMemory) {
            ++w.hitsPerEntry[std::size_t(hit->position)];
        }
    }

    void explainMiss(const RecordedMiss& m) {
        auto k = key(m.ns, m.op, m.device);
        auto& w = opFor(m.ns, m.op, m.device);
        ++w.misses;
        w.compileSeconds += m.seconds;
        ExplainedMiss x;
        x.miss = &m;
        auto reg = registration_.find(k);
        if (reg == registration_.end()) {
            x.reason = w.state == "registration failed"
                           ? "compiled though the registration failed (a direct call of PyTorch's writer)"
                           : "compiled without a registration of the op in this process (a direct call of PyTorch's writer)";
        } else {
            auto list = candidates(k);
            const Candidate* nearest = nullptr;
            for (const auto& c : list) {
                auto d = guardDifferences(*c.entry, m.call, c.inMemory ? EntryOrigin::InMemory : EntryOrigin::Disk);
                if (!nearest || d.size() < x.differences.size()) {
                    nearest = &c;
                    x.differences = std::move(d);
                }
            }
            auto dropped = dropReason(*reg->second);
            if (nearest && x.differences.empty()) {
                x.reason = fmt::format("AOTIScope's matcher finds {} matching this call, yet PyTorch compiled: a "
                                       "disagreement to report", entryName(k, *nearest));
            } else if (nearest) {
                x.reason = fmt::format("{}nearest: {}: {}", dropped.empty() ? "" : dropped + "; ", entryName(k, *nearest),
                                       differenceText(x.differences));
                x.nearestEntry = nearest->position;
                x.nearestInMemory = nearest->inMemory;
                if (!nearest->inMemory) x.nearestEntryId = loadedEntryId(k, nearest->position);
            } else {
                x.reason = dropped.empty() ? "no entry was loaded" : dropped;
            }
            // torch 2.11 keeps nothing it compiled: the same call compiles again, in every call.
            if (!keepsMisses_) {
                auto& earlier = sameCalls_[k];
                auto again = std::ranges::find_if(earlier, [&](const RecordedMiss* e) { return guardDifferences(e->call, m.call, EntryOrigin::InMemory).empty(); });
                if (again != earlier.end()) {
                    x.reason = fmt::format("the same call compiled at line {}: torch {} keeps no kernel compiled on a miss, "
                                           "so each such call compiles again", (*again)->line, p_.torch);
                }
                earlier.push_back(&m);
            }
        }
        if (m.library.empty()) {
            x.reason += fmt::format("; the compile failed: {}", !m.error.empty() ? m.error : !m.log.empty() ? firstLine(m.log.front()) : "no library");
        } else if (m.metaInfo.is_array()) {
            auto meta = nlohmann::ordered_json::parse(m.metaInfo.dump());
            // PyTorch's writer appends nothing when an entry already has equal meta_info, whatever its kernel_path:
            // the op file as registration saw it, then what earlier misses of this process appended.
            auto& written = written_[k];
            if (reg != registration_.end() && written.empty() && reg->second->diskEntries.is_array()) {
                for (const auto& e : reg->second->diskEntries) written.push_back(e.is_object() ? e.value("meta_info", nlohmann::ordered_json()) : nlohmann::ordered_json());
            }
            auto same = std::ranges::find_if(written, [&](const nlohmann::ordered_json& e) { return pythonEqual(e, meta); });
            if (same == written.end()) {
                auto entry = nlohmann::ordered_json::object();
                entry["meta_info"] = meta;
                entry["kernel_path"] = m.kernelPath;
                x.createdEntry = entryId(m.ns, m.device, m.op, entryKeyOf(entry));
                written.push_back(std::move(meta));
            } else {
                x.reason += fmt::format("; PyTorch's writer appended nothing: entry #{} of the op file already has this "
                                        "meta_info, and its kernel_path stays as it is",
                                        std::distance(written.begin(), same));
            }
            if (keepsMisses_ && reg != registration_.end()) compiled_[k].push_back(&m);
        }
        w.explained.push_back(std::move(x));
    }

    const RecordedProcess& p_;
    std::vector<OpWorkload>& out_;
    bool keepsMisses_ = false;
    std::map<Key, std::size_t> index_;
    std::map<Key, const RecordedRegistration*> registration_;
    std::map<Key, std::vector<const RecordedMiss*>> compiled_; // kept in memory by the holder (torch 2.13)
    std::map<Key, std::vector<const RecordedMiss*>> sameCalls_;
    std::map<Key, std::vector<nlohmann::ordered_json>> written_; // meta_info of the op file's entries, as they grow
};

} // namespace

WorkloadReport analyzeRecording(const Recording& recording) {
    WorkloadReport report;
    report.recording = &recording;
    for (const auto& p : recording.processes) ProcessAnalysis(p, report.ops).run();
    return report;
}

namespace {

json differencesJson(const std::vector<GuardDifference>& diffs) {
    json list = json::array();
    for (const auto& d : diffs) list.push_back({{"arg", d.arg}, {"field", d.field}, {"entry", d.entry}, {"call", d.call}});
    return list;
}

json countOrNull(long v) { return v < 0 ? json() : json(v); }

std::string countText(long v) { return v < 0 ? "-" : std::to_string(v); }

} // namespace

json workloadReportJson(const WorkloadReport& report) {
    const auto& rec = *report.recording;
    json processes = json::array();
    for (const auto& p : rec.processes) {
        processes.push_back({{"pid", p.pid}, {"ppid", p.ppid}, {"forked", p.forked}, {"argv", p.argv}, {"torch", p.torch},
                             {"calls_recorded", p.callsRecorded},
                             {"recorder_seconds", p.recorderSeconds ? json(*p.recorderSeconds) : json()}});
    }
    json ops = json::array();
    for (const auto& w : report.ops) {
        json misses = json::array();
        for (const auto& x : w.explained) {
            misses.push_back({{"line", x.miss->line}, {"meta_info", x.miss->metaInfo}, {"seconds", x.miss->seconds},
                              {"library", x.miss->library}, {"error", x.miss->error}, {"reason", x.reason},
                              {"nearest_entry", x.nearestEntry < 0 ? json() : json(x.nearestEntry)},
                              {"nearest_in_memory", x.nearestInMemory},
                              {"nearest_entry_id", x.nearestEntryId.empty() ? json() : json(x.nearestEntryId)}, {"differences", differencesJson(x.differences)},
                              {"created_entry", x.createdEntry.empty() ? json() : json(x.createdEntry)}});
        }
        ops.push_back({{"pid", w.pid}, {"ns", w.ns}, {"op", w.op}, {"device", w.device}, {"state", w.state},
                       {"error", w.error}, {"drop_reason", w.dropReason}, {"entries_loaded", w.entriesLoaded},
                       {"calls", countOrNull(w.calls)}, {"hits", countOrNull(w.hits)}, {"misses", w.misses}, {"eager_calls", w.eagerCalls},
                       {"compile_seconds", w.compileSeconds}, {"call_seconds", w.callSeconds},
                       {"hits_per_entry", w.hitsPerEntry}, {"disagreements", w.disagreements}, {"miss_list", misses}});
    }
    return {{"schema", "aotiscope.report/1"}, {"recording", rec.path}, {"problems", rec.problems},
            {"processes", processes}, {"ops", ops}};
}

std::string workloadReportText(const WorkloadReport& report) {
    const auto& rec = *report.recording;
    std::string out;
    // Python processes without AOTI-eager activity (inductor's compile workers, helpers): one line for all.
    std::set<long> active;
    for (const auto& w : report.ops) active.insert(w.pid);
    std::vector<long> idle;
    for (const auto& p : rec.processes) {
        if (!active.contains(p.pid)) {
            idle.push_back(p.pid);
            continue;
        }
        std::string argv;
        for (const auto& a : p.argv) argv += (argv.empty() ? "" : " ") + a;
        out += fmt::format("process {}{}: {}{}{}\n", p.pid, p.forked ? fmt::format(" (forked from {})", p.ppid) : "", argv,
                           p.torch.empty() ? "" : ", torch " + p.torch,
                           p.recorderSeconds ? fmt::format(", recorder took {:.3f} s", *p.recorderSeconds) : "");
    }
    if (!idle.empty()) {
        out += fmt::format("{} more process{} without AOTI-eager activity (pid {}{})\n", idle.size(), idle.size() == 1 ? "" : "es",
                           idle.front(), idle.size() > 1 ? fmt::format(" ... {}", idle.back()) : "");
    }
    if (report.ops.empty()) out += "no AOTI-eager registration, miss or call was recorded\n";
    else out += fmt::format("\n{:<8} {:<28} {:<20} {:>7} {:>7} {:>7} {:>10}\n", "pid", "op", "registration", "calls", "hits", "misses", "compile");
    for (const auto& w : report.ops) {
        auto state = w.state == "registered" || w.state == "inherited"
                         ? fmt::format("{} entr{}{}", w.entriesLoaded, w.entriesLoaded == 1 ? "y" : "ies", w.state == "inherited" ? " (fork)" : "")
                         : w.state;
        out += fmt::format("{:<8} {:<28} {:<20} {:>7} {:>7} {:>7} {:>9.1f}s\n", w.pid, w.ns + "/" + w.device + "/" + w.op, state,
                           countText(w.calls), countText(w.hits), w.misses, w.compileSeconds);
    }
    bool callsMissing = std::ranges::any_of(rec.processes, [](const RecordedProcess& p) { return !p.callsRecorded; });
    if (callsMissing && !report.ops.empty()) out += "(calls and hits: recorded with `record --calls`)\n";
    for (const auto& w : report.ops) {
        auto where = fmt::format("{}/{}/{} (pid {})", w.ns, w.device, w.op, w.pid);
        if (!w.error.empty()) {
            out += fmt::format("\n{}: registration failed: {}\n", where, w.error);
            if (w.eagerCalls > 0) out += fmt::format("  {} call{} ran PyTorch's own kernel instead\n", w.eagerCalls, w.eagerCalls == 1 ? "" : "s");
        }
        if (!w.dropReason.empty()) out += fmt::format("\n{}: {}\n", where, w.dropReason);
        for (const auto& x : w.explained) {
            out += fmt::format("\n{}: miss (line {}), compiled in {:.1f} s\n  why: {}\n", where, x.miss->line, x.miss->seconds, x.reason);
            if (!x.createdEntry.empty()) out += fmt::format("  created: {}\n", x.createdEntry);
        }
        for (const auto& d : w.disagreements) out += fmt::format("\n{}: {}\n", where, d);
    }
    for (const auto& problem : rec.problems) out += fmt::format("warning: {}\n", problem);
    return out;
}

} // namespace aotiscope
