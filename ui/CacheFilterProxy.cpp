#include "ui/CacheFilterProxy.h"

#include "core/Rules.h"
#include "ui/CacheTreeModel.h"

namespace aotiscope::ui {

CacheFilterProxy::CacheFilterProxy(QObject* parent) : QSortFilterProxyModel(parent) {
    setRecursiveFilteringEnabled(true);
    setSortRole(CacheTreeModel::SortRole);
    setDynamicSortFilter(true);
}

void CacheFilterProxy::setFilterText(const QString& text) {
    auto q = FilterQuery::parse(text);
    emit filterErrors(q.errors);
    query_ = std::move(q);
    invalidateRowsFilter();
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
    return matches(query_, s);
}

} // namespace aotiscope::ui
