#include "roles/roleservice.h"

#include "access/permissioncheck.h"

#include "database/sql.h"
#include "database/sqlerror.h"

#include <QCoreApplication>
#include <QSqlDatabase>
#include <QUuid>

#include <algorithm>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::RoleService", text);
}

const QString RoleColumns = QStringLiteral(
    "r.id::text, coalesce(r.organization_id::text, ''), coalesce(r.key, ''), r.name, "
    "r.description, r.is_builtin, "
    "(SELECT count(*) FROM memberships m WHERE m.role_id = r.id AND m.organization_id = "
    "coalesce(r.organization_id, ?::uuid)), "
    "coalesce((SELECT string_agg(rp.permission_key, ',' ORDER BY rp.permission_key) "
    "FROM role_permissions rp WHERE rp.role_id = r.id), '')");

// Built-ins from most to least powerful, as people read them; custom roles by name.
const QString RoleOrder = QStringLiteral(
    " ORDER BY r.is_builtin DESC, "
    "array_position(ARRAY['owner','admin','finance','support','viewer']::text[], r.key), "
    "lower(r.name), r.id");

Role readRole(const QSqlQuery &q)
{
    Role r;
    r.id = q.value(0).toString();
    r.organizationId = q.value(1).toString();
    r.key = q.value(2).toString();
    r.name = q.value(3).toString();
    r.description = q.value(4).toString();
    r.isBuiltin = q.value(5).toBool();
    r.memberCount = q.value(6).toInt();
    const QStringList keys = q.value(7).toString().split(QLatin1Char(','), Qt::SkipEmptyParts);
    r.permissions = QSet<QString>(keys.cbegin(), keys.cend());
    return r;
}

// A PostgreSQL text[] literal of permission keys. The keys were checked against the catalog
// (letters and one dot), so no quoting is needed.
QString arrayLiteral(const QStringList &keys)
{
    return QLatin1Char('{') + keys.join(QLatin1Char(',')) + QLatin1Char('}');
}

QStringList sorted(const QSet<QString> &keys)
{
    QStringList list(keys.cbegin(), keys.cend());
    std::sort(list.begin(), list.end());
    return list;
}

Error roleNotFound()
{
    return makeError(ErrorKind::NotFound,
                     tr("This role no longer exists; someone may have deleted it. Refresh the "
                        "list."));
}

Error builtinIsReadOnly(const Role &role)
{
    return makeError(ErrorKind::InvalidInput,
                     tr("%1 is a built-in role and cannot be changed. Create a custom role "
                        "with the permissions you need instead.")
                         .arg(role.name));
}

// A null QString binds as NULL; the description column is NOT NULL with '' for "none".
QString textOrEmpty(const QString &text)
{
    return text.isNull() ? QStringLiteral("") : text;
}

Error refusedIn(const Error &error, const QString &organizationName)
{
    if (error.kind != ErrorKind::PermissionDenied)
        return error;
    Error named = error;
    named.message =
        tr("You don't have permission to manage the roles of %1.").arg(organizationName);
    return named;
}
} // namespace

RoleService::RoleService(QString connectionName)
    : m_connectionName(std::move(connectionName))
{}

Result<QList<Role>> RoleService::roles(const QString &organizationId) const
{
    if (!isUuid(organizationId))
        return organizationNotFound();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db,
                     QStringLiteral("SELECT %1 FROM roles r WHERE r.organization_id IS NULL OR "
                                    "r.organization_id = ?::uuid")
                             .arg(RoleColumns) +
                         RoleOrder,
                     {organizationId, organizationId});
    if (!q)
        return q.error();
    QList<Role> result;
    while (q.value().next())
        result.append(readRole(q.value()));
    return result;
}

Result<QList<Permission>> RoleService::permissionCatalog() const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    // By area as the console's navigation lists them, seeing before changing; the platform-wide
    // permissions last.
    auto q = execSql(
        db, QStringLiteral("SELECT key, description, scope FROM permissions ORDER BY "
                           "scope = 'platform', array_position(ARRAY['tenants', 'members', "
                           "'roles', 'plans', 'subscriptions', 'usage', 'invoices', 'audit', "
                           "'webhooks', 'jobs']::text[], split_part(key, '.', 1)), "
                           "split_part(key, '.', 2) <> 'read', key"));
    if (!q)
        return q.error();
    QList<Permission> result;
    while (q.value().next()) {
        result.append(Permission{q.value().value(0).toString(), q.value().value(1).toString(),
                                 q.value().value(2).toString()});
    }
    return result;
}

