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
    enum NodeKind { NamespaceNode = int(TreeNodeKind::Namespace), DeviceNode, OpNode, EntryNode };
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
        EntryKeyRole,    // entryId: "ns/device/op@<entry key>", the entry's identity across rescans and edits
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
    // An entry by its identity (EntryKey.h), the op when key is empty, the device folder when op is empty too.
    QModelIndex indexForLocation(const std::string& ns, const std::string& device, const std::string& op, const std::string& key) const;
    // The entry behind an index (nullptr above entries), with its device and op.
    struct EntryRef {
        const NamespaceDir* ns = nullptr;
        const DeviceDir* device = nullptr;
        const OpFile* op = nullptr;
        const Entry* entry = nullptr;
    };
    EntryRef entryAt(const QModelIndex& index) const;

    // The precomputed row behind an index (the proxy filters on it without QVariant round trips).
    const TreeNode& node(const QModelIndex& index) const { return nodeAt(int(index.internalId())); }
    const TreeNode& nodeAt(int i) const { return result_->tree.nodes[std::size_t(i)]; }

private:
    ScanResultPtr result_;
    qint64 now_ = 0;
};

QString entryKey(const std::string& ns, const std::string& device, const std::string& op, const std::string& key);
QString formatBytes(qint64 bytes);
QString formatAge(qint64 seconds);

} // namespace aotiscope::ui
