#pragma once

#include <QStringList>

namespace nobill::ctl {
// `nobillctl setup --db OWNER_URI --admin-login L --admin-email E [--admin-name N]
// [--office NAME] [--service-login L] [--service-password-file FILE]`: prepares a new
// office database and says what it did. Takes the whole command line (it has options of its
// own); returns the process exit code (0, 1 failed, 2 bad usage).
int runSetup(const QStringList &arguments);
} // namespace nobill::ctl
