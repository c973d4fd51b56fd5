#pragma once

#include <QStringList>

class QCommandLineParser;

namespace nobill::ctl {
// `nobillctl stripe reconcile [--repair] --db URI`: lists the drift between our database and
// Stripe (and with --repair makes ours equal to Stripe). Exit code 0 no drift (left), 1 error,
// 2 bad usage, 4 drift found (or left after a repair).
int reconcileCommand(QCommandLineParser &parser, const QStringList &words);
} // namespace nobill::ctl
