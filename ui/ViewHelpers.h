// What every item view of the window does alike: a cell whose text is cut ("…") shows all of it as its tooltip,
// and Ctrl+C (or Copy in the view's context menu) puts the selected cells on the clipboard, rows as lines and
// cells separated by tabs, so any value can be pasted into a terminal or a bug report.
#pragma once

#include <QLabel>
#include <QStyledItemDelegate>

class QAbstractItemView;
class QMenu;

namespace aotiscope::ui {

class FullTextDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    bool helpEvent(QHelpEvent* event, QAbstractItemView* view, const QStyleOptionViewItem& option,
                   const QModelIndex& index) override;
    // Whether the cell at index, drawn in option's rectangle, cuts its text.
    bool isCut(const QStyleOptionViewItem& option, const QModelIndex& index) const;
    // The tooltip the cell shows: its whole text when cut, above the model's own tooltip; else the model's.
    QString toolTip(const QStyleOptionViewItem& option, const QModelIndex& index) const;
};

// A one-line label that never widens its window: text that does not fit ends in "…", and the whole of it is the
// tooltip and can be selected and copied (paths of caches and history files are long).
class ElidedLabel : public QLabel {
    Q_OBJECT
public:
    explicit ElidedLabel(QWidget* parent = nullptr);
    void setFullText(const QString& text);
    QString fullText() const { return full_; }
    bool isElided() const { return text() != full_; }
    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void elide();
    QString full_;
};

// The selected cells' text (the current cell when nothing is selected).
QString selectedText(const QAbstractItemView* view);
// Installs the delegate and Ctrl+C; views without a context menu of their own get one with Copy.
void polishView(QAbstractItemView* view);
// Adds Copy (Ctrl+C) for this view to a context menu the view builds itself.
void addCopyAction(QMenu& menu, const QAbstractItemView* view);

} // namespace aotiscope::ui
