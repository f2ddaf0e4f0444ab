#include "ui/PreferencesDialog.h"

#include "ui/BenchPanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>

namespace aotiscope::ui {

namespace {
const QString kPython = QStringLiteral("torch/python");
const QString kRay = QStringLiteral("ray/address");
const QString kRegistry = QStringLiteral("registry/reference");
const QString kInsecure = QStringLiteral("registry/insecure");
const QString kBenchMaxMs = QStringLiteral("bench/maxMs");
const QString kBenchMode = QStringLiteral("bench/mode");
} // namespace

Preferences Preferences::load() {
    QSettings s;
    return {s.value(kPython).toString(),        s.value(kRay).toString(),       s.value(kRegistry).toString(),
            s.value(kInsecure, false).toBool(), s.value(kBenchMaxMs, 2000).toInt(), s.value(kBenchMode, 0).toInt()};
}

void Preferences::save() const {
    QSettings s;
    s.setValue(kPython, python);
    s.setValue(kRay, rayAddress);
    s.setValue(kRegistry, registry);
    s.setValue(kInsecure, registryInsecure);
    s.setValue(kBenchMaxMs, benchMaxMs);
    s.setValue(kBenchMode, benchMode);
}

PreferencesDialog::PreferencesDialog(const Preferences& current, QWidget* parent)
    : QDialog(parent),
      python_(new QLineEdit(current.python)),
      ray_(new QLineEdit(current.rayAddress)),
      registry_(new QLineEdit(current.registry)),
      insecure_(new QCheckBox(tr("plain HTTP (a registry on loopback or a trusted network)"))),
      benchMaxMs_(new QSpinBox),
      benchMode_(new QComboBox) {
    setWindowTitle(tr("Preferences"));
    python_->setObjectName(QStringLiteral("pythonEdit"));
    python_->setPlaceholderText(tr("automatic: the one recorded at build, then python3 on PATH"));
    python_->setToolTip(tr("The Python interpreter with the torch the checks are for, and that compiles"));
    ray_->setObjectName(QStringLiteral("rayEdit"));
    ray_->setPlaceholderText(tr("host:port of a Ray cluster's head (empty: compile on this machine only)"));
    ray_->setToolTip(tr("Recompiles on the cluster: each entry compiles in its own temporary cache on a node, and is "
                        "checked against this host and merged here as it arrives (CPU entries)"));
    registry_->setObjectName(QStringLiteral("registryEdit"));
    registry_->setPlaceholderText(tr("host[:port]/repository:tag of bundles (File > Pull from registry)"));
    insecure_->setObjectName(QStringLiteral("insecureCheck"));
    insecure_->setChecked(current.registryInsecure);
    benchMaxMs_->setObjectName(QStringLiteral("benchMaxMsEdit"));
    benchMaxMs_->setRange(50, 60000);
    benchMaxMs_->setSuffix(tr(" ms per entry"));
    benchMaxMs_->setValue(current.benchMaxMs);
    benchMode_->setObjectName(QStringLiteral("benchModeEdit"));
    benchMode_->addItems(benchModeNames());
    benchMode_->setCurrentIndex(current.benchMode);
    auto* form = new QFormLayout(this);
    form->addRow(tr("Torch interpreter:"), python_);
    form->addRow(tr("Ray cluster:"), ray_);
    form->addRow(tr("OCI registry:"), registry_);
    form->addRow(QString(), insecure_);
    form->addRow(tr("Benchmark cap:"), benchMaxMs_);
    form->addRow(tr("Benchmark samples:"), benchMode_);
    auto* note = new QLabel(tr("With a cluster set, File > Recompile everything stale on the cluster sends the jobs there."));
    note->setWordWrap(true);
    form->addRow(note);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
    resize(560, sizeHint().height());
}

Preferences PreferencesDialog::chosen() const {
    return {python_->text().trimmed(), ray_->text().trimmed(), registry_->text().trimmed(), insecure_->isChecked(),
            benchMaxMs_->value(),          benchMode_->currentIndex()};
}

} // namespace aotiscope::ui
