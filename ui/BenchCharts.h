// Two charts of the benchmarked entries: AOTI against eager as box plots (box p20–p80 around the median,
// whiskers to the fastest sample and to 1.5 box-lengths above p80), and achieved bandwidth against the
// ceiling measured in the same run.
#pragma once

#include "ui/BenchResultsModel.h"

#include <QWidget>

class QChart;
class QChartView;

namespace aotiscope::ui {

class BenchCharts : public QWidget {
    Q_OBJECT
public:
    explicit BenchCharts(QWidget* parent = nullptr);
    void setRows(const std::vector<BenchRow>& rows);
    QChart* timeChart() const;
    QChart* bandwidthChart() const;

private:
    QChartView* times_;
    QChartView* bandwidth_;
};

} // namespace aotiscope::ui
