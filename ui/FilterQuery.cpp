#include "ui/FilterQuery.h"

namespace aotiscope::ui {

namespace {

const QStringList kFields{QStringLiteral("status"), QStringLiteral("device"), QStringLiteral("dtype"), QStringLiteral("op"),
                          QStringLiteral("ns"),     QStringLiteral("rule"),   QStringLiteral("kind")};

QRegularExpression wildcard(const QString& value, bool whole) {
    auto re = QRegularExpression::wildcardToRegularExpression(value, QRegularExpression::UnanchoredWildcardConversion);
    if (whole) {
        re = QStringLiteral("^(?:%1)$").arg(re);
    }
    return QRegularExpression(re, QRegularExpression::CaseInsensitiveOption);
}

bool anyMatch(const QRegularExpression& re, const QStringList& values) {
    for (const auto& v : values) {
        if (re.match(v).hasMatch()) {
            return true;
        }
    }
    return false;
}

} // namespace

FilterQuery FilterQuery::parse(const QString& text) {
    FilterQuery q;
    for (auto word : text.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        FilterTerm t;
        if (word.startsWith(QLatin1Char('-')) && word.size() > 1) {
            t.negated = true;
            word = word.mid(1);
        }
        auto colon = word.indexOf(QLatin1Char(':'));
        if (colon > 0 && kFields.contains(word.left(colon).toLower())) {
            t.field = word.left(colon).toLower();
            // Field values match whole ("op:add" is add, "op:add*" also add.Tensor); "dtype:half" finds float16.
            auto value = word.mid(colon + 1);
            if (t.field == QStringLiteral("dtype") && value.compare(QStringLiteral("half"), Qt::CaseInsensitive) == 0) {
                value = QStringLiteral("float16");
            }
            t.pattern = wildcard(value, true);
        } else {
            if (colon > 0 && !word.left(colon).contains(QLatin1Char('.'))) {
                q.errors << QStringLiteral("unknown field \"%1\" (fields: %2)").arg(word.left(colon), kFields.join(QStringLiteral(", ")));
            }
            t.pattern = wildcard(word, false);
        }
        q.terms.push_back(std::move(t));
    }
    return q;
}

bool matches(const FilterQuery& query, const FilterSubject& s) {
    for (const auto& t : query.terms) {
        bool hit = false;
        if (t.field.isEmpty()) {
            hit = t.pattern.match(s.searchText).hasMatch();
        } else if (t.field == QStringLiteral("status")) {
            auto p = t.pattern.pattern();
            bool bad = s.status == QStringLiteral("error") || s.status == QStringLiteral("warning");
            hit = t.pattern.match(s.status).hasMatch() || (p.contains(QStringLiteral("bad")) && bad);
        } else if (t.field == QStringLiteral("device")) {
            hit = t.pattern.match(s.device).hasMatch();
        } else if (t.field == QStringLiteral("op")) {
            hit = t.pattern.match(s.op).hasMatch();
        } else if (t.field == QStringLiteral("ns")) {
            hit = t.pattern.match(s.ns).hasMatch();
        } else if (t.field == QStringLiteral("dtype")) {
            hit = anyMatch(t.pattern, s.dtypes);
        } else if (t.field == QStringLiteral("rule")) {
            hit = anyMatch(t.pattern, s.rules);
        } else if (t.field == QStringLiteral("kind")) {
            hit = anyMatch(t.pattern, s.kinds);
        }
        if (hit == t.negated) {
            return false;
        }
    }
    return true;
}

} // namespace aotiscope::ui
