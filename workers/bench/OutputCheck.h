// Correctness before speed: the kernel's outputs against the eager op's, with dtype-aware tolerances.
#pragma once

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace aotiscope::bench {

struct Tolerance {
    double rtol = 0, atol = 0;
};

// torch.testing.assert_close's defaults, float32 loosened to 1e-4 relative as inductor's accuracy checks do
// (a generated kernel may reorder a reduction); integers and booleans exactly.
Tolerance toleranceFor(c10::ScalarType dtype);

struct CheckResult {
    bool ok = true;
    std::string message;      // what differs: count, shape, dtype, values (first mismatch)
    double maxAbsError = 0.0;
    nlohmann::json toJson() const;
};

CheckResult compareOutputs(const std::vector<at::Tensor>& kernel, const std::vector<at::Tensor>& eager);

} // namespace aotiscope::bench
