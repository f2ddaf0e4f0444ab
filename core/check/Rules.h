// The health rules: stable IDs (never renumbered), a severity, and the PyTorch behaviour each one mirrors.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace aotiscope {

enum class Severity : std::uint8_t { Info, Warning, Error };
const char* severityName(Severity s);

struct Rule {
    std::string_view id;
    std::string_view name;
    Severity severity;
    std::string_view pytorchBehaviour; // one line: what PyTorch does that makes this matter
};

namespace rules {
inline constexpr std::string_view MissingLibrary = "AOTI001";
inline constexpr std::string_view OrphanLibrary = "AOTI002";
inline constexpr std::string_view DynamicEntry = "AOTI003";
inline constexpr std::string_view MalformedJson = "AOTI004";
inline constexpr std::string_view BadStructure = "AOTI005";
inline constexpr std::string_view ShadowedEntry = "AOTI006";
inline constexpr std::string_view KernelPathEscapes = "AOTI007";
inline constexpr std::string_view CpuDeviceIndex = "AOTI008";
inline constexpr std::string_view BadDtypeOrLayout = "AOTI009";
inline constexpr std::string_view CpuIsaMissing = "AOTI010";
inline constexpr std::string_view ComputeCapability = "AOTI011";
inline constexpr std::string_view ForeignTorch = "AOTI012";
inline constexpr std::string_view UnresolvedDependency = "AOTI013";
inline constexpr std::string_view MissingRunnerSymbols = "AOTI014";
inline constexpr std::string_view NotLoadable = "AOTI015";
inline constexpr std::string_view DispatchKeyMismatch = "AOTI016";
inline constexpr std::string_view UnknownField = "AOTI017";
inline constexpr std::string_view UnreadableFile = "AOTI018";
inline constexpr std::string_view SymlinkOutOfRoot = "AOTI019";
inline constexpr std::string_view KernelThreadsFixed = "AOTI020";
inline constexpr std::string_view SymbolVersionMissing = "AOTI021";
inline constexpr std::string_view HostFactUnknown = "AOTI022";
inline constexpr std::string_view RegistrationFails = "AOTI023";
inline constexpr std::string_view NeverReadOpFile = "AOTI024";
inline constexpr std::string_view UnusualValue = "AOTI025";
inline constexpr std::string_view KernelBinaryMissing = "AOTI026";
} // namespace rules

std::span<const Rule> allRules();
const Rule& ruleById(std::string_view id);

} // namespace aotiscope
