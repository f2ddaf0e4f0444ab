// The fields PyTorch's kernel holder compares when it matches a call against an entry loaded from disk, in its
// order (torch/csrc/inductor/aoti_eager/kernel_meta_info.cpp): argument count, kind, arg_order; per tensor
// dtype, device INDEX, requires_grad, sizes, strides — not the dispatch key set (the check's local state is
// overridden with the cached set on both sides) and not the device type; per scalar the value as double when its
// dtype is floating, as int64 when integral or bool, kinds never mixed; strings and devices by equality, dtypes
// and layouts as their enum integers. (Entries compiled during a process and kept in memory by newer torch
// compare the full device and key set too: the linter says which case a verdict is about.)
#pragma once

#include "core/read/CacheModel.h"

#include <string>

namespace aotiscope {

// A canonical text of an entry's guard fields: two entries with equal keys match the same calls.
std::string entryGuardKey(const Entry& entry);
std::string tensorGuardKey(const TensorMeta& t);
// A 64-bit hash of the same fields, for finding candidates fast; equal keys always have equal hashes.
std::uint64_t entryGuardHash(const Entry& entry);
// Whether the holder compares this scalar argument as a double (its dtype is floating) or as an int64.
bool scalarComparesAsFloat(const Arg& scalar);

} // namespace aotiscope
