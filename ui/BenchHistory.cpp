#include "ui/BenchHistory.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QUuid>

#include <spdlog/spdlog.h>

namespace aotiscope::ui {

namespace {

const char* const kSchema[] = {
    "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT, entry_key TEXT NOT NULL, "
    "entry_id TEXT NOT NULL, at TEXT NOT NULL, verdict TEXT, median_us REAL, p20_us REAL, p80_us REAL, "
    "eager_median_us REAL, gbps REAL, result TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS runs_by_entry ON runs (entry_key, id)",
    "CREATE TABLE IF NOT EXISTS baselines (entry_key TEXT PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs (id))",
};

BenchRun runFrom(const QSqlQuery& q) {
    BenchRun r;
    r.id = q.value(0).toLongLong();
    r.entryKey = q.value(1).toString();
    r.entryId = q.value(2).toString();
    r.at = q.value(3).toString();
    r.result = nlohmann::json::parse(q.value(4).toString().toStdString(), nullptr, false);
    return r;
}

} // namespace

BenchHistory::BenchHistory(QString path) : path_(std::move(path)) {
    if (path_.isEmpty()) {
        path_ = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/bench-history.sqlite");
    }
    connection_ = QStringLiteral("bench-history-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    if (!QDir().mkpath(QFileInfo(path_).absolutePath())) {
        error_ = QStringLiteral("cannot create the folder of %1").arg(path_);
    } else {
        auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection_);
        db.setDatabaseName(path_);
        if (!db.open()) {
            error_ = QStringLiteral("cannot open %1: %2").arg(path_, db.lastError().text());
        } else {
            QSqlQuery q(db);
            for (const char* statement : kSchema) {
                if (!q.exec(QString::fromUtf8(statement))) {
                    error_ = QStringLiteral("cannot set up %1: %2").arg(path_, q.lastError().text());
                    break;
                }
            }
        }
    }
    if (!error_.isEmpty()) spdlog::warn("benchmark history is off: {}", error_.toStdString());
}

BenchHistory::~BenchHistory() {
    if (QSqlDatabase::contains(connection_)) {
        QSqlDatabase::database(connection_, false).close();
        QSqlDatabase::removeDatabase(connection_);
    }
}

qint64 BenchHistory::record(const QString& entryKey, const QString& entryId, const nlohmann::json& result) {
    if (!ok()) return 0;
    QSqlQuery q(QSqlDatabase::database(connection_));
    q.prepare(QStringLiteral("INSERT INTO runs (entry_key, entry_id, at, verdict, median_us, p20_us, p80_us, "
                             "eager_median_us, gbps, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    auto number = [&](const char* group, const char* key) -> QVariant {
        if (!result.contains(group) || !result[group].contains(key)) return {};
        return result[group][key].get<double>();
    };
    q.addBindValue(entryKey);
    q.addBindValue(entryId);
    q.addBindValue(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    q.addBindValue(QString::fromStdString(result.value("verdict", "")));
    q.addBindValue(number("aoti", "median_us"));
    q.addBindValue(number("aoti", "p20_us"));
    q.addBindValue(number("aoti", "p80_us"));
    q.addBindValue(number("eager", "median_us"));
    q.addBindValue(result.contains("gbps") ? QVariant(result["gbps"].get<double>()) : QVariant());
    q.addBindValue(QString::fromStdString(result.dump()));
    if (!q.exec()) {
        spdlog::warn("cannot record a benchmark of {} in {}: {}", entryId.toStdString(), path_.toStdString(),
                     q.lastError().text().toStdString());
        return 0;
    }
    return q.lastInsertId().toLongLong();
}

bool BenchHistory::pinBaseline(const QString& entryKey, qint64 runId) {
    if (!ok()) return false;
    QSqlQuery q(QSqlDatabase::database(connection_));
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO baselines (entry_key, run_id) VALUES (?, ?)"));
    q.addBindValue(entryKey);
    q.addBindValue(runId);
    return q.exec();
}

std::optional<BenchRun> BenchHistory::baseline(const QString& entryKey) const {
    if (!ok()) return std::nullopt;
    QSqlQuery q(QSqlDatabase::database(connection_));
    q.prepare(QStringLiteral("SELECT r.id, r.entry_key, r.entry_id, r.at, r.result FROM baselines b JOIN runs r ON r.id = b.run_id "
                             "WHERE b.entry_key = ?"));
    q.addBindValue(entryKey);
    if (q.exec() && q.next()) return runFrom(q);
    return std::nullopt;
}

std::vector<BenchRun> BenchHistory::runs(const QString& entryKey) const {
    std::vector<BenchRun> out;
    if (!ok()) return out;
    QSqlQuery q(QSqlDatabase::database(connection_));
    q.prepare(QStringLiteral("SELECT id, entry_key, entry_id, at, result FROM runs WHERE entry_key = ? ORDER BY id DESC"));
    q.addBindValue(entryKey);
    if (q.exec()) {
        while (q.next()) out.push_back(runFrom(q));
    }
    return out;
}

} // namespace aotiscope::ui
