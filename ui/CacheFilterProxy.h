// Sorting and filtering of CacheTreeModel. Terms are judged on entries (and on ops without entries, such as
// an unparsable op file); recursive filtering keeps the ancestors of what matches.
#pragma once

#include "ui/FilterQuery.h"

#include <QSortFilterProxyModel>

#include <vector>

namespace aotiscope::ui {

class CacheFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit CacheFilterProxy(QObject* parent = nullptr);
    void setFilterText(const QString& text);
    // Its judgements are by row of the model: a reset of the model (a rescan) forgets them, and the rows are judged
    // afresh as the view asks for them (once: judging them again after the reset doubled a refresh's filtering).
    void setSourceModel(QAbstractItemModel* model) override;
    const FilterQuery& query() const { return query_; }
    // Entries (and entry-less ops) the filter let through so far; complete once every row was mapped (the window
    // expands the whole tree while filtering). Counted once each, however often Qt asks about a row.
    std::size_t acceptedLeaves() const { return accepted_; }
    // While filtering, an op's (device's, namespace's) entry count says how many of its entries are shown.
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

signals:
    void filterErrors(const QStringList& errors);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    FilterQuery query_;
    mutable std::vector<char> seen_; // by tree node: judged and accepted
    mutable std::size_t accepted_ = 0;
    QMetaObject::Connection forgetOnReset_;
};

} // namespace aotiscope::ui
