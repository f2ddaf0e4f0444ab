#include "ui/JobsPanel.h"
#include "ui/ViewHelpers.h"

#include "core/edit/FileLock.h"
#include "core/jobs/RayCompileJobs.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "core/base/FileUtil.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace aotiscope::ui {

namespace {
QString stateName(JobRow::State s) {
    switch (s) {
    case JobRow::State::Queued: return QObject::tr("queued");
    case JobRow::State::Running: return QObject::tr("running");
    case JobRow::State::Done: return QObject::tr("done");
    case JobRow::State::Failed: return QObject::tr("failed");
    case JobRow::State::Cancelled: return QObject::tr("cancelled");
    }
    return {};
}
} // namespace

JobsModel::JobsModel(QObject* parent) : QAbstractTableModel(parent) {}

int JobsModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }
int JobsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant JobsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || role != Qt::DisplayRole) return {};
    const JobRow& r = row(index.row());
    switch (index.column()) {
    case JobColumn: return QString::fromStdString(r.job.title());
    case StateColumn: return stateName(r.state);
    case ProgressColumn: return QStringLiteral("%1%").arg(int(r.fraction * 100));
    case TimeColumn: {
        if (r.state != JobRow::State::Running) return r.seconds > 0 ? QStringLiteral("%1 s").arg(r.seconds, 0, 'f', 1) : QString();
        double elapsed = double(r.clock.elapsed()) / 1000.0;
        double typical = typicalSeconds();
        return typical > 0 ? tr("%1 s, ~%2 s left").arg(elapsed, 0, 'f', 0).arg(std::max(0.0, typical - elapsed), 0, 'f', 0)
                           : tr("%1 s").arg(elapsed, 0, 'f', 0);
    }
    case MessageColumn: return r.message;
    }
    return {};
}

QVariant JobsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case JobColumn: return tr("Job");
    case StateColumn: return tr("State");
    case ProgressColumn: return tr("Progress");
    case TimeColumn: return tr("Time");
    case MessageColumn: return tr("Result");
    }
    return {};
}

int JobsModel::add(const CompileJob& job) {
    beginInsertRows({}, int(rows_.size()), int(rows_.size()));
    JobRow r;
    r.job = job;
    rows_.push_back(std::move(r));
    endInsertRows();
    return int(rows_.size() - 1);
}

int JobsModel::rowOf(const std::string& jobId) const {
    for (int i = int(rows_.size()) - 1; i >= 0; --i) {
        if (rows_[std::size_t(i)].job.id == jobId) return i;
    }
    return -1;
}

void JobsModel::changed(int i) { emit dataChanged(index(i, 0), index(i, ColumnCount - 1)); }

double JobsModel::typicalSeconds() const {
    double sum = 0;
    int n = 0;
    for (const auto& r : rows_) {
        // A worker's first compile pays for imports and header builds: the others tell the usual time.
        if (r.state == JobRow::State::Done && r.seconds < 30) {
            sum += r.seconds;
            ++n;
        }
    }
    return n ? sum / n : 0.0;
}

