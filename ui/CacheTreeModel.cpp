#include "ui/CacheTreeModel.h"

#include "core/FileUtil.h"
#include "core/JsonReport.h"
#include "core/TorchNames.h"

#include <QApplication>
#include <QDateTime>
#include <QIcon>
#include <QStyle>

#include <unordered_map>

namespace aotiscope::ui {

QString entryKey(const std::string& ns, const std::string& device, const std::string& op, int entry) {
    return QStringLiteral("%1/%2/%3#%4").arg(QString::fromStdString(ns), QString::fromStdString(device),
                                             QString::fromStdString(op)).arg(entry);
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
    build();
    endResetModel();
}

void CacheTreeModel::build() {
    nodes_.clear();
    roots_.clear();
    now_ = QDateTime::currentSecsSinceEpoch();
    if (!result_) {
        return;
    }
    const auto& snap = result_->snapshot;
    // Worst severity and rule IDs per op and per entry, from the findings.
    struct Marks {
        int status = -1;
        QStringList rules;
    };
    std::unordered_map<std::string, Marks> byOp, byEntry, opWide, byDevice;
    for (const auto& f : result_->findings) {
        auto opKey = f.ns + "/" + f.device + "/" + f.op;
        if (f.op.empty()) {
            // About the device folder itself (orphan libraries, symlinks out of the root).
            auto& m = byDevice[f.ns + "/" + f.device];
            m.status = std::max(m.status, int(f.severity));
            continue;
        }
        auto mark = [&](Marks& m) {
            m.status = std::max(m.status, int(f.severity));
            auto rule = QString::fromStdString(f.ruleId);
            if (!m.rules.contains(rule)) {
                m.rules.push_back(rule);
            }
        };
        mark(byOp[opKey]);
        if (f.entry >= 0) {
            mark(byEntry[opKey + "#" + std::to_string(f.entry)]);
        } else {
            mark(opWide[opKey]);
        }
    }
    auto add = [&](Node n) {
        nodes_.push_back(std::move(n));
        return int(nodes_.size() - 1);
    };
    for (int nsi = 0; nsi < int(snap.namespaces.size()); ++nsi) {
        const auto& ns = snap.namespaces[std::size_t(nsi)];
        int nsNode = add(Node(NamespaceNode, -1, int(roots_.size()), nsi));
        roots_.push_back(nsNode);
        for (int di = 0; di < int(ns.devices.size()); ++di) {
            const auto& dev = ns.devices[std::size_t(di)];
            int devNode = add(Node(DeviceNode, nsNode, int(nodes_[std::size_t(nsNode)].children.size()), nsi, di));
            nodes_[std::size_t(nsNode)].children.push_back(devNode);
            for (int oi = 0; oi < int(dev.ops.size()); ++oi) {
                const auto& op = dev.ops[std::size_t(oi)];
                int opNode = add(Node(OpNode, devNode, int(nodes_[std::size_t(devNode)].children.size()), nsi, di, oi));
                nodes_[std::size_t(devNode)].children.push_back(opNode);
                auto opKey = ns.name + "/" + dev.name + "/" + op.name;
                if (auto it = byOp.find(opKey); it != byOp.end()) {
                    nodes_[std::size_t(opNode)].status = it->second.status;
                    nodes_[std::size_t(opNode)].rules = it->second.rules;
                }
                nodes_[std::size_t(opNode)].mtime = op.stat.mtime;
                nodes_[std::size_t(opNode)].entries = qint64(op.entries.size());
                for (int ei = 0; ei < int(op.entries.size()); ++ei) {
                    const auto& e = op.entries[std::size_t(ei)];
                    Node en(EntryNode, opNode, ei, nsi, di, oi, ei);
                    if (e.library >= 0) {
                        const auto& lib = dev.libFiles[std::size_t(e.library)];
                        en.bytes = qint64(lib.stat.size + lib.artifactBytes);
                        en.mtime = lib.stat.mtime;
                    }
                    if (auto it = byEntry.find(opKey + "#" + std::to_string(e.index)); it != byEntry.end()) {
                        en.status = it->second.status;
                        en.rules = it->second.rules;
                    }
                    // Op-wide findings (a missing library drops the whole op) mark every entry too.
                    if (auto it = opWide.find(opKey); it != opWide.end()) {
                        en.status = std::max(en.status, it->second.status);
                    }
                    nodes_[std::size_t(opNode)].bytes += en.bytes;
                    int enNode = add(std::move(en));
                    nodes_[std::size_t(opNode)].children.push_back(enNode);
                }
                auto& o = nodes_[std::size_t(opNode)];
                auto& d = nodes_[std::size_t(devNode)];
                d.entries += o.entries;
                d.bytes += o.bytes;
                d.status = std::max(d.status, o.status);
                d.mtime = std::max(d.mtime, o.mtime);
            }
            auto& d = nodes_[std::size_t(devNode)];
            if (auto it = byDevice.find(ns.name + "/" + dev.name); it != byDevice.end()) {
                d.status = std::max(d.status, it->second.status);
            }
            auto& n = nodes_[std::size_t(nsNode)];
            n.entries += d.entries;
            n.bytes += d.bytes;
            n.status = std::max(n.status, d.status);
            n.mtime = std::max(n.mtime, d.mtime);
        }
    }
}

QModelIndex CacheTreeModel::index(int row, int column, const QModelIndex& parent) const {
    if (row < 0 || column < 0 || column >= ColumnCount) {
        return {};
    }
    const auto& siblings = parent.isValid() ? node(parent).children : roots_;
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
    return createIndex(nodes_[std::size_t(p)].row, 0, quintptr(p));
}

int CacheTreeModel::rowCount(const QModelIndex& parent) const {
    if (!parent.isValid()) {
        return int(roots_.size());
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
    const Node& n = node(index);
    const auto& snap = result_->snapshot;
    r.ns = &snap.namespaces[std::size_t(n.ns)];
    if (n.device >= 0) r.device = &r.ns->devices[std::size_t(n.device)];
    if (n.op >= 0) r.op = &r.device->ops[std::size_t(n.op)];
    if (n.entry >= 0) r.entry = &r.op->entries[std::size_t(n.entry)];
    return r;
}

QVariant CacheTreeModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || !result_) {
        return {};
    }
    const Node& n = node(index);
    auto ref = entryAt(index);
    auto name = [&]() -> QString {
        switch (n.kind) {
        case NamespaceNode: return QString::fromStdString(ref.ns->name);
        case DeviceNode: return QString::fromStdString(ref.device->name);
        case OpNode: return QString::fromStdString(ref.op->name);
        case EntryNode: {
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
        if (n.status < 0) return tr("ok");
        QString s = QString::fromLatin1(severityName(Severity(n.status)));
        return n.rules.isEmpty() ? s : s + QStringLiteral(" (") + n.rules.join(QStringLiteral(", ")) + QStringLiteral(")");
    };
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn: return name();
        case EntriesColumn: return n.kind == EntryNode ? QVariant() : QVariant(n.entries);
        case SizeColumn: return formatBytes(n.bytes);
        case StatusColumn: return statusText();
        case AgeColumn: return n.mtime > 0 ? formatAge(now_ - n.mtime) : QString();
        }
        break;
    case SortRole:
        switch (index.column()) {
        case NameColumn: return n.kind == EntryNode ? QVariant(n.entry) : QVariant(name());
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
            switch (n.status) {
            case int(Severity::Error): return style->standardIcon(QStyle::SP_MessageBoxCritical);
            case int(Severity::Warning): return style->standardIcon(QStyle::SP_MessageBoxWarning);
            case int(Severity::Info): return style->standardIcon(QStyle::SP_MessageBoxInformation);
            default: return style->standardIcon(QStyle::SP_DialogApplyButton);
            }
        }
        break;
    case Qt::ToolTipRole:
        if (n.kind == OpNode) return QString::fromStdString(ref.op->path);
        if (n.kind == EntryNode) return QString::fromStdString(ref.entry->kernelPath.value_or("(no kernel_path)"));
        break;
    case NodeKindRole: return int(n.kind);
    case StatusRole: return n.status;
    case NamespaceRole: return QString::fromStdString(ref.ns->name);
    case DeviceRole: return ref.device ? QString::fromStdString(ref.device->name) : QString();
    case OpRole: return ref.op ? QString::fromStdString(ref.op->name) : QString();
    case EntryIndexRole: return n.entry;
    case RulesRole: return n.rules;
    case DtypesRole:
    case ArgKindsRole: {
        QStringList out;
        if (!ref.entry) return out;
        auto addDtype = [&](const std::string& d) {
            auto c = QString::fromStdString(canonicalDtype(d));
            if (!d.empty() && !out.contains(c)) out << c;
        };
        for (const auto& a : ref.entry->args) {
            if (role == ArgKindsRole) {
                auto k = QString::fromLatin1(argKindName(a.kind));
                if (!out.contains(k)) out << k;
                continue;
            }
            if (a.kind == ArgKind::Tensor || a.kind == ArgKind::Scalar) addDtype(a.tensor.dtype);
            if (a.kind == ArgKind::Dtype) addDtype(a.text);
            for (const auto& t : a.list) addDtype(t.dtype);
        }
        return out;
    }
    case SearchTextRole: {
        QString s = name();
        if (ref.entry && ref.entry->kernelPath) s += QLatin1Char(' ') + QString::fromStdString(*ref.entry->kernelPath);
        if (ref.op) s += QLatin1Char(' ') + QString::fromStdString(ref.op->name);
        return s;
    }
    case EntryKeyRole:
        if (n.kind == EntryNode) return entryKey(ref.ns->name, ref.device->name, ref.op->name, ref.entry->index);
        if (n.kind == OpNode) return entryKey(ref.ns->name, ref.device->name, ref.op->name, -1);
        return {};
    default: break;
    }
    return {};
}

QVariant CacheTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
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

QModelIndex CacheTreeModel::indexForLocation(const std::string& ns, const std::string& device, const std::string& op, int entry) const {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        const Node& n = nodes_[i];
        if ((entry >= 0 && n.kind != EntryNode) || (entry < 0 && n.kind != OpNode)) {
            continue;
        }
        const auto& nsd = result_->snapshot.namespaces[std::size_t(n.ns)];
        const auto& dev = nsd.devices[std::size_t(n.device)];
        const auto& o = dev.ops[std::size_t(n.op)];
        if (nsd.name == ns && dev.name == device && o.name == op && (entry < 0 || o.entries[std::size_t(n.entry)].index == entry)) {
            return createIndex(n.row, 0, quintptr(i));
        }
    }
    return {};
}

QModelIndex CacheTreeModel::indexForEntryKey(const QString& key) const {
    auto hash = key.lastIndexOf(QLatin1Char('#'));
    auto parts = key.left(hash).split(QLatin1Char('/'));
    if (hash < 0 || parts.size() != 3 || !result_) {
        return {};
    }
    return indexForLocation(parts[0].toStdString(), parts[1].toStdString(), parts[2].toStdString(), key.mid(hash + 1).toInt());
}

} // namespace aotiscope::ui
