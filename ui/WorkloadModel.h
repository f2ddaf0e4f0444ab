// The Workload panel's rows: one per process and op of a recording (registration, calls, hits, misses, compile
// time), each miss under its op with the matcher's explanation. Read-only; a new recording resets the model.
#pragma once

#include "core/report/WorkloadReport.h"

#include <QAbstractItemModel>

#include <memory>

namespace aotiscope::ui {

// A recording with its analysis: the report points into the recording, so both live in one object.
struct LoadedWorkload {
    Recording recording;
    WorkloadReport report;
};
using WorkloadPtr = std::shared_ptr<const LoadedWorkload>;

// Reads and analyses a recording (callers run it off the GUI thread).
WorkloadPtr loadWorkload(const std::string& path);

class WorkloadModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { Op, Process, Registration, Calls, Hits, Misses, Compile, Why, ColumnCount };
    // The entry a row leads to in the cache: a miss's created entry, else its nearest loaded entry ("" none).
    static constexpr int EntryIdRole = Qt::UserRole + 1;

    using QAbstractItemModel::QAbstractItemModel;

    void setWorkload(WorkloadPtr workload);
    const WorkloadPtr& workload() const { return workload_; }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVariant opData(const OpWorkload& w, int column, int role) const;
    QVariant missData(const ExplainedMiss& x, int column, int role) const;

    WorkloadPtr workload_;
};

} // namespace aotiscope::ui
