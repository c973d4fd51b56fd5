#pragma once

#include "core/result.h"
#include "database/migrator.h"

namespace nobill {

// What the console shows about its connection, and whether it may work with this schema.
struct ServerInfo
{
    QString serverVersion; // "15.18"
    QString login;         // current_user
    QString database;
    SchemaStatus schema;
};

Result<ServerInfo> inspectServer(const QString &connectionName);

// A plain sentence when the console cannot work with this database, else empty. Missing or
// outdated schema and a schema newer than the program are refused with what to do.
Error schemaProblem(const SchemaStatus &schema);

} // namespace nobill
