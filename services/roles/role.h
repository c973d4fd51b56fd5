#pragma once

#include <QList>
#include <QMetaType>
#include <QSet>
#include <QString>
#include <QStringList>

namespace nobill {

// An entry of the permission catalog (table permissions).
struct Permission
{
    QString key; // "members.manage"
    QString description;
    QString scope; // "organization" or "platform"

    bool isPlatformScope() const { return scope == QLatin1String("platform"); }
};

// A role as one organization sees it: a built-in one (shared, read-only) or one of its own.
struct Role
{
    QString id;
    QString organizationId; // empty for built-in roles
    QString key;            // built-ins only
    QString name;
    QString description;
    bool isBuiltin = false;
    int memberCount = 0; // members of the organization that hold it
    QSet<QString> permissions;
};

// Everything the Roles screen shows for one organization, read in one go.
struct RoleCatalog
{
    QString organizationId;
    QString organizationName;
    QList<Permission> permissions; // organization scope first, then platform, by key
    QList<Role> roles;             // built-ins first (owner .. viewer), then custom by name
};

// What an operator types to create or rename a custom role.
struct RoleDraft
{
    QString name;
    QString description;
};

} // namespace nobill

Q_DECLARE_METATYPE(nobill::Role)
