// The health panel's tree: rules, then the places (op, device, host) their findings are about, then the
// findings. Rows are made on demand from a FindingGroups computed off the GUI thread, so 300,000 findings cost
// the view a few hundred top rows until one is expanded.
#pragma once

#include "ui/FindingGroups.h"

#include <memory>
#include "ui/ScanResult.h"

#include <QAbstractItemModel>

namespace aotiscope::ui {

class FindingsModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { SeverityColumn, RuleColumn, WhereColumn, MessageColumn, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, FindingIndexRole, RuleIdRole, PlaceRole };

    explicit FindingsModel(QObject* parent = nullptr);
    // The scan and its grouping (the scan's own for an empty search, shared with it, else groupFindings' answer).
    void setResult(ScanResultPtr result, std::shared_ptr<const FindingGroups> groups);
    // A finding's message as the panel shows it: paths relative to the finding's device folder or the cache root.
    QString shortMessage(const Finding& f) const;
    const FindingGroups& groups() const { return *groups_; }
    // The finding of a finding row; null for a rule's or a place's row.
    const Finding* findingAt(const QModelIndex& index) const;
    // The first finding under any row: a place's row goes where its first finding goes.
    const Finding* firstFindingUnder(const QModelIndex& index) const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    enum class Level : quint64 { Rule = 0, Place = 1, Finding = 2 };
    struct Node {
        Level level;
        std::size_t rule, place, row;
    };
    Node nodeOf(const QModelIndex& index) const;

    ScanResultPtr result_;
    // Shared, not copied: a refresh's 20,000 places and 300,000 indices copied on the GUI thread cost it some 7 ms.
    static const std::shared_ptr<const FindingGroups>& noGroups() {
        static const auto none = std::make_shared<const FindingGroups>();
        return none;
    }
    std::shared_ptr<const FindingGroups> groups_ = noGroups(); // never null
};

} // namespace aotiscope::ui
