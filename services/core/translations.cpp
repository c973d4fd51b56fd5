#include "core/translations.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLoggingCategory>
#include <QTranslator>

Q_LOGGING_CATEGORY(lcTranslations, "nobill.translations")

namespace nobill {

void installTranslations(const QLocale &locale)
{
    auto *app = QCoreApplication::instance();
    if (!app)
        return;
    auto *ours = new QTranslator(app);
    // English is the source language; its file only holds plural forms, and is the fallback
    // for languages we have no file for.
    if (ours->load(locale, QStringLiteral("nobill"), QStringLiteral("_"),
                   QStringLiteral(":/i18n")) ||
        ours->load(QStringLiteral(":/i18n/nobill_en"))) {
        QCoreApplication::installTranslator(ours);
    } else {
        qCWarning(lcTranslations) << "no translation for" << locale.name();
        delete ours;
    }
    auto *qt = new QTranslator(app);
    if (qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
                 QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
    else
        delete qt;
}

} // namespace nobill
