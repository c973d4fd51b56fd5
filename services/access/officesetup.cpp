#include "access/officesetup.h"

#include "access/passwordpolicy.h"
#include "database/migrator.h"
#include "database/sql.h"

#include <QCoreApplication>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::OfficeSetup", text);
}

Result<bool> roleExists(const QSqlDatabase &db, const QString &login)
{
    auto q =
        execSql(db, QStringLiteral("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ?"), {login});
    if (!q)
        return q.error();
    return q.value().next();
}

// The first platform administrator: a person with a console login. Found by email; a person
// who exists is never given a new password here.
Status ensureAdmin(const QSqlDatabase &db, const QString &connectionName,
                   const OfficeSetupRequest &request, OfficeSetupReport &report)
{
    auto existing = execSql(db,
                            QStringLiteral("SELECT id::text, coalesce(login_role, ''), "
                                           "is_platform_admin FROM users WHERE lower(email) = "
                                           "lower(?)"),
                            {request.adminEmail});
    if (!existing)
        return existing.error();
    if (existing.value().next()) {
        const QString id = existing.value().value(0).toString();
        const QString login = existing.value().value(1).toString();
        const bool admin = existing.value().value(2).toBool();
        if (login.isEmpty() || login != request.adminLogin) {
            return makeError(
                ErrorKind::Conflict,
                login.isEmpty()
                    ? tr("%1 already exists as a person without a console login. Give them "
                         "console access in the Members screen, or choose another email.")
                          .arg(request.adminEmail)
                    : tr("%1 already exists with the login %2, not %3. Run setup again with "
                         "--admin-login %2, or choose another email.")
                          .arg(request.adminEmail, login, request.adminLogin));
        }
        if (!admin) {
            auto promoted = execSql(
                db, QStringLiteral("UPDATE users SET is_platform_admin = true WHERE id = ?::uuid"),
                {id});
            if (!promoted)
                return promoted.error();
            report.steps << tr("Platform administrator %1 (%2) already existed as an operator; "
                               "made them a platform administrator. Their password is unchanged.")
                                .arg(login, request.adminEmail);
        } else {
            report.steps << tr("Platform administrator %1 (%2) already existed; their password is "
                               "unchanged.")
                                .arg(login, request.adminEmail);
        }
        return {};
    }

    auto taken = roleExists(db, request.adminLogin);
    if (!taken)
        return taken.error();
    if (taken.value())
        return makeError(ErrorKind::Conflict,
                         tr("The login %1 already exists on this server but belongs to no NOBill "
                            "person. Choose another --admin-login.")
                             .arg(request.adminLogin));

    const QString name = request.adminName.isEmpty() ? request.adminLogin : request.adminName;
    auto created = execSql(db,
                           QStringLiteral("INSERT INTO users (email, display_name, "
                                          "is_platform_admin) VALUES (?, ?, true) RETURNING "
                                          "id::text"),
                           {request.adminEmail, name});
    if (!created)
        return created.error();
    created.value().next();
    const QString userId = created.value().value(0).toString();
    const QString password = PasswordPolicy::generate();
    // Hashed here, by libpq: the plaintext never reaches the server or its logs.
    auto verifier = scramVerifier(connectionName, request.adminLogin, password);
    if (!verifier)
        return verifier.error();
    // The same path as "Give console access" in the Members screen: the login inherits
    // nobill_operator and must choose a new password at the first sign-in.
    auto granted = execSql(db, QStringLiteral("SELECT nobill_grant_console_access(?::uuid, ?, ?)"),
                           {userId, request.adminLogin, verifier.value()});
    if (!granted)
        return granted.error();
    report.adminCreated = true;
    report.adminOneTimePassword = password;
    report.steps << tr("Created platform administrator %1 (%2) with a one-time password; they "
                       "choose their own at the first sign-in.")
                        .arg(request.adminLogin, request.adminEmail);
    return {};
}

