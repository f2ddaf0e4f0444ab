#include "ui/ScanController.h"

#include "core/read/CacheScanner.h"
#include "core/read/InspectionCache.h"

#include <QFileSystemWatcher>
#include <QPointer>
#include <QSet>
#include <QThread>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <utility>

namespace aotiscope::ui {

namespace {
// PyTorch rewrites an op file in place: only a watch on the file itself sees that (a folder's watch reports files
// added, removed or renamed). Each costs an inotify watch, of which a user has max_user_watches for all programs:
// the window takes at most a quarter of them.
int maxWatchedFiles() {
    static const int limit = [] {
        long watches = 8192; // the kernel's old default
        if (std::ifstream in("/proc/sys/fs/inotify/max_user_watches"); in) in >> watches;
        return int(std::clamp(watches / 4, 256L, 100000L));
    }();
    return limit;
}
} // namespace

ScanController::ScanController(QObject* parent)
    : QObject(parent), watcherThread_(new QThread(this)), watcher_(new QFileSystemWatcher), debounce_(new QTimer(this)),
      fullCheck_(new QTimer(this)) {
    // Adding 10,000 watches stalled the GUI thread 0.7 s: the watcher lives in a thread of its own.
    watcherThread_->setObjectName(QStringLiteral("cache watcher"));
    watcher_->moveToThread(watcherThread_);
    watcherThread_->start();
    qRegisterMetaType<aotiscope::ui::ScanResultPtr>("aotiscope::ui::ScanResultPtr");
    debounce_->setSingleShot(true);
    debounce_->setInterval(kSettleMs);
    connect(debounce_, &QTimer::timeout, this, &ScanController::rescanIfChanged);
    fullCheck_->setSingleShot(true);
    fullCheck_->setInterval(kFullCheckMs);
    connect(fullCheck_, &QTimer::timeout, this, [this] {
        if (scanning_) fullCheck_->start(); // after the scan under way
        else if (autoRefresh_ && last_) refresh(Refresh::kFull);
    });
    // Only watched op files are files: a rewrite of one names it, and the refresh reads it alone; a folder's event
    // (an op file added, removed or renamed) makes it a refresh of everything.
    auto poke = [this](const QString& path, bool folder) {
        if (!autoRefresh_) return;
        spdlog::debug("cache changed: {}", path.toStdString());
        if (folder) folderChanged_ = true;
        else if (auto p = path.toStdString(); std::ranges::find(rewrittenOpFiles_, p) == rewrittenOpFiles_.end())
            rewrittenOpFiles_.push_back(std::move(p));
        debounce_->start();
    };
    connect(watcher_, &QFileSystemWatcher::directoryChanged, this, [poke](const QString& path) { poke(path, true); });
    connect(watcher_, &QFileSystemWatcher::fileChanged, this, [poke](const QString& path) { poke(path, false); });
}

ScanController::~ScanController() {
    if (cancel_) {
        cancel_->store(true);
    }
    watcherThread_->quit();
    watcherThread_->wait();
    delete watcher_;
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
    if (!last_ || !last_->snapshot.eagerDirExists || !last_->librariesInspected) {
        rescan();
        return;
    }
    refresh(Refresh::kNamed);
}

void ScanController::watchesPlaced(bool added) {
    if (added) watchCheckDue_ = true;
    checkIfWatchesNew();
}

void ScanController::checkIfWatchesNew() {
    if (scanning_) return; // once its result is in (and watched)
    if (!std::exchange(watchCheckDue_, false) || !autoRefresh_ || !last_ || !last_->snapshot.eagerDirExists) {
        emit watching();
        return;
    }
    // A write after the last scan read a file and before its watch was in place reached no watch: read the disk once.
    refresh(Refresh::kWatchesPlaced);
}

void ScanController::refresh(Refresh why) {
    // One phase, from the last result: op files and lib/ folders whose identity is unchanged are carried over, only
    // what changed is read (ScanOptions::previous). Nothing changed: no new result, the window stays as it is.
    auto named = std::make_shared<std::vector<std::string>>(std::exchange(rewrittenOpFiles_, {}));
    bool onlyNamed = why == Refresh::kNamed && !std::exchange(folderChanged_, false) && !named->empty();
    if (onlyNamed) fullCheck_->start();
    else fullCheck_->stop(); // this refresh is one
    auto run = beginRun();
    QPointer<ScanController> self(this);
    auto last = last_;
    (void)QtConcurrent::run([self, last, run, named, onlyNamed, why] {
        auto generation = run.generation;
        auto cancel = run.cancel;
        auto options = run.options();
        options.previous = &last->snapshot;
        if (onlyNamed) options.onlyOpFiles = named.get();
        auto snapshot = scanCache(last->snapshot.root, options);
        if (cancel->load()) return;
        auto work = snapshot.work;
        bool changed = !work.changes.empty() || !snapshot.eagerDirExists; // a root that went is a change too
        auto result = changed ? lintAndIndex(std::move(snapshot), last->host, true, last.get()) : last;
        QMetaObject::invokeMethod(
            self.data(),
            [self, generation, result, changed, why, work = std::move(work)] {
                if (!self || generation != self->generation_) return; // another scan started meanwhile
                if (changed) {
                    spdlog::info("changed on disk: {}; read {} op file(s) and {} lib/ folder(s), carried over {} and {}",
                                 work.summary(), work.opFilesParsed, work.libFoldersListed.size(), work.opFilesReused,
                                 work.libFoldersReused);
                    self->deliver(generation, result);
                    return;
                }
                self->scanning_ = false;
                if (why == Refresh::kWatchesPlaced) {
                    emit self->watching();
                } else {
                    spdlog::debug("watcher event, but the disk is as the last scan saw it: no rescan");
                    emit self->unchangedOnDisk();
                }
                if (std::exchange(self->checkAfterScan_, false)) self->rescanIfChanged();
                else if (self->watchCheckDue_) self->checkIfWatchesNew();
            },
            Qt::QueuedConnection);
    });
}

void ScanController::scan(const QString& root) {
    if (cancel_) {
        cancel_->store(true); // the older scan's result is not wanted any more
    }
    // This scan reads everything: what the watcher named so far is in it.
    rewrittenOpFiles_.clear();
    folderChanged_ = false;
    fullCheck_->stop();
    if (root != root_ || !inspections_) {
        inspections_ = std::make_shared<InspectionCache>(InspectionCache::defaultFileFor(root.toStdString()));
    }
    root_ = root;
    auto run = beginRun();
    lastPerMille_ = -1;
    clock_.start();
    emit started(root);
    spdlog::info("scanning {}", root.toStdString());

    QPointer<ScanController> self(this);
    auto host = host_;
    auto rootStd = root.toStdString();
    (void)QtConcurrent::run([self, host, rootStd, run]() {
        auto generation = run.generation;
        auto cancel = run.cancel;
        auto inspections = run.inspections;
        auto options = run.options();
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

ScanController::Run ScanController::beginRun() {
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    scanning_ = true;
    return Run{++generation_, cancel_, inspections_};
}

ScanOptions ScanController::Run::options() const {
    ScanOptions o;
    o.cancelled = cancel.get();
    o.inspectionCache = inspections.get();
    return o;
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
    // A rescan of only the op files the watcher named (it stat-ed fewer than there are) came from rewrites in place,
    // with no folder event: no file or folder came or went, every watch holds. Nothing to make on the GUI thread
    // (10,000 paths as Qt strings) nor to compare on the watcher's.
    if (result.snapshot.work.opFilesStatted < result.snapshot.opCount()) return;
    QStringList dirs{QString::fromStdString(result.snapshot.root)};
    QStringList files;
    std::size_t unwatched = 0;
    if (result.snapshot.eagerDirExists) {
        dirs << QString::fromStdString(result.snapshot.eagerDir);
    }
    for (const auto& ns : result.snapshot.namespaces) {
        dirs << QString::fromStdString(ns.path);
        for (const auto& dev : ns.devices) {
            dirs << QString::fromStdString(dev.path);
            for (const auto& op : dev.ops()) {
                if (files.size() < maxWatchedFiles()) {
                    files << QString::fromStdString(op.path);
                } else {
                    ++unwatched;
                }
            }
        }
    }
    // Only what changed is unwatched or watched: removing a watch and adding it again drops the events already
    // queued on it, such as PyTorch's write during the scan that just finished. In the watcher's thread.
    QMetaObject::invokeMethod(watcher_, [this, watcher = watcher_, dirs, files] {
        // Whether a path is watched now that was not: it may have been written before its watch was in place.
        auto update = [watcher](const QStringList& watched, const QStringList& wanted) -> bool {
            QSet<QString> want(wanted.begin(), wanted.end()), have(watched.begin(), watched.end());
            QStringList gone, added;
            for (const auto& p : watched) {
                if (!want.contains(p)) gone << p;
            }
            for (const auto& p : wanted) {
                if (!have.contains(p)) added << p;
            }
            if (!gone.isEmpty()) watcher->removePaths(gone);
            return !added.isEmpty() && watcher->addPaths(added).size() < added.size(); // addPaths: those that failed
        };
        bool added = update(watcher->directories(), dirs);
        added = update(watcher->files(), files) || added;
        // The controller outlives this call: its destructor waits for this thread.
        QMetaObject::invokeMethod(this, [this, added] { watchesPlaced(added); }, Qt::QueuedConnection);
    });
    if (unwatched > 0 && !std::exchange(warnedUnwatched_, true)) {
        spdlog::warn("watching {} op files of {} (inotify's max_user_watches): PyTorch's in-place rewrites of the other "
                     "{} show at the next rescan (F5)", files.size(), files.size() + qsizetype(unwatched), unwatched);
    }
}

} // namespace aotiscope::ui
