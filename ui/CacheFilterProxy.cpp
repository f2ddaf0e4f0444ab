#include "ui/CacheFilterProxy.h"

#include "core/check/Rules.h"
#include "ui/CacheTreeModel.h"

#include <functional>

namespace aotiscope::ui {

CacheFilterProxy::CacheFilterProxy(QObject* parent) : QSortFilterProxyModel(parent) {
    setRecursiveFilteringEnabled(true);
    setSortRole(CacheTreeModel::SortRole);
    setDynamicSortFilter(true);
}

void CacheFilterProxy::setSourceModel(QAbstractItemModel* model) {
    disconnect(forgetOnReset_);
    QSortFilterProxyModel::setSourceModel(model);
    if (model) {
        forgetOnReset_ = connect(model, &QAbstractItemModel::modelAboutToBeReset, this, [this] {
            seen_.clear();
            accepted_ = 0;
        });
    }
}

void CacheFilterProxy::setFilterText(const QString& text) {
    auto q = FilterQuery::parse(text);
    emit filterErrors(q.errors);
    query_ = std::move(q);
    seen_.clear();
    accepted_ = 0;
    invalidateRowsFilter();
}

QVariant CacheFilterProxy::data(const QModelIndex& index, int role) const {
    if (role != Qt::DisplayRole || query_.isEmpty() || index.column() != CacheTreeModel::EntriesColumn) {
        return QSortFilterProxyModel::data(index, role);
    }
    auto kind = TreeNodeKind(index.data(CacheTreeModel::NodeKindRole).toInt());
    if (kind == TreeNodeKind::Entry) return QSortFilterProxyModel::data(index, role);
    // Entries shown under this row: an op's children, summed over the ops of a device or namespace.
    std::function<qulonglong(const QModelIndex&)> shown = [&](const QModelIndex& row) -> qulonglong {
        auto k = TreeNodeKind(row.data(CacheTreeModel::NodeKindRole).toInt());
        if (k == TreeNodeKind::Op) return qulonglong(rowCount(row));
        qulonglong sum = 0;
        for (int r = 0; r < rowCount(row); ++r) sum += shown(index.model()->index(r, 0, row));
        return sum;
    };
    auto total = QSortFilterProxyModel::data(index, role).toString();
    return tr("%1 of %2").arg(shown(index.siblingAtColumn(0))).arg(total);
}

bool CacheFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    if (query_.isEmpty()) {
        return true;
    }
    auto* model = static_cast<const CacheTreeModel*>(sourceModel());
    auto idx = model->index(sourceRow, 0, sourceParent);
    const TreeNode& n = model->node(idx);
    bool leaf = n.kind == TreeNodeKind::Entry || (n.kind == TreeNodeKind::Op && n.children.empty());
    if (!leaf) {
        return false; // shown when a descendant matches (recursive filtering)
    }
    // Everything comes precomputed from the tree index; only free text needs the row's formatted text.
    const TreeNode& op = n.kind == TreeNodeKind::Op ? n : model->nodeAt(n.parent);
    const TreeNode& dev = model->nodeAt(op.parent);
    FilterSubject s;
    s.op = op.name;
    s.device = dev.name;
    s.ns = model->nodeAt(dev.parent).name;
    s.status = n.notRunnableHere() ? QStringLiteral("unrunnable")
               : n.status < 0     ? QStringLiteral("ok")
                                  : QString::fromLatin1(severityName(Severity(n.status)));
    s.dtypes = n.dtypes;
    s.rules = n.rules;
    s.kinds = n.kinds;
    if (query_.needsText) {
        s.searchText = idx.data(CacheTreeModel::SearchTextRole).toString();
    }
    bool accepted = matches(query_, s);
    if (accepted) {
        auto id = std::size_t(idx.internalId());
        if (seen_.size() <= id) seen_.resize(std::max<std::size_t>(id + 1, model->rowCount() ? std::size_t(1) << 10 : 1), 0);
        if (!seen_[id]) {
            seen_[id] = 1;
            ++accepted_;
        }
    }
    return accepted;
}

} // namespace aotiscope::ui
