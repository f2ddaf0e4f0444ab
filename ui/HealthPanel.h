// The health panel: the scan's findings grouped by rule and place (FindingsModel over FindingGroups), a search
// box whose grouping runs off the GUI thread, and what is expanded kept across rescans and searches.
#pragma once

#include "ui/FindingGroups.h"
#include "ui/ScanResult.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTimer;
class QTreeView;

namespace aotiscope::ui {

class FindingsModel;

class HealthPanel : public QWidget {
    Q_OBJECT
public:
    explicit HealthPanel(QWidget* parent = nullptr);

    void setResult(ScanResultPtr result);
    // The finding under a row of the view (a rule's or a place's row: its first finding); null if none.
    const Finding* findingAt(const QModelIndex& viewIndex) const;

    QTreeView* view() const { return view_; }
    QSortFilterProxyModel* proxy() const { return proxy_; }
    FindingsModel* model() const { return model_; }
    QLineEdit* searchEdit() const { return search_; }
    QLabel* countLabel() const { return count_; }

signals:
    void findingActivated(const aotiscope::Finding* finding);
    void showOnlyRuleRequested(const QString& ruleId);
    // A grouping (new scan or new search) is on screen.
    void groupsShown();

private:
    void regroup();
    void showGroups(ScanResultPtr result, std::shared_ptr<const FindingGroups> groups);
    // The scan's own grouping (no search), shared with the result.
    void showResultGroups();
    void showContextMenu(const QPoint& pos);

    FindingsModel* model_;
    QSortFilterProxyModel* proxy_;
    QTreeView* view_;
    QLineEdit* search_;
    QLabel* count_;
    QTimer* debounce_;
    ScanResultPtr result_;
    quint64 generation_ = 0;
};

} // namespace aotiscope::ui
