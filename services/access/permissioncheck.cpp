#include "access/permissioncheck.h"

#include "database/sql.h"

#include <QCoreApplication>

namespace nobill {

Error organizationNotFound()
{
    return makeError(ErrorKind::NotFound,
                     QCoreApplication::translate("nobill::PermissionCheck",
                                                 "This organization no longer exists, or you "
                                                 "cannot see it. Choose another one."));
}

Result<QString> requireOrganizationPermission(const QString &connectionName,
                                              const QString &organizationId,
                                              const QString &permission, const QString &refusal)
{
    if (!isUuid(organizationId))
        return organizationNotFound();
    const QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    auto q = execSql(db,
                     QStringLiteral("SELECT o.name, coalesce(nobill_has_permission(o.id, ?), "
                                    "false) FROM organizations o WHERE o.id = ?::uuid"),
                     {permission, organizationId});
    if (!q)
        return q.error();
    if (!q.value().next())
        return organizationNotFound();
    const QString name = q.value().value(0).toString();
    if (!q.value().value(1).toBool())
        return makeError(ErrorKind::PermissionDenied, refusal.arg(name));
    return name;
}

Result<bool> isPlatformAdmin(const QString &connectionName)
{
    const QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    auto q = execSql(db, QStringLiteral("SELECT nobill_is_platform_admin()"));
    if (!q)
        return q.error();
    q.value().next();
    return q.value().value(0).toBool();
}

Status restrictToVisibleOrganizations(const QString &connectionName, const QString &column,
                                      const QString &permission, QStringList &conditions)
{
    auto admin = isPlatformAdmin(connectionName);
    if (!admin)
        return admin.error();
    if (!admin.value()) {
        // The permission key is one of ours (a constant at every call site), never input.
        conditions << QStringLiteral("%1 = ANY ((SELECT nobill_orgs_with('%2'))::uuid[])")
                          .arg(column, permission);
    }
    return {};
}

} // namespace nobill
