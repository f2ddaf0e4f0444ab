// Benchmark history in a SQLite database (Qt SQL) in the user's data folder: every run of every entry, and a
// pinned baseline per entry that later runs are compared with. Entries are keyed by op and guard hash, so a
// recompiled entry keeps its history and its baseline.
#pragma once

#include <QString>

#include <nlohmann/json.hpp>

#include <optional>
#include <vector>

namespace aotiscope::ui {

struct BenchRun {
    qint64 id = 0;
    QString entryKey, entryId, at;
    nlohmann::json result;
};

class BenchHistory {
public:
    // path empty: <AppDataLocation>/bench-history.sqlite. A database that cannot be opened leaves the
    // history off: error() says why and every call does nothing.
    explicit BenchHistory(QString path = {});
    ~BenchHistory();
    BenchHistory(const BenchHistory&) = delete;
    BenchHistory& operator=(const BenchHistory&) = delete;

    bool ok() const { return error_.isEmpty(); }
    QString error() const { return error_; }
    QString path() const { return path_; }

    qint64 record(const QString& entryKey, const QString& entryId, const nlohmann::json& result); // 0 on failure
    bool pinBaseline(const QString& entryKey, qint64 runId);
    std::optional<BenchRun> baseline(const QString& entryKey) const;
    std::vector<BenchRun> runs(const QString& entryKey) const; // newest first

private:
    QString path_, connection_, error_;
};

} // namespace aotiscope::ui
