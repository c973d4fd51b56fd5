#pragma once

#include "core/result.h"

namespace nobill {

// Changes the signed-in operator's own password: checked against the password policy,
// hashed on this machine (SCRAM), then set through nobill_set_own_password, which also
// clears "must change password". Run on the thread owning the connection.
Status changeOwnPassword(const QString &connectionName, const QString &login, const QString &email,
                         const QString &newPassword);

} // namespace nobill
