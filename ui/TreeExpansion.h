// What is expanded in a tree view, remembered by a key of each row rather than by its position (a rescan or a
// search moves rows), and expanded again after the model is reset. Only expanded rows are walked, so a
// collapsed device of 10,000 ops costs nothing.
#pragma once

#include <QModelIndex>
#include <QSet>
#include <QString>

#include <functional>

class QTreeView;

namespace aotiscope::ui {

class TreeExpansion {
public:
    using KeyOf = std::function<QString(const QModelIndex&)>;

    static TreeExpansion capture(const QTreeView& view, const KeyOf& keyOf);
    // Expands the rows whose keys were expanded; returns how many.
    int restore(QTreeView& view, const KeyOf& keyOf) const;
    bool isEmpty() const { return expanded_.isEmpty(); }

private:
    QSet<QString> expanded_;
};

} // namespace aotiscope::ui
