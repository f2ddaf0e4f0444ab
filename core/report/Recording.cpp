#include "core/report/Recording.h"

#include "core/base/FileUtil.h"
#include "core/check/Matcher.h"
#include "core/read/OpFileParser.h"

#include <fmt/format.h>

#include <map>
#include <sstream>

namespace aotiscope {

namespace {

using json = nlohmann::json;

std::string text(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double number(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::vector<std::string> texts(const json& j, const char* key) {
    std::vector<std::string> out;
    if (auto it = j.find(key); it != j.end() && it->is_array()) {
        for (const auto& v : *it) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    }
    return out;
}

// A meta_info list read as the matcher's entry; `where` names the line for the message.
Entry callOf(const json& metaInfo, const std::string& where, std::vector<std::string>& problems) {
    Entry call;
    if (metaInfo.is_null()) return call; // an input PyTorch's writer cannot record either
    std::string error;
    if (!parseCallSpec(metaInfo.dump(), call, error)) problems.push_back(fmt::format("{}: meta_info: {}", where, error));
    return call;
}

// Every event about an op carries where it is and which line it is on.
template <typename Event>
void readPlace(const json& j, int line, Event& e) {
    e.line = line;
    e.ns = text(j, "ns");
    e.op = text(j, "op");
    e.device = text(j, "device");
}

void readRegistration(const json& j, int line, RecordedRegistration& r, std::vector<std::string>& problems) {
    readPlace(j, line, r);
    r.dispatchKey = text(j, "dispatch_key");
    r.requested = text(j, "requested");
    r.torch = text(j, "torch");
    r.inherited = j.value("inherited", false);
    r.error = text(j, "error");
    r.opFile = text(j, "op_file");
    r.opFileExists = j.value("op_file_exists", false);
    if (auto it = j.find("entries_on_disk"); it != j.end() && it->is_number_integer()) r.entriesOnDisk = it->get<long>();
    r.missingLibraries = texts(j, "missing_libraries");
    r.opFileError = text(j, "op_file_error");
    r.loaderLog = texts(j, "loader_log");
    r.seconds = number(j, "seconds");
    if (auto it = j.find("disk_entries"); it != j.end() && it->is_array()) {
        r.diskEntries = nlohmann::ordered_json::parse(it->dump());
    }
    OpFileParser parser;
    for (auto [key, file] : {std::pair{"entries", &r.loaded}, std::pair{"disk_entries", &r.onDisk}}) {
        file->name = r.op;
        if (auto it = j.find(key); it != j.end() && it->is_array()) {
            parser.parseText(it->dump(), *file);
            if (!file->unreadableReason().empty()) {
                problems.push_back(fmt::format("line {}: {} of {}: {}", line, key, r.op, file->unreadableReason()));
            }
        }
    }
    if (auto it = j.find("in_memory"); it != j.end() && it->is_array()) {
        for (const auto& e : *it) {
            r.inMemory.push_back(callOf(e.value("meta_info", json()), fmt::format("line {}", line), problems));
            r.inMemory.back().kernelPath = text(e, "kernel_path");
        }
    }
}

} // namespace

Recording readRecording(const std::string& path) {
    Recording rec;
    rec.path = path;
    std::string content;
    if (auto error = readWholeFile(path, content); !error.empty()) {
        rec.error = error;
        return rec;
    }
    std::map<long, std::size_t> byPid; // the latest process of each pid
    std::istringstream lines(content);
    int n = 0;
    std::string lineText;
    while (std::getline(lines, lineText)) {
        ++n;
        if (lineText.empty()) continue;
        auto j = json::parse(lineText, nullptr, false);
        if (!j.is_object() || !j.contains("event") || !j["pid"].is_number_integer()) {
            // A process killed mid-line leaves its last line cut: say so and go on with the rest.
            rec.problems.push_back(fmt::format("{}:{}: not a record (cut short, or not written by `aotiscope-cli record`)", path, n));
            continue;
        }
        auto event = text(j, "event");
        long pid = j["pid"].get<long>();
        if (event == "process") {
            if (text(j, "schema") != "aotiscope.record/1") {
                rec.problems.push_back(fmt::format("{}:{}: schema \"{}\", not aotiscope.record/1", path, n, text(j, "schema")));
            }
            RecordedProcess p;
            p.pid = pid;
            p.ppid = j.value("ppid", 0L);
            p.forked = j.value("forked", false);
            p.callsRecorded = j.value("calls_recorded", false);
            p.argv = texts(j, "argv");
            p.torch = text(j, "torch");
            p.started = number(j, "time");
            byPid[pid] = rec.processes.size();
            rec.processes.push_back(std::move(p));
            continue;
        }
        auto it = byPid.find(pid);
        if (it == byPid.end()) {
            rec.problems.push_back(fmt::format("{}:{}: a {} record of pid {}, which has no process record", path, n, event, pid));
            continue;
        }
        auto& p = rec.processes[it->second];
        auto where = fmt::format("{}:{}", path, n);
        if (event == "registration") {
            RecordedRegistration r;
            readRegistration(j, n, r, rec.problems);
            if (p.torch.empty()) p.torch = r.torch;
            p.registrations.push_back(std::move(r));
        } else if (event == "miss") {
            RecordedMiss m;
            readPlace(j, n, m);
            m.metaInfo = j.value("meta_info", json());
            m.call = callOf(m.metaInfo, where, rec.problems);
            m.seconds = number(j, "seconds");
            m.library = text(j, "library");
            m.kernelPath = text(j, "kernel_path");
            m.error = text(j, "error");
            m.log = texts(j, "log");
            m.time = number(j, "time");
            p.misses.push_back(std::move(m));
        } else if (event == "call") {
            RecordedCall c;
            readPlace(j, n, c);
            c.call = callOf(j.value("meta_info", json()), where, rec.problems);
            c.compiled = text(j, "outcome") == "miss";
            c.eager = text(j, "outcome") == "eager";
            c.seconds = number(j, "seconds");
            c.error = text(j, "error");
            p.calls.push_back(std::move(c));
        } else if (event == "exit") {
            p.recorderSeconds = number(j, "recorder_seconds");
        } else {
            rec.problems.push_back(fmt::format("{}: unknown event \"{}\" skipped", where, event));
        }
    }
    if (rec.processes.empty() && rec.error.empty()) {
        rec.error = fmt::format("{}: no process was recorded (did the program run Python with torch?)", path);
    }
    return rec;
}

} // namespace aotiscope
