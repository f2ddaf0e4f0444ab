// One health finding, and a lint's list of them.
#pragma once

#include "core/base/PointeeIterator.h"
#include "core/base/SharedText.h"
#include "core/check/Rules.h"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace aotiscope {

struct Finding {
    std::string ruleId;
    Severity severity = Severity::Info;
    // Shared, not owned: the findings of one op share its name and path.
    SharedText message;
    std::string ns, device;     // short: held in place
    SharedText op;              // empty when not about one op
    int entry = -1;             // entry index in the op file
    int arg = -1;
    SharedText path;            // the file the finding is about
    // About this host, not the entry: the entry may be sound and run elsewhere (an ISA, a GPU, a glibc or a
    // CUDA runtime this machine lacks). An entry whose worst findings are all host-bound is "not runnable
    // here", a status of its own, not "broken".
    bool hostBound = false;
};

// A lint's findings in their order, read as a list of findings. Each finding is held once, in immutable blocks that
// the lints of successive refreshes share: a refresh takes over most findings of the lint before by pointer (copying
// 300,000 findings was most of a refresh's lint), and copying a list copies pointers.
class FindingList {
public:
    using Block = std::vector<Finding>;
    using iterator = PointeeIterator<std::vector<const Finding*>::const_iterator, Finding>;
    using const_iterator = iterator;
    using value_type = Finding;

    FindingList() = default;
    // The findings in this order, in one block of their own.
    FindingList(std::vector<Finding> findings); // NOLINT(google-explicit-constructor): stands where a vector stood
    // `order` points into `blocks`, which it keeps alive.
    FindingList(std::vector<const Finding*> order, std::vector<std::shared_ptr<const Block>> blocks)
        : order_(std::move(order)), blocks_(std::move(blocks)) {}

    iterator begin() const { return iterator(order_.begin()); }
    iterator end() const { return iterator(order_.end()); }
    std::size_t size() const { return order_.size(); }
    bool empty() const { return order_.empty(); }
    const Finding& operator[](std::size_t i) const { return *order_[i]; }
    const Finding& front() const { return *order_.front(); }
    const Finding& back() const { return *order_.back(); }

    const std::vector<std::shared_ptr<const Block>>& blocks() const { return blocks_; }
    // Findings the blocks hold, listed or not (those of what a refresh judged again stay in the blocks before).
    std::size_t held() const { return heldIn(blocks_); }
    static std::size_t heldIn(const std::vector<std::shared_ptr<const Block>>& blocks);

private:
    std::vector<const Finding*> order_;
    std::vector<std::shared_ptr<const Block>> blocks_;
};

} // namespace aotiscope
