#include "ui/DiffController.h"

#include "core/read/CacheScanner.h"
#include "core/report/EntryDiff.h"
#include "ui/DiffWidget.h"

#include <QDialog>
#include <QMessageBox>
#include <QPointer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <spdlog/spdlog.h>

namespace aotiscope::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

const Entry* findEntry(const CacheSnapshot& snap, const QString& id) {
    const Entry* found = nullptr;
    forEachOp(snap, [&](const NamespaceDir& ns, const DeviceDir& dev, const OpFile& op) {
        for (const auto& e : op.entries) {
            if (!found && q(entryId(ns.name, dev.name, op.name, e.key)) == id) found = &e;
        }
    });
    return found;
}
} // namespace

DiffController::DiffController(DiffWidget* view, QWidget* window, std::function<ScanResultPtr()> current)
    : QObject(window), view_(view), window_(window), current_(std::move(current)) {
    connect(view_, &DiffWidget::cacheEntryActivated, this, &DiffController::openCacheDiffRow);
}

void DiffController::setLeft(const ScanResultPtr& result, const QString& key) {
    if (key.isEmpty() || key.endsWith(QStringLiteral("#-1"))) {
        emit status(tr("Select an entry to compare"), 4000);
        return;
    }
    leftResult_ = result;
    leftKey_ = key;
    emit status(tr("Left side of the diff: %1 — now pick another entry and Compare with left (Ctrl+D)").arg(key), 8000);
}

void DiffController::compareWithLeft(const QString& rightKey, const CacheTreeModel::EntryRef& right) {
    if (!leftResult_ || !right.entry) {
        emit status(tr("Set a left entry first (Ctrl+L), then select another entry"), 4000);
        return;
    }
    // The left entry may come from an earlier scan: it is looked up in the result it was picked from.
    CacheTreeModel leftModel;
    leftModel.setResult(leftResult_);
    auto left = leftModel.entryAt(leftModel.indexForEntryKey(leftKey_));
    if (!left.entry) {
        emit status(tr("The left entry is gone"), 4000);
        return;
    }
    bool sameFile = left.op->path == right.op->path;
    // The later entry of one file is the one shadowed: diff in file order.
    bool swap = sameFile && left.entry->index > right.entry->index;
    auto d = swap ? diffEntries(*right.entry, *left.entry, true) : diffEntries(*left.entry, *right.entry, sameFile);
    auto leftTitle = swap ? rightKey : leftKey_;
    auto rightTitle = swap ? leftKey_ : rightKey;
    view_->showEntryDiff(leftTitle, rightTitle, d);
    emit shown();
    spdlog::info("diff {} vs {}: {}", leftTitle.toStdString(), rightTitle.toStdString(), d.verdict);
}

void DiffController::compareWithCache(const ScanResultPtr& mine, const QString& otherRoot) {
    if (!mine) return;
    QPointer<DiffController> self(this);
    emit working(tr("Scanning %1 to compare…").arg(otherRoot));
    (void)QtConcurrent::run([self, mine, otherRoot] {
        ScanOptions options;
        options.inspectLibraries = false;
        auto other = std::make_shared<CacheSnapshot>(scanCache(otherRoot.toStdString(), options));
        auto d = std::make_shared<CacheDiff>(diffCaches(mine->snapshot, *other));
        QMetaObject::invokeMethod(self.data(), [self, mine, other, d] {
            if (!self) return;
            emit self->workDone();
            if (!other->eagerDirExists) {
                QMessageBox::warning(self->window_, tr("Compare with cache"), q(other->error));
                return;
            }
            self->cacheLeft_ = mine;
            self->cacheRight_ = other;
            self->view_->showCacheDiff(q(mine->snapshot.root), q(other->root), *d);
            emit self->shown();
            spdlog::info("compared {} with {}: {} added, {} removed, {} changed", mine->snapshot.root, other->root,
                         d->added.size(), d->removed.size(), d->changed.size());
            emit self->cacheCompared();
        }, Qt::QueuedConnection);
    });
}

void DiffController::openCacheDiffRow(const QString& change, const QString& leftId, const QString& rightId) {
    if (!cacheLeft_ || !cacheRight_) return;
    if (change == QLatin1String("changed")) {
        // The two entries side by side, in a window of their own: the cache diff stays where it is.
        const Entry* l = findEntry(cacheLeft_->snapshot, leftId);
        const Entry* r = findEntry(*cacheRight_, rightId);
        if (!l || !r) return;
        auto* dialog = new QDialog(window_);
        dialog->setObjectName(QStringLiteral("cacheDiffEntry"));
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->setWindowTitle(tr("%1 in both caches").arg(leftId.section(QLatin1Char('@'), 0, 0)));
        dialog->resize(900, 480);
        auto* view = new DiffWidget;
        view->showEntryDiff(leftId + QStringLiteral("  (") + q(cacheLeft_->snapshot.root) + QLatin1Char(')'),
                            rightId + QStringLiteral("  (") + q(cacheRight_->root) + QLatin1Char(')'), diffEntries(*l, *r, false));
        (new QVBoxLayout(dialog))->addWidget(view);
        dialog->show();
    } else if (!leftId.isEmpty() && cacheLeft_ == current_()) {
        emit entryRequested(leftId); // only in the open cache: show it there
    } else {
        emit status(tr("%1 is only in %2").arg(leftId.isEmpty() ? rightId : leftId,
                                               q(leftId.isEmpty() ? cacheRight_->root : cacheLeft_->snapshot.root)), 6000);
    }
}

} // namespace aotiscope::ui
