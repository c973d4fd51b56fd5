#include "database/connectionsettings.h"

#include <QCoreApplication>
#include <QUrl>
#include <QUrlQuery>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::ConnectionSettings", text);
}

bool isValidSslMode(const QString &mode)
{
    static const QStringList modes{QStringLiteral("disable"),   QStringLiteral("allow"),
                                   QStringLiteral("prefer"),    QStringLiteral("require"),
                                   QStringLiteral("verify-ca"), QStringLiteral("verify-full")};
    return modes.contains(mode);
}
} // namespace

Result<ConnectionSettings> ConnectionSettings::fromUri(const QString &uri)
{
    const QUrl url(uri, QUrl::StrictMode);
    if (!url.isValid() || (url.scheme() != QLatin1String("postgresql") &&
                           url.scheme() != QLatin1String("postgres"))) {
        return makeError(ErrorKind::InvalidInput,
                         tr("\"%1\" is not a database address. Use the form "
                            "postgresql://user:password@host:port/database.")
                             .arg(uri.left(200)));
    }
    ConnectionSettings settings;
    if (!url.host().isEmpty())
        settings.host = url.host();
    settings.port = url.port(5432);
    settings.user = url.userName(QUrl::FullyDecoded);
    settings.password = url.password(QUrl::FullyDecoded);
    const QString path = url.path(QUrl::FullyDecoded);
    if (path.size() > 1)
        settings.database = path.mid(1);
    const QUrlQuery query(url);
    if (query.hasQueryItem(QStringLiteral("sslmode"))) {
        const QString mode = query.queryItemValue(QStringLiteral("sslmode"));
        if (!isValidSslMode(mode)) {
            return makeError(ErrorKind::InvalidInput,
                             tr("Unknown sslmode \"%1\". Use disable, allow, prefer, require, "
                                "verify-ca or verify-full.")
                                 .arg(mode.left(40)));
        }
        settings.sslMode = mode;
    }
    if (query.hasQueryItem(QStringLiteral("sslrootcert"))) {
        settings.sslRootCert =
            query.queryItemValue(QStringLiteral("sslrootcert"), QUrl::FullyDecoded);
        if (settings.sslRootCert.contains(QLatin1Char(';'))) {
            return makeError(ErrorKind::InvalidInput,
                             tr("The certificate path \"%1\" contains \";\", which PostgreSQL's "
                                "driver cannot pass on. Move the file to a path without it.")
                                 .arg(settings.sslRootCert.left(200)));
        }
    }
    if (query.hasQueryItem(QStringLiteral("host"))) // libpq's way of naming a socket directory
        settings.host = query.queryItemValue(QStringLiteral("host"), QUrl::FullyDecoded);
    if (settings.user.isEmpty()) {
        return makeError(ErrorKind::InvalidInput, tr("The database address names no user. Add one: "
                                                     "postgresql://user@host/database."));
    }
    return settings;
}

QString ConnectionSettings::toUri(bool includePassword) const
{
    QUrl url;
    url.setScheme(QStringLiteral("postgresql"));
    const bool socketDirectory = host.startsWith(QLatin1Char('/'));
    if (!socketDirectory)
        url.setHost(host);
    url.setPort(port);
    url.setUserName(user);
    if (includePassword && !password.isEmpty())
        url.setPassword(password);
    url.setPath(QLatin1Char('/') + database);
    QUrlQuery query;
    if (socketDirectory)
        query.addQueryItem(QStringLiteral("host"), host);
    if (sslMode != QLatin1String("prefer"))
        query.addQueryItem(QStringLiteral("sslmode"), sslMode);
    if (!sslRootCert.isEmpty())
        query.addQueryItem(QStringLiteral("sslrootcert"), sslRootCert);
    if (!query.isEmpty())
        url.setQuery(query);
    return url.toString(QUrl::FullyEncoded);
}

QString ConnectionSettings::describe() const
{
    return QStringLiteral("%1@%2:%3/%4").arg(user, host).arg(port).arg(database);
}

QString ConnectionSettings::connectOptions() const
{
    // QPSQL hands these to libpq's connection string; values may not contain ';'.
    QString options = QStringLiteral("connect_timeout=5;application_name=nobill-") + source;
    if (!sslMode.isEmpty())
        options += QStringLiteral(";sslmode=") + sslMode;
    if (!sslRootCert.isEmpty())
        options += QStringLiteral(";sslrootcert=") + sslRootCert;
    return options;
}

bool operator==(const ConnectionSettings &a, const ConnectionSettings &b)
{
    return a.host == b.host && a.port == b.port && a.database == b.database && a.user == b.user &&
           a.password == b.password && a.sslMode == b.sslMode && a.sslRootCert == b.sslRootCert &&
           a.source == b.source;
}

} // namespace nobill
