// A program's AOTI-eager activity as `aotiscope-cli record` wrote it (workers/record/aotiscope_record.py, schema
// aotiscope.record/1), read back per process: registrations with the entries PyTorch's loader handed the kernel
// holder, misses with the call's meta_info and the library compiled, and (recorded with --calls) every call.
#pragma once

#include "core/read/CacheModel.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace aotiscope {

struct RecordedRegistration {
    std::string ns, op, device, dispatchKey;
    std::string requested;  // the op name the program passed
    std::string torch;
    bool inherited = false; // the parent's holder, copied by fork()
    std::string error;      // PyTorch's exception: the op runs without AOTI eager in this process
    // The op file when the loader read it: the loader drops an op silently, these facts say why.
    std::string opFile;
    bool opFileExists = false;
    std::optional<long> entriesOnDisk;
    std::vector<std::string> missingLibraries; // kernel_path values whose file was not there
    std::string opFileError;
    std::vector<std::string> loaderLog; // what PyTorch's loader logged
    OpFile loaded;                      // the entries the loader returned, in the holder's order
    OpFile onDisk;                      // the op file's entries as written (their identities), same order
    nlohmann::ordered_json diskEntries; // the same, as JSON: what PyTorch's writer compares a new entry with
    std::vector<Entry> inMemory;        // inherited: kernels the parent compiled on misses
    double seconds = 0.0;
    int line = 0;
};

struct RecordedMiss {
    std::string ns, op, device;
    nlohmann::json metaInfo; // the call as PyTorch's writer records it (null: an input kind it cannot record)
    Entry call;
    double seconds = 0.0;    // the compile
    std::string library;     // absolute; empty when the compile failed
    std::string kernelPath;  // relative to the device folder, as the entry's kernel_path
    std::string error;
    std::vector<std::string> log;
    double time = 0.0;
    int line = 0;
};

struct RecordedCall {
    std::string ns, op, device;
    Entry call;
    bool compiled = false; // PyTorch compiled during the call: a miss
    bool eager = false;    // the op's registration had failed: PyTorch's own kernel ran
    double seconds = 0.0;
    std::string error;
    int line = 0;
};

struct RecordedProcess {
    long pid = 0, ppid = 0;
    bool forked = false;
    bool callsRecorded = false;
    std::vector<std::string> argv;
    std::string torch;
    double started = 0.0; // seconds since the epoch, from the process record
    std::vector<RecordedRegistration> registrations;
    std::vector<RecordedMiss> misses;
    std::vector<RecordedCall> calls;
    std::optional<double> recorderSeconds; // from the exit record (absent: the process ended without one)
};

struct Recording {
    std::string path;
    std::string error;                 // the file could not be read at all
    std::vector<std::string> problems; // lines that were skipped, each with its number and why
    std::vector<RecordedProcess> processes; // in the order they started
};

Recording readRecording(const std::string& path);

} // namespace aotiscope
