// The filter box's language: free words and field terms, all of which must match.
//   status:error|warning|info|ok|bad   device:cuda   dtype:float16   op:add*   ns:aten   rule:AOTI001
//   kind:tensor_list   and free words matched against op names, arguments and kernel paths.
// Values take * and ? wildcards and are case-insensitive; a leading '-' negates a term.
#pragma once

#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <vector>

namespace aotiscope::ui {

struct FilterTerm {
    QString field; // empty for free text
    QRegularExpression pattern;
    QString literal; // field values without wildcards compare as plain text: no regex per row
    bool negated = false;
};

struct FilterQuery {
    std::vector<FilterTerm> terms;
    QStringList errors; // unknown fields, shown to the user
    bool needsText = false; // a free-text term: rows must provide their formatted text

    static FilterQuery parse(const QString& text);
    bool isEmpty() const { return terms.empty(); }
};

// What one row offers to the terms.
struct FilterSubject {
    QString ns, device, op, status, searchText;
    QStringList dtypes, rules, kinds;
};

bool matches(const FilterQuery& query, const FilterSubject& subject);

} // namespace aotiscope::ui
