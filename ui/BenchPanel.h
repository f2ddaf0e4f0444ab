// The benchmarks panel: entries queued from the window are timed in the isolated benchmark worker off the GUI
// thread, one batch at a time (two benchmarks at once would disturb each other); a results table, the charts,
// history with a pinned baseline per entry, export to CSV or JSON.
#pragma once

#include "core/jobs/BenchJobs.h"

#include <QWidget>

#include <atomic>
#include <memory>

class QComboBox;
class QLabel;
class QSpinBox;
class QTableView;
class QTableWidget;

namespace aotiscope::ui {

class ElidedLabel;

class BenchCharts;
class BenchHistory;
class BenchResultsModel;

class BenchPanel : public QWidget {
    Q_OBJECT
public:
    // historyPath empty: the user's data folder.
    explicit BenchPanel(const QString& historyPath = {}, QWidget* parent = nullptr);
    ~BenchPanel() override;

    void enqueue(const std::vector<BenchJob>& jobs);
    void cancel();
    void pinSelectedAsBaseline(); // the selected rows' runs become their entries' baselines
    bool exportTo(const QString& path, QString& error); // .csv or .json by suffix
    bool busy() const { return running_; }

    BenchResultsModel* model() const { return model_; }
    BenchCharts* charts() const { return charts_; }
    BenchHistory& history() const { return *history_; }
    QTableView* table() const { return table_; }
    QTableWidget* historyView() const { return historyView_; } // runs of the current row's entry, newest first
    BenchOptions& options() { return options_; }
    // The sampling cap and mode the panel starts with (File > Preferences; the panel's own choice is remembered).
    void setDefaults(int maxMs, int mode);

signals:
    void jobFinished(const QString& jobId, bool ok);
    void allIdle();

private:
    void startPending();
    void onEvent(const std::string& jobId, const nlohmann::json& event);
    void applyOptionWidgets();
    void chooseExport();
    void showHistoryOfCurrent();

    BenchResultsModel* model_;
    QTableView* table_;
    QTableWidget* historyView_;
    BenchCharts* charts_;
    ElidedLabel* status_;
    QComboBox* mode_;
    QSpinBox* maxMs_;
    std::unique_ptr<BenchHistory> history_;
    BenchOptions options_;
    std::shared_ptr<std::atomic<bool>> cancel_;
    bool running_ = false;
    std::vector<int> pending_;
};

// The sampling modes, in the order of the panel's and Preferences' choosers: auto, warm, cold.
QStringList benchModeNames();

} // namespace aotiscope::ui