JobsPanel::JobsPanel(QWidget* parent) : QWidget(parent), model_(new JobsModel(this)), table_(new QTableView), log_(new QPlainTextEdit) {
    setObjectName(QStringLiteral("jobsPanel"));
    table_->setModel(model_);
    polishView(table_);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->verticalHeader()->hide();
    log_->setReadOnly(true);
    log_->setObjectName(QStringLiteral("jobLog"));
    concurrency_ = new QSpinBox;
    concurrency_->setRange(1, 8);
    concurrency_->setValue(QSettings().value(QStringLiteral("jobs/concurrency"), 1).toInt());
    concurrency_->setToolTip(tr("Compile workers at once (each uses its own Python process and memory)"));
    auto* cancel = new QPushButton(tr("Cancel all"));
    auto* retry = new QPushButton(tr("Retry"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(new QLabel(tr("Workers:")));
    buttons->addWidget(concurrency_);
    buttons->addStretch(1);
    buttons->addWidget(retry);
    buttons->addWidget(cancel);
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(table_);
    split->addWidget(log_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addLayout(buttons);
    layout->addWidget(split, 1);
    connect(cancel, &QPushButton::clicked, this, &JobsPanel::cancelAll);
    connect(retry, &QPushButton::clicked, this, &JobsPanel::retrySelected);
    connect(concurrency_, &QSpinBox::valueChanged, this, [](int v) { QSettings().setValue(QStringLiteral("jobs/concurrency"), v); });
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &JobsPanel::showLogOfCurrent);
    auto* ticker = new QTimer(this); // elapsed time and estimates of running jobs
    ticker->setInterval(1000);
    connect(ticker, &QTimer::timeout, this, [this] {
        for (int i = 0; i < model_->rowCount(); ++i) {
            if (model_->row(i).state == JobRow::State::Running) model_->changed(i);
        }
    });
    ticker->start();
}

JobsPanel::~JobsPanel() {
    if (cancel_) cancel_->store(true);
}

void JobsPanel::setConcurrency(int workers) { concurrency_->setValue(workers); }

void JobsPanel::enqueue(const std::vector<CompileJob>& jobs) {
    if (running_ > 0) {
        // Into the running worker: it takes them after its current job, without a new process's start-up.
        std::lock_guard lock(feed_->mutex);
        for (const auto& j : jobs) {
            model_->add(j);
            feed_->jobs.push_back(j);
        }
        return;
    }
    for (const auto& j : jobs) {
        pending_.push_back(model_->add(j));
    }
    startPending();
}

void JobsPanel::startPending() {
    if (pending_.empty()) return;
    if (!cancel_ || running_ == 0) cancel_ = std::make_shared<std::atomic<bool>>(false);
    // Spread the pending jobs over the workers allowed: each batch runs in one long-lived worker.
    int workers = std::max(1, concurrency_->value() - running_);
    std::vector<std::vector<int>> batches(std::size_t(std::min<int>(workers, int(pending_.size()))));
    for (std::size_t k = 0; k < pending_.size(); ++k) batches[k % batches.size()].push_back(pending_[k]);
    pending_.clear();
    for (auto& rows : batches) {
        std::vector<CompileJob> jobs;
        for (int r : rows) jobs.push_back(model_->row(r).job);
        ++running_;
        QPointer<JobsPanel> self(this);
        auto cancel = cancel_;
        auto config = config_;
        auto feed = feed_;
        (void)QtConcurrent::run([self, jobs, cancel, config, feed] {
            auto more = [feed] {
                std::lock_guard lock(feed->mutex);
                std::vector<CompileJob> taken(feed->jobs.begin(), feed->jobs.end());
                feed->jobs.clear();
                return taken;
            };
            runCompileJobs(jobs, config, [self](const CompileJob& job, const nlohmann::json& event) {
                QMetaObject::invokeMethod(self.data(), [self, id = job.id, event] {
                    if (self) self->onEvent(id, event);
                }, Qt::QueuedConnection);
            }, cancel.get(), FileLock::defaultTimeout(), more);
            QMetaObject::invokeMethod(self.data(), [self] {
                if (self) self->batchEnded();
            }, Qt::QueuedConnection);
        });
    }
}

void JobsPanel::batchEnded() {
    --running_;
    // Jobs queued after the batch took its last ones start a new batch.
    std::vector<CompileJob> late;
    {
        std::lock_guard lock(feed_->mutex);
        late.assign(feed_->jobs.begin(), feed_->jobs.end());
        feed_->jobs.clear();
    }
    for (const auto& j : late) pending_.push_back(model_->rowOf(j.id));
    if (!pending_.empty() && running_ == 0) startPending();
    else if (running_ == 0) emit allIdle();
}

void JobsPanel::enqueueOnCluster(const std::vector<CompileJob>& jobs, const std::string& address) {
    for (const auto& j : jobs) model_->add(j);
    if (!cancel_ || running_ == 0) cancel_ = std::make_shared<std::atomic<bool>>(false);
    ++running_;
    QPointer<JobsPanel> self(this);
    auto cancel = cancel_;
    RayCompileConfig config{address, config_.python};
    (void)QtConcurrent::run([self, jobs, cancel, config] {
        runRayCompileJobs(jobs, config, HostInfo::detect(), [self](const CompileJob& job, const nlohmann::json& event) {
            QMetaObject::invokeMethod(self.data(), [self, id = job.id, event] {
                if (self) self->onEvent(id, event);
            }, Qt::QueuedConnection);
        }, cancel.get(), FileLock::defaultTimeout());
        QMetaObject::invokeMethod(self.data(), [self] {
            if (self) self->batchEnded();
        }, Qt::QueuedConnection);
    });
}

void JobsPanel::onEvent(const std::string& jobId, const nlohmann::json& event) {
    int i = model_->rowOf(jobId);
    if (i < 0) return;
    JobRow& r = model_->row(i);
    auto kind = event.value("event", "");
    if (kind == "started") {
        r.state = JobRow::State::Running;
        r.clock.start();
    } else if (kind == "progress") {
        r.fraction = event.value("fraction", 0.0);
        r.log << QString::fromStdString(event.value("stage", ""));
    } else if (kind == "log" || kind == "ready") {
        r.log << QString::fromStdString(kind == "ready" ? "worker ready: torch " + event.value("torch", "") : event.value("message", ""));
    } else if (kind == "finished" || kind == "failed") {
        bool ok = kind == "finished";
        auto message = event.value("message", std::string());
        r.state = ok ? JobRow::State::Done : message.starts_with("cancelled") ? JobRow::State::Cancelled : JobRow::State::Failed;
        r.fraction = ok ? 1.0 : r.fraction;
        r.seconds = event.value("seconds", r.clock.isValid() ? double(r.clock.elapsed()) / 1000.0 : 0.0);
        r.message = QString::fromStdString(ok ? event.value("library", "") : message);
        if (!ok) {
            r.log << QString::fromStdString(event.value("traceback", ""));
            spdlog::warn("{}: {}", r.job.title(), message);
        } else {
            spdlog::info("{}: done in {:.1f} s", r.job.title(), r.seconds);
        }
        emit jobFinished(QString::fromStdString(jobId), ok);
    }
    model_->changed(i);
    if (table_->currentIndex().row() == i) showLogOfCurrent();
}

void JobsPanel::cancelAll() {
    if (cancel_) cancel_->store(true);
    {
        std::lock_guard lock(feed_->mutex);
        for (const auto& j : feed_->jobs) pending_.push_back(model_->rowOf(j.id));
        feed_->jobs.clear();
    }
    for (int r : pending_) {
        model_->row(r).state = JobRow::State::Cancelled;
        model_->changed(r);
    }
    pending_.clear();
}

void JobsPanel::retrySelected() {
    std::vector<CompileJob> again;
    for (const auto& idx : table_->selectionModel()->selectedRows()) {
        const auto& r = model_->row(idx.row());
        if (r.state == JobRow::State::Failed || r.state == JobRow::State::Cancelled) again.push_back(r.job);
    }
    enqueue(again);
}

void JobsPanel::showLogOfCurrent() {
    int i = table_->currentIndex().row();
    log_->setPlainText(i >= 0 ? model_->row(i).log.join(QLatin1Char('\n')) : QString());
}

std::vector<CompileJob> demoJobs(const std::string& root, std::string& error) {
    std::string text;
    std::string path = AOTISCOPE_RESOURCES_DIR "/demo-entries.json";
    if (const char* d = std::getenv("AOTISCOPE_RESOURCES_DIR"); d && *d) path = std::string(d) + "/demo-entries.json";
    if (auto e = readWholeFile(path, text); !e.empty()) {
        error = e;
        return {};
    }
    std::vector<CompileJob> jobs;
    auto specs = nlohmann::json::parse(text, nullptr, false);
    for (const auto& spec : specs.is_array() ? specs : nlohmann::json::array()) {
        auto job = jobFromSpec(root, spec, error);
        if (!error.empty()) return {};
        jobs.push_back(std::move(job));
    }
    return jobs;
}

} // namespace aotiscope::ui
