#include "access/passwordpolicy.h"

#include <QCoreApplication>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlDriver>

#include <libpq-fe.h>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::PasswordPolicy", text);
}

// Upper case without I and O, lower case without l and o, digits without 0 and 1.
const QString Upper = QStringLiteral("ABCDEFGHJKLMNPQRSTUVWXYZ");
const QString Lower = QStringLiteral("abcdefghijkmnpqrstuvwxyz");
const QString Digits = QStringLiteral("23456789");

int characterClasses(const QString &password)
{
    bool upper = false;
    bool lower = false;
    bool digit = false;
    bool other = false;
    for (const QChar c : password) {
        if (c.isUpper())
            upper = true;
        else if (c.isLower())
            lower = true;
        else if (c.isDigit())
            digit = true;
        else
            other = true;
    }
    return int(upper) + int(lower) + int(digit) + int(other);
}

QChar pick(const QString &alphabet)
{
    return alphabet.at(int(QRandomGenerator::system()->bounded(quint32(alphabet.size()))));
}
} // namespace

QList<QString> PasswordPolicy::problems(const QString &password, const QString &login,
                                        const QString &email)
{
    QList<QString> found;
    if (password.size() < MinimumLength)
        found << tr("The password needs at least %1 characters.").arg(MinimumLength);
    if (password.size() > 1024)
        found << tr("The password can have at most 1024 characters.");
    const QString lowered = password.toLower();
    const QString name = login.trimmed().toLower();
    if (name.size() >= 3 && lowered.contains(name))
        found << tr("The password must not contain the login name.");
    const QString localPart = email.trimmed().section(QLatin1Char('@'), 0, 0).toLower();
    if (localPart.size() >= 3 && lowered.contains(localPart))
        found << tr("The password must not contain the first part of the email address.");
    if (!password.isEmpty() && characterClasses(password) < 2)
        found << tr("The password must mix at least two kinds of characters: upper case, lower "
                    "case, digits or symbols.");
    return found;
}

QString PasswordPolicy::generate()
{
    const QString all = Upper + Lower + Digits;
    QString password;
    password.reserve(GeneratedLength);
    // One of each kind first, so the result always passes the policy; then shuffled.
    password += pick(Upper);
    password += pick(Lower);
    password += pick(Digits);
    while (password.size() < GeneratedLength)
        password += pick(all);
    for (int i = int(password.size()) - 1; i > 0; --i) {
        const int j = int(QRandomGenerator::system()->bounded(quint32(i + 1)));
        const QChar c = password.at(i);
        password[i] = password.at(j);
        password[j] = c;
    }
    return password;
}

bool PasswordPolicy::isValidLogin(const QString &login)
{
    static const QRegularExpression pattern(QStringLiteral("^[a-z][a-z0-9_]{2,62}$"));
    return pattern.match(login).hasMatch();
}

QString PasswordPolicy::suggestLogin(const QString &email)
{
    QString local = email.trimmed().section(QLatin1Char('@'), 0, 0).toLower();
    // Accents go (é -> e); what is not a letter or digit becomes one underscore.
    local = local.normalized(QString::NormalizationForm_KD);
    QString login;
    for (const QChar c : std::as_const(local)) {
        if ((c >= QLatin1Char('a') && c <= QLatin1Char('z')) ||
            (c >= QLatin1Char('0') && c <= QLatin1Char('9'))) {
            login += c;
        } else if (c.category() == QChar::Mark_NonSpacing) {
            continue;
        } else if (!login.isEmpty() && !login.endsWith(QLatin1Char('_'))) {
            login += QLatin1Char('_');
        }
    }
    while (login.endsWith(QLatin1Char('_')))
        login.chop(1);
    while (!login.isEmpty() && !login.at(0).isLetter())
        login.remove(0, 1);
    login.truncate(63);
    if (login.isEmpty())
        return {};
    while (login.size() < 3)
        login += QLatin1Char('_');
    return login;
}

Result<QString> scramVerifier(const QString &connectionName, const QString &login,
                              const QString &password)
{
    const QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    if (!db.isOpen() || !db.driver())
        return makeError(ErrorKind::Unavailable,
                         tr("There is no open database connection to prepare the password "
                            "with."));
    const QVariant handle = db.driver()->handle();
    // The QPSQL driver's handle; its type is named after the struct behind PGconn.
    if (qstrcmp(handle.typeName(), "PGconn*") != 0 && qstrcmp(handle.typeName(), "pg_conn*") != 0)
        return makeError(ErrorKind::Internal,
                         tr("The password can only be prepared over a PostgreSQL connection."),
                         QString::fromLatin1(handle.typeName()));
    PGconn *connection = *static_cast<PGconn *const *>(handle.constData());
    if (!connection)
        return makeError(ErrorKind::Unavailable,
                         tr("There is no open database connection to prepare the password "
                            "with."));
    const QByteArray user = login.toUtf8();
    const QByteArray secret = password.toUtf8();
    char *verifier =
        PQencryptPasswordConn(connection, secret.constData(), user.constData(), "scram-sha-256");
    if (!verifier) {
        return makeError(ErrorKind::Internal,
                         tr("The password could not be prepared for the server."),
                         QString::fromUtf8(PQerrorMessage(connection)).trimmed());
    }
    const QString result = QString::fromLatin1(verifier);
    PQfreemem(verifier);
    return result;
}

} // namespace nobill
