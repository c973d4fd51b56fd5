#pragma once

#include "core/result.h"

#include <QList>
#include <QPair>
#include <QString>

#include <optional>

namespace nobill {

// The operators of the demo database: one per kind of person who uses the console, so anyone
// can sign in as each and see the difference. Their passwords are public (README): the
// demo database holds example data only and listens on loopback.
struct DemoOperator
{
    QString login;
    QString password;
    QString displayName;
    QString email;
    bool platformAdmin = false;
    // (organization slug, built-in role key)
    QList<QPair<QString, QString>> memberships;
};

QList<DemoOperator> demoOperators();
std::optional<DemoOperator> findDemoOperator(const QString &login);
// The one `nobill-console --demo` signs in as unless told otherwise.
QString defaultDemoLogin();

// Creates (or refreshes) the demo operators' users, memberships and logins. Idempotent; run
// as the database owner after migrations and seeding.
Status ensureDemoOperators(const QString &connectionName);

} // namespace nobill
