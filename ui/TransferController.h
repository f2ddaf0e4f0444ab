// What the window moves in and out of the open cache, off the GUI thread: the tree's entries or the findings
// exported as JSON or CSV, and bundles placed from a file or an OCI registry (checked against this host first:
// core/share/Unpack.h), each outcome in the log.
#pragma once

#include "core/jobs/CompileWorker.h"
#include "core/share/Unpack.h"
#include "ui/ScanResult.h"

#include <QObject>
#include <QString>

#include <functional>

namespace aotiscope::ui {

class TransferController : public QObject {
    Q_OBJECT
public:
    enum class ExportKind { Entries, Findings };

    // `compiler`: how unpack recompiles entries it cannot place as built (the Jobs panel's worker settings).
    TransferController(std::function<CompileWorkerConfig()> compiler, QObject* parent);

    // JSON (as `export --json`, `lint --json`) or CSV (as `--format csv`) by the file's suffix.
    void exportTo(const ScanResultPtr& result, const QString& path, ExportKind kind);
    void unpackBundle(const QString& root, const QString& file);
    void pullBundle(const QString& root, const QString& ref); // the registry's plain HTTP setting from Preferences

signals:
    void status(const QString& message, int ms);
    void working(const QString& message);
    void exported(const QString& path, const QString& error); // error empty: written
    void bundleUnpacked(const QString& summary, int skipped);  // after it, the cache has changed: rescan

private:
    void placeBundle(const QString& root, const QString& doing,
                     std::function<UnpackReport(const std::string&, const UnpackOptions&)> place);
    std::function<CompileWorkerConfig()> compiler_;
};

} // namespace aotiscope::ui
