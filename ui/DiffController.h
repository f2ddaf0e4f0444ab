// The window's comparisons: an entry against the one picked as the left side (kept alive with the scan it came
// from, so that a rescan in between does not lose it), and the open cache against another cache folder (scanned
// off the GUI thread), whose rows open the entries they name.
#pragma once

#include "ui/CacheTreeModel.h"
#include "ui/ScanResult.h"

#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class QWidget;

namespace aotiscope::ui {

class DiffWidget;

class DiffController : public QObject {
    Q_OBJECT
public:
    // `current`: the window's open result, which a cache diff's row can be shown in.
    DiffController(DiffWidget* view, QWidget* window, std::function<ScanResultPtr()> current);

    // `key` is the selected row's entry key (EntryKeyRole); an op or nothing is refused with a status message.
    void setLeft(const ScanResultPtr& result, const QString& key);
    void compareWithLeft(const QString& rightKey, const CacheTreeModel::EntryRef& right);
    void compareWithCache(const ScanResultPtr& mine, const QString& otherRoot);

signals:
    void status(const QString& message, int ms);
    void working(const QString& message);   // the summary line while the other cache is scanned
    void workDone();                        // ... and when it is over
    void shown();                           // a diff is in the view: the window brings it forward
    void cacheCompared();
    void entryRequested(const QString& id); // a cache diff's row of the open cache: select it there

private:
    void openCacheDiffRow(const QString& change, const QString& leftId, const QString& rightId);

    DiffWidget* view_;
    QWidget* window_;
    std::function<ScanResultPtr()> current_;
    ScanResultPtr leftResult_;
    QString leftKey_;
    // The two sides of the last cache diff, kept so that its rows can be opened.
    ScanResultPtr cacheLeft_;
    std::shared_ptr<const CacheSnapshot> cacheRight_;
};

} // namespace aotiscope::ui
