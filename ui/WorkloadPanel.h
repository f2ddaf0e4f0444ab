// The Workload panel: a recording of a program's AOTI-eager activity (`aotiscope-cli record`), read off the GUI
// thread, as a tree of ops per process with each miss explained, linked to the cache's entries (double-click),
// the compile time each process spent over the run as a chart, and Pre-warm (compile the missed calls so that
// the next run hits; the window turns it into compile jobs).
#pragma once

#include "ui/WorkloadModel.h"

#include <QWidget>

class QChartView;
class QLabel;
class QPushButton;
class QTreeView;

namespace aotiscope::ui {

class WorkloadPanel : public QWidget {
    Q_OBJECT
public:
    explicit WorkloadPanel(QWidget* parent = nullptr);

    void open(const QString& path); // asynchronous: loaded() or failed() follows
    WorkloadModel* model() const { return model_; }
    QTreeView* view() const { return view_; }
    QChartView* chart() const { return chart_; }
    QPushButton* prewarmButton() const { return prewarm_; }
    QLabel* summary() const { return summary_; }

signals:
    void loaded(const QString& path);
    void failed(const QString& message);
    void entryRequested(const QString& entryId);
    void prewarmRequested(aotiscope::ui::WorkloadPtr workload);

private:
    void showWorkload(const QString& path, WorkloadPtr workload);
    void plotCompileTime(const LoadedWorkload& workload);

    WorkloadModel* model_;
    QTreeView* view_;
    QChartView* chart_;
    QLabel* summary_;
    QPushButton* prewarm_;
    quint64 generation_ = 0;
};

} // namespace aotiscope::ui
