#include "database/serverinfo.h"

#include "database/sql.h"

#include <QCoreApplication>

namespace nobill {

Result<ServerInfo> inspectServer(const QString &connectionName)
{
    const QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    auto q = execSql(db, QStringLiteral("SELECT current_setting('server_version'), current_user, "
                                        "current_database()"));
    if (!q)
        return q.error();
    q.value().next();
    ServerInfo info;
    info.serverVersion = q.value().value(0).toString().section(QLatin1Char(' '), 0, 0);
    info.login = q.value().value(1).toString();
    info.database = q.value().value(2).toString();
    auto schema = Migrator(connectionName).status();
    if (!schema)
        return schema.error();
    info.schema = schema.value();
    return info;
}

Error schemaProblem(const SchemaStatus &schema)
{
    auto tr = [](const char *text) {
        return QCoreApplication::translate("nobill::ServerInfo", text);
    };
    if (!schema.hasSchema) {
        return makeError(ErrorKind::SchemaMissing,
                         tr("This database has no NOBill schema. Connect to the NOBill database, "
                            "or prepare this one with \"nobillctl migrate --db URI\"."));
    }
    if (schema.isNewerThanProgram()) {
        return makeError(ErrorKind::SchemaTooNew,
                         tr("This database's schema (version %1) is newer than this console "
                            "(version %2). Install the newer NOBill Console to work with it.")
                             .arg(schema.databaseVersion)
                             .arg(schema.programVersion));
    }
    if (!schema.pending.isEmpty()) {
        return makeError(ErrorKind::SchemaMissing,
                         tr("This database's schema (version %1) is older than this console "
                            "(version %2). Ask your administrator to run \"nobillctl migrate\".")
                             .arg(schema.databaseVersion)
                             .arg(schema.programVersion));
    }
    return {};
}

} // namespace nobill
