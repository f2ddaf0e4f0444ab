#include "ui/WorkloadPanel.h"
#include "ui/ViewHelpers.h"

#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QPointer>
#include <QPushButton>
#include <QSplitter>
#include <QTreeView>
#include <QVBoxLayout>
#include <QValueAxis>
#include <QtConcurrent/QtConcurrentRun>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace aotiscope::ui {

WorkloadPanel::WorkloadPanel(QWidget* parent)
    : QWidget(parent), model_(new WorkloadModel(this)), view_(new QTreeView), chart_(new QChartView(new QChart)),
      summary_(new QLabel(tr("No recording open: File > Open recording…, or drop a run.jsonl that "
                             "`aotiscope-cli record` wrote"))),
      prewarm_(new QPushButton(tr("Pre-warm"))) {
    qRegisterMetaType<aotiscope::ui::WorkloadPtr>("aotiscope::ui::WorkloadPtr");
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    prewarm_->setEnabled(false);
    prewarm_->setToolTip(tr("Compile the calls this recording missed into the open cache, so that the program's next run hits"));
    view_->setModel(model_);
    polishView(view_);
    view_->setUniformRowHeights(true);
    view_->setAlternatingRowColors(true);
    view_->header()->setStretchLastSection(true);
    chart_->chart()->setTitle(tr("Compile time per process"));
    chart_->setRenderHint(QPainter::Antialiasing);
    chart_->setMinimumWidth(260);

    auto* top = new QHBoxLayout;
    top->addWidget(summary_, 1);
    top->addWidget(prewarm_);
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(view_);
    split->addWidget(chart_);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addLayout(top);
    layout->addWidget(split, 1);

    connect(view_, &QTreeView::activated, this, [this](const QModelIndex& index) {
        auto id = index.sibling(index.row(), 0).data(WorkloadModel::EntryIdRole).toString();
        if (!id.isEmpty()) emit entryRequested(id);
    });
    connect(prewarm_, &QPushButton::clicked, this, [this] {
        if (model_->workload()) emit prewarmRequested(model_->workload());
    });
}

void WorkloadPanel::open(const QString& path) {
    auto generation = ++generation_;
    summary_->setText(tr("Reading %1…").arg(path));
    QPointer<WorkloadPanel> self(this);
    (void)QtConcurrent::run([self, path, generation] {
        auto workload = loadWorkload(path.toStdString());
        QMetaObject::invokeMethod(self.data(), [self, path, generation, workload] {
            if (self && generation == self->generation_) self->showWorkload(path, workload);
        }, Qt::QueuedConnection);
    });
}

void WorkloadPanel::showWorkload(const QString& path, WorkloadPtr workload) {
    const auto& rec = workload->recording;
    if (!rec.error.empty()) {
        summary_->setText(QString::fromStdString(rec.error));
        spdlog::warn("{}", rec.error);
        emit failed(QString::fromStdString(rec.error));
        return;
    }
    for (const auto& problem : rec.problems) spdlog::warn("{}", problem);
    long misses = 0, failedRegistrations = 0;
    double compile = 0;
    for (const auto& w : workload->report.ops) {
        misses += w.misses;
        compile += w.compileSeconds;
        failedRegistrations += w.state == "registration failed";
    }
    summary_->setText(tr("%1: %2 processes, %3 misses compiling %4 s, %5 failed registrations%6")
                          .arg(path)
                          .arg(rec.processes.size())
                          .arg(misses)
                          .arg(compile, 0, 'f', 1)
                          .arg(failedRegistrations)
                          .arg(rec.problems.empty() ? QString() : tr(" (%n lines skipped: see the log)", nullptr, int(rec.problems.size()))));
    model_->setWorkload(workload);
    view_->expandAll();
    for (int c = 0; c < WorkloadModel::Why; ++c) view_->resizeColumnToContents(c);
    prewarm_->setEnabled(misses > 0);
    plotCompileTime(*workload);
    emit loaded(path);
}

void WorkloadPanel::plotCompileTime(const LoadedWorkload& workload) {
    auto* chart = chart_->chart();
    chart->removeAllSeries();
    for (auto* axis : chart->axes()) chart->removeAxis(axis);
    const auto& processes = workload.recording.processes;
    if (processes.empty()) return;
    double t0 = std::ranges::min(processes, {}, &RecordedProcess::started).started;
    double maxX = 1, maxY = 1;
    for (const auto& p : processes) {
        if (p.misses.empty()) continue;
        // Cumulative compile seconds against the run's clock: flat while calls hit, rising through each compile.
        auto* series = new QLineSeries;
        series->setName(tr("pid %1").arg(p.pid));
        double total = 0;
        series->append(p.started - t0, 0);
        for (const auto& m : p.misses) {
            double end = m.time - t0;
            series->append(end - m.seconds, total);
            total += m.seconds;
            series->append(end, total);
            maxX = std::max(maxX, end);
        }
        maxY = std::max(maxY, total);
        chart->addSeries(series);
    }
    auto* x = new QValueAxis;
    x->setTitleText(tr("seconds since the program started"));
    x->setRange(0, maxX * 1.05);
    auto* y = new QValueAxis;
    y->setTitleText(tr("compile seconds"));
    y->setRange(0, maxY * 1.1);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    for (auto* s : chart->series()) {
        s->attachAxis(x);
        s->attachAxis(y);
    }
}

} // namespace aotiscope::ui
