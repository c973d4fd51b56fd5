#include "database/sql.h"

#include "database/sqlerror.h"

#include <QSqlError>

namespace nobill {

Result<QSqlQuery> execSql(const QSqlDatabase &db, const QString &sql, const QVariantList &values)
{
    QSqlQuery query(db);
    query.setForwardOnly(true);
    // Without values there is nothing to bind, and some statements (DDL, several statements
    // in one string) cannot be prepared at all: run them as they are.
    if (values.isEmpty()) {
        if (!query.exec(sql))
            return translateSqlError(query.lastError());
        return query;
    }
    if (!query.prepare(sql))
        return translateSqlError(query.lastError());
    for (const QVariant &value : values)
        query.addBindValue(value);
    if (!query.exec())
        return translateSqlError(query.lastError());
    return query;
}

Error translateSqlErrorForTransaction(const QSqlDatabase &db)
{
    return translateSqlError(db.lastError());
}

} // namespace nobill
