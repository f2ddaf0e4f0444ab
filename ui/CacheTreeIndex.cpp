#include "ui/CacheTreeIndex.h"

#include "core/read/CacheSizes.h"

#include "core/read/TorchNames.h"
#include "ui/FindingPlace.h"


#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace aotiscope::ui {

namespace {

// The worst statuses and the rules of the findings about one node. Rule ids are views into the findings,
// which outlive the build. The rules are listed as the findings most severe first would meet them: by each rule's
// worst severity, then by where its first finding of that severity is (`at`: an index of one order, the list's or
// lint's emission order, which agree on that).
struct Marks {
    struct RuleMark {
        std::string_view id;
        Severity worst;
        std::size_t at;
    };
    int status = -1;
    int hostStatus = -1;
    std::vector<RuleMark> marks;
    void add(const Finding& f, std::size_t at) {
        (f.hostBound ? hostStatus : status) = std::max(f.hostBound ? hostStatus : status, int(f.severity));
        auto it = std::ranges::find(marks, std::string_view(f.ruleId), &RuleMark::id);
        if (it == marks.end()) marks.push_back({f.ruleId, f.severity, at});
        else if (f.severity > it->worst) *it = {it->id, f.severity, at};
    }
    std::vector<std::string_view> rules() const {
        auto sorted = marks;
        std::ranges::sort(sorted, [](const RuleMark& a, const RuleMark& b) { return a.worst != b.worst ? a.worst > b.worst : a.at < b.at; });
        std::vector<std::string_view> ids;
        for (const auto& m : sorted) ids.push_back(m.id);
        return ids;
    }
};

struct OpMarks {
    Marks op, wide; // all of the op's findings; those about the whole file, which mark each of its entries
    std::vector<Marks> entries;
};

// Most nodes share the same few rule, dtype and kind lists: each distinct list is made into a QStringList once
// (keyed by its plain text, built without Qt) and shared.
class Interner {
public:
    template <typename Make>
    const QStringList& intern(const std::string& key, Make&& make) {
        auto it = lists_.find(key);
        if (it == lists_.end()) it = lists_.emplace(key, make()).first;
        return it->second;
    }
    const QStringList& rules(const std::vector<std::string_view>& ids) {
        std::string key;
        for (auto id : ids) (key += id) += '\n';
        return intern(key, [&] {
            QStringList list;
            for (auto id : ids) list << QString::fromUtf8(id.data(), qsizetype(id.size()));
            return list;
        });
    }

private:
    std::unordered_map<std::string, QStringList> lists_;
};

// The index before's device row of `ns`/`dev` and, per op, whether its rows may be taken over; null: none may.
struct DeviceReuse {
    const TreeNode* before = nullptr;
    const std::vector<char>* settled = nullptr;
    bool op(std::size_t i) const { return before && (*settled)[i]; }
};

DeviceReuse deviceReuse(const TreeReuse& reuse, const NamespaceDir& ns, const DeviceDir& dev) {
    if (!reuse.tree || !reuse.spans) return {};
    auto span = std::ranges::find(reuse.spans->devices, dev.path, &LintSpans::Device::path);
    if (span == reuse.spans->devices.end() || span->opSettled.size() != dev.opFiles.size()) return {};
    const auto& nodes = reuse.tree->nodes;
    auto nameIs = [&](const std::string& name) {
        return [&nodes, n = QString::fromStdString(name)](int i) { return nodes[std::size_t(i)].name == n; };
    };
    auto nsNode = std::ranges::find_if(reuse.tree->roots, nameIs(ns.name));
    if (nsNode == reuse.tree->roots.end()) return {};
    const auto& devices = nodes[std::size_t(*nsNode)].children;
    auto devNode = std::ranges::find_if(devices, nameIs(dev.name));
    // Settled ops are at the positions they had (lint takes over only while the folder holds the same ops).
    if (devNode == devices.end() || nodes[std::size_t(*devNode)].children.size() != dev.opFiles.size()) return {};
    return {&nodes[std::size_t(*devNode)], &span->opSettled};
}

// The index made row by row: namespaces, devices, ops (made, or taken over from the index before) and entries.
class IndexBuilder {
public:
    IndexBuilder(const CacheSnapshot& snap, const FindingList& findings, const TreeReuse& reuse)
        : snap_(snap), reuse_(reuse) {
        markFindings(findings);
    }

