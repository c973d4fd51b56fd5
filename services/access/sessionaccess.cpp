#include "access/sessionaccess.h"

#include "database/sql.h"

namespace nobill {

bool SessionAccess::can(const QString &organizationId, const QString &permission) const
{
    return platformAdmin || permissionsByOrganization.value(organizationId).contains(permission);
}

bool SessionAccess::canAnywhere(const QString &permission) const
{
    if (platformAdmin)
        return true;
    for (auto it = permissionsByOrganization.cbegin(); it != permissionsByOrganization.cend();
         ++it) {
        if (it.value().contains(permission))
            return true;
    }
    return false;
}

QString SessionAccess::organizationName(const QString &organizationId) const
{
    return organizationNames.value(organizationId);
}

Result<SessionAccess> loadSessionAccess(const QString &connectionName)
{
    const QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    auto who = execSql(
        db, QStringLiteral(
                "SELECT session_user::text, u.id::text, u.display_name, "
                "nobill_is_platform_admin(), coalesce(u.must_change_password, false), u.email "
                "FROM (SELECT 1) one LEFT JOIN users u ON u.id = nobill_current_user_id()"));
    if (!who)
        return who.error();
    SessionAccess access;
    if (who.value().next()) {
        access.login = who.value().value(0).toString();
        access.userId = who.value().value(1).toString();
        access.displayName = who.value().value(2).toString();
        access.platformAdmin = who.value().value(3).toBool();
        access.mustChangePassword = who.value().value(4).toBool();
        access.email = who.value().value(5).toString();
    }
    // A platform admin may do everything everywhere; listing that (every organization times
    // every permission) would only cost time.
    if (access.platformAdmin)
        return access;
    auto permissions =
        execSql(db, QStringLiteral("SELECT organization_id::text, organization_name, "
                                   "permission_key FROM nobill_my_permissions()"));
    if (!permissions)
        return permissions.error();
    while (permissions.value().next()) {
        const QString organization = permissions.value().value(0).toString();
        access.organizationNames.insert(organization, permissions.value().value(1).toString());
        access.permissionsByOrganization[organization].insert(
            permissions.value().value(2).toString());
    }
    return access;
}

Error permissionDenied(const QString &sentence)
{
    return makeError(ErrorKind::PermissionDenied, sentence);
}

} // namespace nobill
