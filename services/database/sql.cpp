#include "database/sql.h"

#include "database/sqlerror.h"

#include <QSqlError>

namespace nobill {

Result<QSqlQuery> execSql(const QSqlDatabase &db, const QString &sql, const QVariantList &values)
{
    QSqlQuery query(db);
    query.setForwardOnly(true);
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
