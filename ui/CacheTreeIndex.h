// The rows of the cache tree, computed from a ScanResult off the GUI thread: parent/child links, counts,
// sizes, worst status, and what the filter needs, so that neither a model reset nor a filter keystroke has
// to walk the snapshot again.
#pragma once

#include "core/read/CacheModel.h"
#include "core/check/Linter.h"

#include <QString>
#include <QStringList>

#include <vector>

namespace aotiscope::ui {

enum class TreeNodeKind { Namespace, Device, Op, Entry };

struct TreeNode {
    TreeNode(TreeNodeKind k, int p, int r, int n = -1, int d = -1, int o = -1, int e = -1)
        : kind(k), parent(p), row(r), ns(n), device(d), op(o), entry(e) {}
    TreeNodeKind kind;
    int parent; // node index, -1 at the top
    int row;
    int ns, device, op, entry; // indices into the snapshot
    std::vector<int> children;
    qint64 entries = 0;
    qint64 bytes = 0;
    qint64 mtime = 0;
    int status = -1;     // -1 ok, else the worst Severity of findings about the entry itself
    int hostStatus = -1; // the worst Severity of host-bound findings (Finding::hostBound)
    // Sound, perhaps, but this machine cannot run it (an ISA, a GPU, a glibc it lacks): not "broken".
    bool notRunnableHere() const { return hostStatus >= 1 && hostStatus > status; }
    QString name;    // namespace, device and op nodes
    QStringList rules;
    QStringList dtypes; // entries: canonical dtypes of their tensors, scalars and dtype args (shared lists)
    QStringList kinds;  // entries: argument kinds (shared lists)
};

struct CacheTreeIndex {
    std::vector<TreeNode> nodes;
    std::vector<int> roots;
};

// What a refresh's index takes over from the index before: the rows of every op whose findings, and those of the
// libraries it names, lint took over (LintSpans::Device::opSettled). Such an op is the same object with the same
// libraries, so its rows are what they were; only their positions are made again.
struct TreeReuse {
    const CacheTreeIndex* tree = nullptr; // the index before
    const LintSpans* spans = nullptr;     // this snapshot's lint
};

CacheTreeIndex buildTreeIndex(const CacheSnapshot& snapshot, const FindingList& findings,
                              const TreeReuse& reuse = {});

} // namespace aotiscope::ui
