#pragma once

#include "core/result.h"

#include <QString>

namespace nobill {

// Asked before a write: row-level security makes an UPDATE or DELETE the login may not do
// affect no row rather than fail, so services ask first and turn a "no" into a sentence that
// names the organization. The database remains the guard.
//
// Returns the organization's name. NotFound when the login cannot see the organization;
// PermissionDenied with `refusal` (its %1 is the organization's name) when it may see but not
// do. Run on the thread owning the connection.
Result<QString> requireOrganizationPermission(const QString &connectionName,
                                              const QString &organizationId,
                                              const QString &permission, const QString &refusal);

Result<bool> isPlatformAdmin(const QString &connectionName);

// "This organization no longer exists, or you cannot see it."
Error organizationNotFound();

} // namespace nobill
