#include "ui/FindingsModel.h"

#include <QApplication>
#include <QStyle>

namespace aotiscope::ui {

FindingsModel::FindingsModel(QObject* parent) : QAbstractTableModel(parent) {}

void FindingsModel::setResult(ScanResultPtr result) {
    beginResetModel();
    result_ = std::move(result);
    endResetModel();
}

const Finding* FindingsModel::findingAt(const QModelIndex& index) const {
    if (!index.isValid() || !result_ || index.row() >= int(result_->findings.size())) {
        return nullptr;
    }
    return &result_->findings[std::size_t(index.row())];
}

int FindingsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() || !result_ ? 0 : int(result_->findings.size());
}

int FindingsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant FindingsModel::data(const QModelIndex& index, int role) const {
    const Finding* f = findingAt(index);
    if (!f) {
        return {};
    }
    const Rule& rule = ruleById(f->ruleId);
    auto where = [&] {
        QString w = QStringLiteral("%1/%2").arg(QString::fromStdString(f->ns), QString::fromStdString(f->device));
        if (!f->op.empty()) w += QLatin1Char('/') + QString::fromStdString(f->op);
        if (f->entry >= 0) w += QStringLiteral(" #%1").arg(f->entry);
        return w;
    };
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case SeverityColumn: return QString::fromLatin1(severityName(f->severity));
        case RuleColumn: return QStringLiteral("%1 %2").arg(QString::fromStdString(f->ruleId), QString::fromUtf8(rule.name.data(), qsizetype(rule.name.size())));
        case WhereColumn: return where();
        case MessageColumn: return QString::fromStdString(f->message);
        }
        break;
    case SortRole:
        switch (index.column()) {
        case SeverityColumn: return int(f->severity);
        case RuleColumn: return QString::fromStdString(f->ruleId);
        case WhereColumn: return where();
        case MessageColumn: return QString::fromStdString(f->message);
        }
        break;
    case Qt::ToolTipRole:
        return QString::fromUtf8(rule.pytorchBehaviour.data(), qsizetype(rule.pytorchBehaviour.size()));
    case Qt::DecorationRole:
        if (index.column() == SeverityColumn && QApplication::style()) {
            return QApplication::style()->standardIcon(f->severity == Severity::Error     ? QStyle::SP_MessageBoxCritical
                                                       : f->severity == Severity::Warning ? QStyle::SP_MessageBoxWarning
                                                                                          : QStyle::SP_MessageBoxInformation);
        }
        break;
    case FindingIndexRole: return index.row();
    default: break;
    }
    return {};
}

QVariant FindingsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (section) {
    case SeverityColumn: return tr("Severity");
    case RuleColumn: return tr("Rule");
    case WhereColumn: return tr("Where");
    case MessageColumn: return tr("Finding");
    }
    return {};
}

} // namespace aotiscope::ui