Result<QSet<QString>> RoleService::rolePermissions(const QString &roleId) const
{
    if (!isUuid(roleId))
        return roleNotFound();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db,
                     QStringLiteral("SELECT permission_key FROM role_permissions "
                                    "WHERE role_id = ?::uuid"),
                     {roleId});
    if (!q)
        return q.error();
    QSet<QString> keys;
    while (q.value().next())
        keys.insert(q.value().value(0).toString());
    return keys;
}

Result<RoleCatalog> RoleService::catalog(const QString &organizationId) const
{
    if (!isUuid(organizationId))
        return organizationNotFound();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db, QStringLiteral("SELECT name FROM organizations WHERE id = ?::uuid"),
                     {organizationId});
    if (!q)
        return q.error();
    if (!q.value().next())
        return organizationNotFound();
    RoleCatalog catalog;
    catalog.organizationId = organizationId;
    catalog.organizationName = q.value().value(0).toString();
    auto permissions = permissionCatalog();
    if (!permissions)
        return permissions.error();
    catalog.permissions = permissions.value();
    auto found = roles(organizationId);
    if (!found)
        return found.error();
    catalog.roles = found.value();
    return catalog;
}

Result<Role> RoleService::get(const QString &roleId) const
{
    if (!isUuid(roleId))
        return roleNotFound();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    // A built-in role's member count is per organization; here it is not asked for.
    auto q =
        execSql(db, QStringLiteral("SELECT %1 FROM roles r WHERE r.id = ?::uuid").arg(RoleColumns),
                {QVariant(QMetaType::fromType<QString>()), roleId});
    if (!q)
        return q.error();
    if (!q.value().next())
        return roleNotFound();
    return readRole(q.value());
}

Result<QString> RoleService::requireManage(const QString &organizationId) const
{
    return requireOrganizationPermission(
        m_connectionName, organizationId, QStringLiteral("roles.manage"),
        tr("You don't have permission to manage the roles of %1."));
}

QList<QString> RoleService::draftProblems(const RoleDraft &draft)
{
    QList<QString> problems;
    const QString name = draft.name.simplified();
    if (name.isEmpty())
        problems << tr("Enter a name for the role.");
    else if (name.size() > MaxNameLength)
        problems << tr("A role name can have at most %1 characters.").arg(MaxNameLength);
    if (draft.description.trimmed().size() > MaxDescriptionLength)
        problems << tr("The description can have at most %1 characters.").arg(MaxDescriptionLength);
    return problems;
}

Result<Role> RoleService::create(const QString &organizationId, const RoleDraft &draft)
{
    const QList<QString> problems = draftProblems(draft);
    if (!problems.isEmpty())
        return makeError(ErrorKind::InvalidInput, problems.join(QLatin1Char(' ')));
    auto organization = requireManage(organizationId);
    if (!organization)
        return organization.error();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(
        db,
        QStringLiteral("INSERT INTO roles (organization_id, name, description) "
                       "VALUES (?::uuid, ?, ?) RETURNING id::text"),
        {organizationId, draft.name.simplified(), textOrEmpty(draft.description.trimmed())});
    if (!q)
        return refusedIn(q.error(), organization.value());
    q.value().next();
    return get(q.value().value(0).toString());
}

Result<Role> RoleService::update(const QString &roleId, const RoleDraft &draft)
{
    const QList<QString> problems = draftProblems(draft);
    if (!problems.isEmpty())
        return makeError(ErrorKind::InvalidInput, problems.join(QLatin1Char(' ')));
    auto role = get(roleId);
    if (!role)
        return role.error();
    if (role.value().isBuiltin)
        return builtinIsReadOnly(role.value());
    auto organization = requireManage(role.value().organizationId);
    if (!organization)
        return organization.error();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db,
                     QStringLiteral("UPDATE roles SET name = ?, description = ? "
                                    "WHERE id = ?::uuid AND NOT is_builtin RETURNING id"),
                     {draft.name.simplified(), textOrEmpty(draft.description.trimmed()), roleId});
    if (!q)
        return refusedIn(q.error(), organization.value());
    if (!q.value().next())
        return makeError(ErrorKind::PermissionDenied,
                         tr("%1 was not changed: you don't have permission to manage the roles "
                            "of %2, or the role has just been deleted.")
                             .arg(role.value().name, organization.value()));
    return get(roleId);
}

