#include "ui/NewEntryDialog.h"

#include "core/jobs/CompileWorker.h"
#include "core/base/Subprocess.h"
#include "core/read/TorchNames.h"

#include <QComboBox>
#include <QCompleter>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace aotiscope::ui {

namespace {

const QStringList kKinds{"tensor", "tensor_list", "scalar", "string", "dtype", "device", "layout"};
const QStringList kDtypes{"float32", "float16", "bfloat16", "float64", "int64", "int32", "int16", "int8", "uint8", "bool"};

std::optional<std::vector<std::int64_t>> parseSizes(const QString& text) {
    std::vector<std::int64_t> out;
    for (const auto& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        auto v = part.trimmed().toLongLong(&ok);
        if (!ok || v < 0) return std::nullopt;
        out.push_back(v);
    }
    return out;
}

std::vector<std::int64_t> contiguousStrides(const std::vector<std::int64_t>& sizes) {
    std::vector<std::int64_t> strides(sizes.size());
    std::int64_t acc = 1;
    for (std::size_t i = sizes.size(); i-- > 0;) {
        strides[i] = acc;
        acc *= std::max<std::int64_t>(sizes[i], 1);
    }
    return strides;
}

} // namespace

nlohmann::json metaInfoFromRows(const QString& device, const std::vector<ArgumentRow>& rows, QString& error) {
    nlohmann::json meta = nlohmann::json::array();
    auto devType = device.section(QLatin1Char(':'), 0, 0).toStdString();
    int devIndex = devType == "cpu" ? -1 : device.section(QLatin1Char(':'), 1, 1).toInt();
    auto tensor = [&](const QString& dtype, const QString& sizesText) -> std::optional<nlohmann::json> {
        auto sizes = parseSizes(sizesText);
        if (!sizes || !isKnownDtype(dtype.toStdString())) return std::nullopt;
        return nlohmann::json{{"is_dynamic", false}, {"device_type", devType}, {"device_index", devIndex},
                              {"dtype", "torch." + dtype.toStdString()}, {"sizes", *sizes},
                              {"strides", contiguousStrides(*sizes)}, {"requires_grad", false}};
    };
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        auto where = QStringLiteral("argument %1 (%2)").arg(i).arg(r.kind);
        nlohmann::json m;
        if (r.kind == QStringLiteral("tensor")) {
            auto t = tensor(r.dtype, r.sizes);
            if (!t) { error = where + QObject::tr(": sizes like 4,8 and a dtype"); return {}; }
            m = *t;
        } else if (r.kind == QStringLiteral("tensor_list")) {
            m["tensor_list"] = nlohmann::json::array();
            for (const auto& part : r.sizes.split(QLatin1Char(';'), Qt::SkipEmptyParts)) {
                auto t = tensor(r.dtype, part);
                if (!t) { error = where + QObject::tr(": sizes of each tensor like 2,3;2,5"); return {}; }
                m["tensor_list"].push_back(*t);
            }
        } else if (r.kind == QStringLiteral("scalar")) {
            bool ok = false;
            auto dtype = r.dtype.isEmpty() ? QStringLiteral("int32") : r.dtype;
            m = {{"is_dynamic", false}, {"device_type", devType}, {"device_index", devType == "cpu" ? -1 : 0}};
            if (dtype == QStringLiteral("bool")) {
                m["dtype"] = "torch.bool";
                m["scalar_value"] = r.value == QStringLiteral("true") || r.value == QStringLiteral("1");
                ok = true;
            } else if (dtype.startsWith(QStringLiteral("float"))) {
                m["dtype"] = "torch.float32"; // what aoti_eager.py records for a Python float
                m["scalar_value"] = r.value.toDouble(&ok);
            } else {
                m["dtype"] = "torch.int32"; // and for a Python int
                m["scalar_value"] = r.value.toLongLong(&ok);
            }
            if (!ok) { error = where + QObject::tr(": a number"); return {}; }
        } else if (r.kind == QStringLiteral("string")) {
            m["string_value"] = r.value.toStdString();
        } else if (r.kind == QStringLiteral("dtype")) {
            if (!isKnownDtype(r.value.toStdString())) { error = where + QObject::tr(": a torch dtype"); return {}; }
            m["dtype_value"] = "torch." + std::string(lastDottedPart(r.value.toStdString()));
        } else if (r.kind == QStringLiteral("device")) {
            auto type = r.value.section(QLatin1Char(':'), 0, 0).toStdString();
            m["device_type_value"] = type;
            m["device_index_value"] = r.value.contains(QLatin1Char(':')) ? nlohmann::json(r.value.section(QLatin1Char(':'), 1, 1).toInt()) : nlohmann::json(nullptr);
        } else if (r.kind == QStringLiteral("layout")) {
            if (!isKnownLayout(r.value.toStdString())) { error = where + QObject::tr(": a torch layout"); return {}; }
            m["layout_value"] = "torch." + std::string(lastDottedPart(r.value.toStdString()));
        } else {
            error = where + QObject::tr(": unknown kind");
            return {};
        }
        m["arg_order"] = i;
        meta.push_back(m);
    }
    return meta;
}

QStringList NewEntryDialog::listSchemas(const std::string& python) {
    auto r = runProcess({python, "-c",
                         "import torch\n"
                         "for s in torch._C._jit_get_all_schemas():\n"
                         "    if s.name.startswith('aten::'): print(s)\n"},
                        120000);
    QStringList out;
    for (const auto& line : QString::fromStdString(r.out).split(QLatin1Char('\n'), Qt::SkipEmptyParts)) out << line;
    return out;
}

