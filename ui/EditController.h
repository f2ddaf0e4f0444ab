// The window's changes to the cache (delete, prune, repair, evict, undo): a plan made from the last scan, shown
// and confirmed, applied under PyTorch's locks off the GUI thread (core/edit/CacheEditor.h), then a rescan.
#pragma once

#include "core/edit/CacheEditor.h"
#include "ui/ScanResult.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>

class QWidget;

namespace aotiscope::ui {

class ScanController;

class EditController : public QObject {
    Q_OBJECT
public:
    EditController(QWidget* window, ScanController* scans);

    // Asks whether to apply a plan (its summary, and one line per entry or file); null: a message box.
    std::function<bool(const QString& summary, const QString& details)> confirm;

    // Plans against `current` (which must be inspected), asks, applies. A plan with nothing in it says so.
    void run(const ScanResultPtr& current, const QString& title, std::function<EditPlan(const CacheSnapshot&)> makePlan);
    // Puts back the last removal of this window, or else the newest trash record of the cache.
    void undoLast(const ScanResultPtr& current);

signals:
    void applied(const QString& trashId, const QStringList& errors); // trashId empty: an undo
    void status(const QString& message);   // for the status bar
    void working(const QString& message);  // for the summary line while a change runs

private:
    QWidget* window_;
    ScanController* scans_;
    QString lastTrashId_;
};

} // namespace aotiscope::ui
