// Rebuilds an entry's call from its meta_info, as AOTI eager would have made it: the values PyTorch recorded
// (in arg_order, defaults omitted) placed on the operator's schema, the boxed stack for the eager op, and the
// tensors the kernel library takes (kernel_holder.cpp's unpack_tensors: every tensor of the stack, tensor lists
// flattened, optional tensors when present; scalars, strings, dtypes are baked into the library).
#pragma once

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/ivalue.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace aotiscope::bench {

struct PreparedCall {
    c10::OperatorHandle op;
    std::vector<c10::IValue> stack;        // every schema argument, defaults filled in
    std::vector<at::Tensor> kernelInputs;  // what the AOTI runner's run() takes
    std::string signature;                 // the schema, for messages
};

// Throws std::invalid_argument with the argument and what was expected.
PreparedCall prepareCall(const std::string& ns, const std::string& opName, const nlohmann::json& metaInfo, std::uint64_t seed);

// The tensors of an op's result (a tensor, a tuple or a list of tensors), in order.
std::vector<at::Tensor> flattenTensors(const std::vector<c10::IValue>& values);

c10::ScalarType parseDtype(const std::string& text); // "torch.float32" -> Float; throws on unknown names

} // namespace aotiscope::bench
