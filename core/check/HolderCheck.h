// What PyTorch's C++ kernel holder does with an entry after the Python loader returned it
// (AOTIPythonKernelHolder::init_aoti_kernel_cache, torch/csrc/inductor/aoti_eager/kernel_holder.cpp, checked
// against torch 2.13's registration on CPU): pybind11 casts of every field and THPDtype/THPLayout checks. The
// first that fails raises out of `Library._impl_with_aoti_compile`, and the op is not registered at all.
// Loader-level drops (a missing library, a truthy is_dynamic, an unknown dtype name) are not this check's:
// the loader returns nothing then, and registration succeeds with no entries.
#pragma once

#include <simdjson.h>

#include <string>

namespace aotiscope {

// The first cast or check the holder fails on for this entry (a JSON object of the op file), in words naming
// the argument and field; empty when the holder converts it. kernel_path is checked for being a non-empty
// string only: whether it names a folder is the linter's (it resolves paths).
std::string holderRefusal(simdjson::dom::element entry);

} // namespace aotiscope
