#include "core/report/JsonReport.h"

#include "core/read/CacheSizes.h"
#include "core/base/FileUtil.h"
#include "core/report/JsonText.h"
#include "core/base/Parallel.h"
#include "core/read/TorchNames.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <tuple>
#include <unordered_map>

namespace aotiscope {

using nlohmann::json;

namespace {

void putUnknown(json& j, const std::vector<RawField>& unknown) {
    if (unknown.empty()) {
        return;
    }
    json u = json::object();
    for (const auto& f : unknown) {
        u[f.key] = json::parse(f.json, nullptr, false);
        if (u[f.key].is_discarded()) {
            u[f.key] = f.json;
        }
    }
    j["unknown_keys"] = u;
}

template <typename T>
json optionalJson(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}

using OpKey = std::tuple<std::string, std::string, std::string>;

std::map<OpKey, std::vector<const Finding*>> findingsByOp(const FindingList& findings) {
    std::map<OpKey, std::vector<const Finding*>> m;
    for (const auto& f : findings) {
        m[{f.ns, f.device, f.op}].push_back(&f);
    }
    return m;
}

const char* statusOf(const std::vector<const Finding*>* fs, int entry = -1) {
    if (!fs) return "ok";
    std::vector<const Finding*> relevant;
    for (const auto* f : *fs) {
        if (entry < 0 || f->entry == entry || f->entry == -1) relevant.push_back(f);
    }
    return statusOfFindings(relevant);
}

} // namespace

std::string describeTensor(const TensorMeta& t) {
    return fmt::format("{}[{}] {}", lastDottedPart(t.dtype), fmt::join(t.sizes, ", "),
                       t.deviceType.empty() ? "?" : t.deviceType);
}

std::string describeArg(const Arg& a) {
    switch (a.kind) {
    case ArgKind::Tensor: return "tensor " + describeTensor(a.tensor);
    case ArgKind::TensorList: {
        std::vector<std::string> items;
        for (const auto& t : a.list) {
            items.push_back(describeTensor(t));
        }
        return fmt::format("tensor_list [{}]", fmt::join(items, ", "));
    }
    case ArgKind::Scalar:
        if (!a.scalar) {
            return "scalar ?";
        }
        return fmt::format("scalar {} {}", a.scalar->type == ScalarType::Float ? "float" : a.scalar->type == ScalarType::Bool ? "bool" : "int",
                           a.scalar->text);
    case ArgKind::String: return fmt::format("string \"{}\"", a.text);
    case ArgKind::Dtype: return "dtype " + a.text;
    case ArgKind::Layout: return "layout " + a.text;
    case ArgKind::MemoryFormat: return "memory_format " + a.text;
    case ArgKind::Device:
        return a.deviceIndexValue ? fmt::format("device {}:{}", a.text, *a.deviceIndexValue) : "device " + a.text;
    case ArgKind::IntList: return fmt::format("int_list [{}]", fmt::join(a.intList, ", "));
    case ArgKind::Unknown: return "unknown " + a.rawJson;
    }
    return "?";
}

json tensorToJson(const TensorMeta& t, const KeySetNaming& naming, const std::string& writerTorch) {
    json j{{"device_type", t.deviceType}, {"device_index", optionalJson(t.deviceIndex)}, {"dtype", t.dtype},
           {"sizes", t.sizes}, {"strides", t.strides}, {"requires_grad", optionalJson(t.requiresGrad)},
           {"is_dynamic", optionalJson(t.isDynamic)}, {"dispatch_key_set", optionalJson(t.dispatchKeySet)}};
    if (t.dispatchKeySet) {
        auto reading = naming.read(t, writerTorch);
        if (reading.table) j["dispatch_keys"] = reading.table->keyNames(*t.dispatchKeySet);
        j["dispatch_keys_numbering"] = {{"torch", reading.table ? json(reading.table->release()) : json(nullptr)},
                                        {"basis", reading.basisName()}, {"text", reading.label()}};
    }
    putUnknown(j, t.unknown);
    return j;
}

json argToJson(const Arg& a, int index, const KeySetNaming& naming, const std::string& writerTorch) {
    json j{{"index", index}, {"kind", argKindName(a.kind)}, {"arg_order", optionalJson(a.argOrder)}, {"summary", describeArg(a)}};
    switch (a.kind) {
    case ArgKind::Tensor: j["tensor"] = tensorToJson(a.tensor, naming, writerTorch); break;
    case ArgKind::TensorList: {
        j["tensors"] = json::array();
        for (const auto& t : a.list) {
            j["tensors"].push_back(tensorToJson(t, naming, writerTorch));
        }
        break;
    }
    case ArgKind::Scalar:
        if (a.scalar) {
            j["value_text"] = a.scalar->text;
            j["scalar_type"] = a.scalar->type == ScalarType::Float ? "float" : a.scalar->type == ScalarType::Bool ? "bool" : "int";
        }
        j["dtype"] = a.tensor.dtype;
        j["device_type"] = a.tensor.deviceType;
        j["device_index"] = optionalJson(a.tensor.deviceIndex);
        break;
    case ArgKind::String:
    case ArgKind::Dtype:
    case ArgKind::Layout:
    case ArgKind::MemoryFormat: j["value"] = a.text; break;
    case ArgKind::Device:
        j["device_type"] = a.text;
        j["device_index"] = optionalJson(a.deviceIndexValue);
        break;
    case ArgKind::IntList: j["value"] = a.intList; break;
    case ArgKind::Unknown: j["raw"] = a.rawJson; break;
    }
    if (a.kind != ArgKind::Tensor) {
        putUnknown(j, a.tensor.unknown);
    }
    return j;
}

json libraryToJson(const LibraryFile* lib, const std::string& joinedPath) {
    json j{{"path", joinedPath}, {"exists", lib != nullptr && lib->stat.exists}};
    if (!lib) {
        return j;
    }
    j["size"] = lib->stat.size;
    j["mtime"] = lib->stat.mtime;
    j["sidecar_bytes"] = lib->artifactBytes;
    j["role"] = libraryRoleName(lib->role);
    if (lib->artifacts) {
        const auto& a = *lib->artifacts;
        j["cpu_isa"] = a.cpuIsa;
        j["compute_capability"] = a.computeCapability;
        j["machine"] = a.machine;
        j["torch_dir"] = a.torchDir;
        j["compile_command"] = a.compileCommand;
        j["link_command"] = a.linkCommand;
        j["wrapper_source"] = a.wrapperSource;
        j["kernel_sources"] = a.kernelSources;
        j["metadata_files"] = a.metadataFiles;
    }
    if (lib->elf) {
        j["elf"] = {{"is_elf", lib->elf->isElf}, {"error", lib->elf->error}, {"needed", lib->elf->needed},
                    {"run_paths", lib->elf->runPaths}};
    }
    return j;
}

json findingToJson(const Finding& f, const std::string& entryKey) {
    const Rule& r = ruleById(f.ruleId);
    return json{{"rule", f.ruleId},     {"name", r.name},      {"severity", severityName(f.severity)},
                {"message", f.message}, {"explanation", r.pytorchBehaviour},
                {"namespace", f.ns},    {"device", f.device},  {"op", f.op},
                {"entry", f.entry},     {"entry_key", entryKey.empty() ? json() : json(entryKey)},
                {"arg", f.arg},         {"path", f.path},      {"host_bound", f.hostBound}};
}

const std::string& entryKeyOfFinding(const CacheSnapshot& snap, const Finding& f) {
    static const std::string none;
    if (f.entry < 0) return none;
    for (const auto& ns : snap.namespaces) {
        if (ns.name != f.ns) continue;
        for (const auto& dev : ns.devices) {
            if (dev.name != f.device) continue;
            auto it = std::ranges::lower_bound(dev.ops(), f.op.str(), {}, &OpFile::name);
            if (it != dev.ops().end() && (*it).name == f.op && std::size_t(f.entry) < (*it).entries.size()) {
                return it->entries[std::size_t(f.entry)].key;
            }
        }
    }
    return none;
}

json locateToJson(const LocateResult& r) {
    json steps = json::array();
    for (const auto& s : r.steps) {
        steps.push_back({{"rule", s.rule}, {"value", s.value}, {"used", s.used}, {"note", s.note}});
    }
    std::error_code ec;
    return json{{"schema", "aotiscope.locate/1"}, {"root", r.root}, {"exists", std::filesystem::exists(r.root, ec)}, {"steps", steps}};
}

json treeToJson(const CacheSnapshot& snap, const FindingList& findings) {
    auto byOp = findingsByOp(findings);
    json namespaces = json::array();
    std::uint64_t totalBytes = 0;
    for (const auto& ns : snap.namespaces) {
        json devices = json::array();
        for (const auto& dev : ns.devices) {
            auto sizes = deviceSizes(dev);
            std::size_t orphans = 0, helpers = 0;
            for (const auto& f : dev.libFiles) {
                orphans += f.role == LibraryRole::OrphanKernel;
                helpers += f.role == LibraryRole::HelperBuild;
            }
            auto libBytes = sizes.total;
            totalBytes += libBytes;
            json ops = json::array();
            std::size_t entries = 0;
            for (std::size_t o = 0; o < dev.ops().size(); ++o) {
                const auto& op = dev.ops()[o];
                auto it = byOp.find({ns.name, dev.name, op.name});
                entries += op.entries.size();
                ops.push_back({{"name", op.name},
                               {"entries", op.entries.size()},
                               {"bytes", sizes.opBytes[o]},
                               {"json_bytes", op.stat.size},
                               {"mtime", op.stat.mtime},
                               {"status", statusOf(it == byOp.end() ? nullptr : &it->second)},
                               {"findings", it == byOp.end() ? 0 : it->second.size()}});
            }
            devices.push_back({{"name", dev.name},
                               {"path", dev.path},
                               {"ops", ops},
                               {"op_count", dev.ops().size()},
                               {"entries", entries},
                               {"lib_bytes", libBytes},
                               {"referenced_bytes", sizes.referenced},
                               {"other_bytes", sizes.other},
                               {"lib_files", dev.libFiles.size()},
                               {"orphan_libraries", orphans},
                               {"orphan_bytes", sizes.orphan},
                               {"helper_builds", helpers}});
        }
        namespaces.push_back({{"name", ns.name}, {"devices", devices}});
    }
    auto counts = countFindings(findings);
    return json{{"schema", "aotiscope.ls/1"},
                {"root", snap.root},
                {"namespaces", namespaces},
                {"totals",
                 {{"ops", snap.opCount()},
                  {"entries", snap.entryCount()},
                  {"lib_bytes", totalBytes},
                  {"errors", counts.error},
                  {"warnings", counts.warning}}}};
}

json entriesToJson(const CacheSnapshot& snap, const FindingList& findings, const std::string& opName,
                   const KeySetNaming& naming) {
    // Findings by entry, so that a cache with many entries and findings is not walked once per entry.
    std::map<std::tuple<std::string, std::string, std::string, int>, std::vector<const Finding*>> byEntry;
    for (const auto& f : findings) {
        if (f.entry >= 0 && (opName.empty() || f.op == opName)) {
            byEntry[{f.ns, f.device, f.op, f.entry}].push_back(&f);
        }
    }
    json ops = json::array();
    for (const auto& ns : snap.namespaces) {
        for (const auto& dev : ns.devices) {
            for (const auto& op : dev.ops()) {
                if (!opName.empty() && op.name != opName) {
                    continue;
                }
                json entries = json::array();
                for (const auto& e : op.entries) {
                    json args = json::array();
                    for (std::size_t i = 0; i < e.args.size(); ++i) {
                        args.push_back(argToJson(e.args[i], int(i), naming, writerTorchVersion(dev, e)));
                    }
                    json fs = json::array();
                    const char* status = "ok";
                    if (auto it = byEntry.find({ns.name, dev.name, op.name, e.index}); it != byEntry.end()) {
                        for (const auto* f : it->second) {
                            fs.push_back(findingToJson(*f, e.key));
                        }
                        status = statusOfFindings(it->second);
                    }
                    json entry{{"index", e.index}, {"entry_key", e.key}, {"kernel_path", optionalJson(e.kernelPath)},
                               {"status", status},  {"args", args},        {"findings", fs}};
                    if (e.kernelPath) {
                        auto joined = absolutePath(e.kernelPath->starts_with('/') ? *e.kernelPath : dev.path + "/" + *e.kernelPath);
                        entry["library"] = libraryToJson(dev.libraryOf(e), joined);
                    }
                    putUnknown(entry, e.unknown);
                    entries.push_back(std::move(entry));
                }
                json opJson{{"namespace", ns.name}, {"device", dev.name}, {"op", op.name}, {"path", op.path}, {"entries", entries}};
                for (const auto& [key, text] : {std::pair{"read_error", &op.readError}, {"parse_error", &op.parseError},
                                                {"structure_error", &op.structureError}}) {
                    if (!text->empty()) {
                        opJson[key] = *text;
                    }
                }
                ops.push_back(std::move(opJson));
            }
        }
    }
    return json{{"schema", "aotiscope.entries/1"}, {"root", snap.root}, {"ops", ops}};
}

json torchToJson(const HostInfo& host) {
    if (!host.torch) return nullptr;
    return {{"version", host.torch->version}, {"dir", host.torch->dir},     {"python", host.torch->python},
            {"source", host.torch->source},   {"cuda", host.torch->cuda.empty() ? nlohmann::json() : nlohmann::json(host.torch->cuda)}};
}

json hostToJson(const HostInfo& host) {
    auto runtime = [&](const std::string& soname, const std::string& prefix) -> json {
        std::string at;
        auto offered = providedVersions(soname, host.librarySearchPath, &at);
        if (!offered) return nullptr;
        return {{"path", at}, {"newest", newestLike(prefix + "0", *offered)}};
    };
    json gpus = host.cudaComputeCapabilities ? json(*host.cudaComputeCapabilities) : json(nullptr);
    return {{"machine", host.machine},
            {"cpu_model", host.cpuModel},
            {"cpu_flags", host.cpuFlags},
            {"cpus", host.cpuCount},
            {"physical_cores", host.physicalCores},
            {"glibc", runtime("libc.so.6", "GLIBC_")},
            {"libstdcxx", runtime("libstdc++.so.6", "GLIBCXX_")},
            {"cuda_compute_capabilities", gpus},
            {"torch", torchToJson(host)},
            {"unknown", host.unknownFacts}};
}

void writeLintJson(std::ostream& out, const CacheSnapshot& snap, const FindingList& findings, const json& torch) {
    auto c = countFindings(findings);
    std::map<std::string, const Rule*> used;
    for (const auto& f : findings) used.emplace(f.ruleId, &ruleById(f.ruleId));
    json rules = json::object();
    for (const auto& [id, r] : used) {
        rules[id] = {{"name", r->name}, {"severity", severityName(r->severity)}, {"explanation", r->pytorchBehaviour}};
    }
    out << "{\"schema\":\"aotiscope.lint/2\",\"root\":" << json(snap.root).dump()
        << ",\"counts\":" << json{{"error", c.error}, {"warning", c.warning}, {"info", c.info}}.dump()
        << ",\"torch\":" << torch.dump() << ",\"rules\":" << rules.dump() << ",\"findings\":[";
    // Findings formatted by hand (a nlohmann::json per finding cost 40 % of the command) in chunks on every core,
    // written in order, a few chunks at a time so that the text is never all in memory. Keys as nlohmann orders
    // them: the output is the same document as before.
    constexpr std::size_t kChunk = 4096;
    std::size_t chunks = (findings.size() + kChunk - 1) / kChunk;
    unsigned threads = defaultThreadCount();
    std::size_t wave = std::size_t(threads) * 4;
    std::vector<std::string> texts;
    for (std::size_t first = 0; first < chunks; first += wave) {
        std::size_t count = std::min(wave, chunks - first);
        texts.assign(count, {});
        parallelFor(count, threads, [&](std::size_t chunk, unsigned) {
            auto& text = texts[chunk];
            for (std::size_t i = (first + chunk) * kChunk; i < std::min(findings.size(), (first + chunk + 1) * kChunk); ++i) {
                const auto& f = findings[i];
                const auto& key = entryKeyOfFinding(snap, f);
                text += i ? ",\n{\"arg\":" : "\n{\"arg\":";
                text += std::to_string(f.arg);
                text += ",\"device\":";
                jsontext::appendString(text, f.device);
                text += ",\"entry\":";
                text += std::to_string(f.entry);
                text += ",\"entry_key\":";
                if (key.empty()) text += "null";
                else jsontext::appendString(text, key);
                text += f.hostBound ? ",\"host_bound\":true,\"message\":" : ",\"host_bound\":false,\"message\":";
                jsontext::appendString(text, f.message);
                text += ",\"namespace\":";
                jsontext::appendString(text, f.ns);
                text += ",\"op\":";
                jsontext::appendString(text, f.op);
                text += ",\"path\":";
                jsontext::appendString(text, f.path);
                text += ",\"rule\":";
                jsontext::appendString(text, f.ruleId);
                text += ",\"severity\":";
                jsontext::appendString(text, severityName(f.severity));
                text += '}';
            }
        });
        for (const auto& text : texts) out << text;
    }
    out << "\n]}\n";
}

} // namespace aotiscope
