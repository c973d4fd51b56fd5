#include "testoperators.h"

#include "testcluster.h"

#include "access/passwordpolicy.h"
#include "database/connection.h"

#include <QRegularExpression>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace nobill::test {

namespace {

// Any password works on the trust-authenticated test cluster; it is still sent as a real
// SCRAM verifier, as the console does.
const QString TestPassword = QStringLiteral("test-password-1234");

Error failure(const QString &what, const QSqlQuery &query)
{
    return makeError(ErrorKind::Internal, what, query.lastError().text());
}

QString loginFor(const TestDatabase &db, const QString &name)
{
    QString login = (db.name() + QLatin1Char('_') + name).toLower();
    static const QRegularExpression unwanted(QStringLiteral("[^a-z0-9_]"));
    login.replace(unwanted, QStringLiteral("_"));
    return login.left(63);
}

// roleIds: true when the second member of each pair is a role id, false for a built-in key.
Result<TestOperator> create(const TestDatabase &db, const QString &name, bool platformAdmin,
                            const QList<QPair<QString, QString>> &memberships, bool roleIds)
{
    const QSqlDatabase owner = QSqlDatabase::database(db.connectionName(), false);
    TestOperator result;
    result.login = loginFor(db, name);

    QSqlQuery query(owner);
    query.prepare(QStringLiteral("INSERT INTO users (email, display_name, is_platform_admin) "
                                 "VALUES (?, ?, ?) RETURNING id::text"));
    query.addBindValue(QString(result.login + QStringLiteral("@operators.example")));
    query.addBindValue(name);
    query.addBindValue(platformAdmin);
    if (!query.exec() || !query.next())
        return failure(QStringLiteral("Could not create the person %1").arg(name), query);
    result.userId = query.value(0).toString();

    for (const auto &membership : memberships) {
        QSqlQuery insert(owner);
        insert.prepare(roleIds ? QStringLiteral("INSERT INTO memberships (organization_id, "
                                                "user_id, role_id) VALUES (?::uuid, ?::uuid, "
                                                "?::uuid)")
                               : QStringLiteral("INSERT INTO memberships (organization_id, "
                                                "user_id, role_id) SELECT ?::uuid, ?::uuid, id "
                                                "FROM roles WHERE organization_id IS NULL AND "
                                                "key = ?"));
        insert.addBindValue(membership.first);
        insert.addBindValue(result.userId);
        insert.addBindValue(membership.second);
        if (!insert.exec() || insert.numRowsAffected() != 1) {
            return failure(QStringLiteral("Could not make %1 a member of %2 with role %3")
                               .arg(name, membership.first, membership.second),
                           insert);
        }
    }

    Result<QString> verifier = scramVerifier(db.connectionName(), result.login, TestPassword);
    if (!verifier)
        return verifier.error();
    QSqlQuery grant(owner);
    grant.prepare(QStringLiteral("SELECT nobill_grant_console_access(?::uuid, ?, ?)"));
    grant.addBindValue(result.userId);
    grant.addBindValue(result.login);
    grant.addBindValue(verifier.value());
    if (!grant.exec())
        return failure(QStringLiteral("Could not give %1 console access").arg(name), grant);

    result.settings = db.settings();
    result.settings.user = result.login;
    result.settings.password = TestPassword;
    result.settings.source = QStringLiteral("console");
    return result;
}

} // namespace

Result<TestOperator> createOperator(const TestDatabase &db, const QString &name, bool platformAdmin,
                                    const QList<QPair<QString, QString>> &memberships)
{
    return create(db, name, platformAdmin, memberships, false);
}

Result<TestOperator> createOperatorWithRoles(const TestDatabase &db, const QString &name,
                                             bool platformAdmin,
                                             const QList<QPair<QString, QString>> &memberships)
{
    return create(db, name, platformAdmin, memberships, true);
}

Result<ConnectionSettings> createServiceLogin(const TestDatabase &db, const QString &name)
{
    const QString login = loginFor(db, name);
    QSqlQuery query(QSqlDatabase::database(db.connectionName(), false));
    // The login is made of [a-z0-9_] only (loginFor), so it needs no quoting.
    if (!query.exec(QStringLiteral("CREATE ROLE %1 LOGIN IN ROLE nobill_service").arg(login)))
        return failure(QStringLiteral("Could not create the service login %1").arg(login), query);
    ConnectionSettings settings = db.settings();
    settings.user = login;
    settings.password = TestPassword;
    settings.source = QStringLiteral("worker");
    return settings;
}

ScopedConnection::ScopedConnection(const ConnectionSettings &settings)
    : m_name(uniqueConnectionName(QStringLiteral("test-as-") + settings.user))
{
    if (Status opened = openConnection(settings, m_name); !opened)
        m_error = opened.error().message + QStringLiteral(" (") + opened.error().detail +
                  QLatin1Char(')');
}

ScopedConnection::~ScopedConnection()
{
    if (m_error.isEmpty())
        closeConnection(m_name);
}

QSqlDatabase ScopedConnection::database() const
{
    return QSqlDatabase::database(m_name, false);
}

} // namespace nobill::test
