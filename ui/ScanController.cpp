#include "ui/ScanController.h"

#include "core/CacheScanner.h"
#include "core/InspectionCache.h"

#include <QFileSystemWatcher>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <spdlog/spdlog.h>

#include <utility>

namespace aotiscope::ui {

namespace {
// Watching every op file costs an inotify watch each; above this many, only folders are watched.
constexpr int kMaxWatchedFiles = 2000;
} // namespace

ScanController::ScanController(QObject* parent)
    : QObject(parent), watcher_(new QFileSystemWatcher(this)), debounce_(new QTimer(this)) {
    qRegisterMetaType<aotiscope::ui::ScanResultPtr>("aotiscope::ui::ScanResultPtr");
    debounce_->setSingleShot(true);
    debounce_->setInterval(500); // PyTorch rewrites a file in several writes: wait for it to settle
    connect(debounce_, &QTimer::timeout, this, &ScanController::rescanIfChanged);
    auto poke = [this](const QString& path) {
        if (autoRefresh_) {
            spdlog::debug("cache changed: {}", path.toStdString());
            debounce_->start();
        }
    };
    connect(watcher_, &QFileSystemWatcher::directoryChanged, this, poke);
    connect(watcher_, &QFileSystemWatcher::fileChanged, this, poke);
}

ScanController::~ScanController() {
    if (cancel_) {
        cancel_->store(true);
    }
}

void ScanController::setAutoRefresh(bool on) { autoRefresh_ = on; }

void ScanController::rescan() {
    if (!root_.isEmpty()) {
        scan(root_);
    }
}

void ScanController::rescanIfChanged() {
    if (root_.isEmpty()) return;
    if (scanning_) {
        checkAfterScan_ = true; // the scan under way may have read before the change, or after it
        return;
    }
    if (!last_ || !last_->snapshot.eagerDirExists) {
        rescan();
        return;
    }
    QPointer<ScanController> self(this);
    auto last = last_;
    auto generation = generation_;
    (void)QtConcurrent::run([self, last, generation] {
        auto changes = changesSince(last->snapshot);
        QMetaObject::invokeMethod(
            self.data(),
            [self, generation, changes = std::move(changes)] {
                if (!self || generation != self->generation_) return; // another scan started meanwhile
                if (changes.any()) {
                    spdlog::info("changed on disk: {}", changes.summary());
                    self->rescan();
                } else {
                    spdlog::debug("watcher event, but the disk is as the last scan saw it: no rescan");
                    emit self->unchangedOnDisk();
                }
            },
            Qt::QueuedConnection);
    });
}

void ScanController::scan(const QString& root) {
    if (cancel_) {
        cancel_->store(true); // the older scan's result is not wanted any more
    }
    if (root != root_ || !inspections_) {
        inspections_ = std::make_shared<InspectionCache>(InspectionCache::defaultFileFor(root.toStdString()));
    }
    root_ = root;
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    auto generation = ++generation_;
    scanning_ = true;
    lastPerMille_ = -1;
    clock_.start();
    emit started(root);
    spdlog::info("scanning {}", root.toStdString());

    QPointer<ScanController> self(this);
    auto cancel = cancel_;
    auto host = host_;
    auto rootStd = root.toStdString();
    auto inspections = inspections_;
    (void)QtConcurrent::run([self, cancel, host, rootStd, generation, inspections]() {
        ScanOptions options;
        options.cancelled = cancel.get();
        options.inspectionCache = inspections.get();
        options.progress = [self, generation](std::size_t done, std::size_t total) {
            int perMille = total ? int(done * 1000 / total) : 1000;
            QMetaObject::invokeMethod(
                self.data(),
                [self, generation, perMille] {
                    if (!self || generation != self->generation_ || perMille - self->lastPerMille_ < 1) {
                        return; // throttled: no update under 0.1 %
                    }
                    self->lastPerMille_ = perMille;
                    double elapsed = double(self->clock_.elapsed()) / 1000.0;
                    double remaining = perMille > 0 ? elapsed * (1000 - perMille) / perMille : 0.0;
                    emit self->progress(perMille, elapsed, remaining);
                },
                Qt::QueuedConnection);
        };
        // Detecting the host spawns a process: once per controller, off the GUI thread.
        HostInfo h = host ? *host : HostInfo::detect();
        // Phase 1: the tree, from the JSON files and a stat of lib/ (no library is opened).
        options.inspectLibraries = false;
        auto quick = lintAndIndex(scanCache(rootStd, options), h, false);
        if (cancel->load()) {
            return;
        }
        bool needsPhase2 = quick->snapshot.eagerDirExists;
        if (needsPhase2) {
            QMetaObject::invokeMethod(self.data(), [self, generation, quick] {
                if (self && generation == self->generation_) {
                    emit self->partial(quick);
                }
            }, Qt::QueuedConnection);
        }
        // Phase 2: ELF headers and sidecars of every kernel, then the full lint.
        auto result = needsPhase2 ? lintAndIndex(inspectSnapshot(quick->snapshot, options), h, true) : quick;
        if (cancel->load()) {
            return;
        }
        if (auto error = inspections->save(); !error.empty()) {
            spdlog::warn("{}", error);
        }
        QMetaObject::invokeMethod(
            self.data(),
            [self, generation, result] {
                if (self) {
                    self->deliver(generation, result);
                }
            },
            Qt::QueuedConnection);
    });
}

void ScanController::deliver(quint64 generation, ScanResultPtr result) {
    if (generation != generation_) {
        return; // a newer scan is under way
    }
    scanning_ = false;
    host_ = result->host;
    last_ = result;
    if (!result->snapshot.eagerDirExists) {
        spdlog::warn("{}", result->snapshot.error);
        emit failed(QString::fromStdString(result->snapshot.error));
    } else {
        spdlog::info("scanned {}: {} ops, {} entries, {} findings in {:.3f}s + lint {:.3f}s", result->snapshot.root,
                     result->snapshot.opCount(), result->snapshot.entryCount(), result->findings.size(),
                     result->snapshot.scanSeconds, result->lintSeconds);
    }
    watch(*result);
    emit finished(std::move(result));
    if (std::exchange(checkAfterScan_, false)) rescanIfChanged();
}

void ScanController::watch(const ScanResult& result) {
    QStringList dirs{QString::fromStdString(result.snapshot.root)};
    QStringList files;
    if (result.snapshot.eagerDirExists) {
        dirs << QString::fromStdString(result.snapshot.eagerDir);
    }
    for (const auto& ns : result.snapshot.namespaces) {
        dirs << QString::fromStdString(ns.path);
        for (const auto& dev : ns.devices) {
            dirs << QString::fromStdString(dev.path);
            for (const auto& op : dev.ops()) {
                if (files.size() < kMaxWatchedFiles) {
                    files << QString::fromStdString(op.path);
                }
            }
        }
    }
    // Only what changed is unwatched or watched: removing a watch and adding it again drops the events already
    // queued on it, such as PyTorch's write during the scan that just finished.
    auto update = [this](const QStringList& watched, const QStringList& wanted) {
        QSet<QString> want(wanted.begin(), wanted.end()), have(watched.begin(), watched.end());
        QStringList gone, added;
        for (const auto& p : watched) {
            if (!want.contains(p)) gone << p;
        }
        for (const auto& p : wanted) {
            if (!have.contains(p)) added << p;
        }
        if (!gone.isEmpty()) watcher_->removePaths(gone);
        if (!added.isEmpty()) watcher_->addPaths(added);
    };
    update(watcher_->directories(), dirs);
    update(watcher_->files(), files);
}

} // namespace aotiscope::ui
