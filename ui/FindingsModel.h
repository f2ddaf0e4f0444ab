// The health panel's table: one row per finding of a ScanResult.
#pragma once

#include "ui/ScanResult.h"

#include <QAbstractTableModel>

namespace aotiscope::ui {

class FindingsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { SeverityColumn, RuleColumn, WhereColumn, MessageColumn, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, FindingIndexRole };

    explicit FindingsModel(QObject* parent = nullptr);
    void setResult(ScanResultPtr result);
    const Finding* findingAt(const QModelIndex& index) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    ScanResultPtr result_;
};

} // namespace aotiscope::ui
