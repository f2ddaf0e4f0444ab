// Sorting and filtering of CacheTreeModel. Terms are judged on entries (and on ops without entries, such as
// an unparsable op file); recursive filtering keeps the ancestors of what matches.
#pragma once

#include "ui/FilterQuery.h"

#include <QSortFilterProxyModel>

namespace aotiscope::ui {

class CacheFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit CacheFilterProxy(QObject* parent = nullptr);
    void setFilterText(const QString& text);
    const FilterQuery& query() const { return query_; }

signals:
    void filterErrors(const QStringList& errors);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    FilterQuery query_;
};

} // namespace aotiscope::ui
