#include "ui/DiffWidget.h"
#include "ui/ViewHelpers.h"

#include <map>

#include <QBrush>
#include <QColor>
#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace aotiscope::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
} // namespace

DiffWidget::DiffWidget(QWidget* parent) : QWidget(parent) {
    verdict_ = new QLabel(tr("Pick two entries: \"Set as left\" on one, then \"Compare with left\" on the other "
                             "(Ctrl+L, Ctrl+D), or File > Compare with cache…"));
    verdict_->setObjectName(QStringLiteral("diffVerdict"));
    verdict_->setWordWrap(true);
    verdict_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    table_ = new QTreeWidget;
    table_->setObjectName(QStringLiteral("diffTable"));
    table_->setHeaderLabels({tr("Field"), tr("Left"), tr("Right")});
    table_->setAlternatingRowColors(true);
    polishView(table_);
    // Long values are cut in their half of the width (the whole value in the tooltip, Ctrl+C copies it) instead of
    // pushing the right-hand side out of sight.
    table_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    table_->header()->setSectionResizeMode(1, QHeaderView::Stretch);
    table_->header()->setSectionResizeMode(2, QHeaderView::Stretch);
    table_->setTextElideMode(Qt::ElideMiddle);
    connect(table_, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
        auto change = item->data(0, ChangeRole).toString();
        if (!change.isEmpty()) emit cacheEntryActivated(change, item->data(0, LeftIdRole).toString(), item->data(0, RightIdRole).toString());
    });
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(verdict_);
    layout->addWidget(table_, 1);
}

void DiffWidget::showEntryDiff(const QString& leftTitle, const QString& rightTitle, const EntryDiff& diff) {
    table_->clear();
    table_->setHeaderLabels({tr("Field"), leftTitle, rightTitle});
    table_->setRootIsDecorated(false);
    verdict_->setText(QStringLiteral("<b>%1</b>").arg(q(diff.verdict).toHtmlEscaped()));
    auto* guards = new QTreeWidgetItem(QStringList{tr("Guard fields (compared when PyTorch matches a call, in its order)")});
    auto* rest = new QTreeWidgetItem(QStringList{tr("Other fields")});
    for (auto* header : {guards, rest}) {
        auto f = header->font(0);
        f.setBold(true);
        header->setFont(0, f);
        table_->addTopLevelItem(header);
    }
    for (const auto& r : diff.rows) {
        auto* item = new QTreeWidgetItem(QStringList{q(r.field), q(r.left), q(r.right)});
        if (r.differs) {
            for (int c = 0; c < 3; ++c) {
                item->setBackground(c, QBrush(r.guard ? QColor(255, 214, 204) : QColor(255, 243, 191)));
                auto f = item->font(c);
                f.setBold(r.guard);
                item->setFont(c, f);
            }
        }
        (r.guard ? guards : rest)->addChild(item);
    }
    table_->setRootIsDecorated(true);
    table_->expandAll();
}

void DiffWidget::showCacheDiff(const QString& leftRoot, const QString& rightRoot, const CacheDiff& diff) {
    table_->clear();
    table_->setHeaderLabels({tr("Op / change"), leftRoot, rightRoot});
    table_->setRootIsDecorated(true);
    verdict_->setText(tr("<b>%1 added, %2 removed, %3 changed, %4 unchanged entries</b> (matched by op and guard fields; "
                         "double-click a row to see it)")
                          .arg(diff.added.size()).arg(diff.removed.size()).arg(diff.changed.size()).arg(diff.unchanged));
    // One row per op either side has, its entries under it: the ops both caches hold side by side.
    struct OpRows {
        QTreeWidgetItem* item = nullptr;
        int added = 0, removed = 0, changed = 0;
    };
    std::map<QString, OpRows> ops;
    auto opName = [](const EntryLocation& l) { return QStringLiteral("%1/%2/%3").arg(q(l.ns), q(l.device), q(l.op)); };
    auto id = [](const EntryLocation& l) { return q(entryId(l.ns, l.device, l.op, l.key)); };
    auto side = [](const EntryLocation& l) { return QStringLiteral("#%1  %2").arg(l.entry).arg(q(l.summary)); };
    auto add = [&](const EntryLocation& any, const QString& change, const EntryLocation* left, const EntryLocation* right,
                   const QString& reason, const QColor& color) {
        auto& op = ops[opName(any)];
        if (!op.item) op.item = new QTreeWidgetItem(QStringList{opName(any)});
        (change == QLatin1String("added") ? op.added : change == QLatin1String("removed") ? op.removed : op.changed)++;
        auto* row = new QTreeWidgetItem(QStringList{change, left ? side(*left) : QString(), right ? side(*right) : QString()});
        row->setForeground(0, QBrush(color));
        row->setData(0, ChangeRole, change);
        row->setData(0, LeftIdRole, left ? id(*left) : QString());
        row->setData(0, RightIdRole, right ? id(*right) : QString());
        if (!reason.isEmpty()) {
            for (int c = 0; c < 3; ++c) row->setToolTip(c, reason);
        }
        op.item->addChild(row);
    };
    for (const auto& a : diff.added) add(a, QStringLiteral("added"), nullptr, &a, tr("only in %1").arg(rightRoot), QColor(0, 128, 0));
    for (const auto& r : diff.removed) add(r, QStringLiteral("removed"), &r, nullptr, tr("only in %1").arg(leftRoot), QColor(178, 34, 34));
    for (std::size_t i = 0; i < diff.changed.size(); ++i) {
        const auto& [l, r] = diff.changed[i];
        add(l, QStringLiteral("changed"), &l, &r, i < diff.changeReasons.size() ? q(diff.changeReasons[i]) : QString(), QColor(184, 134, 11));
    }
    for (auto& [name, op] : ops) {
        auto same = diff.unchangedByOp.contains(name.toStdString()) ? diff.unchangedByOp.at(name.toStdString()) : 0;
        QStringList parts;
        if (op.added) parts << tr("%1 added").arg(op.added);
        if (op.removed) parts << tr("%1 removed").arg(op.removed);
        if (op.changed) parts << tr("%1 changed").arg(op.changed);
        parts << tr("%1 unchanged").arg(same);
        op.item->setText(0, QStringLiteral("%1  (%2)").arg(name, parts.join(QStringLiteral(", "))));
        table_->addTopLevelItem(op.item);
    }
    if (ops.empty()) table_->addTopLevelItem(new QTreeWidgetItem(QStringList{tr("The caches hold the same entries")}));
    table_->expandAll();
}

} // namespace aotiscope::ui
