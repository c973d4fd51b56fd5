#pragma once

#include "core/result.h"

#include <QHash>
#include <QSet>
#include <QString>

namespace nobill {

// Who is signed in, and what they may do where: loaded from the database right after sign-in
// (nobill_my_permissions). The UI hides and disables with it; the database stays the guard.
struct SessionAccess
{
    QString login;
    QString userId; // empty when the login maps to no users row (a bare database owner)
    QString displayName;
    QString email;
    bool platformAdmin = false;
    bool mustChangePassword = false;
    QHash<QString, QSet<QString>> permissionsByOrganization; // organization id -> keys
    QHash<QString, QString> organizationNames;               // organization id -> name

    bool can(const QString &organizationId, const QString &permission) const;
    // Holds the permission in at least one organization (or is a platform admin).
    bool canAnywhere(const QString &permission) const;
    QString organizationName(const QString &organizationId) const;
};

// Reads the signed-in login's identity and permissions on the given connection.
Result<SessionAccess> loadSessionAccess(const QString &connectionName);

// "You don't have permission to <action> of <organization>.": the sentence a refusal becomes.
Error permissionDenied(const QString &sentence);

} // namespace nobill
