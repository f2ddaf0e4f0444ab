// The fields PyTorch's kernel holder compares when it matches a call against an entry, in its order:
// argument count, kind, arg_order; per tensor dispatch key set, dtype, device index, requires_grad, sizes,
// strides; per scalar the value as double (floating) or int64 (integral, bool included), kinds never mixed;
// strings, devices, dtypes and layouts by equality.
#pragma once

#include "core/CacheModel.h"

#include <string>

namespace aotiscope {

// A canonical text of an entry's guard fields: two entries with equal keys match the same calls.
std::string entryGuardKey(const Entry& entry);
std::string tensorGuardKey(const TensorMeta& t);
// A 64-bit hash of the same fields, for finding candidates fast; equal keys always have equal hashes.
std::uint64_t entryGuardHash(const Entry& entry);

} // namespace aotiscope
