#include "ui/HelpDialogs.h"

#include "core/check/Rules.h"
#include "ui/ViewHelpers.h"

#include <QApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace aotiscope::ui {

namespace {

QString q(std::string_view s) { return QString::fromUtf8(s.data(), qsizetype(s.size())); }

QDialog* newDialog(QWidget* parent, const QString& name, const QString& title, QSize size) {
    auto* d = new QDialog(parent);
    d->setObjectName(name);
    d->setWindowTitle(title);
    d->setAttribute(Qt::WA_DeleteOnClose);
    d->resize(size);
    auto* layout = new QVBoxLayout(d);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    QObject::connect(buttons, &QDialogButtonBox::rejected, d, &QDialog::close);
    layout->addWidget(buttons);
    return d;
}

void insertAboveButtons(QDialog* d, QWidget* w, int stretch = 0) {
    static_cast<QVBoxLayout*>(d->layout())->insertWidget(d->layout()->count() - 1, w, stretch);
}

QTableWidget* table(const QStringList& headers, const std::vector<QStringList>& rows) {
    auto* t = new QTableWidget(int(rows.size()), int(headers.size()));
    t->setHorizontalHeaderLabels(headers);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setWordWrap(true);
    t->verticalHeader()->hide();
    polishView(t);
    for (int r = 0; r < int(rows.size()); ++r) {
        for (int c = 0; c < int(headers.size()); ++c) t->setItem(r, c, new QTableWidgetItem(rows[std::size_t(r)].value(c)));
    }
    t->horizontalHeader()->setStretchLastSection(true);
    t->resizeColumnsToContents();
    t->setColumnWidth(int(headers.size()) - 1, 600);
    t->resizeRowsToContents();
    return t;
}

} // namespace

QDialog* showRulesReference(QWidget* parent) {
    auto* d = newDialog(parent, QStringLiteral("rulesReference"), QObject::tr("Health rules"), {1000, 640});
    std::vector<QStringList> rows;
    for (const auto& r : allRules()) {
        rows.push_back({q(r.id), q(r.name), QString::fromLatin1(severityName(r.severity)), q(r.pytorchBehaviour)});
    }
    auto* intro = new QLabel(QObject::tr("What each finding means, and the PyTorch behaviour behind it (the same as "
                                         "<tt>aotiscope-cli rules</tt>). Filter the tree to one with <tt>rule:ID</tt>."));
    intro->setWordWrap(true);
    insertAboveButtons(d, intro);
    insertAboveButtons(d, table({QObject::tr("Rule"), QObject::tr("Name"), QObject::tr("Severity"), QObject::tr("What PyTorch does")}, rows), 1);
    d->show();
    return d;
}

QDialog* showHostSummary(QWidget* parent, const HostInfo* host) {
    auto* d = newDialog(parent, QStringLiteral("hostSummary"), QObject::tr("This machine"), {860, 520});
    std::vector<QStringList> rows;
    if (!host) {
        rows.push_back({QObject::tr("host"), QObject::tr("not detected yet: open a cache")});
    } else {
        static const char* isa[] = {"avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "neon", "sve"};
        QStringList present;
        for (const char* f : isa) {
            if (host->cpuFlags.contains(f)) present << QString::fromLatin1(f);
        }
        rows.push_back({QObject::tr("CPU"), q(host->cpuModel)});
        rows.push_back({QObject::tr("machine"), q(host->machine)});
        rows.push_back({QObject::tr("cores"), QObject::tr("%1 CPUs this process may use, %2 physical cores").arg(host->cpuCount).arg(host->physicalCores)});
        rows.push_back({QObject::tr("CPU flags"), QObject::tr("%1 flags; kernel ISAs present: %2").arg(qulonglong(host->cpuFlags.size()))
                                                      .arg(present.isEmpty() ? QObject::tr("none of AVX2, AVX-512, AMX, NEON, SVE") : present.join(QStringLiteral(", ")))});
        QString gpus = QObject::tr("no NVIDIA driver");
        if (host->cudaComputeCapabilities) {
            QStringList cc;
            for (const auto& c : *host->cudaComputeCapabilities) cc << q(c);
            gpus = cc.isEmpty() ? QObject::tr("an NVIDIA driver, no GPU") : QObject::tr("compute capability %1").arg(cc.join(QStringLiteral(", ")));
        }
        rows.push_back({QObject::tr("GPUs"), gpus});
        if (host->torch) {
            rows.push_back({QObject::tr("torch"), QObject::tr("%1 at %2 (python %3, chosen by: %4)%5")
                                                      .arg(q(host->torch->version), q(host->torch->dir), q(host->torch->python), q(host->torch->source),
                                                           host->torch->cuda.empty() ? QString() : QObject::tr(", CUDA %1").arg(q(host->torch->cuda)))});
        } else {
            rows.push_back({QObject::tr("torch"), QObject::tr("none found: the checks that need it are off")});
        }
        QStringList search;
        for (const auto& dir : host->librarySearchPath) search << q(dir);
        rows.push_back({QObject::tr("library search path"), search.join(QStringLiteral(":"))});
        for (const auto& u : host->unknownFacts) rows.push_back({QObject::tr("not known"), q(u)});
    }
    auto* intro = new QLabel(QObject::tr("The facts the open cache was judged against (<tt>aotiscope-cli doctor</tt> says the same, "
                                         "with how much of the cache runs here)."));
    intro->setWordWrap(true);
    insertAboveButtons(d, intro);
    insertAboveButtons(d, table({QObject::tr("Fact"), QObject::tr("Value")}, rows), 1);
    d->show();
    return d;
}

QDialog* showAbout(QWidget* parent, const HostInfo* host) {
    auto* d = newDialog(parent, QStringLiteral("about"), QObject::tr("About AOTIScope"), {520, 260});
    auto* text = new QLabel(QObject::tr("<h3>AOTIScope %1</h3><p>Inspect, check, benchmark and manage PyTorch's AOTI-eager "
                                        "kernel cache.</p><p>Qt %2 · judging for torch %3</p>")
                                .arg(QApplication::applicationVersion().isEmpty() ? QStringLiteral("0.1.0") : QApplication::applicationVersion(),
                                     QString::fromLatin1(qVersion()),
                                     host && host->torch ? q(host->torch->version) : QObject::tr("(none found)")));
    text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    text->setWordWrap(true);
    insertAboveButtons(d, text, 1);
    d->show();
    return d;
}

} // namespace aotiscope::ui
