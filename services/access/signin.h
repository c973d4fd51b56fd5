#pragma once

#include "access/sessionaccess.h"
#include "core/result.h"
#include "database/serverinfo.h"

namespace nobill {

// What the console learns when an operator signs in.
struct SignIn
{
    ServerInfo server;
    SessionAccess access;
    // Non-empty when the schema is newer than this program: the console opens read-only.
    QString readOnlyReason;
};

// Checks the server and schema on an open connection and loads who signed in and what they
// may do. Refuses a database without our schema or with an older one, in plain words.
Result<SignIn> completeSignIn(const QString &connectionName);

} // namespace nobill
