#include "ui/BenchPanel.h"
#include "ui/PreferencesDialog.h"

#include <algorithm>
#include "ui/ViewHelpers.h"

#include "ui/BenchCharts.h"
#include "ui/BenchHistory.h"
#include "ui/BenchResultsModel.h"

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <spdlog/spdlog.h>

namespace aotiscope::ui {

BenchPanel::BenchPanel(const QString& historyPath, QWidget* parent)
    : QWidget(parent), model_(new BenchResultsModel(this)), table_(new QTableView), historyView_(new QTableWidget),
      charts_(new BenchCharts),
      status_(new ElidedLabel), mode_(new QComboBox), maxMs_(new QSpinBox), history_(std::make_unique<BenchHistory>(historyPath)) {
    auto* proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(model_);
    proxy->setSortRole(BenchResultsModel::SortRole);
    table_->setModel(proxy);
    polishView(table_);
    polishView(historyView_);
    table_->setSortingEnabled(true);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->verticalHeader()->hide();
    table_->setWordWrap(false);
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 8); // one line per run: compact rows
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    mode_->setObjectName(QStringLiteral("benchMode"));
    mode_->addItems(benchModeNames());
    mode_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon); // the names are long: never widen
    mode_->setMinimumContentsLength(14);
    mode_->setToolTip(tr("Cold samples flush the last-level cache (CPU) or L2 (GPU) before each timed launch"));
    maxMs_->setObjectName(QStringLiteral("benchMaxMs"));
    maxMs_->setRange(50, 60000);
    maxMs_->setValue(int(options_.maxMs));
    maxMs_->setSuffix(tr(" ms cap"));
    maxMs_->setToolTip(tr("Sampling stops when the relative IQR is under 1 % or at this cap, with at least 25 samples"));
    auto prefs = Preferences::load();
    setDefaults(prefs.benchMaxMs, prefs.benchMode);
    connect(maxMs_, &QSpinBox::valueChanged, this, [this](int v) {
        auto p = Preferences::load();
        p.benchMaxMs = v;
        p.save();
    });
    connect(mode_, &QComboBox::currentIndexChanged, this, [this](int v) {
        auto p = Preferences::load();
        p.benchMode = v;
        p.save();
    });
    auto* cancel = new QPushButton(tr("Cancel"));
    auto* pin = new QPushButton(tr("Pin as baseline"));
    pin->setToolTip(tr("Later runs of the selected entries are compared with these runs (p20–p80 overlap)"));
    auto* exportButton = new QPushButton(tr("Export…"));
    auto* clear = new QPushButton(tr("Clear"));
    connect(cancel, &QPushButton::clicked, this, &BenchPanel::cancel);
    connect(pin, &QPushButton::clicked, this, &BenchPanel::pinSelectedAsBaseline);
    connect(exportButton, &QPushButton::clicked, this, &BenchPanel::chooseExport);
    connect(clear, &QPushButton::clicked, this, [this] {
        if (!running_) {
            model_->clear();
            charts_->setRows({});
        }
    });
    auto* bar = new QHBoxLayout;
    bar->addWidget(mode_);
    bar->addWidget(maxMs_);
    bar->addWidget(cancel);
    bar->addWidget(pin);
    bar->addWidget(exportButton);
    bar->addWidget(clear);
    bar->addWidget(status_, 1);
    historyView_->setColumnCount(5);
    historyView_->setHorizontalHeaderLabels({tr("Run"), tr("Verdict"), tr("AOTI median"), tr("AOTI p20 – p80"), tr("Eager median")});
    historyView_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    historyView_->verticalHeader()->hide();
    historyView_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    historyView_->setToolTip(tr("Earlier runs of the selected entry (★: its baseline)"));
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &BenchPanel::showHistoryOfCurrent);
    auto* top = new QSplitter(Qt::Horizontal);
    top->addWidget(table_);
    top->addWidget(historyView_);
    top->setStretchFactor(0, 3);
    top->setStretchFactor(1, 2);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(top);
    split->addWidget(charts_);
    // The results first, the charts what is left. (The docks are tabbed together: this panel's minimum height is every
    // bottom panel's, so it stays small; showing the benchmarks gives it half the window.)
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addLayout(bar);
    layout->addWidget(split);
    status_->setObjectName(QStringLiteral("benchStatus"));
    status_->setFullText(history_->ok() ? tr("History: %1").arg(history_->path())
                                    : tr("History off: %1").arg(history_->error()));
}

QStringList benchModeNames() {
    return {QObject::tr("Auto (cold on GPUs, warm on CPU)"), QObject::tr("Warm: back-to-back runs"),
            QObject::tr("Cold: flush caches before each sample")};
}

void BenchPanel::setDefaults(int maxMs, int mode) {
    maxMs_->setValue(maxMs);
    mode_->setCurrentIndex(std::clamp(mode, 0, mode_->count() - 1));
}

BenchPanel::~BenchPanel() {
    if (cancel_) cancel_->store(true);
}

void BenchPanel::applyOptionWidgets() {
    options_.maxMs = maxMs_->value();
    switch (mode_->currentIndex()) {
    case 1: options_.cold = false; break;
    case 2: options_.cold = true; break;
    default: options_.cold.reset();
    }
}

void BenchPanel::enqueue(const std::vector<BenchJob>& jobs) {
    for (const auto& job : jobs) pending_.push_back(model_->add(job));
    startPending();
}

