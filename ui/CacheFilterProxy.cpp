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
    auto idx = sourceModel()->index(sourceRow, 0, sourceParent);
    auto kind = idx.data(CacheTreeModel::NodeKindRole).toInt();
    bool leaf = kind == CacheTreeModel::EntryNode ||
                (kind == CacheTreeModel::OpNode && sourceModel()->rowCount(idx) == 0);
    if (!leaf) {
        return false; // shown when a descendant matches (recursive filtering)
    }
    FilterSubject s;
    s.ns = idx.data(CacheTreeModel::NamespaceRole).toString();
    s.device = idx.data(CacheTreeModel::DeviceRole).toString();
    s.op = idx.data(CacheTreeModel::OpRole).toString();
    int status = idx.data(CacheTreeModel::StatusRole).toInt();
    s.status = status < 0 ? QStringLiteral("ok") : QString::fromLatin1(severityName(Severity(status)));
    s.searchText = idx.data(CacheTreeModel::SearchTextRole).toString();
    s.dtypes = idx.data(CacheTreeModel::DtypesRole).toStringList();
    s.rules = idx.data(CacheTreeModel::RulesRole).toStringList();
    s.kinds = idx.data(CacheTreeModel::ArgKindsRole).toStringList();
    return matches(query_, s);
}

} // namespace aotiscope::ui
