#include "ui/EntryDetailsWidget.h"
#include "ui/ViewHelpers.h"

#include "core/check/DispatchKeys.h"
#include "core/base/FileUtil.h"
#include "core/report/JsonReport.h"
#include "core/read/TorchNames.h"
#include "ui/CacheTreeModel.h"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QScrollBar>
#include <QTreeWidgetItemIterator>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace aotiscope::ui {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

QString ints(const std::vector<std::int64_t>& v) {
    QStringList parts;
    for (auto x : v) parts << QString::number(x);
    return QLatin1Char('[') + parts.join(QStringLiteral(", ")) + QLatin1Char(']');
}

// The key names in the numbering of the release that wrote the entry where that is known; the cell's tooltip
// says which numbering it is and why (KeySetNaming).
struct KeysCell {
    QString text, tip;
};

KeysCell keysCell(const TensorMeta& t, const KeySetNaming& naming, const std::string& writerTorch) {
    if (!t.dispatchKeySet) return {};
    QString raw = QString::number(*t.dispatchKeySet);
    auto reading = naming.read(t, writerTorch);
    if (!reading.table) return {raw, q(reading.label())};
    QStringList names;
    for (const auto& n : reading.table->keyNames(*t.dispatchKeySet)) names << q(n);
    return {names.join(QStringLiteral(", ")) + QStringLiteral("  (") + raw + QStringLiteral(", torch ") +
                q(reading.table->release()) + QLatin1Char(')'),
            QStringLiteral("raw %1: %2").arg(raw, q(reading.label()))};
}

QTreeWidgetItem* tensorItem(const QString& label, const QString& kind, const TensorMeta& t, const KeySetNaming& naming,
                            const std::string& writerTorch) {
    auto device = q(t.deviceType) + (t.deviceIndex ? QStringLiteral(":%1").arg(*t.deviceIndex) : QString());
    auto keys = keysCell(t, naming, writerTorch);
    auto* item = new QTreeWidgetItem(QStringList{label, kind, q(std::string(lastDottedPart(t.dtype))), ints(t.sizes), ints(t.strides), device,
                                                 t.requiresGrad ? (*t.requiresGrad ? QStringLiteral("true") : QStringLiteral("false")) : QString(),
                                                 QString(), keys.text});
    item->setToolTip(8, keys.tip);
    return item;
}

QTreeWidget* makeTree(const QStringList& headers) {
    auto* t = new QTreeWidget;
    polishView(t);
    t->setHeaderLabels(headers);
    t->setRootIsDecorated(true);
    t->setAlternatingRowColors(true);
    t->setUniformRowHeights(true);
    t->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    return t;
}

} // namespace

