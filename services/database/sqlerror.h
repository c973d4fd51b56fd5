#pragma once

// Internal to services: turns database errors into sentences a person can act on.
// Never include this from models/ or ui/ (they have no QtSql include path anyway).

#include "core/result.h"

#include <QSqlError>

namespace nobill {

// The SQLSTATE of a failed statement, or empty for errors raised before a statement ran.
QString sqlState(const QSqlError &error);
// The name of the constraint a 23xxx error talks about, or empty.
QString violatedConstraint(const QSqlError &error);

Error translateSqlError(const QSqlError &error);
// For failures to connect: says which server, and what to do.
Error translateConnectError(const QSqlError &error, const QString &serverDescription);

// Plain sentences for our named constraints (see resources/sql/migrations). Empty for
// constraints that have no message of their own.
QString constraintMessage(const QString &constraintName);

} // namespace nobill