    CacheTreeIndex build() {
        std::size_t nodes = snap_.namespaces.size() + opMarks_.size();
        for (const auto& ns : snap_.namespaces) nodes += ns.devices.size();
        forEachOp(snap_, [&](const auto&, const auto&, const OpFile& op) { nodes += op.entries.size(); });
        t_.nodes.reserve(nodes);
        for (int nsi = 0; nsi < int(snap_.namespaces.size()); ++nsi) {
            const auto& ns = snap_.namespaces[std::size_t(nsi)];
            int nsNode = add(TreeNode(TreeNodeKind::Namespace, -1, int(t_.roots.size()), nsi));
            at(nsNode).name = QString::fromStdString(ns.name);
            t_.roots.push_back(nsNode);
            for (int di = 0; di < int(ns.devices.size()); ++di) {
                int devNode = addDevice(ns, nsi, di, nsNode);
                auto& d = at(devNode);
                auto& n = at(nsNode);
                n.entries += d.entries;
                n.bytes += d.bytes;
                n.status = std::max(n.status, d.status);
                n.hostStatus = std::max(n.hostStatus, d.hostStatus);
                n.mtime = std::max(n.mtime, d.mtime);
            }
        }
        return std::move(t_);
    }

private:
    // Findings onto the ops they are about: an index of the snapshot's ops first, then each finding looked up
    // once (consecutive findings are mostly about the same op: the last lookup is reused).
    // The findings of ops whose rows are taken over are not marked again: those rows carry their marks. With the
    // lint's spans only the findings that can mark anything else are read: those of the other ops, of the libraries
    // they name, and of the libraries no entry names (about the device folder).
    void markFindings(const FindingList& findings) {
        std::vector<char> taken;
        for (const auto& ns : snap_.namespaces) {
            for (const auto& dev : ns.devices) {
                auto reuse = deviceReuse(reuse_, ns, dev);
                for (std::size_t i = 0; i < dev.ops().size(); ++i) {
                    const auto& op = dev.ops()[i];
                    opIndex_.emplace(FindingPlace{ns.name, dev.name, op.name}, opMarks_.size());
                    taken.push_back(reuse.op(i));
                    opMarks_.emplace_back().entries.resize(taken.back() ? 0 : op.entries.size());
                }
            }
        }
        // Every device folder's spans, or none: marked by spans and then by the list, a row's rules would be ordered
        // by two orders at once.
        std::vector<std::pair<const DeviceDir*, const LintSpans::Device*>> devices;
        for (const auto& ns : snap_.namespaces) {
            for (const auto& dev : ns.devices) devices.emplace_back(&dev, reuse_.spans ? reuse_.spans->of(dev) : nullptr);
        }
        if (!reuse_.spans || reuse_.spans->emitted.size() != findings.size() ||
            std::ranges::any_of(devices, [](const auto& d) { return d.second == nullptr; })) {
            for (std::size_t i = 0; i < findings.size(); ++i) mark(findings[i], i, taken);
            return;
        }
        const auto& emitted = reuse_.spans->emitted;
        auto markSpan = [&](std::pair<std::size_t, std::size_t> span) {
            for (auto i = span.first; i < span.second; ++i) mark(*emitted[i].finding, i, taken);
        };
        std::size_t first = 0; // of the device's ops in `taken`
        for (const auto& [dev, span] : devices) {
            for (std::size_t i = 0; i < dev->opFiles.size(); ++i) {
                if (!taken[first + i]) markSpan(span->ofOp(i));
            }
            for (std::size_t i = 0; i < dev->libFiles.size(); ++i) {
                const auto& refs = dev->libFiles[i].referencedBy;
                if (refs.empty() || std::ranges::any_of(refs, [&](const LibraryRef& r) { return !taken[first + r.op]; }))
                    markSpan(span->ofLibrary(i));
            }
            first += dev->opFiles.size();
        }
        // What follows the devices' spans is about the host (HostFactUnknown): no row shows it.
    }

