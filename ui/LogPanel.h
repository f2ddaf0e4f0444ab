// The log panel: a spdlog sink that forwards every record to the GUI thread, and the view that shows them.
#pragma once

#include <QPlainTextEdit>

#include <memory>

namespace spdlog::sinks {
class sink;
}

namespace aotiscope::ui {

class LogPanel : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit LogPanel(QWidget* parent = nullptr);
    ~LogPanel() override;
    // Adds this panel's sink to spdlog's default logger (removed again when the panel goes).
    void attachToDefaultLogger();

public slots:
    void appendRecord(const QString& line);

private:
    std::shared_ptr<spdlog::sinks::sink> sink_;
};

} // namespace aotiscope::ui
