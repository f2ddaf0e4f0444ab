#include "core/check/Finding.h"

namespace aotiscope {

FindingList::FindingList(std::vector<Finding> findings) {
    auto block = std::make_shared<const Block>(std::move(findings));
    order_.reserve(block->size());
    for (const auto& f : *block) order_.push_back(&f);
    blocks_.push_back(std::move(block));
}

std::size_t FindingList::heldIn(const std::vector<std::shared_ptr<const Block>>& blocks) {
    std::size_t n = 0;
    for (const auto& b : blocks) n += b->size();
    return n;
}

} // namespace aotiscope
