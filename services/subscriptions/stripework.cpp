#include "subscriptions/stripework.h"

#include "database/sql.h"

#include <QJsonDocument>

namespace nobill {

Result<QString> enqueueStripeJob(const QString &connectionName, const QString &organizationId,
                                 const QString &kind, const QJsonObject &payload,
                                 const QString &idempotencyKey)
{
    const QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    auto q = execSql(db, QStringLiteral("SELECT nobill_enqueue_job(?::uuid, ?, ?::jsonb, ?)::text"),
                     {organizationId, kind,
                      QString::fromUtf8(QJsonDocument(payload).toJson(QJsonDocument::Compact)),
                      idempotencyKey});
    if (!q)
        return q.error();
    q.value().next();
    return q.value().value(0).toString();
}

} // namespace nobill
