#include "database/sqlerror.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QRegularExpression>

Q_LOGGING_CATEGORY(lcSql, "nobill.sql")

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::SqlError", text);
}

QString technicalText(const QSqlError &error)
{
    return QStringLiteral("[%1] %2 %3")
        .arg(error.nativeErrorCode(), error.databaseText(), error.driverText())
        .trimmed();
}

Error translateConstraintError(const QString &state, const QString &constraint,
                               const QString &detail)
{
    const QString known = constraintMessage(constraint);
    if (state == QLatin1String("23505")) {
        return makeError(ErrorKind::Conflict,
                         known.isEmpty() ? tr("Another record already has this value; "
                                              "it must be unique.")
                                         : known,
                         detail);
    }
    if (state == QLatin1String("23503")) {
        return makeError(ErrorKind::Conflict,
                         known.isEmpty() ? tr("Other records still refer to this one, or it "
                                              "refers to a record that does not exist.")
                                         : known,
                         detail);
    }
    if (state == QLatin1String("23502")) {
        return makeError(ErrorKind::InvalidInput, tr("A required value is missing."), detail);
    }
    return makeError(ErrorKind::InvalidInput,
                     known.isEmpty() ? tr("The database refused a value that is out of "
                                          "range or not allowed here.")
                                     : known,
                     detail);
}
} // namespace

QString sqlState(const QSqlError &error)
{
    return error.nativeErrorCode();
}

QString violatedConstraint(const QSqlError &error)
{
    static const QRegularExpression pattern(QStringLiteral("constraint \"([^\"]+)\""));
    const auto match = pattern.match(error.databaseText());
    return match.hasMatch() ? match.captured(1) : QString();
}

Error translateSqlError(const QSqlError &error)
{
    const QString state = sqlState(error);
    const QString detail = technicalText(error);
    qCDebug(lcSql) << detail;

    if (state.startsWith(QLatin1String("23"))) { // integrity constraint violations
        const QString constraint = violatedConstraint(error);
        Error translated = translateConstraintError(state, constraint, detail);
        translated.subject = constraint;
        return translated;
    }
    if (state == QLatin1String("42501")) {
        return makeError(ErrorKind::PermissionDenied,
                         tr("You don't have permission to do this. Ask an administrator of "
                            "the organization for the right role."),
                         detail);
    }
    if (state == QLatin1String("42P01") || state == QLatin1String("42883") ||
        state == QLatin1String("3F000")) {
        return makeError(ErrorKind::SchemaMissing,
                         tr("This database does not have the NOBill schema (or an older one). "
                            "Run \"nobillctl migrate\" against it, or connect to another "
                            "database."),
                         detail);
    }
    if (state == QLatin1String("40001") || state == QLatin1String("40P01")) {
        return makeError(ErrorKind::Conflict,
                         tr("Someone changed the same records at the same moment. Nothing was "
                            "saved; please try again."),
                         detail);
    }
    if (state == QLatin1String("57014")) {
        return makeError(ErrorKind::Cancelled, tr("The operation was cancelled."), detail);
    }
    if (state == QLatin1String("22001")) {
        return makeError(ErrorKind::InvalidInput, tr("A text is longer than allowed."), detail);
    }
    if (state.startsWith(QLatin1String("22"))) {
        return makeError(ErrorKind::InvalidInput,
                         tr("A value has the wrong format or is out of range."), detail);
    }
    if (state == QLatin1String("P0001")) {
        // Our own functions raise messages written for people (RAISE EXCEPTION '...').
        static const QRegularExpression prefix(QStringLiteral("^(ERROR:\\s*)"));
        QString message = error.databaseText().section(QLatin1Char('\n'), 0, 0);
        message.remove(prefix);
        return makeError(ErrorKind::Conflict, message.trimmed(), detail);
    }
    if (state.startsWith(QLatin1String("08")) || state.startsWith(QLatin1String("57P")) ||
        error.type() == QSqlError::ConnectionError) {
        return makeError(ErrorKind::Unavailable,
                         tr("The connection to the database was lost. Check the network and "
                            "that the server is running; the console reconnects on the next "
                            "action."),
                         detail);
    }
    return makeError(ErrorKind::Internal,
                     tr("The database could not complete the request. Details were written to "
                        "the log."),
                     detail);
}

Error translateConnectError(const QSqlError &error, const QString &serverDescription)
{
    const QString text = error.databaseText() + QLatin1Char(' ') + error.driverText();
    const QString detail = technicalText(error);
    qCDebug(lcSql) << detail;
    if (text.contains(QLatin1String("password authentication failed")) ||
        text.contains(QLatin1String("no password supplied")) ||
        text.contains(QLatin1String("authentication failed"))) {
        return makeError(ErrorKind::AuthenticationFailed,
                         tr("The server refused the sign-in for %1: the user name or password "
                            "is wrong.")
                             .arg(serverDescription),
                         detail);
    }
    if (text.contains(QLatin1String("does not exist")) &&
        text.contains(QLatin1String("database"))) {
        return makeError(ErrorKind::NotFound,
                         tr("The server has no such database (%1). Check the database name.")
                             .arg(serverDescription),
                         detail);
    }
    if (text.contains(QLatin1String("role")) && text.contains(QLatin1String("does not exist"))) {
        return makeError(ErrorKind::AuthenticationFailed,
                         tr("The server does not know this user (%1).").arg(serverDescription),
                         detail);
    }
    if (text.contains(QLatin1String("no pg_hba.conf entry")) ||
        text.contains(QLatin1String("not permitted to log in"))) {
        return makeError(ErrorKind::PermissionDenied,
                         tr("The server does not allow this user to sign in from here (%1). Ask "
                            "the database administrator.")
                             .arg(serverDescription),
                         detail);
    }
    if (text.contains(QLatin1String("SSL"))) {
        return makeError(ErrorKind::Unavailable,
                         tr("A secure connection to %1 could not be established. Check the SSL "
                            "mode and the server's certificate.")
                             .arg(serverDescription),
                         detail);
    }
    if (text.contains(QLatin1String("timeout expired"))) {
        return makeError(ErrorKind::Unavailable,
                         tr("The database server did not answer in time (%1). Check the address "
                            "and the network.")
                             .arg(serverDescription),
                         detail);
    }
    return makeError(ErrorKind::Unavailable,
                     tr("The database server cannot be reached (%1). Check the host and port, "
                        "and that the server is running.")
                         .arg(serverDescription),
                     detail);
}

} // namespace nobill
