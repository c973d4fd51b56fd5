#include "demo/demoseeder.h"

#include "database/sql.h"
#include "database/sqlerror.h"

#include <QCoreApplication>
#include <QFile>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

Q_LOGGING_CATEGORY(lcDemo, "nobill.demo")

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::DemoSeeder", text);
}
} // namespace

Status seedDemoData(const QString &connectionName)
{
    QFile file(QStringLiteral(":/demo/seed.sql"));
    if (!file.open(QIODevice::ReadOnly)) {
        return makeError(ErrorKind::Internal, tr("This program contains no demo data."),
                         file.errorString());
    }
    const QString script = QString::fromUtf8(file.readAll());

    QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    Result<bool> seeded = inTransaction(db, [&]() -> Result<bool> {
        // The audit trail records the demo rows as written from the command line.
        if (auto source = execSql(db, QStringLiteral("SELECT set_config('nobill.source', "
                                                     "'cli', true)"));
            !source) {
            return source.error();
        }
        QSqlQuery query(db);
        // One simple-protocol string holding many statements. The driver reports only the
        // first statement's outcome from exec(); a later failure waits in a further result
        // set, so every result set is visited.
        bool ok = query.exec(script);
        while (ok && query.nextResult()) {
        }
        if (!ok || query.lastError().isValid()) {
            Error error = translateSqlError(query.lastError());
            error.message =
                tr("The demo data could not be added; nothing was changed: %1").arg(error.message);
            return error;
        }
        return true;
    });
    if (!seeded)
        return seeded.error();
    qCInfo(lcDemo) << "demo data added";
    return {};
}

} // namespace nobill
