#include "ui/CallCheckDialog.h"

#include "core/read/EntryKey.h"
#include "core/base/FileUtil.h"
#include "core/check/Matcher.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QTimer>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

namespace aotiscope::ui {

QString entryMetaInfoText(const OpFile& op, const std::string& entryKey) {
    std::string text;
    if (!readWholeFile(op.path, text).empty()) return {};
    auto entries = nlohmann::ordered_json::parse(text, nullptr, false);
    if (!entries.is_array()) return {};
    auto keys = entryKeysOf(entries);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (keys[i] == entryKey && entries[i].contains("meta_info")) {
            return QString::fromStdString(entries[i]["meta_info"].dump(2));
        }
    }
    return {};
}

CallCheckDialog::CallCheckDialog(ScanResultPtr result, std::string ns, std::string device, std::string op,
                                 const QString& callJson, QWidget* parent)
    : QDialog(parent), result_(std::move(result)), ns_(std::move(ns)), device_(std::move(device)), op_(std::move(op)),
      editor_(new QPlainTextEdit(callJson)), answer_(new QLabel), debounce_(new QTimer(this)) {
    setWindowTitle(tr("Would this call hit? — %1/%2/%3").arg(QString::fromStdString(ns_), QString::fromStdString(device_),
                                                              QString::fromStdString(op_)));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("The call's arguments as PyTorch's writer records them (meta_info). Edit a field "
                                    "(sizes, dtype, a scalar value) to see whether PyTorch would run a cached kernel:")));
    editor_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    layout->addWidget(editor_, 1);
    answer_->setWordWrap(true);
    answer_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    answer_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    layout->addWidget(answer_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    debounce_->setSingleShot(true);
    debounce_->setInterval(300);
    connect(debounce_, &QTimer::timeout, this, &CallCheckDialog::check);
    connect(editor_, &QPlainTextEdit::textChanged, debounce_, qOverload<>(&QTimer::start));
    resize(640, 520);
    check();
}

QString CallCheckDialog::answer() const { return answer_->text(); }

void CallCheckDialog::check() {
    Entry call;
    std::string error;
    if (!parseCallSpec(editor_->toPlainText().toStdString(), call, error)) {
        answer_->setText(tr("Not a call: %1").arg(QString::fromStdString(error)));
        return;
    }
    // The matcher over one op's entries: microseconds, so it runs here on each edit.
    for (const auto& ns : result_->snapshot.namespaces) {
        if (ns.name != ns_) continue;
        for (const auto& dev : ns.devices) {
            if (dev.name != device_) continue;
            for (const auto& op : dev.ops()) {
                if (op.name == op_) {
                    answer_->setText(QString::fromStdString(describeMatch(op, matchCall(op, dev, call))).trimmed());
                    return;
                }
            }
        }
    }
    answer_->setText(tr("The op %1 is no longer in this cache").arg(QString::fromStdString(op_)));
}

} // namespace aotiscope::ui
