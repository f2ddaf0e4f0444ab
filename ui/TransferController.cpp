#include "ui/TransferController.h"

#include "core/report/CsvExport.h"
#include "core/report/JsonReport.h"
#include "core/share/Registry.h"
#include "ui/PreferencesDialog.h"

#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

#include <spdlog/spdlog.h>

#include <fstream>

namespace aotiscope::ui {

TransferController::TransferController(std::function<CompileWorkerConfig()> compiler, QObject* parent)
    : QObject(parent), compiler_(std::move(compiler)) {}

void TransferController::exportTo(const ScanResultPtr& result, const QString& path, ExportKind kind) {
    if (!result) {
        emit exported(path, tr("no cache is open"));
        return;
    }
    QPointer<TransferController> self(this);
    (void)QtConcurrent::run([self, result, path, kind] {
        QString error;
        std::ofstream out(path.toStdString());
        bool csv = path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive);
        if (!out) {
            error = tr("cannot write %1").arg(path);
        } else if (kind == ExportKind::Entries) {
            auto j = entriesToJson(result->snapshot, result->findings, "", KeySetNaming(result->host.torchVersion()));
            if (csv) writeEntriesCsv(out, j);
            else out << j.dump(2) << "\n";
        } else if (csv) {
            writeFindingsCsv(out, result->snapshot, result->findings);
        } else {
            writeLintJson(out, result->snapshot, result->findings, torchToJson(result->host));
        }
        if (error.isEmpty() && !out.flush()) error = tr("writing %1 failed").arg(path);
        QMetaObject::invokeMethod(self.data(), [self, path, error] {
            if (!self) return;
            emit self->status(error.isEmpty() ? tr("Exported to %1").arg(path) : error, 6000);
            if (!error.isEmpty()) spdlog::warn("{}", error.toStdString());
            emit self->exported(path, error);
        }, Qt::QueuedConnection);
    });
}

void TransferController::unpackBundle(const QString& root, const QString& file) {
    placeBundle(root, tr("Unpacking %1").arg(file), [file = file.toStdString()](const std::string& r, const UnpackOptions& options) {
        return unpackBundleFile(file, r, HostInfo::detect(), options);
    });
}

void TransferController::pullBundle(const QString& root, const QString& ref) {
    RegistryOptions registry{compiler_().python, Preferences::load().registryInsecure};
    placeBundle(root, tr("Pulling %1").arg(ref), [ref = ref.toStdString(), registry](const std::string& r, const UnpackOptions& options) {
        return unpackFromRegistry(ref, r, HostInfo::detect(), registry, options);
    });
}

void TransferController::placeBundle(const QString& root, const QString& doing,
                                     std::function<UnpackReport(const std::string&, const UnpackOptions&)> place) {
    if (root.isEmpty()) {
        emit status(tr("Open a cache to place the bundle in"), 4000);
        return;
    }
    emit working(tr("%1: checking each entry against this host…").arg(doing));
    UnpackOptions options;
    options.recompileWith = compiler_();
    QPointer<TransferController> self(this);
    (void)QtConcurrent::run([self, place, root = root.toStdString(), options] {
        auto report = place(root, options);
        QMetaObject::invokeMethod(self.data(), [self, report] {
            if (!self) return;
            for (const auto& e : report.entries) {
                auto where = entryPosition(e.ns, e.device, e.op, e.position);
                if (e.action == "skipped") spdlog::warn("bundle {}: skipped: {}", where, e.reason);
                else spdlog::info("bundle {}: {}{}", where, e.action, e.reason.empty() ? "" : ": " + e.reason);
            }
            auto summary = report.error.empty() ? report.summary() : report.error + "; nothing was changed";
            if (!report.error.empty()) spdlog::error("bundle: {}", summary);
            emit self->status(tr("Bundle: %1%2").arg(QString::fromStdString(summary),
                                                     report.count("skipped") ? tr("; the log says why") : QString()), 15000);
            emit self->bundleUnpacked(QString::fromStdString(summary), int(report.count("skipped")));
        }, Qt::QueuedConnection);
    });
}

} // namespace aotiscope::ui