NewEntryDialog::NewEntryDialog(const std::string& root, QWidget* parent) : QDialog(parent), root_(root) {
    setWindowTitle(tr("New entry"));
    op_ = new QLineEdit;
    op_->setObjectName(QStringLiteral("opEdit"));
    op_->setPlaceholderText(tr("overload-qualified op, e.g. add.Tensor (the default overload: abs)"));
    device_ = new QComboBox;
    device_->setEditable(true);
    device_->addItems({QStringLiteral("cpu"), QStringLiteral("cuda:0")});
    schema_ = new QLabel(tr("loading torch's schemas…"));
    schema_->setWordWrap(true);
    schema_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    args_ = new QTableWidget(0, 4);
    args_->setHorizontalHeaderLabels({tr("Kind"), tr("Dtype"), tr("Sizes"), tr("Value")});
    args_->horizontalHeader()->setStretchLastSection(true);
    auto* add = new QPushButton(tr("Add argument"));
    auto* remove = new QPushButton(tr("Remove argument"));
    auto* form = new QFormLayout;
    form->addRow(tr("Op"), op_);
    form->addRow(tr("Device"), device_);
    form->addRow(tr("Schema"), schema_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Compile"));
    auto* argButtons = new QHBoxLayout;
    argButtons->addWidget(add);
    argButtons->addWidget(remove);
    argButtons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(args_, 1);
    layout->addLayout(argButtons);
    layout->addWidget(buttons);
    connect(add, &QPushButton::clicked, this, [this] { addRow({"tensor", "float32", "4,4", ""}); });
    connect(remove, &QPushButton::clicked, this, [this] { args_->removeRow(args_->currentRow()); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        QString error;
        job(error);
        if (!error.isEmpty()) {
            QMessageBox::warning(this, tr("New entry"), error);
            return;
        }
        accept();
    });
    connect(op_, &QLineEdit::textChanged, this, &NewEntryDialog::showSchema);
    QPointer<NewEntryDialog> self(this);
    auto python = defaultPython();
    (void)QtConcurrent::run([self, python] {
        auto schemas = listSchemas(python);
        QMetaObject::invokeMethod(self.data(), [self, schemas] {
            if (!self) return;
            self->schemas_ = schemas;
            QStringList names;
            for (const auto& s : schemas) {
                auto name = s.section(QLatin1Char('('), 0, 0).mid(6); // "aten::add.Tensor" -> "add.Tensor"
                if (!names.contains(name)) names << name;
            }
            auto* completer = new QCompleter(names, self);
            completer->setCaseSensitivity(Qt::CaseInsensitive);
            completer->setFilterMode(Qt::MatchContains);
            self->op_->setCompleter(completer);
            self->showSchema();
        }, Qt::QueuedConnection);
    });
}

void NewEntryDialog::showSchema() {
    if (schemas_.isEmpty()) return;
    auto op = op_->text().trimmed();
    for (const auto& s : schemas_) {
        if (s.startsWith(QStringLiteral("aten::") + op + QLatin1Char('('))) {
            schema_->setText(s);
            return;
        }
    }
    schema_->setText(op.isEmpty() ? QString() : tr("no overload %1 in the active torch").arg(op));
}

void NewEntryDialog::addRow(const ArgumentRow& row) {
    int r = args_->rowCount();
    args_->insertRow(r);
    auto* kind = new QComboBox;
    kind->addItems(kKinds);
    kind->setCurrentText(row.kind);
    auto* dtype = new QComboBox;
    dtype->addItems(kDtypes);
    dtype->setEditable(true);
    dtype->setCurrentText(row.dtype);
    args_->setCellWidget(r, 0, kind);
    args_->setCellWidget(r, 1, dtype);
    args_->setItem(r, 2, new QTableWidgetItem(row.sizes));
    args_->setItem(r, 3, new QTableWidgetItem(row.value));
}

void NewEntryDialog::setOp(const QString& op) { op_->setText(op); }
void NewEntryDialog::setDevice(const QString& device) { device_->setCurrentText(device); }

void NewEntryDialog::setRows(const std::vector<ArgumentRow>& rows) {
    args_->setRowCount(0);
    for (const auto& r : rows) addRow(r);
}

std::vector<ArgumentRow> NewEntryDialog::rows() const {
    std::vector<ArgumentRow> out;
    for (int r = 0; r < args_->rowCount(); ++r) {
        out.push_back({static_cast<QComboBox*>(args_->cellWidget(r, 0))->currentText(),
                       static_cast<QComboBox*>(args_->cellWidget(r, 1))->currentText(),
                       args_->item(r, 2) ? args_->item(r, 2)->text() : QString(),
                       args_->item(r, 3) ? args_->item(r, 3)->text() : QString()});
    }
    return out;
}

CompileJob NewEntryDialog::job(QString& error) const {
    auto op = op_->text().trimmed();
    if (op.isEmpty()) {
        error = tr("Name the op, e.g. add.Tensor");
        return {};
    }
    auto device = device_->currentText().trimmed();
    auto meta = metaInfoFromRows(device, rows(), error);
    if (!error.isEmpty()) return {};
    std::string specError;
    auto job = jobFromSpec(root_, {{"op", op.toStdString()}, {"ns", "aten"},
                                   {"device", device.section(QLatin1Char(':'), 0, 0).toStdString()}, {"meta_info", meta}},
                           specError);
    error = QString::fromStdString(specError);
    return job;
}

} // namespace aotiscope::ui