    void mark(const Finding& f, std::size_t at, const std::vector<char>& taken) {
        if (f.op.empty()) {
            byDevice_[FindingPlace{f.ns, f.device, {}}].add(f, at); // about the device folder itself (orphans, symlinks out of the root)
            return;
        }
        if (!last_ || last_->op != f.op || last_->device != f.device || last_->ns != f.ns) {
            auto it = opIndex_.find(FindingPlace::of(f));
            lastMarks_ = it == opIndex_.end() || taken[it->second] ? nullptr : &opMarks_[it->second];
            last_ = &f;
        }
        if (!lastMarks_) return; // about an op this snapshot does not hold, or one taken over
        lastMarks_->op.add(f, at);
        if (f.entry < 0) lastMarks_->wide.add(f, at);
        else if (std::size_t(f.entry) < lastMarks_->entries.size()) lastMarks_->entries[std::size_t(f.entry)].add(f, at);
    }

    int addDevice(const NamespaceDir& ns, int nsi, int di, int nsNode) {
        const auto& dev = ns.devices[std::size_t(di)];
        int devNode = add(TreeNode(TreeNodeKind::Device, nsNode, int(at(nsNode).children.size()), nsi, di));
        at(devNode).name = QString::fromStdString(dev.name);
        at(nsNode).children.push_back(devNode);
        auto sizes = deviceSizes(dev); // counted as `ls` counts them (CacheSizes.h)
        auto taken = deviceReuse(reuse_, ns, dev);
        for (int oi = 0; oi < int(dev.ops().size()); ++oi) {
            int opNode = taken.op(std::size_t(oi)) ? addTakenOp(taken.before->children[std::size_t(oi)], nsi, di, devNode)
                                                   : addOp(ns, dev, nsi, di, oi, devNode);
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
        if (auto it = byDevice_.find(FindingPlace{ns.name, dev.name, {}}); it != byDevice_.end()) {
            d.status = std::max(d.status, it->second.status);
            d.hostStatus = std::max(d.hostStatus, it->second.hostStatus);
            d.rules = interner_.rules(it->second.rules());
        }
        return devNode;
    }

    // The op's rows as the index before had them, linked in at their new positions.
    int addTakenOp(int before, int nsi, int di, int devNode) {
        const auto& old = reuse_.tree->nodes[std::size_t(before)];
        int opNode = add(old);
        auto relink = [&](TreeNode& n, int parent) {
            n.parent = parent;
            n.ns = nsi;
            n.device = di;
        };
        relink(at(opNode), devNode);
        at(opNode).row = int(at(devNode).children.size());
        at(opNode).children.clear();
        at(devNode).children.push_back(opNode);
        for (int child : old.children) {
            int enNode = add(reuse_.tree->nodes[std::size_t(child)]);
            relink(at(enNode), opNode);
            at(opNode).children.push_back(enNode);
        }
        return opNode;
    }

    int addOp(const NamespaceDir& ns, const DeviceDir& dev, int nsi, int di, int oi, int devNode) {
        const auto& op = dev.ops()[std::size_t(oi)];
        int opNode = add(TreeNode(TreeNodeKind::Op, devNode, int(at(devNode).children.size()), nsi, di, oi));
        at(devNode).children.push_back(opNode);
        const auto& marks = opMarks_[opIndex_.at(FindingPlace{ns.name, dev.name, op.name})];
        auto& o = at(opNode);
        o.name = QString::fromStdString(op.name);
        o.mtime = op.stat.mtime;
        o.entries = qint64(op.entries.size());
        o.status = marks.op.status;
        o.hostStatus = marks.op.hostStatus;
        if (!marks.op.marks.empty()) o.rules = interner_.rules(marks.op.rules());
        for (int ei = 0; ei < int(op.entries.size()); ++ei) {
            int enNode = add(entryNode(dev, op.entries[std::size_t(ei)], marks, {nsi, di, oi, ei}, opNode));
            at(opNode).children.push_back(enNode);
        }
        return opNode;
    }

    struct Place {
        int ns, device, op, entry;
    };

    TreeNode entryNode(const DeviceDir& dev, const Entry& e, const OpMarks& marks, Place at, int opNode) {
        TreeNode en(TreeNodeKind::Entry, opNode, at.entry, at.ns, at.device, at.op, at.entry);
        if (const LibraryFile* lib = dev.libraryOf(e)) {
            en.bytes = qint64(lib->stat.size + lib->artifactBytes); // as entryBytes counts
            en.mtime = lib->stat.mtime;
        }
        const auto& own = marks.entries[std::size_t(at.entry)];
        en.status = std::max(own.status, marks.wide.status);
        en.hostStatus = std::max(own.hostStatus, marks.wide.hostStatus);
        if (!own.marks.empty()) en.rules = interner_.rules(own.rules());
        // The filter's dtype and kind lists, keyed by the raw text so that Qt strings are made once
        // per distinct list, not once per entry.
        std::string kindKey, dtypeKey;
        for (const auto& a : e.args) {
            (kindKey += argKindName(a.kind)) += '\n';
            if (a.kind == ArgKind::Tensor || a.kind == ArgKind::Scalar) (dtypeKey += a.tensor.dtype) += '\n';
            if (a.kind == ArgKind::Dtype) (dtypeKey += a.text) += '\n';
            for (const auto& item : a.list) (dtypeKey += item.dtype) += '\n';
        }
        en.dtypes = interner_.intern("d\n" + dtypeKey, [&] {
            QStringList dtypes;
            auto addDtype = [&](const std::string& d) {
                auto c = QString::fromStdString(canonicalDtype(d));
                if (!d.empty() && !dtypes.contains(c)) dtypes << c;
            };
            for (const auto& a : e.args) {
                if (a.kind == ArgKind::Tensor || a.kind == ArgKind::Scalar) addDtype(a.tensor.dtype);
                if (a.kind == ArgKind::Dtype) addDtype(a.text);
                for (const auto& item : a.list) addDtype(item.dtype);
            }
            return dtypes;
        });
        en.kinds = interner_.intern("k\n" + kindKey, [&] {
            QStringList kinds;
            for (const auto& a : e.args) {
                auto k = QLatin1String(argKindName(a.kind));
                if (!kinds.contains(k)) kinds << k;
            }
            return kinds;
        });
        return en;
    }

    int add(TreeNode n) {
        t_.nodes.push_back(std::move(n));
        return int(t_.nodes.size() - 1);
    }
    TreeNode& at(int i) { return t_.nodes[std::size_t(i)]; }

    const CacheSnapshot& snap_;
    const TreeReuse& reuse_;
    std::vector<OpMarks> opMarks_;
    // Views of the snapshot's names and the findings' texts, both of which outlive the build.
    std::unordered_map<FindingPlace, std::size_t, FindingPlaceHash> opIndex_;
    std::unordered_map<FindingPlace, Marks, FindingPlaceHash> byDevice_;
    const Finding* last_ = nullptr; // mark()'s last lookup
    OpMarks* lastMarks_ = nullptr;
    Interner interner_;
    CacheTreeIndex t_;
};

} // namespace

CacheTreeIndex buildTreeIndex(const CacheSnapshot& snap, const FindingList& findings, const TreeReuse& reuse) {
    return IndexBuilder(snap, findings, reuse).build();
}

} // namespace aotiscope::ui
