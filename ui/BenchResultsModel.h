// Rows of the benchmarks panel: one per benchmarked entry, its state while it runs, then its figures and the
// change against its pinned baseline. DisplayRole gives formatted text, SortRole the raw numbers.
#pragma once

#include "core/jobs/BenchJobs.h"

#include <QAbstractTableModel>

#include <optional>

namespace aotiscope::ui {

struct BenchRow {
    BenchJob job;
    enum class State { Queued, Running, Done, Failed } state = State::Queued;
    QString stage;            // the worker's last progress stage
    BenchOutcome outcome;
    qint64 runId = 0;         // in the history, when recorded
    std::optional<RunComparison> vsBaseline;
    bool hasTimes() const { return state == State::Done && outcome.result.contains("aoti"); }
};

class BenchResultsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { EntryColumn, VerdictColumn, AotiColumn, RangeColumn, EagerColumn, SpeedupColumn, BandwidthColumn,
                  CeilingColumn, PeakColumn, BaselineColumn, SamplesColumn, ColumnCount };
    static constexpr int SortRole = Qt::UserRole + 1;
    explicit BenchResultsModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    int add(const BenchJob& job);
    BenchRow& row(int i) { return rows_[std::size_t(i)]; }
    const BenchRow& row(int i) const { return rows_[std::size_t(i)]; }
    const std::vector<BenchRow>& rows() const { return rows_; }
    int rowOf(const std::string& jobId) const; // the latest row of that job
    void changed(int i);
    void clear();

    // Every row as JSON (the CLI's bench schema plus the baseline change), or as CSV with one line per row.
    nlohmann::json toJson() const;
    QString toCsv() const;

private:
    std::vector<BenchRow> rows_;
};

QString formatMicros(double us);

} // namespace aotiscope::ui
