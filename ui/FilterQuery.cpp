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

bool one(const FilterTerm& t, const QString& value) {
    return t.literal.isEmpty() ? t.pattern.match(value).hasMatch() : value.compare(t.literal, Qt::CaseInsensitive) == 0;
}

bool anyMatch(const FilterTerm& t, const QStringList& values) {
    for (const auto& v : values) {
        if (one(t, v)) {
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
            if (!value.contains(QLatin1Char('*')) && !value.contains(QLatin1Char('?')) && !value.contains(QLatin1Char('['))) {
                t.literal = value;
            }
        } else {
            q.needsText = true;
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
            hit = one(t, s.status) || (p.contains(QStringLiteral("bad")) && bad);
        } else if (t.field == QStringLiteral("device")) {
            hit = one(t, s.device);
        } else if (t.field == QStringLiteral("op")) {
            hit = one(t, s.op);
        } else if (t.field == QStringLiteral("ns")) {
            hit = one(t, s.ns);
        } else if (t.field == QStringLiteral("dtype")) {
            hit = anyMatch(t, s.dtypes);
        } else if (t.field == QStringLiteral("rule")) {
            hit = anyMatch(t, s.rules);
        } else if (t.field == QStringLiteral("kind")) {
            hit = anyMatch(t, s.kinds);
        }
        if (hit == t.negated) {
            return false;
        }
    }
    return true;
}

} // namespace aotiscope::ui
