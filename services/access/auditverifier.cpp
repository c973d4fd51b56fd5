#include "access/auditverifier.h"

#include "database/sql.h"

#include <QCoreApplication>
#include <QSqlDatabase>

namespace nobill {

Result<AuditVerification> verifyAuditTrail(const QString &connectionName)
{
    const QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    auto query = execSql(db, QStringLiteral("SELECT intact, rows_checked, first_broken_id, problem "
                                            "FROM nobill_audit_verify()"));
    if (!query)
        return query.error();
    QSqlQuery &q = query.value();
    if (!q.next()) {
        return makeError(ErrorKind::Internal,
                         QCoreApplication::translate("nobill::AuditVerifier",
                                                     "The database gave no answer about the "
                                                     "audit trail."));
    }
    AuditVerification result;
    result.intact = q.value(0).toBool();
    result.rowsChecked = q.value(1).toLongLong();
    result.firstBrokenId = q.value(2).isNull() ? 0 : q.value(2).toLongLong();
    result.problem = q.value(3).toString();
    return result;
}

} // namespace nobill
