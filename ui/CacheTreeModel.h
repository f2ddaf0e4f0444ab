// namespace -> device -> op -> entry, over one ScanResult. Columns and roles are enums: DisplayRole gives
// formatted text, SortRole raw numbers; filtering and sorting live in CacheFilterProxy.
#pragma once

#include "ui/ScanResult.h"

#include <QAbstractItemModel>
#include <QStringList>

#include <optional>

namespace aotiscope::ui {

class CacheTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn, EntriesColumn, SizeColumn, StatusColumn, AgeColumn, ColumnCount };
    enum NodeKind { NamespaceNode, DeviceNode, OpNode, EntryNode };
    enum Role {
        SortRole = Qt::UserRole + 1,
        NodeKindRole,
        StatusRole,      // int: -1 ok, else Severity
        NamespaceRole,
        DeviceRole,
        OpRole,
        EntryIndexRole,  // int, -1 above entries
        DtypesRole,      // QStringList of canonical tensor dtypes
        ArgKindsRole,    // QStringList
        RulesRole,       // QStringList of rule IDs of the node's findings
        SearchTextRole,  // what free text is matched against
        EntryKeyRole,    // "ns/device/op#index": stable across rescans
    };

    explicit CacheTreeModel(QObject* parent = nullptr);

    // Replaces everything (one model reset).
    void setResult(ScanResultPtr result);
    const ScanResultPtr& result() const { return result_; }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Locating things for the views.
    QModelIndex indexForEntryKey(const QString& key) const;
    QModelIndex indexForLocation(const std::string& ns, const std::string& device, const std::string& op, int entry) const;
    // The entry behind an index (nullptr above entries), with its device and op.
    struct EntryRef {
        const NamespaceDir* ns = nullptr;
        const DeviceDir* device = nullptr;
        const OpFile* op = nullptr;
        const Entry* entry = nullptr;
    };
    EntryRef entryAt(const QModelIndex& index) const;

private:
    struct Node {
        Node(NodeKind k, int p, int r, int n = -1, int d = -1, int o = -1, int e = -1)
            : kind(k), parent(p), row(r), ns(n), device(d), op(o), entry(e) {}
        NodeKind kind;
        int parent; // node index, -1 for top level
        int row;
        int ns, device, op, entry;
        std::vector<int> children;
        qint64 entries = 0;
        qint64 bytes = 0;
        qint64 mtime = 0;
        int status = -1;
        QStringList rules;
    };
    void build();
    const Node& node(const QModelIndex& index) const { return nodes_[std::size_t(index.internalId())]; }

    ScanResultPtr result_;
    std::vector<Node> nodes_;
    std::vector<int> roots_;
    qint64 now_ = 0;
};

QString entryKey(const std::string& ns, const std::string& device, const std::string& op, int entry);
QString formatBytes(qint64 bytes);
QString formatAge(qint64 seconds);

} // namespace aotiscope::ui
