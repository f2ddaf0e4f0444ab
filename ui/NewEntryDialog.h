// "New entry": choose an op overload (from the active torch's schemas), a device, and the arguments (kind,
// dtype, sizes, value); the result is a compile job for the jobs panel.
#pragma once

#include "core/jobs/CompileJobs.h"

#include <QDialog>
#include <QStringList>

#include <nlohmann/json.hpp>

class QComboBox;
class QLabel;
class QLineEdit;
class QTableWidget;

namespace aotiscope::ui {

struct ArgumentRow {
    QString kind;  // tensor, tensor_list, scalar, string, dtype, device, layout
    QString dtype; // float32, int64, ... (tensors, tensor lists, scalars)
    QString sizes; // "4,8"; tensor lists: "2,3;2,5"
    QString value; // scalar, string, dtype, device ("cuda:0"), layout
};

// The meta_info PyTorch would record for such a call (contiguous strides), or an error.
nlohmann::json metaInfoFromRows(const QString& device, const std::vector<ArgumentRow>& rows, QString& error);

class NewEntryDialog : public QDialog {
    Q_OBJECT
public:
    NewEntryDialog(const std::string& root, QWidget* parent = nullptr);

    void setOp(const QString& op);
    void setDevice(const QString& device);
    void setRows(const std::vector<ArgumentRow>& rows);
    std::vector<ArgumentRow> rows() const;
    // The job for what is filled in; `error` says what is missing or wrong.
    CompileJob job(QString& error) const;
    QLabel* schemaLabel() const { return schema_; }

    // "aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor" lines of the active torch,
    // listed once in the background.
    static QStringList listSchemas(const std::string& python);

private:
    void addRow(const ArgumentRow& row);
    void showSchema();

    std::string root_;
    QLineEdit* op_;
    QComboBox* device_;
    QTableWidget* args_;
    QLabel* schema_;
    QStringList schemas_;
};

} // namespace aotiscope::ui
