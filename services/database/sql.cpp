#include "database/sql.h"

#include "database/sqlerror.h"

#include <QSqlError>
#include <QUuid>

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

QString containsPattern(const QString &text)
{
    QString escaped = text;
    escaped.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    escaped.replace(QLatin1Char('%'), QLatin1String("\\%"));
    escaped.replace(QLatin1Char('_'), QLatin1String("\\_"));
    return QLatin1Char('%') + escaped + QLatin1Char('%');
}

QString whereClause(const QStringList &conditions)
{
    return conditions.isEmpty()
               ? QString()
               : QStringLiteral(" WHERE ") + conditions.join(QStringLiteral(" AND "));
}

bool isUuid(const QString &id)
{
    return !QUuid::fromString(id).isNull();
}

QVariant nullIfEmpty(const QString &value)
{
    return value.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(value);
}

Error translateSqlErrorForTransaction(const QSqlDatabase &db)
{
    return translateSqlError(db.lastError());
}

} // namespace nobill
