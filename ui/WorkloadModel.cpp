#include "ui/WorkloadModel.h"

#include <QBrush>
#include <QColor>

namespace aotiscope::ui {

namespace {

// Internal ids: 0 for an op row, op row + 1 for the misses under it.
constexpr quintptr kTop = 0;

QString q(const std::string& s) { return QString::fromStdString(s); }

QVariant count(long v) { return v < 0 ? QVariant(QStringLiteral("–")) : QVariant(qlonglong(v)); }

} // namespace

WorkloadPtr loadWorkload(const std::string& path) {
    auto w = std::make_shared<LoadedWorkload>();
    w->recording = readRecording(path);
    w->report = analyzeRecording(w->recording);
    return w;
}

void WorkloadModel::setWorkload(WorkloadPtr workload) {
    beginResetModel();
    workload_ = std::move(workload);
    endResetModel();
}

QModelIndex WorkloadModel::index(int row, int column, const QModelIndex& parent) const {
    if (!hasIndex(row, column, parent)) return {};
    return createIndex(row, column, parent.isValid() ? quintptr(parent.row()) + 1 : kTop);
}

QModelIndex WorkloadModel::parent(const QModelIndex& child) const {
    if (!child.isValid() || child.internalId() == kTop) return {};
    return createIndex(int(child.internalId() - 1), 0, kTop);
}

int WorkloadModel::rowCount(const QModelIndex& parent) const {
    if (!workload_ || parent.column() > 0) return 0;
    const auto& ops = workload_->report.ops;
    if (!parent.isValid()) return int(ops.size());
    if (parent.internalId() != kTop) return 0;
    return int(ops[std::size_t(parent.row())].explained.size());
}

int WorkloadModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QVariant WorkloadModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Op: return tr("Op");
    case Process: return tr("Process");
    case Registration: return tr("Registration");
    case Calls: return tr("Calls");
    case Hits: return tr("Hits");
    case Misses: return tr("Misses");
    case Compile: return tr("Compile (s)");
    case Why: return tr("Why");
    default: return {};
    }
}

QVariant WorkloadModel::data(const QModelIndex& index, int role) const {
    if (!workload_ || !index.isValid()) return {};
    const auto& ops = workload_->report.ops;
    if (index.internalId() == kTop) return opData(ops[std::size_t(index.row())], index.column(), role);
    const auto& w = ops[std::size_t(index.internalId() - 1)];
    return missData(w.explained[std::size_t(index.row())], index.column(), role);
}

QVariant WorkloadModel::opData(const OpWorkload& w, int column, int role) const {
    if (role == EntryIdRole) return QString();
    bool failed = w.state == "registration failed";
    if (role == Qt::ForegroundRole && column == Registration && failed) return QBrush(QColor(0xc0, 0x39, 0x2b));
    QString why = failed ? q(w.error) : q(w.dropReason);
    if (role == Qt::ToolTipRole) return why.isEmpty() ? QVariant() : QVariant(why);
    if (role == Qt::TextAlignmentRole && column >= Calls && column <= Compile) return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole) return {};
    switch (column) {
    case Op: return q(w.ns + "/" + w.device + "/" + w.op);
    case Process: return qlonglong(w.pid);
    case Registration:
        if (w.state == "registered" || w.state == "inherited") {
            return tr("%n entries", nullptr, w.entriesLoaded) + (w.state == "inherited" ? tr(" (fork)") : QString());
        }
        return q(w.state);
    case Calls: return count(w.calls);
    case Hits: return count(w.hits);
    case Misses: return qlonglong(w.misses);
    case Compile: return QString::number(w.compileSeconds, 'f', 1);
    case Why: return why;
    default: return {};
    }
}

QVariant WorkloadModel::missData(const ExplainedMiss& x, int column, int role) const {
    if (role == EntryIdRole) return q(!x.createdEntry.empty() ? x.createdEntry : x.nearestEntryId);
    if (role == Qt::ToolTipRole) {
        return q(x.reason) + (x.createdEntry.empty() ? QString() : tr("\ncreated: %1").arg(q(x.createdEntry)));
    }
    if (role == Qt::TextAlignmentRole && column == Compile) return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole) return {};
    switch (column) {
    case Op: return tr("miss (line %1)").arg(x.miss->line);
    case Registration: return x.createdEntry.empty() ? tr("no entry written") : q(x.createdEntry);
    case Compile: return QString::number(x.miss->seconds, 'f', 1);
    case Why: return q(x.reason);
    default: return {};
    }
}

} // namespace aotiscope::ui
