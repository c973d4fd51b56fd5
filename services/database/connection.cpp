#include "database/connection.h"

#include "database/sqlerror.h"

#include <QAtomicInteger>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

namespace nobill {

Status openConnection(const ConnectionSettings &settings, const QString &connectionName)
{
    if (QSqlDatabase::contains(connectionName))
        QSqlDatabase::removeDatabase(connectionName);
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connectionName);
    db.setHostName(settings.host);
    db.setPort(settings.port);
    db.setDatabaseName(settings.database);
    db.setUserName(settings.user);
    db.setPassword(settings.password);
    db.setConnectOptions(settings.connectOptions());
    if (!db.open()) {
        Error error = translateConnectError(db.lastError(), settings.describe());
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(connectionName);
        return error;
    }
    // The audit triggers read nobill.source; times come back as timestamptz and are shown in
    // the operator's zone by the UI, so the session zone is fixed to UTC for predictability.
    QSqlQuery setup(db);
    if (!setup.exec(QStringLiteral("SELECT set_config('nobill.source', '%1', false), "
                                   "set_config('TimeZone', 'UTC', false)")
                        .arg(settings.source == QLatin1String("console") ||
                                     settings.source == QLatin1String("cli") ||
                                     settings.source == QLatin1String("webhook") ||
                                     settings.source == QLatin1String("worker")
                                 ? settings.source
                                 : QStringLiteral("console")))) {
        Error error = translateSqlError(setup.lastError());
        setup = QSqlQuery();
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(connectionName);
        return error;
    }
    return {};
}

void closeConnection(const QString &connectionName)
{
    {
        QSqlDatabase db = QSqlDatabase::database(connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(connectionName);
}

bool isConnectionOpen(const QString &connectionName)
{
    return QSqlDatabase::database(connectionName, false).isOpen();
}

QString uniqueConnectionName(const QString &purpose)
{
    static QAtomicInteger<quint64> counter;
    return QStringLiteral("nobill-%1-%2").arg(purpose).arg(++counter);
}

} // namespace nobill
