#include "core/check/Rules.h"

#include <array>
#include <stdexcept>
#include <string>

namespace aotiscope {

namespace {

constexpr std::array kRules{
    Rule{rules::MissingLibrary, "missing-library", Severity::Error,
         "load_aoti_eager_cache returns nothing for the whole op when any entry's kernel file is missing: "
         "no entry of the op is used and every process compiles it again."},
    Rule{rules::OrphanLibrary, "orphan-library", Severity::Warning,
         "PyTorch never deletes kernel libraries (lib/ only grows); a library no entry points at is dead weight."},
    Rule{rules::DynamicEntry, "dynamic-entry", Severity::Error,
         "load_aoti_eager_cache raises on any truthy is_dynamic and drops the whole op (only static shapes)."},
    Rule{rules::MalformedJson, "malformed-json", Severity::Error,
         "load_aoti_eager_cache drops an op whose JSON does not parse; the next compile silently replaces the "
         "file with a list holding only the new entry."},
    Rule{rules::BadStructure, "bad-structure", Severity::Error,
         "Unexpected structure (not a list of {meta_info, kernel_path} objects, wrong types, unknown argument "
         "kinds) raises in load_aoti_eager_cache or the C++ kernel holder, and the op is dropped."},
    Rule{rules::ShadowedEntry, "shadowed-entry", Severity::Warning,
         "Calls are matched against entries in file order and the first match wins: an entry with the same "
         "guard fields as an earlier one is never used."},
    Rule{rules::KernelPathEscapes, "kernel-path-escapes-root", Severity::Error,
         "PyTorch joins kernel_path to the device folder and dlopens the result, so an absolute path, \"..\" or "
         "a symlink runs code from outside the cache; AOTIScope refuses to load it."},
    Rule{rules::CpuDeviceIndex, "cpu-device-index", Severity::Warning,
         "load_aoti_eager_cache forces device_index to -1 for cpu arguments; another value was not written by "
         "PyTorch and is ignored."},
    Rule{rules::BadDtypeOrLayout, "bad-dtype-or-layout", Severity::Error,
         "dtype, layout and memory format strings resolve through getattr(torch, last dotted part); a name "
         "torch does not know raises and the whole op is dropped."},
    Rule{rules::CpuIsaMissing, "cpu-isa-missing", Severity::Error,
         "CPU kernels are compiled with -march=native for the ISA in their metadata; on a CPU without it the "
         "library dies with SIGILL when it runs."},
    Rule{rules::ComputeCapability, "compute-capability", Severity::Error,
         "CUDA kernels carry cubins for the compute capability they were built on; another GPU cannot run them."},
    Rule{rules::ForeignTorch, "foreign-torch-build", Severity::Warning,
         "The recorded compile command names another torch install than the active one: the library links "
         "against that torch's ABI and headers, and may fail to load or misbehave."},
    Rule{rules::UnresolvedDependency, "unresolved-elf-dependency", Severity::Error,
         "All libraries of an op are dlopened when the op is registered: a DT_NEEDED library the loader "
         "cannot find breaks the registration of the op."},
    Rule{rules::MissingRunnerSymbols, "missing-runner-symbols", Severity::Error,
         "The AOTI model container runner looks up AOTInductorModelContainer* symbols after dlopen; a library "
         "without them cannot be run."},
    Rule{rules::NotLoadable, "not-loadable", Severity::Error,
         "dlopen fails on a file that is not a shared object for this machine, which breaks the op's registration."},
    Rule{rules::DispatchKeyMismatch, "dispatch-key-mismatch", Severity::Info,
         "Raw dispatch key sets change between torch releases and modes (AOTIScope names them in the numbering of "
         "the release that wrote them). The kernel holder does not compare them for entries loaded from disk (its "
         "TensorCheck compares the cached set with itself), so such an entry still matches; the kernel torch 2.13 "
         "keeps in memory after a miss does compare them, so calls in two modes do not share it (2.11 keeps none)."},
    Rule{rules::UnknownField, "unknown-field", Severity::Warning,
         "A key this torch's writer never produces: PyTorch ignores it when matching, so it was written by "
         "another version or tool. AOTIScope keeps and shows it."},
    Rule{rules::UnreadableFile, "unreadable-file", Severity::Error,
         "load_aoti_eager_cache cannot open the op's JSON and drops the op."},
    Rule{rules::SymlinkOutOfRoot, "symlink-out-of-root", Severity::Error,
         "A file under lib/ is a symlink leading outside the cache root: whatever loads or deletes through it "
         "acts outside the cache."},
    Rule{rules::KernelThreadsFixed, "kernel-threads-fixed", Severity::Warning,
         "Inductor writes its thread count into a CPU kernel's parallel loops (num_threads(N)) unless it equals "
         "the compiling machine's core count (torch 2.11: always); the kernel then runs N threads whatever "
         "torch.set_num_threads says, oversubscribing a machine with fewer cores or leaving cores idle."},
    Rule{rules::SymbolVersionMissing, "symbol-version-missing", Severity::Error,
         "The dynamic loader checks every symbol version a library needs (.gnu.version_r: GLIBC_2.38, "
         "GLIBCXX_3.4.32, CXXABI_, GCC_) against the library it finds for that soname; one missing makes dlopen "
         "fail (\"version `GLIBC_2.38' not found\"), and with it the op's registration. Kernels built on a "
         "newer host need newer versions."},
    Rule{rules::HostFactUnknown, "host-fact-unknown", Severity::Warning,
         "A fact about this machine that a check needs could not be read (the CPU's flags, the C library, the "
         "active torch): the checks that need it are off, and the libraries they would judge are not known good."},
    Rule{rules::RegistrationFails, "registration-fails", Severity::Error,
         "After the loader, Library._impl_with_aoti_compile converts every entry in C++ (AOTIPythonKernelHolder): "
         "pybind11 casts of each field, THPDtype checks, a branch per argument kind, and dlopen of every library. "
         "One entry it cannot convert raises out of the registration: the op is not registered for AOTI at all."},
    Rule{rules::NeverReadOpFile, "never-read-op-file", Severity::Warning,
         "PyTorch names an op file by the overload-qualified name without \".default\" (abs.json, add.Tensor.json): "
         "a file such as abs.default.json is never read, and its entries never used."},
    Rule{rules::UnusualValue, "unusual-value", Severity::Info,
         "A field holds a JSON type PyTorch's writer never writes (0 for false, a string device_index on cpu), "
         "which the loader and the kernel holder accept (the loader overwrites a cpu device_index; pybind11's "
         "casts take numbers for bools): the entry works, but another tool or torch wrote it."},
    Rule{rules::KernelBinaryMissing, "kernel-binary-missing", Severity::Error,
         "A CUDA kernel library loads its GPU kernels (.cubin) by the absolute path they were compiled at. "
         "Registration and dlopen succeed without them; the first call then fails with \"run_func_(...) API call "
         "failed\". A cache moved to another folder or machine has this for every CUDA entry; a binary outside "
         "the cache root works only while that folder stays."},
};

} // namespace

const char* severityName(Severity s) {
    switch (s) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
    }
    return "info";
}

std::span<const Rule> allRules() { return kRules; }

const Rule& ruleById(std::string_view id) {
    for (const auto& r : kRules) {
        if (r.id == id) {
            return r;
        }
    }
    throw std::out_of_range("no rule " + std::string(id));
}

} // namespace aotiscope
