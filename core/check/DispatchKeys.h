// Dispatch key sets recorded in entries are raw c10::DispatchKeySet bits, and which bit means which key changes
// between torch releases (torch 2.11's AutogradCPU bit is 2.13's AutogradNestedTensor). Each release's layout
// is data (resources/dispatch-keys/torch-<release>.json, made by scripts/make_dispatch_key_table.py under that
// torch and built into the program), so a set is named with the layout of the torch that wrote it where that is
// known, and no libtorch is linked for it.
#pragma once

#include "core/read/CacheModel.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aotiscope {

// One torch release's layout: the backend bits, then the functionality bits above them.
class DispatchKeyTable {
public:
    // Throws std::runtime_error naming what is wrong with the table.
    static DispatchKeyTable fromJson(const std::string& text, const std::string& origin);

    const std::string& release() const { return release_; } // "2.13"
    const std::string& torchVersion() const { return torch_; } // "2.13.0+cpu", the torch that made the table
    // Names in c10's order (functionality bits upwards, backends upwards within each): what torch prints.
    std::vector<std::string> keyNames(std::uint64_t raw) const;
    // "DispatchKeySet(CPU, ADInplaceOrView, AutogradCPU, AutocastCPU)", as c10::toString prints it.
    std::string describe(std::uint64_t raw) const;
    // The set of a fresh tensor of this device type, layout and dtype (as c10::TensorImpl's constructor builds
    // it: the backend key, autograd keys and ADInplaceOrView, the device's autocast key); `inference`: made under
    // inference mode, without the autograd keys. nullopt when the device type has no backend bit here.
    std::optional<std::uint64_t> freshTensorSet(const std::string& deviceType, const std::string& layout,
                                                const std::string& dtype, bool inference = false) const;
    // The raw set of these key names in this release; nullopt when a name has no bit here.
    std::optional<std::uint64_t> encode(const std::vector<std::string>& names) const;

    struct Check {
        std::string tensor;
        std::uint64_t raw = 0;
        std::string printed;
    };
    // What torch printed for real tensors' sets when the table was made (the decoder must reproduce them).
    const std::vector<Check>& checks() const { return checks_; }

private:
    struct Functionality {
        int bit = 0;
        std::string name;
        std::vector<std::string> perBackend; // empty: one key; else its name for each backend bit
    };
    const Functionality* functionalityNamed(const std::string& name) const;
    int backendBit(const std::string& name) const;

    std::string release_, torch_;
    int numBackends_ = 0;
    std::vector<std::string> backends_;
    std::vector<Functionality> functionality_;
    std::vector<Check> checks_;
};

// The tables built into this program, newest release first.
const std::vector<std::shared_ptr<const DispatchKeyTable>>& builtInDispatchKeyTables();
// The table of a torch version ("2.11.0+cu130" -> release 2.11), or null.
const DispatchKeyTable* dispatchKeyTableFor(const std::string& torchVersion);

// Which layout reads an entry's raw set, and why that one.
struct KeySetReading {
    enum class Basis : std::uint8_t {
        Writer,   // the torch that compiled the entry's library is known here (its install named by the library)
        Inferred, // the writer is unknown; the set is a fresh tensor's of its device in this release only
        Active,   // the writer is unknown; named as the torch in use numbers keys
        None,     // no table for the torch in use: the raw number only
    };
    const DispatchKeyTable* table = nullptr;
    Basis basis = Basis::None;
    std::string writerWithoutTable; // the writer's version where it is known but no table is built in
    // "torch 2.11 numbering (the writer's)", "torch 2.13 numbering (the torch in use)"
    std::string label() const;
    const char* basisName() const; // "writer", "inferred", "active", "none" (JSON)

private:
    std::string basisText() const;
};

class KeySetNaming {
public:
    // activeTorchVersion: the torch the verdicts are for ("" when none was found).
    explicit KeySetNaming(const std::string& activeTorchVersion);
    const DispatchKeyTable* active() const { return active_; }
    // writerTorchVersion: the version of the torch install the entry's library names ("" when unknown).
    KeySetReading read(const TensorMeta& t, const std::string& writerTorchVersion) const;

private:
    KeySetReading inferred(const TensorMeta& t) const;
    const DispatchKeyTable* active_ = nullptr;
};

// The version of the torch that compiled the entry's library, where its install is on this machine; else "".
const std::string& writerTorchVersion(const DeviceDir& dev, const Entry& e);

} // namespace aotiscope
