#pragma once

#include "core/result.h"
#include "roles/role.h"

#include <QHash>

namespace nobill {

// Roles and their permissions for one organization. Built-in roles are read-only; custom
// roles belong to one organization and need roles.manage there. Synchronous: call it on a
// thread that owns the named connection.
class RoleService
{
public:
    explicit RoleService(QString connectionName);

    static constexpr int MaxNameLength = 100;
    static constexpr int MaxDescriptionLength = 1000;

    Result<QList<Role>> roles(const QString &organizationId) const;
    Result<QList<Permission>> permissionCatalog() const;
    Result<QSet<QString>> rolePermissions(const QString &roleId) const;
    // Roles, catalog and the organization's name together (one round of queries).
    Result<RoleCatalog> catalog(const QString &organizationId) const;

    static QList<QString> draftProblems(const RoleDraft &draft);

    Result<Role> create(const QString &organizationId, const RoleDraft &draft);
    Result<Role> update(const QString &roleId, const RoleDraft &draft);
    // Refused with a Conflict naming how many members hold the role.
    Status remove(const QString &roleId);
    // Makes the role grant exactly `permissions` (inserts and deletes the difference in one
    // transaction). Returns the role's permissions afterwards.
    Result<QSet<QString>> setPermissions(const QString &roleId, const QSet<QString> &permissions);
    // Several roles of one organization at once, all or nothing (the permission matrix).
    Status setPermissions(const QString &organizationId,
                          const QHash<QString, QSet<QString>> &permissionsByRole);

private:
    Result<Role> get(const QString &roleId) const;
    // The organization's name if the signed-in login may manage its roles.
    Result<QString> requireManage(const QString &organizationId) const;
    // Checks and applies one role's new permission set; runs inside a transaction.
    Status applyPermissions(const Role &role, const QString &organizationName,
                            const QSet<QString> &permissions);

    QString m_connectionName;
};

} // namespace nobill