Status RoleService::remove(const QString &roleId)
{
    auto role = get(roleId);
    if (!role)
        return role.error();
    if (role.value().isBuiltin)
        return builtinIsReadOnly(role.value());
    auto organization = requireManage(role.value().organizationId);
    if (!organization)
        return organization.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    Result<int> removed = inTransaction(db, [&]() -> Result<int> {
        // Lock the role so nobody is given it between the count and the delete.
        auto q = execSql(db,
                         QStringLiteral("SELECT (SELECT count(*) FROM memberships m "
                                        "WHERE m.role_id = r.id) FROM roles r "
                                        "WHERE r.id = ?::uuid FOR UPDATE"),
                         {roleId});
        if (!q)
            return refusedIn(q.error(), organization.value());
        if (!q.value().next())
            return roleNotFound();
        const int holders = q.value().value(0).toInt();
        if (holders > 0) {
            return makeError(ErrorKind::Conflict,
                             QCoreApplication::translate(
                                 "nobill::RoleService",
                                 "%1 cannot be deleted: %n member(s) still hold this role. Give "
                                 "them another role first.",
                                 nullptr, holders)
                                 .arg(role.value().name));
        }
        auto deleted = execSql(
            db, QStringLiteral("DELETE FROM roles WHERE id = ?::uuid RETURNING id"), {roleId});
        if (!deleted) {
            if (deleted.error().subject == QLatin1String("memberships_role_id_fkey"))
                return makeError(ErrorKind::Conflict,
                                 tr("%1 cannot be deleted: members still hold this role. Give "
                                    "them another role first.")
                                     .arg(role.value().name));
            return refusedIn(deleted.error(), organization.value());
        }
        if (!deleted.value().next())
            return makeError(ErrorKind::PermissionDenied,
                             tr("%1 was not deleted: you don't have permission to manage the "
                                "roles of %2.")
                                 .arg(role.value().name, organization.value()));
        return 1;
    });
    if (!removed)
        return removed.error();
    return {};
}

