// Built when libtorch is absent: dispatch key sets stay raw numbers.
#include "core/DispatchKeys.h"

namespace aotiscope {

std::shared_ptr<const DispatchKeyDecoder> linkedDispatchKeyDecoder() { return nullptr; }

} // namespace aotiscope