EntryDetailsWidget::EntryDetailsWidget(QWidget* parent) : QWidget(parent) {
    title_ = new QLabel(tr("Select an entry"));
    title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    title_->setWordWrap(true);
    args_ = makeTree({tr("Arg"), tr("Kind"), tr("Dtype"), tr("Sizes"), tr("Strides"), tr("Device"), tr("requires_grad"),
                      tr("Value"), tr("Dispatch keys")});
    args_->setObjectName(QStringLiteral("argumentsView"));
    library_ = makeTree({tr("Library"), tr("Value")});
    library_->setObjectName(QStringLiteral("libraryView"));
    library_->setRootIsDecorated(false);
    findings_ = makeTree({tr("Severity"), tr("Rule"), tr("Finding")});
    findings_->setObjectName(QStringLiteral("entryFindingsView"));
    findings_->setRootIsDecorated(false);
    split_ = new QSplitter(Qt::Vertical);
    split_->addWidget(args_);
    split_->addWidget(library_);
    split_->addWidget(findings_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(title_);
    layout->addWidget(split_, 1);
}

void EntryDetailsWidget::shareHeight() {
    // Three equal thirds left a cramped library list beside an empty findings list. Arguments and findings get what
    // their rows need, up to a share of the pane; the library's long values the rest. No findings: no empty list
    // (the title says so).
    auto wants = [](QTreeWidget* t) {
        int rows = 0;
        for (QTreeWidgetItemIterator it(t); *it; ++it) ++rows;
        int row = t->sizeHintForRow(0) > 0 ? t->sizeHintForRow(0) : t->fontMetrics().height() + 4;
        return t->header()->sizeHint().height() + (std::max(rows, 1) + 1) * row + t->horizontalScrollBar()->sizeHint().height(); // a row of slack: frames
    };
    findings_->setVisible(findings_->topLevelItemCount() > 0);
    int room = std::max(split_->height(), 1);
    int args = std::min(wants(args_), room * 45 / 100);
    int findings = findings_->isVisible() ? std::min(wants(findings_), room * 30 / 100) : 0;
    split_->setSizes({args, std::max(room - args - findings, 0), findings});
}

void EntryDetailsWidget::clear() {
    title_->setText(tr("Select an entry"));
    args_->clear();
    library_->clear();
    findings_->clear();
    findings_->show();
}

void EntryDetailsWidget::showEntry(const ScanResult& result, const NamespaceDir& ns, const DeviceDir& device, const OpFile& op,
                                   const Entry* entry) {
    clear();
    KeySetNaming naming(result.host.torchVersion());
    const auto& writerTorch = entry ? writerTorchVersion(device, *entry) : std::string();
    title_->setText(entry ? QStringLiteral("<b>%1</b> entry #%2 &nbsp; <small>%3</small>").arg(q(op.name)).arg(entry->index).arg(q(op.path).toHtmlEscaped())
                          : QStringLiteral("<b>%1</b> &nbsp; <small>%2</small>").arg(q(op.name), q(op.path).toHtmlEscaped()));
    if (entry) {
        for (std::size_t i = 0; i < entry->args.size(); ++i) {
            const Arg& a = entry->args[i];
            auto label = QStringLiteral("%1 (order %2)").arg(i).arg(a.argOrder ? QString::number(*a.argOrder) : QStringLiteral("?"));
            auto kind = QString::fromLatin1(argKindName(a.kind));
            QTreeWidgetItem* item = nullptr;
            if (a.kind == ArgKind::Tensor) {
                item = tensorItem(label, kind, a.tensor, naming, writerTorch);
            } else {
                QString value = q(describeArg(a));
                value = value.mid(value.indexOf(QLatin1Char(' ')) + 1);
                item = new QTreeWidgetItem(QStringList{label, kind, a.kind == ArgKind::Scalar ? q(std::string(lastDottedPart(a.tensor.dtype))) : QString(),
                                                       QString(), QString(), a.kind == ArgKind::Scalar ? q(a.tensor.deviceType) : QString(), QString(), value});
                for (std::size_t k = 0; k < a.list.size(); ++k) {
                    item->addChild(tensorItem(QStringLiteral("[%1]").arg(k), QStringLiteral("tensor"), a.list[k], naming, writerTorch));
                }
            }
            for (const auto& u : a.tensor.unknown) {
                item->addChild(new QTreeWidgetItem(QStringList{QStringLiteral("unknown key"), q(u.key), QString(), QString(), QString(), QString(), QString(), q(u.json)}));
            }
            args_->addTopLevelItem(item);
        }
        for (const auto& u : entry->unknown) {
            args_->addTopLevelItem(new QTreeWidgetItem(QStringList{QStringLiteral("unknown entry key"), q(u.key), QString(), QString(), QString(), QString(), QString(), q(u.json)}));
        }
        args_->expandAll();

        auto row = [&](const QString& k, const QString& v) { library_->addTopLevelItem(new QTreeWidgetItem(QStringList{k, v})); };
        row(tr("kernel_path"), q(entry->kernelPath.value_or("(none)")));
        if (const LibraryFile* found = device.libraryOf(*entry)) {
            const LibraryFile& lib = *found;
            row(tr("path"), q(lib.path));
            row(tr("size"), formatBytes(qint64(lib.stat.size)) + tr(" (+ %1 sidecars)").arg(formatBytes(qint64(lib.artifactBytes))));
            row(tr("modified"), QDateTime::fromSecsSinceEpoch(lib.stat.mtime).toString(Qt::ISODate));
            if (lib.artifacts) {
                const auto& a = *lib.artifacts;
                row(tr("CPU ISA"), q(a.cpuIsa));
                row(tr("compute capability"), q(a.computeCapability));
                row(tr("platform / machine"), q(a.platform + " / " + a.machine));
                row(tr("built by torch"), q(a.torchDir));
                row(tr("compile command"), q(a.compileCommand));
                row(tr("link command"), q(a.linkCommand));
                row(tr("wrapper source"), q(a.wrapperSource));
            }
            if (lib.elf) {
                QStringList needed;
                for (const auto& n : lib.elf->needed) needed << q(n);
                row(tr("ELF"), lib.elf->isElf ? q(lib.elf->machine) + tr(" shared object") : q(lib.elf->error));
                row(tr("needs"), needed.join(QStringLiteral(", ")));
            }
        } else {
            row(tr("path"), tr("not in the cache's lib/ folder (missing or outside the root)"));
        }
        if (result.host.torch) {
            row(tr("active torch"), q(result.host.torch->dir + " (" + result.host.torch->version + ")"));
        }
    }
    for (const auto& f : result.findings) {
        if (f.ns != ns.name || f.device != device.name || f.op != op.name || (entry && f.entry != entry->index && f.entry != -1)) {
            continue;
        }
        auto* item = new QTreeWidgetItem(QStringList{QString::fromLatin1(severityName(f.severity)), q(f.ruleId), q(f.message)});
        const auto& why = ruleById(f.ruleId).pytorchBehaviour;
        item->setToolTip(2, QString::fromUtf8(why.data(), qsizetype(why.size())));
        findings_->addTopLevelItem(item);
    }
    if (findings_->topLevelItemCount() == 0) title_->setText(title_->text() + tr(" &nbsp;<small>· no findings</small>"));
    shareHeight();
}

} // namespace aotiscope::ui
