#include "OutputCheck.h"

#include <ATen/ATen.h>

#include <sstream>

namespace aotiscope::bench {

Tolerance toleranceFor(c10::ScalarType dtype) {
    switch (dtype) {
    case at::kHalf: return {1e-3, 1e-5};
    case at::kBFloat16: return {1.6e-2, 1e-5};
    case at::kFloat:
    case at::kComplexFloat: return {1e-4, 1e-5};
    case at::kDouble:
    case at::kComplexDouble: return {1e-7, 1e-7};
    default: return {0, 0};
    }
}

nlohmann::json CheckResult::toJson() const {
    return {{"ok", ok}, {"message", message}, {"max_abs_error", maxAbsError}};
}

CheckResult compareOutputs(const std::vector<at::Tensor>& kernel, const std::vector<at::Tensor>& eager) {
    CheckResult r;
    auto fail = [&](const std::string& why) {
        r.ok = false;
        r.message = why;
        return r;
    };
    if (kernel.size() != eager.size()) {
        return fail("the kernel returned " + std::to_string(kernel.size()) + " tensor(s), eager " + std::to_string(eager.size()));
    }
    for (std::size_t i = 0; i < kernel.size(); ++i) {
        const auto& k = kernel[i];
        const auto& e = eager[i];
        std::ostringstream where;
        where << "output " << i << ": ";
        if (k.sizes() != e.sizes()) {
            std::ostringstream s;
            s << where.str() << "shape " << k.sizes() << ", eager " << e.sizes();
            return fail(s.str());
        }
        if (k.scalar_type() != e.scalar_type()) {
            return fail(where.str() + "dtype " + std::string(c10::toString(k.scalar_type())) + ", eager " +
                        c10::toString(e.scalar_type()));
        }
        if (k.numel() == 0) continue;
        auto tol = toleranceFor(e.scalar_type());
        auto kd = k.detach().to(at::kCPU);
        auto ed = e.detach().to(at::kCPU);
        if (kd.is_complex()) {
            kd = at::view_as_real(kd.resolve_conj());
            ed = at::view_as_real(ed.resolve_conj());
        }
        kd = kd.to(at::kDouble);
        ed = ed.to(at::kDouble);
        auto bothNan = at::isnan(kd).logical_and(at::isnan(ed));
        auto diff = (kd - ed).abs().masked_fill(bothNan, 0.0);
        auto sameInf = kd.eq(ed); // equal infinities give inf - inf = nan
        diff = diff.masked_fill(sameInf, 0.0);
        auto bad = diff.gt(ed.abs() * tol.rtol + tol.atol).logical_or(at::isnan(diff));
        double maxErr = diff.masked_fill(at::isnan(diff), 0.0).max().item<double>();
        r.maxAbsError = std::max(r.maxAbsError, maxErr);
        if (bad.any().item<bool>()) {
            auto count = bad.sum().item<std::int64_t>();
            auto first = bad.flatten().nonzero()[0].item<std::int64_t>();
            std::ostringstream s;
            s << where.str() << count << " of " << kd.numel() << " values differ beyond rtol " << tol.rtol << ", atol "
              << tol.atol << " (first at flat index " << first << ": kernel " << kd.flatten()[first].item<double>()
              << ", eager " << ed.flatten()[first].item<double>() << "; max abs error " << maxErr << ")";
            return fail(s.str());
        }
    }
    return r;
}

} // namespace aotiscope::bench
