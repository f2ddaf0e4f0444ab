#include "ui/CacheTreeModel.h"

#include "core/base/FileUtil.h"
#include "core/report/JsonReport.h"
#include "core/read/TorchNames.h"

#include <QApplication>
#include <QDateTime>
#include <QIcon>
#include <QStyle>


namespace aotiscope::ui {

QString entryKey(const std::string& ns, const std::string& device, const std::string& op, const std::string& key) {
    return QString::fromStdString(aotiscope::entryId(ns, device, op, key));
}

QString formatBytes(qint64 bytes) { return QString::fromStdString(humanBytes(std::uint64_t(bytes))); }

QString formatAge(qint64 seconds) {
    if (seconds < 120) return QStringLiteral("%1 s").arg(seconds);
    if (seconds < 7200) return QStringLiteral("%1 min").arg(seconds / 60);
    if (seconds < 172800) return QStringLiteral("%1 h").arg(seconds / 3600);
    return QStringLiteral("%1 d").arg(seconds / 86400);
}

CacheTreeModel::CacheTreeModel(QObject* parent) : QAbstractItemModel(parent) {}

void CacheTreeModel::setResult(ScanResultPtr result) {
    beginResetModel();
    result_ = std::move(result);
    now_ = QDateTime::currentSecsSinceEpoch();
    endResetModel();
}

QModelIndex CacheTreeModel::index(int row, int column, const QModelIndex& parent) const {
    if (row < 0 || column < 0 || column >= ColumnCount) {
        return {};
    }
    if (!result_) {
        return {};
    }
    const auto& siblings = parent.isValid() ? node(parent).children : result_->tree.roots;
    if (row >= int(siblings.size()) || (parent.isValid() && parent.column() != 0)) {
        return {};
    }
    return createIndex(row, column, quintptr(siblings[std::size_t(row)]));
}

QModelIndex CacheTreeModel::parent(const QModelIndex& child) const {
    if (!child.isValid()) {
        return {};
    }
    int p = node(child).parent;
    if (p < 0) {
        return {};
    }
    return createIndex(result_->tree.nodes[std::size_t(p)].row, 0, quintptr(p));
}

int CacheTreeModel::rowCount(const QModelIndex& parent) const {
    if (!result_) {
        return 0;
    }
    if (!parent.isValid()) {
        return int(result_->tree.roots.size());
    }
    if (parent.column() != 0) {
        return 0;
    }
    return int(node(parent).children.size());
}

int CacheTreeModel::columnCount(const QModelIndex&) const { return ColumnCount; }

CacheTreeModel::EntryRef CacheTreeModel::entryAt(const QModelIndex& index) const {
    EntryRef r;
    if (!index.isValid() || !result_) {
        return r;
    }
    const TreeNode& n = node(index);
    const auto& snap = result_->snapshot;
    r.ns = &snap.namespaces[std::size_t(n.ns)];
    if (n.device >= 0) r.device = &r.ns->devices[std::size_t(n.device)];
    if (n.op >= 0) r.op = &r.device->ops()[std::size_t(n.op)];
    if (n.entry >= 0) r.entry = &r.op->entries[std::size_t(n.entry)];
    return r;
}

QVariant CacheTreeModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || !result_) {
        return {};
    }
    const TreeNode& n = node(index);
    auto ref = entryAt(index);
    auto name = [&]() -> QString {
        switch (n.kind) {
        case TreeNodeKind::Namespace:
        case TreeNodeKind::Device:
        case TreeNodeKind::Op: return n.name;
        case TreeNodeKind::Entry: {
            QStringList args;
            for (const auto& a : ref.entry->args) {
                args << QString::fromStdString(describeArg(a));
            }
            return QStringLiteral("#%1  %2").arg(ref.entry->index).arg(args.join(QStringLiteral(", ")));
        }
        }
        return {};
    };
    auto statusText = [&]() -> QString {
        if (n.notRunnableHere()) {
            return tr("not runnable here") + (n.rules.isEmpty() ? QString() : QStringLiteral(" (") + n.rules.join(QStringLiteral(", ")) + QLatin1Char(')'));
        }
        if (n.status < 0) return tr("ok");
        QString s = QString::fromLatin1(severityName(Severity(n.status)));
        return n.rules.isEmpty() ? s : s + QStringLiteral(" (") + n.rules.join(QStringLiteral(", ")) + QStringLiteral(")");
    };
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn: return name();
        case EntriesColumn: return n.kind == TreeNodeKind::Entry ? QVariant() : QVariant(n.entries);
        case SizeColumn: return formatBytes(n.bytes);
        case StatusColumn: return statusText();
        case AgeColumn: return n.mtime > 0 ? formatAge(now_ - n.mtime) : QString();
        }
        break;
    case SortRole:
        switch (index.column()) {
        case NameColumn: return n.kind == TreeNodeKind::Entry ? QVariant(n.entry) : QVariant(name());
        case EntriesColumn: return n.entries;
        case SizeColumn: return n.bytes;
        case StatusColumn: return n.status;
        case AgeColumn: return n.mtime > 0 ? now_ - n.mtime : -1;
        }
        break;
    case Qt::DecorationRole:
        if (index.column() == StatusColumn) {
            auto* style = QApplication::style();
            if (!style) return {};
            if (n.notRunnableHere()) return style->standardIcon(QStyle::SP_MessageBoxQuestion);
            switch (n.status) {
            case int(Severity::Error): return style->standardIcon(QStyle::SP_MessageBoxCritical);
            case int(Severity::Warning): return style->standardIcon(QStyle::SP_MessageBoxWarning);
            case int(Severity::Info): return style->standardIcon(QStyle::SP_MessageBoxInformation);
            default: return style->standardIcon(QStyle::SP_DialogApplyButton);
            }
        }
        break;
    case Qt::ToolTipRole:
        if (n.kind == TreeNodeKind::Op) return QString::fromStdString(ref.op->path);
        if (n.kind == TreeNodeKind::Entry) return QString::fromStdString(ref.entry->kernelPath.value_or("(no kernel_path)"));
        break;
    case NodeKindRole: return int(n.kind);
    case StatusRole: return n.status;
    case NamespaceRole: return QString::fromStdString(ref.ns->name);
    case DeviceRole: return ref.device ? QString::fromStdString(ref.device->name) : QString();
    case OpRole: return ref.op ? QString::fromStdString(ref.op->name) : QString();
    case EntryIndexRole: return n.entry;
    case RulesRole: return n.rules;
    case DtypesRole: return n.dtypes;
    case ArgKindsRole: return n.kinds;
    case SearchTextRole: {
        QString s = name();
        if (ref.entry && ref.entry->kernelPath) s += QLatin1Char(' ') + QString::fromStdString(*ref.entry->kernelPath);
        if (ref.op) s += QLatin1Char(' ') + QString::fromStdString(ref.op->name);
        return s;
    }
    case EntryKeyRole:
        if (n.kind == TreeNodeKind::Entry) return entryKey(ref.ns->name, ref.device->name, ref.op->name, ref.entry->key);
        if (n.kind == TreeNodeKind::Op) return entryKey(ref.ns->name, ref.device->name, ref.op->name, {});
        return {};
    default: break;
    }
    return {};
}

