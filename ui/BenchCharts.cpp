#include "ui/BenchCharts.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QBoxPlotSeries>
#include <QBoxSet>
#include <QChart>
#include <QChartView>
#include <QGraphicsLayout>
#include <QHBoxLayout>
#include <QLineSeries>
#include <QValueAxis>

#include <algorithm>

namespace aotiscope::ui {

namespace {

QBoxSet* boxOf(const nlohmann::json& s, const QString& label) {
    double p20 = s.value("p20_us", 0.0), p80 = s.value("p80_us", 0.0);
    auto* box = new QBoxSet(label);
    box->setValue(QBoxSet::LowerExtreme, s.value("min_us", p20));
    box->setValue(QBoxSet::LowerQuartile, p20);
    box->setValue(QBoxSet::Median, s.value("median_us", 0.0));
    box->setValue(QBoxSet::UpperQuartile, p80);
    box->setValue(QBoxSet::UpperExtreme, std::min(s.value("max_us", p80), p80 + 1.5 * (p80 - p20)));
    return box;
}

QChartView* newView(const QString& title) {
    auto* chart = new QChart;
    chart->setTitle(title);
    // The legend beside the plot and thin margins: at 1024x700 the panel leaves the charts ~170 px of height.
    chart->legend()->setAlignment(Qt::AlignRight);
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->setBackgroundRoundness(0);
    auto* view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(240, 150);
    return view;
}

void resetChart(QChart* chart) {
    chart->removeAllSeries();
    for (auto* axis : chart->axes()) {
        chart->removeAxis(axis);
        delete axis;
    }
}

} // namespace

BenchCharts::BenchCharts(QWidget* parent)
    : QWidget(parent), times_(newView(tr("Time per call (µs): AOTI against eager"))),
      bandwidth_(newView(tr("Achieved bandwidth (GB/s) against the measured ceiling"))) {
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(times_);
    layout->addWidget(bandwidth_);
}

QChart* BenchCharts::timeChart() const { return times_->chart(); }
QChart* BenchCharts::bandwidthChart() const { return bandwidth_->chart(); }

void BenchCharts::setRows(const std::vector<BenchRow>& rows) {
    auto* tc = timeChart();
    auto* bc = bandwidthChart();
    resetChart(tc);
    resetChart(bc);
    auto* aoti = new QBoxPlotSeries;
    aoti->setName(tr("AOTI kernel"));
    auto* eager = new QBoxPlotSeries;
    eager->setName(tr("eager"));
    auto* achieved = new QBarSet(tr("achieved"));
    QStringList categories;
    double ceiling = 0, top = 0, fastest = 0;
    for (const auto& row : rows) {
        if (!row.hasTimes()) continue;
        const auto& r = row.outcome.result;
        // One category per run: an axis merges equal names, which would put one run's bars under another's.
        auto label = QString::fromStdString(row.job.op) + QStringLiteral(" #") + QString::number(row.job.entry);
        for (int run = 2; categories.contains(label); ++run) {
            label = QString::fromStdString(row.job.op) + QStringLiteral(" #") + QString::number(row.job.entry) +
                    QStringLiteral(" (run %1)").arg(run);
        }
        categories << label;
        aoti->append(boxOf(r["aoti"], label));
        eager->append(boxOf(r["eager"], label));
        top = std::max({top, aoti->boxSets().back()->at(QBoxSet::UpperExtreme), eager->boxSets().back()->at(QBoxSet::UpperExtreme)});
        *achieved << r.value("gbps", 0.0);
        fastest = std::max(fastest, r.value("gbps", 0.0));
        ceiling = std::max(ceiling, r.contains("ceiling") ? r["ceiling"].value("gbps", 0.0) : 0.0);
    }
    if (categories.isEmpty()) {
        delete aoti;
        delete eager;
        delete achieved;
        return;
    }
    tc->addSeries(aoti);
    tc->addSeries(eager);
    auto* tx = new QBarCategoryAxis;
    tx->append(categories);
    auto* ty = new QValueAxis;
    ty->setRange(0, top * 1.1);
    ty->applyNiceNumbers();
    ty->setTitleText(tr("µs"));
    tc->addAxis(tx, Qt::AlignBottom);
    tc->addAxis(ty, Qt::AlignLeft);
    for (auto* s : {aoti, eager}) {
        s->attachAxis(tx);
        s->attachAxis(ty);
    }

    auto* bars = new QBarSeries;
    bars->append(achieved);
    auto* roof = new QLineSeries;
    roof->setName(tr("ceiling %1 GB/s (large copy)").arg(ceiling, 0, 'f', 1));
    roof->append(-0.5, ceiling);
    roof->append(double(categories.size()) - 0.5, ceiling);
    bc->addSeries(bars);
    bc->addSeries(roof);
    auto* bx = new QBarCategoryAxis;
    bx->append(categories);
    auto* by = new QValueAxis;
    // Warm samples of data that fits in cache can beat a copy from memory: keep both in view.
    by->setRange(0, std::max(ceiling, fastest) * 1.1);
    by->applyNiceNumbers();
    by->setTitleText(tr("GB/s"));
    bc->addAxis(bx, Qt::AlignBottom);
    bc->addAxis(by, Qt::AlignLeft);
    bars->attachAxis(bx);
    bars->attachAxis(by);
    roof->attachAxis(bx);
    roof->attachAxis(by);
}

} // namespace aotiscope::ui
