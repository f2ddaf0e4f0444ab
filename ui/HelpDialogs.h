// The Help menu's windows: the rules reference (every health rule with the PyTorch behaviour behind it, the same
// text as `aotiscope-cli rules`), this machine as a kernel sees it (what the checks were judged against), and About.
// Each is shown without blocking the window and deletes itself when closed.
#pragma once

#include "core/check/HostInfo.h"

class QDialog;
class QWidget;

namespace aotiscope::ui {

QDialog* showRulesReference(QWidget* parent);
// host: the facts the open cache was judged against (null: none yet; then it says so).
QDialog* showHostSummary(QWidget* parent, const HostInfo* host);
QDialog* showAbout(QWidget* parent, const HostInfo* host);

} // namespace aotiscope::ui
