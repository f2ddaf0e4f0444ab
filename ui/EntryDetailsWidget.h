// Details of one entry: a row per argument (tensor list items as children), its library and sidecars, and
// the findings that concern it.
#pragma once

#include "ui/ScanResult.h"

#include <QWidget>

class QLabel;
class QSplitter;
class QTreeWidget;
class QPlainTextEdit;

namespace aotiscope::ui {

class EntryDetailsWidget : public QWidget {
    Q_OBJECT
public:
    explicit EntryDetailsWidget(QWidget* parent = nullptr);
    // Shows the entry (nullptr clears). The result must outlive the call only.
    void showEntry(const ScanResult& result, const NamespaceDir& ns, const DeviceDir& device, const OpFile& op,
                   const Entry* entry);
    void clear();

    QTreeWidget* argumentsView() const { return args_; }
    QTreeWidget* libraryView() const { return library_; }
    QTreeWidget* findingsView() const { return findings_; }
    QLabel* titleLabel() const { return title_; }

private:
    QLabel* title_;
    QTreeWidget* args_;
    QTreeWidget* library_;
    QTreeWidget* findings_;
    QSplitter* split_;
    void shareHeight(); // each section as tall as its rows ask, in proportion when they do not all fit
};

} // namespace aotiscope::ui
