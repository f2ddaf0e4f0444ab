#include "ui/TreeExpansion.h"

#include <QTreeView>

namespace aotiscope::ui {

TreeExpansion TreeExpansion::capture(const QTreeView& view, const KeyOf& keyOf) {
    TreeExpansion state;
    const auto* model = view.model();
    if (!model) return state;
    std::function<void(const QModelIndex&)> walk = [&](const QModelIndex& parent) {
        for (int r = 0; r < model->rowCount(parent); ++r) {
            auto index = model->index(r, 0, parent);
            if (!view.isExpanded(index)) continue;
            state.expanded_.insert(keyOf(index));
            walk(index);
        }
    };
    walk({});
    return state;
}

int TreeExpansion::restore(QTreeView& view, const KeyOf& keyOf) const {
    const auto* model = view.model();
    if (!model || expanded_.isEmpty()) return 0;
    int count = 0;
    std::function<void(const QModelIndex&)> walk = [&](const QModelIndex& parent) {
        for (int r = 0; r < model->rowCount(parent); ++r) {
            auto index = model->index(r, 0, parent);
            if (!expanded_.contains(keyOf(index))) continue;
            view.expand(index);
            ++count;
            walk(index);
        }
    };
    walk({});
    return count;
}

} // namespace aotiscope::ui
