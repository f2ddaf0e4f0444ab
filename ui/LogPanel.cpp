#include "ui/LogPanel.h"

#include <QMetaObject>
#include <QPointer>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

namespace aotiscope::ui {

namespace {

// Records come from any thread; each is formatted there and queued to the panel, which may be gone.
class QtPanelSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit QtPanelSink(LogPanel* panel) : panel_(panel) {}
    void detach() {
        std::lock_guard lock(mutex_);
        panel_ = nullptr;
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (!panel_) {
            return;
        }
        spdlog::memory_buf_t buf;
        formatter_->format(msg, buf);
        auto line = QString::fromUtf8(buf.data(), qsizetype(buf.size())).trimmed();
        QMetaObject::invokeMethod(panel_, "appendRecord", Qt::QueuedConnection, Q_ARG(QString, line));
    }
    void flush_() override {}

private:
    QPointer<LogPanel> panel_;
};

} // namespace

LogPanel::LogPanel(QWidget* parent) : QPlainTextEdit(parent) {
    setReadOnly(true);
    setMaximumBlockCount(5000);
    setObjectName(QStringLiteral("logPanel"));
    QFont mono(QStringLiteral("monospace"));
    mono.setStyleHint(QFont::Monospace);
    setFont(mono);
}

LogPanel::~LogPanel() {
    if (sink_) {
        std::static_pointer_cast<QtPanelSink>(sink_)->detach();
        auto& sinks = spdlog::default_logger()->sinks();
        sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    }
}

void LogPanel::attachToDefaultLogger() {
    if (sink_) {
        return;
    }
    sink_ = std::make_shared<QtPanelSink>(this);
    sink_->set_pattern("%H:%M:%S.%e %-7l %v");
    spdlog::default_logger()->sinks().push_back(sink_);
}

void LogPanel::appendRecord(const QString& line) { appendPlainText(line); }

} // namespace aotiscope::ui
