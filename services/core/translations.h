#pragma once

#include <QLocale>

namespace nobill {

// Installs the translators for `locale` on the running application: our own strings
// (English plural forms included) and Qt's. Call once, after the application object exists.
void installTranslations(const QLocale &locale = QLocale());

} // namespace nobill
