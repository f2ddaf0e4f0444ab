#include "ui/EditController.h"

#include "core/edit/FileLock.h"
#include "ui/ScanController.h"
#include "ui/CacheTreeModel.h"

#include <QMessageBox>
#include <QPointer>
#include <QWidget>
#include <QtConcurrent/QtConcurrentRun>

#include <spdlog/spdlog.h>

namespace aotiscope::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
} // namespace

EditController::EditController(QWidget* window, ScanController* scans) : QObject(window), window_(window), scans_(scans) {}

void EditController::run(const ScanResultPtr& current, const QString& title, std::function<EditPlan(const CacheSnapshot&)> makePlan) {
    if (!current || !current->librariesInspected) {
        emit status(tr("Wait for the scan to finish"));
        return;
    }
    auto plan = makePlan(current->snapshot);
    if (plan.empty()) {
        QMessageBox::information(window_, title, tr("Nothing to remove.") + (plan.notes.empty() ? QString() : QLatin1Char('\n') + q(plan.notes.front())));
        return;
    }
    QStringList lines;
    for (const auto& e : plan.entries) lines << QStringLiteral("entry %1/%2/%3 #%4 (%5) — %6").arg(q(e.ns), q(e.device), q(e.op)).arg(e.index).arg(q(e.key), q(e.reason));
    for (const auto& f : plan.files) lines << QStringLiteral("file %1 (%2)").arg(q(f.path), formatBytes(qint64(f.bytes)));
    for (const auto& n : plan.notes) lines << QStringLiteral("note: %1").arg(q(n));
    auto summary = q(plan.summary()) + tr(". It can be undone (File > Undo last removal).");
    if (!(confirm ? confirm(summary, lines.join(QLatin1Char('\n'))) : [&] {
            QMessageBox box(QMessageBox::Question, title, summary, QMessageBox::Ok | QMessageBox::Cancel, window_);
            box.setDetailedText(lines.join(QLatin1Char('\n')));
            return box.exec() == QMessageBox::Ok;
        }())) {
        return;
    }
    QPointer<EditController> self(this);
    emit working(tr("%1: waiting for PyTorch's locks and removing…").arg(title));
    (void)QtConcurrent::run([self, plan] {
        auto r = applyPlan(plan, FileLock::defaultTimeout());
        QMetaObject::invokeMethod(self.data(), [self, r] {
            if (!self) return;
            QStringList errors;
            for (const auto& e : r.errors) errors << q(e);
            if (!r.trashId.empty()) self->lastTrashId_ = q(r.trashId);
            spdlog::info("removed {} entries and {} files into trash {}", r.entriesRemoved, r.filesMoved, r.trashId);
            for (const auto& e : r.errors) spdlog::warn("{}", e);
            emit self->applied(q(r.trashId), errors);
            self->scans_->rescan();
        }, Qt::QueuedConnection);
    });
}

void EditController::undoLast(const ScanResultPtr& current) {
    if (!current) return;
    auto root = current->snapshot.root;
    auto id = lastTrashId_.toStdString();
    if (id.empty()) {
        auto records = listTrash(root);
        if (records.empty()) {
            emit status(tr("Nothing to undo"));
            return;
        }
        id = records.front().id;
    }
    QPointer<EditController> self(this);
    (void)QtConcurrent::run([self, root, id] {
        auto r = restoreTrash(root, id, FileLock::defaultTimeout());
        QMetaObject::invokeMethod(self.data(), [self, r] {
            if (!self) return;
            QStringList errors;
            for (const auto& e : r.errors) errors << q(e);
            self->lastTrashId_.clear();
            spdlog::info("restored {}: {} entries, {} files", r.trashId, r.entriesRemoved, r.filesMoved);
            emit self->applied(QString(), errors);
            self->scans_->rescan();
        }, Qt::QueuedConnection);
    });
}

} // namespace aotiscope::ui