void BenchPanel::startPending() {
    if (running_ || pending_.empty()) return;
    applyOptionWidgets();
    std::vector<BenchJob> jobs;
    for (int r : pending_) jobs.push_back(model_->row(r).job);
    pending_.clear();
    running_ = true;
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    QPointer<BenchPanel> self(this);
    auto cancelFlag = cancel_;
    auto options = options_;
    (void)QtConcurrent::run([self, jobs, cancelFlag, options] {
        runBenchJobs(jobs, options, [self](const BenchJob& job, const nlohmann::json& event) {
            QMetaObject::invokeMethod(self.data(), [self, id = job.id, event] {
                if (self) self->onEvent(id, event);
            }, Qt::QueuedConnection);
        }, cancelFlag.get());
        QMetaObject::invokeMethod(self.data(), [self] {
            if (!self) return;
            self->running_ = false;
            self->charts_->setRows(self->model_->rows());
            if (self->pending_.empty()) emit self->allIdle();
            self->startPending();
        }, Qt::QueuedConnection);
    });
}

void BenchPanel::onEvent(const std::string& jobId, const nlohmann::json& event) {
    int i = model_->rowOf(jobId);
    if (i < 0) return;
    auto& row = model_->row(i);
    auto kind = event.value("event", "");
    if (kind == "started") {
        row.state = BenchRow::State::Running;
    } else if (kind == "ready") {
        spdlog::info("benchmark worker ready in {:.0f} ms (torch {}, runners {})", event.value("start_ms", 0.0),
                     event.value("torch", ""), event.value("runners", nlohmann::json::array()).dump());
    } else if (kind == "progress") {
        row.stage = QString::fromStdString(event.value("stage", ""));
    } else if (kind == "finished" || kind == "failed") {
        row.state = kind == "finished" ? BenchRow::State::Done : BenchRow::State::Failed;
        row.outcome.id = jobId;
        row.outcome.key = row.job.key;
        row.outcome.ok = kind == "finished";
        row.outcome.result = event.value("result", nlohmann::json::object());
        row.outcome.message = event.value("message", "");
        if (row.outcome.ok) {
            auto key = QString::fromStdString(row.job.key);
            auto baseline = history_->baseline(key);
            row.runId = history_->record(key, QString::fromStdString(row.job.id), row.outcome.result);
            if (baseline && row.hasTimes() && baseline->result.contains("aoti")) {
                row.vsBaseline = compareRuns(baseline->result, row.outcome.result);
            }
            spdlog::info("{}: {}", row.job.title(), row.outcome.result.value("verdict", ""));
        } else {
            spdlog::warn("{}: {}", row.job.title(), row.outcome.message);
        }
        charts_->setRows(model_->rows());
        showHistoryOfCurrent(); // a new run of the shown entry joins its history
        emit jobFinished(QString::fromStdString(jobId), row.outcome.ok);
    }
    model_->changed(i);
}

void BenchPanel::cancel() {
    if (cancel_) cancel_->store(true);
    for (int r : pending_) {
        model_->row(r).state = BenchRow::State::Failed;
        model_->row(r).outcome.message = "cancelled before it started";
        model_->changed(r);
    }
    pending_.clear();
}

void BenchPanel::pinSelectedAsBaseline() {
    auto* proxy = table_->model();
    for (const auto& idx : table_->selectionModel()->selectedRows()) {
        auto source = static_cast<QSortFilterProxyModel*>(proxy)->mapToSource(idx);
        auto& row = model_->row(source.row());
        if (row.runId == 0) continue;
        if (history_->pinBaseline(QString::fromStdString(row.job.key), row.runId)) {
            row.vsBaseline = RunComparison{}; // itself: no change
            model_->changed(source.row());
            showHistoryOfCurrent();
            spdlog::info("{}: this run is now its baseline", row.job.id);
        }
    }
}

void BenchPanel::showHistoryOfCurrent() {
    historyView_->setRowCount(0);
    auto current = table_->currentIndex();
    if (!current.isValid()) return;
    const auto& row = model_->row(static_cast<QSortFilterProxyModel*>(table_->model())->mapToSource(current).row());
    auto key = QString::fromStdString(row.job.key);
    auto baseline = history_->baseline(key);
    auto runs = history_->runs(key);
    historyView_->setRowCount(int(runs.size()));
    for (int i = 0; i < int(runs.size()); ++i) {
        const auto& run = runs[std::size_t(i)];
        const auto& r = run.result;
        bool isBaseline = baseline && baseline->id == run.id;
        auto cell = [&](int column, const QString& text) { historyView_->setItem(i, column, new QTableWidgetItem(text)); };
        cell(0, (isBaseline ? QStringLiteral("★ ") : QString()) + run.at);
        cell(1, QString::fromStdString(r.value("verdict", "")));
        if (r.contains("aoti")) {
            cell(2, formatMicros(r["aoti"].value("median_us", 0.0)));
            cell(3, formatMicros(r["aoti"].value("p20_us", 0.0)) + QStringLiteral(" – ") + formatMicros(r["aoti"].value("p80_us", 0.0)));
            cell(4, formatMicros(r["eager"].value("median_us", 0.0)));
        }
    }
}

bool BenchPanel::exportTo(const QString& path, QString& error) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        error = tr("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    auto bytes = path.endsWith(QStringLiteral(".csv"), Qt::CaseInsensitive) ? model_->toCsv().toUtf8()
                                                                            : QByteArray::fromStdString(model_->toJson().dump(2));
    if (f.write(bytes) != bytes.size()) {
        error = tr("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

void BenchPanel::chooseExport() {
    auto path = QFileDialog::getSaveFileName(this, tr("Export benchmarks"), QStringLiteral("benchmarks.csv"),
                                             tr("CSV (*.csv);;JSON (*.json)"));
    if (path.isEmpty()) return;
    QString error;
    if (!exportTo(path, error)) spdlog::error("{}", error.toStdString());
}

} // namespace aotiscope::ui
