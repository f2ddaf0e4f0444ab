// aotiscope: the desktop application. Opens the cache given on the command line, else the root PyTorch
// would use.
#include "core/base/MemoryTuning.h"
#include "core/read/CacheLocator.h"
#include "ui/BenchPanel.h"
#include "ui/MainWindow.h"
#include "ui/JobsPanel.h"
#include "ui/ScanController.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QTreeView>

#include <utility>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
    aotiscope::keepFreedMemoryForReuse();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("AOTIScope"));
    QApplication::setApplicationName(QStringLiteral("AOTIScope"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));
    spdlog::set_default_logger(spdlog::stderr_color_mt("aotiscope"));
    spdlog::set_level(spdlog::level::info);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Browse and check PyTorch's AOTI-eager kernel cache"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("root"), QStringLiteral("cache root (default: where PyTorch looks)"));
    QCommandLineOption screenshot(QStringLiteral("screenshot"), QStringLiteral("save a PNG of the window after the first scan and quit"),
                                  QStringLiteral("file"));
    parser.addOption(screenshot);
    QCommandLineOption select(QStringLiteral("select"), QStringLiteral("select this entry after the first scan, e.g. aten/cpu/abs#1"),
                              QStringLiteral("entry"));
    parser.addOption(select);
    QCommandLineOption demo(QStringLiteral("demo"),
                            QStringLiteral("build a demo cache in DIR with PyTorch, in the background (jobs panel), and open it"),
                            QStringLiteral("dir"));
    parser.addOption(demo);
    QCommandLineOption benchmark(QStringLiteral("benchmark"),
                                 QStringLiteral("after the first scan, benchmark the entry given with --select, or every entry; "
                                                "with --screenshot, the picture is taken when the benchmarks are done"));
    parser.addOption(benchmark);
    QCommandLineOption size(QStringLiteral("size"), QStringLiteral("open the window at this size, e.g. 1024x700 (for screenshots)"),
                            QStringLiteral("WxH"));
    parser.addOption(size);
    parser.process(app);

    aotiscope::ui::MainWindow window; // its size: the one it was left at, 1400x860 the first time
    if (parser.isSet(size)) {
        auto wh = parser.value(size).split(QLatin1Char('x'));
        int w = wh.value(0).toInt(), h = wh.value(1).toInt();
        if (wh.size() != 2 || w < 200 || h < 200) {
            spdlog::error("--size {}: expected WIDTHxHEIGHT, each at least 200, e.g. 1024x700", parser.value(size).toStdString());
            return 2;
        }
        window.resize(w, h);
    }
    window.show();
    auto root = parser.positionalArguments().value(0, QString::fromStdString(aotiscope::locateCacheRoot().root));
    auto takeScreenshot = [&] {
        QMetaObject::invokeMethod(&window, [&] {
            window.grab().save(parser.value(screenshot));
            app.quit();
        }, Qt::QueuedConnection);
    };
    bool firstScan = true;
    QObject::connect(window.controller(), &aotiscope::ui::ScanController::finished, &window, [&] {
        if (!std::exchange(firstScan, false)) return;
        if (parser.isSet(select)) {
            window.treeView()->expandAll();
            window.selectEntry(parser.value(select));
        }
        if (parser.isSet(benchmark)) {
            if (parser.isSet(screenshot)) {
                QObject::connect(window.benchmarks(), &aotiscope::ui::BenchPanel::allIdle, &window, takeScreenshot);
            }
            parser.isSet(select) ? window.benchmarkSelected() : window.benchmarkAll();
        } else if (parser.isSet(screenshot)) {
            takeScreenshot();
        }
    });
    if (parser.isSet(demo)) {
        // The entries of resources/demo-entries.json, compiled one after the other in one worker while the
        // window is already open: the tree fills in as each is written.
        root = QDir(parser.value(demo)).absolutePath();
        QDir().mkpath(root);
        std::string error;
        auto jobs = aotiscope::ui::demoJobs(root.toStdString(), error);
        if (!error.empty()) {
            spdlog::error("{}", error);
        }
        window.jobs()->enqueue(jobs);
    }
    window.openRoot(root);
    return app.exec();
}
