// "Would this call hit?": a call written as the meta_info PyTorch's writer records, prefilled from an entry, and
// the matcher's answer for it as the user edits (the entry it runs, or the miss and the fields that differ).
#pragma once

#include "ui/ScanResult.h"

#include <QDialog>

class QLabel;
class QPlainTextEdit;
class QTimer;

namespace aotiscope::ui {

class CallCheckDialog : public QDialog {
    Q_OBJECT
public:
    // The op is looked up in `result` (kept alive by the dialog) by namespace, device and name.
    CallCheckDialog(ScanResultPtr result, std::string ns, std::string device, std::string op, const QString& callJson,
                    QWidget* parent = nullptr);
    QPlainTextEdit* editor() const { return editor_; }
    QString answer() const; // the text shown under the editor
    void check();           // at once (the dialog also checks 300 ms after each edit)

private:
    ScanResultPtr result_;
    std::string ns_, device_, op_;
    QPlainTextEdit* editor_;
    QLabel* answer_;
    QTimer* debounce_;
};

// The meta_info of the entry with this key in its op file, pretty-printed; empty when the file no longer has it.
QString entryMetaInfoText(const OpFile& op, const std::string& entryKey);

} // namespace aotiscope::ui