// The login of the office service: nobill_service's rights and nothing else.
Status ensureServiceLogin(const QSqlDatabase &db, const QString &connectionName,
                          const OfficeSetupRequest &request, OfficeSetupReport &report)
{
    const QString &login = request.serviceLogin;
    auto role = execSql(db,
                        QStringLiteral("SELECT pg_has_role(oid, 'nobill_service', 'MEMBER'), "
                                       "rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = ?"),
                        {login});
    if (!role)
        return role.error();
    if (role.value().next()) {
        if (!role.value().value(0).toBool() || !role.value().value(1).toBool())
            return makeError(ErrorKind::Conflict,
                             tr("The role %1 exists but is not a service login (a login that is "
                                "a member of nobill_service). Choose another --service-login.")
                                 .arg(login));
        report.steps
            << tr("Service login %1 already existed; its password is unchanged.").arg(login);
        return {};
    }
    const QString password = PasswordPolicy::generate();
    auto verifier = scramVerifier(connectionName, login, password);
    if (!verifier)
        return verifier.error();
    auto statement = execSql(db,
                             QStringLiteral("SELECT format('CREATE ROLE %I WITH LOGIN INHERIT "
                                            "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                                            "NOBYPASSRLS IN ROLE nobill_service PASSWORD %L', "
                                            "?::text, ?::text)"),
                             {login, verifier.value()});
    if (!statement)
        return statement.error();
    statement.value().next();
    if (auto created = execSql(db, statement.value().value(0).toString()); !created)
        return created.error();
    report.serviceLoginCreated = true;
    report.servicePassword = password;
    report.steps << tr("Created service login %1 for nobillctl serve.").arg(login);
    return {};
}
} // namespace

Result<OfficeSetupReport> setUpOffice(const QString &connectionName,
                                      const OfficeSetupRequest &request)
{
    if (!PasswordPolicy::isValidLogin(request.adminLogin))
        return makeError(ErrorKind::InvalidInput,
                         tr("The administrator's login \"%1\" is not usable: a login starts with "
                            "a lower-case letter and has 3 to 63 lower-case letters, digits or "
                            "underscores.")
                             .arg(request.adminLogin.left(80)));
    const QString email = request.adminEmail.trimmed();
    if (email.size() < 3 || !email.contains(QLatin1Char('@')) || email.startsWith(QLatin1Char('@')))
        return makeError(ErrorKind::InvalidInput,
                         tr("\"%1\" is not an email address; give the administrator's, e.g. "
                            "--admin-email ada@office.example.")
                             .arg(request.adminEmail.left(80)));
    if (!request.serviceLogin.isEmpty() && !PasswordPolicy::isValidLogin(request.serviceLogin))
        return makeError(ErrorKind::InvalidInput,
                         tr("The service login \"%1\" is not usable: a login starts with a "
                            "lower-case letter and has 3 to 63 lower-case letters, digits or "
                            "underscores.")
                             .arg(request.serviceLogin.left(80)));
    if (request.serviceLogin == request.adminLogin)
        return makeError(ErrorKind::InvalidInput,
                         tr("The administrator and the service need different logins."));

    OfficeSetupReport report;
    Migrator migrator(connectionName);
    Result<int> applied = migrator.migrate();
    if (!applied)
        return applied.error();
    Result<SchemaStatus> status = migrator.status();
    if (!status)
        return status.error();
    report.migrationsApplied = applied.value();
    report.schemaVersion = status.value().databaseVersion;
    if (report.migrationsApplied == 0)
        report.steps << tr("Schema was already current at version %1.").arg(report.schemaVersion);
    else if (report.migrationsApplied == 1)
        report.steps
            << tr("Applied 1 migration; the schema is at version %1.").arg(report.schemaVersion);
    else
        report.steps << tr("Applied %1 migrations; the schema is at version %2.")
                            .arg(report.migrationsApplied)
                            .arg(report.schemaVersion);
    report.steps << tr("Roles nobill_operator (console logins) and nobill_service (the office "
                       "service) are in place.");

    OfficeSetupRequest cleaned = request;
    cleaned.adminEmail = email;
    QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    // People and logins in one transaction: a failure leaves no half-made administrator.
    Result<int> done = inTransaction(db, [&]() -> Result<int> {
        if (Status admin = ensureAdmin(db, connectionName, cleaned, report); !admin)
            return admin.error();
        if (!cleaned.serviceLogin.isEmpty()) {
            if (Status service = ensureServiceLogin(db, connectionName, cleaned, report); !service)
                return service.error();
        }
        return 1;
    });
    if (!done)
        return done.error();
    return report;
}

} // namespace nobill
