// File > Preferences: what the window remembers between runs and the workers follow (QSettings).
#pragma once

#include <QDialog>
#include <QString>

class QCheckBox;
class QComboBox;
class QSpinBox;
class QLineEdit;

namespace aotiscope::ui {

struct Preferences {
    QString python;     // the interpreter whose torch the verdicts are for and that compiles; empty: automatic
    QString rayAddress; // a Ray cluster's head (host:port) for recompiles on the cluster; empty: none
    QString registry;   // the OCI reference File > Pull from registry starts from (host[:port]/repository:tag)
    bool registryInsecure = false; // that registry speaks plain HTTP
    int benchMaxMs = 2000;         // the benchmark panel's sampling cap per entry
    int benchMode = 0;             // its sampling mode: benchModeNames() (auto, warm, cold)
    static Preferences load();
    void save() const;
};

class PreferencesDialog : public QDialog {
    Q_OBJECT
public:
    explicit PreferencesDialog(const Preferences& current, QWidget* parent = nullptr);
    Preferences chosen() const;

private:
    QLineEdit* python_;
    QLineEdit* ray_;
    QLineEdit* registry_;
    QCheckBox* insecure_;
    QSpinBox* benchMaxMs_;
    QComboBox* benchMode_;
};

} // namespace aotiscope::ui
