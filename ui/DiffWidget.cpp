#include "ui/DiffWidget.h"
#include "ui/ViewHelpers.h"

#include <QBrush>
#include <QColor>
#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace aotiscope::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
QString where(const EntryLocation& l) {
    return QStringLiteral("%1/%2/%3 #%4").arg(q(l.ns), q(l.device), q(l.op)).arg(l.entry);
}
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
    table_->setHeaderLabels({tr("Change"), leftRoot, rightRoot});
    table_->setRootIsDecorated(true);
    verdict_->setText(tr("<b>%1 added, %2 removed, %3 changed, %4 unchanged entries</b> (matched by op and guard fields)")
                          .arg(diff.added.size()).arg(diff.removed.size()).arg(diff.changed.size()).arg(diff.unchanged));
    auto section = [&](const QString& title, const QColor& color) {
        auto* item = new QTreeWidgetItem(QStringList{title});
        item->setForeground(0, QBrush(color));
        table_->addTopLevelItem(item);
        return item;
    };
    auto* added = section(tr("added (%1)").arg(diff.added.size()), QColor(0, 128, 0));
    for (const auto& a : diff.added) added->addChild(new QTreeWidgetItem(QStringList{tr("added"), QString(), where(a)}));
    auto* removed = section(tr("removed (%1)").arg(diff.removed.size()), QColor(178, 34, 34));
    for (const auto& r : diff.removed) removed->addChild(new QTreeWidgetItem(QStringList{tr("removed"), where(r), QString()}));
    auto* changed = section(tr("changed (%1)").arg(diff.changed.size()), QColor(184, 134, 11));
    for (const auto& [l, r] : diff.changed) changed->addChild(new QTreeWidgetItem(QStringList{tr("library or fields"), where(l), where(r)}));
    table_->expandAll();
}

} // namespace aotiscope::ui
