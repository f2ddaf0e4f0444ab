#include "ui/FindingsModel.h"

#include "core/check/Rules.h"

#include <QApplication>
#include <QLocale>
#include <QStyle>

namespace aotiscope::ui {

namespace {

// internalId: the level in the top two bits; a place row keeps its rule, a finding row its rule and place.
constexpr int kLevelShift = 62;
constexpr quint64 kPlaceBits = 0xffffffffULL;

QString fromView(std::string_view s) { return QString::fromUtf8(s.data(), qsizetype(s.size())); }

QIcon severityIcon(Severity s) {
    if (!QApplication::style()) return {};
    return QApplication::style()->standardIcon(s == Severity::Error     ? QStyle::SP_MessageBoxCritical
                                               : s == Severity::Warning ? QStyle::SP_MessageBoxWarning
                                                                        : QStyle::SP_MessageBoxInformation);
}

QString counted(std::size_t n, const char* one, const char* many) {
    return QStringLiteral("%1 %2").arg(QLocale().toString(qulonglong(n)), QLatin1String(n == 1 ? one : many));
}

} // namespace

FindingsModel::FindingsModel(QObject* parent) : QAbstractItemModel(parent) {}

void FindingsModel::setResult(ScanResultPtr result, std::shared_ptr<const FindingGroups> groups) {
    beginResetModel();
    result_ = std::move(result);
    groups_ = groups ? std::move(groups) : noGroups();
    endResetModel();
}

FindingsModel::Node FindingsModel::nodeOf(const QModelIndex& index) const {
    auto id = index.internalId();
    auto level = Level(id >> kLevelShift);
    switch (level) {
    case Level::Rule: return {level, std::size_t(index.row()), 0, std::size_t(index.row())};
    case Level::Place: return {level, std::size_t(id & ~(quint64(3) << kLevelShift)), std::size_t(index.row()), std::size_t(index.row())};
    case Level::Finding:
        return {level, std::size_t((id & ~(quint64(3) << kLevelShift)) >> 32), std::size_t(id & kPlaceBits), std::size_t(index.row())};
    }
    return {Level::Rule, 0, 0, 0};
}

const Finding* FindingsModel::findingAt(const QModelIndex& index) const {
    if (!index.isValid() || !result_ || index.model() != this) return nullptr;
    auto n = nodeOf(index);
    if (n.level != Level::Finding) return nullptr;
    return &result_->findings[groups_->rules[n.rule].places[n.place].findings[n.row]];
}

const Finding* FindingsModel::firstFindingUnder(const QModelIndex& index) const {
    if (!index.isValid() || !result_ || index.model() != this) return nullptr;
    auto n = nodeOf(index);
    const auto& rule = groups_->rules[n.rule];
    switch (n.level) {
    case Level::Rule: return &result_->findings[rule.places.front().findings.front()];
    case Level::Place: return &result_->findings[rule.places[n.place].findings.front()];
    case Level::Finding: return findingAt(index);
    }
    return nullptr;
}

QModelIndex FindingsModel::index(int row, int column, const QModelIndex& parent) const {
    if (row < 0 || column < 0 || column >= ColumnCount || row >= rowCount(parent)) return {};
    if (!parent.isValid()) return createIndex(row, column, quint64(Level::Rule) << kLevelShift);
    auto p = nodeOf(parent);
    if (p.level == Level::Rule) return createIndex(row, column, (quint64(Level::Place) << kLevelShift) | quint64(p.rule));
    return createIndex(row, column, (quint64(Level::Finding) << kLevelShift) | (quint64(p.rule) << 32) | quint64(p.place));
}

QModelIndex FindingsModel::parent(const QModelIndex& child) const {
    if (!child.isValid()) return {};
    auto n = nodeOf(child);
    switch (n.level) {
    case Level::Rule: return {};
    case Level::Place: return createIndex(int(n.rule), 0, quint64(Level::Rule) << kLevelShift);
    case Level::Finding: return createIndex(int(n.place), 0, (quint64(Level::Place) << kLevelShift) | quint64(n.rule));
    }
    return {};
}

int FindingsModel::rowCount(const QModelIndex& parent) const {
    if (!result_) return 0;
    if (!parent.isValid()) return int(groups_->rules.size());
    if (parent.column() != 0) return 0;
    auto n = nodeOf(parent);
    switch (n.level) {
    case Level::Rule: return int(groups_->rules[n.rule].places.size());
    case Level::Place: return int(groups_->rules[n.rule].places[n.place].findings.size());
    case Level::Finding: return 0;
    }
    return 0;
}

int FindingsModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QString FindingsModel::shortMessage(const Finding& f) const {
    // Paths inside the finding's device folder as kernel_path writes them ("lib/ab/c….so"), others under the cache
    // from its root: the long absolute prefix is the same on every row (the tooltip keeps it).
    auto text = QString::fromStdString(f.message);
    const auto& eager = result_->snapshot.eagerDir;
    if (!f.ns.empty() && !f.device.empty()) text.replace(QString::fromStdString(eager + "/" + f.ns + "/" + f.device + "/"), QString());
    text.replace(QString::fromStdString(result_->snapshot.root + "/"), QString());
    return text;
}

QVariant FindingsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || !result_) return {};
    auto n = nodeOf(index);
    const auto& group = groups_->rules[n.rule];
    const Rule& rule = ruleById(group.ruleId);
    if (role == Qt::ToolTipRole && n.level != Level::Finding) return fromView(rule.pytorchBehaviour);
    if (role == RuleIdRole) return QString::fromStdString(group.ruleId);
    if (n.level == Level::Rule) {
        switch (role) {
        case Qt::DisplayRole:
            switch (index.column()) {
            case SeverityColumn: return QString::fromLatin1(severityName(group.severity));
            case RuleColumn: return QStringLiteral("%1 %2").arg(QString::fromStdString(group.ruleId), fromView(rule.name));
            case WhereColumn: return counted(group.places.size(), "place", "places");
            case MessageColumn: return counted(group.count, "finding", "findings");
            }
            break;
        case SortRole:
            switch (index.column()) {
            case SeverityColumn: return int(group.severity);
            case RuleColumn: return QString::fromStdString(group.ruleId);
            case WhereColumn: return qulonglong(group.places.size());
            case MessageColumn: return qulonglong(group.count);
            }
            break;
        case Qt::DecorationRole:
            if (index.column() == SeverityColumn) return severityIcon(group.severity);
            break;
        default: break;
        }
        return {};
    }
    const auto& place = group.places[n.place];
    auto whereText = [&] { return place.where.empty() ? tr("this host") : QString::fromStdString(place.where); };
    if (n.level == Level::Place) {
        switch (role) {
        case Qt::DisplayRole:
            if (index.column() == WhereColumn) return whereText();
            if (index.column() == MessageColumn) {
                return place.findings.size() == 1 ? shortMessage(result_->findings[place.findings.front()])
                                                  : counted(place.findings.size(), "finding", "findings");
            }
            break;
        case SortRole:
            if (index.column() == WhereColumn) return whereText();
            if (index.column() == MessageColumn) return qulonglong(place.findings.size());
            return {};
        case PlaceRole: return QString::fromStdString(place.where);
        default: break;
        }
        return {};
    }
    const Finding& f = result_->findings[place.findings[n.row]];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case SeverityColumn: return QString::fromLatin1(severityName(f.severity));
        case RuleColumn: return QString::fromStdString(f.ruleId);
        case WhereColumn: return f.entry >= 0 ? QStringLiteral("#%1").arg(f.entry) : whereText();
        case MessageColumn: return shortMessage(f);
        }
        break;
    case Qt::ToolTipRole: // the message as written, paths in full, then what PyTorch does
        return QString::fromStdString(f.message) + QStringLiteral("\n\n") + fromView(rule.pytorchBehaviour);
    case SortRole:
        switch (index.column()) {
        case SeverityColumn: return int(f.severity);
        case RuleColumn: return QString::fromStdString(f.ruleId);
        case WhereColumn: return f.entry;
        case MessageColumn: return QString::fromStdString(f.message);
        }
        break;
    case Qt::DecorationRole:
        if (index.column() == SeverityColumn) return severityIcon(f.severity);
        break;
    case FindingIndexRole: return qulonglong(place.findings[n.row]);
    case PlaceRole: return QString::fromStdString(place.where);
    default: break;
    }
    return {};
}

QVariant FindingsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case SeverityColumn: return tr("Severity");
    case RuleColumn: return tr("Rule");
    case WhereColumn: return tr("Where");
    case MessageColumn: return tr("Finding");
    }
    return {};
}

} // namespace aotiscope::ui
