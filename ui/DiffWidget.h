// Side-by-side, schema-aware comparison of two entries (guard fields first, differences highlighted, a
// verdict in words), or of two whole caches (added, removed, changed entries).
#pragma once

#include "core/report/EntryDiff.h"

#include <QWidget>

class QLabel;
class QTreeWidget;

namespace aotiscope::ui {

class DiffWidget : public QWidget {
    Q_OBJECT
public:
    explicit DiffWidget(QWidget* parent = nullptr);
    void showEntryDiff(const QString& leftTitle, const QString& rightTitle, const EntryDiff& diff);
    void showCacheDiff(const QString& leftRoot, const QString& rightRoot, const CacheDiff& diff);

    QLabel* verdictLabel() const { return verdict_; }
    QTreeWidget* table() const { return table_; }

    // Data of a cache diff's entry rows: what changed ("added", "removed", "changed") and each side's identity
    // ("aten/cpu/abs@<key>", empty on the side that lacks it).
    static constexpr int ChangeRole = Qt::UserRole + 1, LeftIdRole = Qt::UserRole + 2, RightIdRole = Qt::UserRole + 3;

signals:
    // A cache diff's entry row was double-clicked (or Enter): the window shows it.
    void cacheEntryActivated(const QString& change, const QString& leftId, const QString& rightId);

private:
    QLabel* verdict_;
    QTreeWidget* table_;
};

} // namespace aotiscope::ui