QVariant CacheTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation == Qt::Horizontal && role == Qt::ToolTipRole && section == SizeColumn) {
        return tr("Entry: its library and the library's sidecars. Op: the libraries its entries name, each once. "
                  "Device: every file under lib/ (named libraries, orphan libraries and the compiler's own files), "
                  "as aotiscope-cli ls counts them.");
    }
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (section) {
    case NameColumn: return tr("Name");
    case EntriesColumn: return tr("Entries");
    case SizeColumn: return tr("Size");
    case StatusColumn: return tr("Status");
    case AgeColumn: return tr("Age");
    }
    return {};
}

QModelIndex CacheTreeModel::indexForLocation(const std::string& ns, const std::string& device, const std::string& op,
                                             const std::string& key) const {
    if (!result_) {
        return {};
    }
    const auto& nodes = result_->tree.nodes;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const TreeNode& n = nodes[i];
        auto wanted = !key.empty() ? TreeNodeKind::Entry : !op.empty() ? TreeNodeKind::Op : TreeNodeKind::Device;
        if (n.kind != wanted) {
            continue;
        }
        const auto& nsd = result_->snapshot.namespaces[std::size_t(n.ns)];
        const auto& dev = nsd.devices[std::size_t(n.device)];
        if (wanted == TreeNodeKind::Device) {
            if (nsd.name == ns && dev.name == device) return createIndex(n.row, 0, quintptr(i));
            continue;
        }
        const auto& o = dev.ops()[std::size_t(n.op)];
        if (nsd.name == ns && dev.name == device && o.name == op && (key.empty() || o.entries[std::size_t(n.entry)].key == key)) {
            return createIndex(n.row, 0, quintptr(i));
        }
    }
    return {};
}

QModelIndex CacheTreeModel::indexForEntryKey(const QString& id) const {
    // entryId's form: "<ns>/<device>/<op>" for an op, "...@<entry key>" for an entry (op names hold no '@').
    auto at = id.indexOf(QLatin1Char('@'));
    auto parts = id.left(at).split(QLatin1Char('/'));
    if (parts.size() != 3 || !result_) {
        return {};
    }
    return indexForLocation(parts[0].toStdString(), parts[1].toStdString(), parts[2].toStdString(),
                            at < 0 ? std::string() : id.mid(at + 1).toStdString());
}

} // namespace aotiscope::ui
