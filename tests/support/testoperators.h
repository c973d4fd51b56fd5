#pragma once

// Integration test support: console operators and service logins in a test database, and
// connections made as them, so that tests exercise what the database itself allows.

#include "core/result.h"
#include "database/connectionsettings.h"

#include <QList>
#include <QPair>
#include <QSqlDatabase>
#include <QString>

namespace nobill::test {

class TestDatabase;

struct TestOperator
{
    QString userId;
    QString login;
    ConnectionSettings settings; // connects as `login`, audit source "console"
};

// Creates a person (users row, e-mail <login>@operators.example) with memberships
// (organization id, built-in role key such as "admin" or "viewer"), and gives them a console
// login through nobill_grant_console_access, all as the owner. Login names are unique in the
// whole cluster: the database name plus `name` (lowercase letters, digits, underscores).
Result<TestOperator> createOperator(const TestDatabase &db, const QString &name, bool platformAdmin,
                                    const QList<QPair<QString, QString>> &memberships);

// Like createOperator, with memberships given as (organization id, role id), for custom roles.
Result<TestOperator> createOperatorWithRoles(const TestDatabase &db, const QString &name,
                                             bool platformAdmin,
                                             const QList<QPair<QString, QString>> &memberships);

// A login that is a member of nobill_service, as `nobillctl serve` uses (audit source "worker").
Result<ConnectionSettings> createServiceLogin(const TestDatabase &db, const QString &name);

// An open connection of the calling thread, made with `settings`; closed at destruction.
class ScopedConnection
{
public:
    explicit ScopedConnection(const ConnectionSettings &settings);
    ~ScopedConnection();

    ScopedConnection(const ScopedConnection &) = delete;
    ScopedConnection &operator=(const ScopedConnection &) = delete;

    bool isOpen() const { return m_error.isEmpty(); }
    QString error() const { return m_error; }
    QString name() const { return m_name; }
    QSqlDatabase database() const;

private:
    QString m_name;
    QString m_error;
};

} // namespace nobill::test
