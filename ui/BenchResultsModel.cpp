#include "ui/BenchResultsModel.h"

#include <QBrush>
#include <QColor>

namespace aotiscope::ui {

namespace {

double figure(const nlohmann::json& r, const char* group, const char* key) {
    return r.contains(group) && r[group].is_object() ? r[group].value(key, 0.0) : 0.0;
}

QString stateText(const BenchRow& row) {
    switch (row.state) {
    case BenchRow::State::Queued: return QStringLiteral("queued");
    case BenchRow::State::Running: return row.stage.isEmpty() ? QStringLiteral("running") : row.stage;
    case BenchRow::State::Failed: return QStringLiteral("failed: ") + QString::fromStdString(row.outcome.message);
    case BenchRow::State::Done: break;
    }
    return QString::fromStdString(row.outcome.result.value("verdict", ""));
}

QString csvField(QString s) {
    if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) || s.contains(QLatin1Char('\n'))) {
        s.replace(QStringLiteral("\""), QStringLiteral("\"\""));
        return QLatin1Char('"') + s + QLatin1Char('"');
    }
    return s;
}

} // namespace

QString formatMicros(double us) {
    if (us >= 1000.0) return QString::number(us / 1000.0, 'g', 3) + QStringLiteral(" ms");
    return QString::number(us, 'g', 3) + QStringLiteral(" µs");
}

BenchResultsModel::BenchResultsModel(QObject* parent) : QAbstractTableModel(parent) {}

namespace {

// " [0.73–0.75]": the speedup's 95 % interval, where the result has one.
QString speedupInterval(const nlohmann::json& r) {
    if (!r.contains("speedup_ci") || !r["speedup_ci"].is_array() || r["speedup_ci"].size() != 2) return {};
    return QStringLiteral(" [%1–%2]").arg(r["speedup_ci"][0].get<double>(), 0, 'f', 2).arg(r["speedup_ci"][1].get<double>(), 0, 'f', 2);
}

std::optional<double> peakFraction(const nlohmann::json& r) {
    if (r.contains("fraction_of_peak") && r["fraction_of_peak"].is_number()) return r["fraction_of_peak"].get<double>();
    return std::nullopt;
}

// How the figures were sampled, in the device's own terms: CPU threads on a CPU, none on a GPU.
QString samplesText(const nlohmann::json& r) {
    auto text = r.contains("rounds") ? QStringLiteral("%1 rounds").arg(r.value("rounds", 0))
                                     : QStringLiteral("%1 samples").arg(figure(r, "aoti", "samples"));
    text += QLatin1Char(' ') + QString::fromStdString(r.value("mode", ""));
    if (r.value("device", "cpu") == "cpu") text += QStringLiteral(", %1 thr.").arg(r.value("threads", 0));
    return text;
}

} // namespace

int BenchResultsModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }
int BenchResultsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant BenchResultsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(rows_.size())) return {};
    const auto& row = rows_[std::size_t(index.row())];
    const auto& r = row.outcome.result;
    bool times = row.hasTimes();
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case EntryColumn: return QString::fromStdString(row.job.id);
        case VerdictColumn: return stateText(row);
        case AotiColumn: return times ? formatMicros(figure(r, "aoti", "median_us")) : QVariant();
        case RangeColumn:
            return times ? formatMicros(figure(r, "aoti", "p20_us")) + QStringLiteral(" – ") + formatMicros(figure(r, "aoti", "p80_us")) : QVariant();
        case EagerColumn: return times ? formatMicros(figure(r, "eager", "median_us")) : QVariant();
        case SpeedupColumn:
            // A dagger where the kernel ran another thread count than eager (the tooltip says why).
            return times ? QString::number(r.value("speedup", 0.0), 'f', 2) + QStringLiteral("×") + speedupInterval(r) +
                               (threadMismatchNote(r).empty() ? QString() : QStringLiteral(" †"))
                         : QVariant();
        case BandwidthColumn: return times ? QString::number(r.value("gbps", 0.0), 'f', 2) : QVariant();
        case CeilingColumn: return times ? QString::number(r.value("fraction_of_ceiling", 0.0) * 100.0, 'f', 1) + QStringLiteral(" %") : QVariant();
        case PeakColumn:
            return times ? (peakFraction(r) ? QString::number(*peakFraction(r) * 100.0, 'f', 1) + QStringLiteral(" %") : QStringLiteral("–"))
                         : QVariant();
        case BaselineColumn: return row.vsBaseline ? QString::fromStdString(row.vsBaseline->text()) : QVariant();
        case SamplesColumn: return times ? samplesText(r) : QVariant();
        default: return {};
        }
    }
    if (role == SortRole) {
        switch (index.column()) {
        case AotiColumn: return figure(r, "aoti", "median_us");
        case RangeColumn: return figure(r, "aoti", "p80_us") - figure(r, "aoti", "p20_us");
        case EagerColumn: return figure(r, "eager", "median_us");
        case SpeedupColumn: return r.value("speedup", 0.0);
        case BandwidthColumn: return r.value("gbps", 0.0);
        case CeilingColumn: return r.value("fraction_of_ceiling", 0.0);
        case PeakColumn: return peakFraction(r).value_or(-1.0);
        case BaselineColumn: return row.vsBaseline ? row.vsBaseline->ratio : 1.0;
        case SamplesColumn: return figure(r, "aoti", "samples");
        default: return data(index, Qt::DisplayRole);
        }
    }
    if (role == Qt::ForegroundRole && index.column() == VerdictColumn) {
        auto v = r.value("verdict", "");
        if (row.state == BenchRow::State::Failed || v == "wrong results" || v == "slower than eager") return QBrush(QColor(0xc0, 0x20, 0x20));
        if (v == "memory-bound near roof") return QBrush(QColor(0x20, 0x80, 0x20));
    }
    if (role == Qt::ToolTipRole && index.column() == VerdictColumn && row.state == BenchRow::State::Done) {
        return QString::fromStdString(r.contains("check") ? r["check"].value("message", "") : "");
    }
    if (role == Qt::ToolTipRole && index.column() == SpeedupColumn && times) {
        std::string notes;
        for (const auto& note : {kernelsNote(r), threadMismatchNote(r)}) {
            if (!note.empty()) notes += (notes.empty() ? "" : "\n") + note;
        }
        return notes.empty() ? QVariant() : QVariant(QString::fromStdString(notes));
    }
    return {};
}

