#pragma once

#include "core/result.h"
#include "database/connectionsettings.h"

#include <QString>

namespace nobill {

// Opens a named connection that belongs to the calling thread (a QSqlDatabase may only be
// used by the thread that opened it). Sets the session up for us: UTC-safe timestamps,
// the audit source, a statement timeout for interactive work.
Status openConnection(const ConnectionSettings &settings, const QString &connectionName);
void closeConnection(const QString &connectionName);
bool isConnectionOpen(const QString &connectionName);

// A name no other thread or object uses, for example "tenants-model-3".
QString uniqueConnectionName(const QString &purpose);

} // namespace nobill
