#include "ui/HealthPanel.h"
#include "ui/ViewHelpers.h"

#include "ui/FindingsModel.h"
#include "ui/TreeExpansion.h"

#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QPointer>
#include <QSortFilterProxyModel>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace aotiscope::ui {

HealthPanel::HealthPanel(QWidget* parent)
    : QWidget(parent), model_(new FindingsModel(this)), proxy_(new QSortFilterProxyModel(this)), view_(new QTreeView),
      search_(new QLineEdit), count_(new QLabel), debounce_(new QTimer(this)) {
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(FindingsModel::SortRole);

    search_->setObjectName(QStringLiteral("findingsSearch"));
    search_->setClearButtonEnabled(true);
    search_->setPlaceholderText(tr("Search findings: words in the rule, the op or the message (e.g. AOTI016 abs)"));
    count_->setObjectName(QStringLiteral("findingsCount"));

    view_->setObjectName(QStringLiteral("findingsView"));
    view_->setModel(proxy_);
    view_->setSortingEnabled(true);
    // Rules come most severe first from the grouping (off the GUI thread): no proxy sort until a header click.
    proxy_->sort(-1);
    view_->header()->setSortIndicator(FindingsModel::SeverityColumn, Qt::DescendingOrder);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setUniformRowHeights(true);
    view_->setAlternatingRowColors(true);
    view_->header()->setStretchLastSection(true);
    view_->header()->setResizeContentsPrecision(200);
    view_->setContextMenuPolicy(Qt::CustomContextMenu);
    polishView(view_);

    auto* top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(search_, 1);
    top->addWidget(count_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(view_);

    debounce_->setSingleShot(true);
    debounce_->setInterval(150); // one grouping per pause in typing, not one per key
    connect(debounce_, &QTimer::timeout, this, &HealthPanel::regroup);
    connect(search_, &QLineEdit::textChanged, debounce_, qOverload<>(&QTimer::start));
    // A place's or a finding's row goes to its entry; a rule's row only opens (it spans many places).
    auto activate = [this](const QModelIndex& idx) {
        if (!idx.parent().isValid()) return;
        if (const Finding* f = findingAt(idx)) emit findingActivated(f);
    };
    connect(view_, &QTreeView::activated, this, activate);
    connect(view_, &QTreeView::clicked, this, activate);
    connect(view_, &QTreeView::customContextMenuRequested, this, &HealthPanel::showContextMenu);
}

const Finding* HealthPanel::findingAt(const QModelIndex& viewIndex) const {
    return model_->firstFindingUnder(proxy_->mapToSource(viewIndex));
}

void HealthPanel::setResult(ScanResultPtr result) {
    result_ = std::move(result);
    if (search_->text().trimmed().isEmpty()) {
        ++generation_;
        showResultGroups();
    } else {
        regroup();
    }
}

void HealthPanel::regroup() {
    if (!result_) return;
    auto query = search_->text().trimmed().toStdString();
    auto generation = ++generation_;
    if (query.empty()) {
        showResultGroups();
        return;
    }
    QPointer<HealthPanel> self(this);
    auto result = result_;
    (void)QtConcurrent::run([self, result, query, generation] {
        auto groups = groupFindings(result->findings, query, FindingSource{&result->snapshot, result->lintSpans.get()});
        QMetaObject::invokeMethod(
            self.data(),
            [self, result, generation, groups = std::move(groups)]() mutable {
                if (self && generation == self->generation_) self->showGroups(result, std::make_shared<const FindingGroups>(std::move(groups)));
            },
            Qt::QueuedConnection);
    });
}

void HealthPanel::showResultGroups() {
    showGroups(result_, std::shared_ptr<const FindingGroups>(result_, &result_->groups));
}

void HealthPanel::showGroups(ScanResultPtr result, std::shared_ptr<const FindingGroups> groups) {
    // What is expanded, by rule and place, not by row: both move when findings come or go.
    auto keyOf = [](const QModelIndex& index) {
        return index.data(FindingsModel::RuleIdRole).toString() + QLatin1Char('\n') + index.data(FindingsModel::PlaceRole).toString();
    };
    auto expanded = TreeExpansion::capture(*view_, keyOf);
    auto matched = groups->matched, total = groups->total;
    bool searching = !groups->query.empty();
    model_->setResult(std::move(result), std::move(groups));
    expanded.restore(*view_, keyOf);
    QLocale locale;
    count_->setText(searching ? tr("%1 of %2 findings").arg(locale.toString(qulonglong(matched)), locale.toString(qulonglong(total)))
                              : total == 1 ? tr("1 finding") : tr("%1 findings").arg(locale.toString(qulonglong(total))));
    view_->resizeColumnToContents(FindingsModel::SeverityColumn);
    view_->resizeColumnToContents(FindingsModel::RuleColumn);
    view_->resizeColumnToContents(FindingsModel::WhereColumn);
    emit groupsShown();
}

void HealthPanel::showContextMenu(const QPoint& pos) {
    auto idx = view_->indexAt(pos);
    const Finding* f = findingAt(idx);
    if (!f) return;
    QMenu menu(this);
    menu.addAction(tr("&Go to entry"), this, [this, f] { emit findingActivated(f); });
    addCopyAction(menu, view_);
    if (const Finding* one = model_->findingAt(proxy_->mapToSource(idx))) {
        menu.addAction(tr("&Copy finding"), this, [one] {
            QApplication::clipboard()->setText(QString::fromStdString(one->ruleId + " " + one->message));
        });
    }
    auto rule = QString::fromStdString(f->ruleId);
    menu.addAction(tr("Show only this &rule in the tree"), this, [this, rule] { emit showOnlyRuleRequested(rule); });
    menu.exec(view_->viewport()->mapToGlobal(pos));
}

} // namespace aotiscope::ui
