// Side-by-side, schema-aware comparison of two entries (guard fields first, differences highlighted, a
// verdict in words), or of two whole caches (added, removed, changed entries).
#pragma once

#include "core/EntryDiff.h"

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

private:
    QLabel* verdict_;
    QTreeWidget* table_;
};

} // namespace aotiscope::ui
