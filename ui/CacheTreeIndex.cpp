#include "ui/CacheTreeIndex.h"

#include "core/CacheSizes.h"

#include "core/TorchNames.h"

#include <QHash>

#include <unordered_map>

namespace aotiscope::ui {

namespace {

struct Marks {
    int status = -1;
    int hostStatus = -1;
    QStringList rules;
    void add(const Finding& f) {
        (f.hostBound ? hostStatus : status) = std::max(f.hostBound ? hostStatus : status, int(f.severity));
        auto rule = QString::fromStdString(f.ruleId);
        if (!rules.contains(rule)) {
            rules.push_back(rule);
        }
    }
};

// Most entries share the same few dtype and kind lists: intern them so each is stored once.
class Interner {
public:
    const QStringList& intern(const QStringList& list) {
        auto key = list.join(QLatin1Char('\n'));
        auto it = lists_.find(key);
        if (it == lists_.end()) {
            it = lists_.insert(key, list);
        }
        return it.value();
    }

private:
    QHash<QString, QStringList> lists_;
};

} // namespace

CacheTreeIndex buildTreeIndex(const CacheSnapshot& snap, const std::vector<Finding>& findings) {
    std::unordered_map<std::string, Marks> byOp, byEntry, opWide, byDevice;
    for (const auto& f : findings) {
        auto devKey = f.ns + "/" + f.device;
        if (f.op.empty()) {
            byDevice[devKey].add(f); // about the device folder itself (orphans, symlinks out of the root)
            continue;
        }
        auto opKey = devKey + "/" + f.op;
        byOp[opKey].add(f);
        if (f.entry >= 0) {
            byEntry[opKey + "#" + std::to_string(f.entry)].add(f);
        } else {
            opWide[opKey].add(f); // the whole op file: marks each of its entries
        }
    }
    CacheTreeIndex t;
    Interner interner;
    auto add = [&](TreeNode n) {
        t.nodes.push_back(std::move(n));
        return int(t.nodes.size() - 1);
    };
    auto at = [&](int i) -> TreeNode& { return t.nodes[std::size_t(i)]; };
    for (int nsi = 0; nsi < int(snap.namespaces.size()); ++nsi) {
        const auto& ns = snap.namespaces[std::size_t(nsi)];
        int nsNode = add(TreeNode(TreeNodeKind::Namespace, -1, int(t.roots.size()), nsi));
        at(nsNode).name = QString::fromStdString(ns.name);
        t.roots.push_back(nsNode);
        for (int di = 0; di < int(ns.devices.size()); ++di) {
            const auto& dev = ns.devices[std::size_t(di)];
            int devNode = add(TreeNode(TreeNodeKind::Device, nsNode, int(at(nsNode).children.size()), nsi, di));
            at(devNode).name = QString::fromStdString(dev.name);
            at(nsNode).children.push_back(devNode);
            auto sizes = deviceSizes(dev); // counted as `ls` counts them (CacheSizes.h)
            for (int oi = 0; oi < int(dev.ops().size()); ++oi) {
                const auto& op = dev.ops()[std::size_t(oi)];
                int opNode = add(TreeNode(TreeNodeKind::Op, devNode, int(at(devNode).children.size()), nsi, di, oi));
                at(devNode).children.push_back(opNode);
                auto opKey = ns.name + "/" + dev.name + "/" + op.name;
                {
                    auto& o = at(opNode);
                    o.name = QString::fromStdString(op.name);
                    o.mtime = op.stat.mtime;
                    o.entries = qint64(op.entries.size());
                    if (auto it = byOp.find(opKey); it != byOp.end()) {
                        o.status = it->second.status;
                        o.hostStatus = it->second.hostStatus;
                        o.rules = it->second.rules;
                    }
                }
                auto wide = opWide.find(opKey);
                for (int ei = 0; ei < int(op.entries.size()); ++ei) {
                    const auto& e = op.entries[std::size_t(ei)];
                    TreeNode en(TreeNodeKind::Entry, opNode, ei, nsi, di, oi, ei);
                    en.bytes = qint64(entryBytes(dev, e));
                    if (e.library >= 0) en.mtime = dev.libFiles[std::size_t(e.library)].stat.mtime;
                    if (!byEntry.empty()) {
                        if (auto it = byEntry.find(opKey + "#" + std::to_string(e.index)); it != byEntry.end()) {
                            en.status = it->second.status;
                            en.hostStatus = it->second.hostStatus;
                            en.rules = it->second.rules;
                        }
                    }
                    if (wide != opWide.end()) {
                        en.status = std::max(en.status, wide->second.status);
                        en.hostStatus = std::max(en.hostStatus, wide->second.hostStatus);
                    }
                    QStringList dtypes, kinds;
                    auto addDtype = [&](const std::string& d) {
                        auto c = QString::fromStdString(canonicalDtype(d));
                        if (!d.empty() && !dtypes.contains(c)) dtypes << c;
                    };
                    for (const auto& a : e.args) {
                        auto k = QLatin1String(argKindName(a.kind));
                        if (!kinds.contains(k)) kinds << k;
                        if (a.kind == ArgKind::Tensor || a.kind == ArgKind::Scalar) addDtype(a.tensor.dtype);
                        if (a.kind == ArgKind::Dtype) addDtype(a.text);
                        for (const auto& item : a.list) addDtype(item.dtype);
                    }
                    en.dtypes = interner.intern(dtypes);
                    en.kinds = interner.intern(kinds);
                    int enNode = add(std::move(en));
                    at(opNode).children.push_back(enNode);
                }
                auto& o = at(opNode);
                o.bytes = qint64(sizes.opBytes[std::size_t(oi)]);
                auto& d = at(devNode);
                d.entries += o.entries;
                d.status = std::max(d.status, o.status);
                d.hostStatus = std::max(d.hostStatus, o.hostStatus);
                d.mtime = std::max(d.mtime, o.mtime);
            }
            auto& d = at(devNode);
            d.bytes = qint64(sizes.total);
            if (auto it = byDevice.find(ns.name + "/" + dev.name); it != byDevice.end()) {
                d.status = std::max(d.status, it->second.status);
                d.hostStatus = std::max(d.hostStatus, it->second.hostStatus);
                d.rules = it->second.rules;
            }
            auto& n = at(nsNode);
            n.entries += d.entries;
            n.bytes += d.bytes;
            n.status = std::max(n.status, d.status);
            n.hostStatus = std::max(n.hostStatus, d.hostStatus);
            n.mtime = std::max(n.mtime, d.mtime);
        }
    }
    return t;
}

} // namespace aotiscope::ui