QVariant BenchResultsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"Entry", "Verdict", "AOTI median", "AOTI p20 – p80", "Eager median", "Speedup", "GB/s",
                                  "Of ceiling", "Of peak", "Vs baseline", "Samples"};
    return tr(names[section]);
}

int BenchResultsModel::add(const BenchJob& job) {
    int i = int(rows_.size());
    beginInsertRows({}, i, i);
    rows_.push_back({job, BenchRow::State::Queued, {}, {}, 0, std::nullopt});
    endInsertRows();
    return i;
}

int BenchResultsModel::rowOf(const std::string& jobId) const {
    for (int i = int(rows_.size()) - 1; i >= 0; --i) {
        if (rows_[std::size_t(i)].job.id == jobId) return i;
    }
    return -1;
}

void BenchResultsModel::changed(int i) { emit dataChanged(index(i, 0), index(i, ColumnCount - 1)); }

void BenchResultsModel::clear() {
    beginResetModel();
    rows_.clear();
    endResetModel();
}

nlohmann::json BenchResultsModel::toJson() const {
    nlohmann::json results = nlohmann::json::array();
    for (const auto& row : rows_) {
        if (row.state != BenchRow::State::Done && row.state != BenchRow::State::Failed) continue;
        auto j = row.outcome.toJson();
        j["vs_baseline"] = row.vsBaseline ? nlohmann::json(row.vsBaseline->text()) : nlohmann::json(nullptr);
        results.push_back(j);
    }
    return {{"schema", "aotiscope.bench/1"}, {"results", results}};
}

QString BenchResultsModel::toCsv() const {
    QStringList lines{QStringLiteral("entry,verdict,aoti_median_us,aoti_p20_us,aoti_p80_us,eager_median_us,speedup,"
                                     "bytes,gbps,fraction_of_ceiling,fraction_of_peak,samples,mode,threads,vs_baseline,message")};
    for (const auto& row : rows_) {
        if (row.state != BenchRow::State::Done && row.state != BenchRow::State::Failed) continue;
        const auto& r = row.outcome.result;
        bool times = row.hasTimes();
        auto num = [&](double v) { return times ? QString::number(v, 'g', 10) : QString(); };
        QStringList f{csvField(QString::fromStdString(row.job.id)), csvField(stateText(row)),
                      num(figure(r, "aoti", "median_us")), num(figure(r, "aoti", "p20_us")), num(figure(r, "aoti", "p80_us")),
                      num(figure(r, "eager", "median_us")), num(r.value("speedup", 0.0)), num(double(r.value("bytes", 0))),
                      num(r.value("gbps", 0.0)), num(r.value("fraction_of_ceiling", 0.0)),
                      peakFraction(r) ? num(*peakFraction(r)) : QString(), num(figure(r, "aoti", "samples")),
                      QString::fromStdString(r.value("mode", "")), times ? QString::number(r.value("threads", 0)) : QString(),
                      row.vsBaseline ? csvField(QString::fromStdString(row.vsBaseline->text())) : QString(),
                      csvField(QString::fromStdString(row.outcome.message))};
        lines << f.join(QLatin1Char(','));
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

} // namespace aotiscope::ui
