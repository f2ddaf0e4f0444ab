// The jobs panel: compile jobs queued from the window, run in long-lived workers off the GUI thread (jobs queued
// while one runs go into that worker), with
// state, progress, elapsed time and an estimate, a log per job, cancel, retry and a concurrency setting.
#pragma once

#include "core/jobs/CompileJobs.h"

#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <QWidget>

#include <atomic>
#include <deque>
#include <mutex>
#include <memory>

class QPlainTextEdit;
class QSpinBox;
class QTableView;

namespace aotiscope::ui {

struct JobRow {
    CompileJob job;
    enum class State { Queued, Running, Done, Failed, Cancelled } state = State::Queued;
    double fraction = 0.0;
    QElapsedTimer clock;
    double seconds = 0.0;
    QString message;
    QStringList log;
};

class JobsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { JobColumn, StateColumn, ProgressColumn, TimeColumn, MessageColumn, ColumnCount };
    explicit JobsModel(QObject* parent = nullptr);
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    int add(const CompileJob& job);
    JobRow& row(int i) { return rows_[std::size_t(i)]; }
    const JobRow& row(int i) const { return rows_[std::size_t(i)]; }
    int rowOf(const std::string& jobId) const; // the latest row of that job
    void changed(int i);
    double typicalSeconds() const; // of finished jobs after each worker's first: for estimates

private:
    std::vector<JobRow> rows_;
};

class JobsPanel : public QWidget {
    Q_OBJECT
public:
    explicit JobsPanel(QWidget* parent = nullptr);
    ~JobsPanel() override;

    void enqueue(const std::vector<CompileJob>& jobs);
    // As tasks of the Ray cluster at `address` (core/jobs/RayCompileJobs.h), all at once; Cancel all stops them.
    void enqueueOnCluster(const std::vector<CompileJob>& jobs, const std::string& address);
    void cancelAll();
    void retrySelected();
    void setConcurrency(int workers);
    bool busy() const { return running_ > 0; }
    JobsModel* model() const { return model_; }
    CompileWorkerConfig& workerConfig() { return config_; }

signals:
    void jobFinished(const QString& jobId, bool ok);
    void allIdle();

private:
    void startPending();
    void batchEnded();
    void onEvent(const std::string& jobId, const nlohmann::json& event);
    void showLogOfCurrent();

    JobsModel* model_;
    QTableView* table_;
    QPlainTextEdit* log_;
    QSpinBox* concurrency_;
    CompileWorkerConfig config_;
    std::shared_ptr<std::atomic<bool>> cancel_;
    // Jobs queued while a batch runs, taken by its worker between jobs (runCompileJobs' JobSource).
    struct Feed {
        std::mutex mutex;
        std::deque<CompileJob> jobs;
    };
    std::shared_ptr<Feed> feed_ = std::make_shared<Feed>();
    int running_ = 0; // batches in flight
    std::vector<int> pending_;
};

// The demo cache's entries (resources/demo-entries.json: specs for abs, add.Tensor, cat, div.Tensor_mode and
// tril_indices) as compile jobs into `root`.
std::vector<CompileJob> demoJobs(const std::string& root, std::string& error);

} // namespace aotiscope::ui
