#include "core/report/CsvExport.h"

#include "core/report/JsonReport.h"
#include "core/check/Rules.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

namespace aotiscope {

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) {
        return s;
    }
    std::string q = "\"";
    for (char c : s) {
        q += c;
        if (c == '"') {
            q += '"';
        }
    }
    return q + "\"";
}

void writeEntriesCsv(std::ostream& out, const nlohmann::json& j) {
    out << "namespace,device,op,entry,args,kernel_path,library_exists,library_bytes,library_mtime,cpu_isa,compute_capability,status,findings\n";
    for (const auto& op : j["ops"]) {
        for (const auto& e : op["entries"]) {
            std::string args;
            for (const auto& a : e["args"]) {
                args += (args.empty() ? "" : "; ") + a["summary"].get<std::string>();
            }
            std::string status = "ok";
            for (const auto& f : e["findings"]) {
                auto s = f["severity"].get<std::string>();
                if (s == "error" || (s == "warning" && status != "error") || (s == "info" && status == "ok")) {
                    status = s;
                }
            }
            const nlohmann::json lib = e.value("library", nlohmann::json::object());
            fmt::print(out, "{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csvField(op["namespace"].get<std::string>()),
                       csvField(op["device"].get<std::string>()), csvField(op["op"].get<std::string>()), e["index"].get<int>(),
                       csvField(args), csvField(e["kernel_path"].is_string() ? e["kernel_path"].get<std::string>() : ""),
                       lib.value("exists", false) ? "true" : "false", lib.value("size", std::uint64_t(0)),
                       lib.value("mtime", std::int64_t(0)), csvField(lib.value("cpu_isa", std::string())),
                       csvField(lib.value("compute_capability", std::string())), status, e["findings"].size());
        }
    }
}

void writeFindingsCsv(std::ostream& out, const CacheSnapshot& snap, const FindingList& findings) {
    out << "severity,rule,name,namespace,device,op,entry,entry_key,arg,host_bound,path,message\n";
    for (const auto& f : findings) {
        fmt::print(out, "{},{},{},{},{},{},{},{},{},{},{},{}\n", severityName(f.severity), f.ruleId,
                   csvField(std::string(ruleById(f.ruleId).name)), csvField(f.ns), csvField(f.device), csvField(f.op),
                   f.entry >= 0 ? std::to_string(f.entry) : std::string(), csvField(entryKeyOfFinding(snap, f)),
                   f.arg >= 0 ? std::to_string(f.arg) : std::string(), f.hostBound ? "true" : "false", csvField(f.path),
                   csvField(f.message));
    }
}

} // namespace aotiscope