Status RoleService::applyPermissions(const Role &role, const QString &organizationName,
                                     const QSet<QString> &permissions)
{
    if (role.isBuiltin)
        return builtinIsReadOnly(role);
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto own = execSql(db,
                       QStringLiteral("SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u "
                                      "ON u.id = m.user_id WHERE m.role_id = ?::uuid "
                                      "AND u.login_role = session_user::text)"),
                       {role.id});
    if (!own)
        return own.error();
    own.value().next();
    if (own.value().value(0).toBool())
        return makeError(ErrorKind::PermissionDenied,
                         tr("You cannot change the permissions of %1: it is your own role in "
                            "%2. Ask another administrator.")
                             .arg(role.name, organizationName));

    auto current = rolePermissions(role.id);
    if (!current)
        return current.error();
    const QSet<QString> added = QSet<QString>(permissions).subtract(current.value());
    const QSet<QString> removed = QSet<QString>(current.value()).subtract(permissions);
    if (added.isEmpty() && removed.isEmpty())
        return {};

    auto catalog = permissionCatalog();
    if (!catalog)
        return catalog.error();
    QHash<QString, Permission> byKey;
    for (const Permission &p : catalog.value())
        byKey.insert(p.key, p);
    QStringList platform;
    for (const QString &key : sorted(added + removed)) {
        if (!byKey.contains(key))
            return makeError(ErrorKind::InvalidInput,
                             tr("There is no permission called %1. Refresh the list.").arg(key));
        if (byKey.value(key).isPlatformScope())
            platform << key;
    }
    if (!platform.isEmpty())
        return makeError(ErrorKind::InvalidInput,
                         tr("Platform-wide permissions (%1) cannot be part of an organization's "
                            "own role.")
                             .arg(platform.join(tr(", "))));

    // One may only hand out (or take away) what one holds oneself.
    const QStringList touched = sorted(added + removed);
    auto missing = execSql(db,
                           QStringLiteral("SELECT k FROM unnest(?::text[]) AS k WHERE NOT "
                                          "coalesce(nobill_has_permission(?::uuid, k), false) "
                                          "ORDER BY k"),
                           {arrayLiteral(touched), role.organizationId});
    if (!missing)
        return missing.error();
    QStringList notHeld;
    while (missing.value().next())
        notHeld << missing.value().value(0).toString();
    if (!notHeld.isEmpty())
        return makeError(ErrorKind::PermissionDenied,
                         tr("You can only give or take away permissions you hold yourself in "
                            "%1. You don't hold: %2.")
                             .arg(organizationName, notHeld.join(tr(", "))));

    if (!removed.isEmpty()) {
        auto q = execSql(db,
                         QStringLiteral("DELETE FROM role_permissions WHERE role_id = ?::uuid "
                                        "AND permission_key = ANY (?::text[]) "
                                        "RETURNING permission_key"),
                         {role.id, arrayLiteral(sorted(removed))});
        if (!q)
            return refusedIn(q.error(), organizationName);
        int count = 0;
        while (q.value().next())
            ++count;
        if (count != removed.size())
            return makeError(ErrorKind::PermissionDenied,
                             tr("The permissions of %1 were not changed: you don't have "
                                "permission to manage the roles of %2, or someone changed the "
                                "role meanwhile.")
                                 .arg(role.name, organizationName));
    }
    if (!added.isEmpty()) {
        auto q = execSql(db,
                         QStringLiteral("INSERT INTO role_permissions (role_id, permission_key) "
                                        "SELECT ?::uuid, k FROM unnest(?::text[]) AS k "
                                        "ON CONFLICT DO NOTHING"),
                         {role.id, arrayLiteral(sorted(added))});
        if (!q)
            return refusedIn(q.error(), organizationName);
    }
    return {};
}

Result<QSet<QString>> RoleService::setPermissions(const QString &roleId,
                                                  const QSet<QString> &permissions)
{
    auto role = get(roleId);
    if (!role)
        return role.error();
    if (role.value().isBuiltin)
        return builtinIsReadOnly(role.value());
    auto organization = requireManage(role.value().organizationId);
    if (!organization)
        return organization.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return inTransaction(db, [&]() -> Result<QSet<QString>> {
        // The role row is locked so that two saves of the same role happen one after another.
        auto lock = execSql(db, QStringLiteral("SELECT 1 FROM roles WHERE id = ?::uuid FOR UPDATE"),
                            {roleId});
        if (!lock)
            return refusedIn(lock.error(), organization.value());
        if (!lock.value().next())
            return roleNotFound();
        Status applied = applyPermissions(role.value(), organization.value(), permissions);
        if (!applied)
            return applied.error();
        return rolePermissions(roleId);
    });
}

Status RoleService::setPermissions(const QString &organizationId,
                                   const QHash<QString, QSet<QString>> &permissionsByRole)
{
    if (permissionsByRole.isEmpty())
        return {};
    auto organization = requireManage(organizationId);
    if (!organization)
        return organization.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    Result<int> saved = inTransaction(db, [&]() -> Result<int> {
        // In a fixed order, so two operators saving overlapping roles cannot deadlock.
        QStringList ids = permissionsByRole.keys();
        std::sort(ids.begin(), ids.end());
        for (const QString &roleId : std::as_const(ids)) {
            auto lock = execSql(
                db, QStringLiteral("SELECT 1 FROM roles WHERE id = ?::uuid FOR UPDATE"), {roleId});
            if (!lock)
                return refusedIn(lock.error(), organization.value());
            if (!lock.value().next())
                return roleNotFound();
            auto role = get(roleId);
            if (!role)
                return role.error();
            if (role.value().organizationId != organizationId && !role.value().isBuiltin)
                return makeError(ErrorKind::InvalidInput,
                                 tr("%1 belongs to another organization.").arg(role.value().name));
            Status applied = applyPermissions(role.value(), organization.value(),
                                              permissionsByRole.value(roleId));
            if (!applied)
                return applied.error();
        }
        return int(ids.size());
    });
    if (!saved)
        return saved.error();
    return {};
}

} // namespace nobill
