#include "ui/ViewHelpers.h"

#include <QAbstractItemView>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QHelpEvent>
#include <QItemSelectionModel>
#include <QMenu>
#include <QToolTip>

#include <algorithm>
#include <map>

namespace aotiscope::ui {

bool FullTextDelegate::isCut(const QStyleOptionViewItem& option, const QModelIndex& index) const {
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    if (opt.text.isEmpty()) return false;
    const QWidget* widget = opt.widget;
    auto* style = widget ? widget->style() : QApplication::style();
    auto textRect = style->subElementRect(QStyle::SE_ItemViewItemText, &opt, widget);
    // The style's own margin around the text (QCommonStyle: pixel metric FocusFrameHMargin + 1 on each side).
    int margin = style->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, widget) + 1;
    return opt.fontMetrics.horizontalAdvance(opt.text) > textRect.width() - 2 * margin;
}

QString FullTextDelegate::toolTip(const QStyleOptionViewItem& option, const QModelIndex& index) const {
    auto own = index.data(Qt::ToolTipRole).toString();
    if (!isCut(option, index)) return own;
    auto text = index.data(Qt::DisplayRole).toString();
    return own.isEmpty() || own == text ? text : text + QStringLiteral("\n\n") + own;
}

bool FullTextDelegate::helpEvent(QHelpEvent* event, QAbstractItemView* view, const QStyleOptionViewItem& option,
                                 const QModelIndex& index) {
    if (event && event->type() == QEvent::ToolTip && index.isValid()) {
        auto tip = toolTip(option, index);
        if (tip.isEmpty()) QToolTip::hideText();
        else QToolTip::showText(event->globalPos(), tip, view, option.rect);
        return true;
    }
    return QStyledItemDelegate::helpEvent(event, view, option, index);
}

QString selectedText(const QAbstractItemView* view) {
    auto* selection = view->selectionModel();
    auto cells = selection ? selection->selectedIndexes() : QModelIndexList{};
    if (cells.isEmpty() && view->currentIndex().isValid()) cells << view->currentIndex();
    // By row (parent chain, then row), then column: the order they are seen in.
    std::map<std::pair<QList<int>, int>, QString> byPlace;
    for (const auto& c : cells) {
        QList<int> path;
        for (auto p = c.parent(); p.isValid(); p = p.parent()) path.prepend(p.row());
        path << c.row();
        byPlace[{path, c.column()}] = c.data(Qt::DisplayRole).toString();
    }
    QString out;
    QList<int> row;
    bool first = true;
    for (const auto& [place, text] : byPlace) {
        if (!first) out += place.first == row ? QStringLiteral("\t") : QStringLiteral("\n");
        out += text;
        row = place.first;
        first = false;
    }
    return out;
}

void addCopyAction(QMenu& menu, const QAbstractItemView* view) {
    auto* copy = menu.addAction(QObject::tr("&Copy"), view, [view] { QApplication::clipboard()->setText(selectedText(view)); });
    copy->setShortcut(QKeySequence::Copy);
}

void polishView(QAbstractItemView* view) {
    view->setItemDelegate(new FullTextDelegate(view));
    auto* copy = new QAction(QObject::tr("&Copy"), view);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    QObject::connect(copy, &QAction::triggered, view, [view] { QApplication::clipboard()->setText(selectedText(view)); });
    view->addAction(copy);
    if (view->contextMenuPolicy() == Qt::DefaultContextMenu) view->setContextMenuPolicy(Qt::ActionsContextMenu);
}

ElidedLabel::ElidedLabel(QWidget* parent) : QLabel(parent) {
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    setTextInteractionFlags(Qt::TextSelectableByMouse);
}

void ElidedLabel::setFullText(const QString& text) {
    full_ = text;
    setToolTip(text);
    elide();
}

QSize ElidedLabel::minimumSizeHint() const { return {fontMetrics().horizontalAdvance(QStringLiteral("…")) * 4, QLabel::minimumSizeHint().height()}; }

QSize ElidedLabel::sizeHint() const { return {fontMetrics().horizontalAdvance(full_) + 4, QLabel::sizeHint().height()}; }

void ElidedLabel::resizeEvent(QResizeEvent* event) {
    QLabel::resizeEvent(event);
    elide();
}

void ElidedLabel::elide() {
    // Paths keep their end (the file name), so the middle goes.
    setText(fontMetrics().elidedText(full_, Qt::ElideMiddle, std::max(0, contentsRect().width())));
}

} // namespace aotiscope::ui
